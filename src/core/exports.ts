// The WASM module's surface as TypeScript sees it: the one place to read to
// know the boundary. Pointers are byte offsets into `memory`; every kernel
// works on a whole batch. Mirrors assembly/index.ts.

/** Column checks understood by `firstInvalid` (assembly/validate.ts). */
export const Check = { Finite: 0, Integer: 1, Unit: 2, NonNegative: 3 } as const;
export type Check = (typeof Check)[keyof typeof Check];

// [summaries] Exponential histogram kernels (assembly/sketch.ts).
export interface SketchKernels {
  /** Inserts n f64 into the sketch state block at state; -1, or the index of the first non-finite value. */
  sketchInsert(state: number, values: number, n: number): number;
}

// [estimate] Calibration, drift and label-free estimation kernels
// (assembly/calibration.ts, assembly/drift.ts, assembly/estimate.ts).
export interface EstimateKernels {
  /** Isotonic fit of n rows; writes thresholds to outX/outY (capacity n) and returns how many. */
  isotonicFit(x: number, y: number, w: number, n: number, outX: number, outY: number): number;
  /** Applies m thresholds to n scores (clip, then numpy.interp). */
  isotonicApply(tx: number, ty: number, m: number, s: number, n: number, out: number): void;
  /** Per-bin count, sum p, sum y over k uniform bins, then the sum of squared errors (3k + 1 f64). */
  calibrationBins(p: number, y: number, n: number, k: number, out: number): void;
  /** out: D+, D-, Wasserstein-1 of two samples. */
  ecdfCompare(a: number, na: number, b: number, nb: number, out: number): void;
  /** out: statistic as scipy reports it, two-sided p-value, method (0 exact, 1 asymptotic). */
  ksPValue(n1: number, n2: number, d: number, out: number): void;
  /** scipy.stats.kstwo.sf(x, n). */
  kolmogorovSf(n: number, x: number): number;
  /** Evidently's binning: k > 0 numeric bins (k + 1 edges) or -k categories (k values); 0 when more than cap categories. */
  driftBins(ref: number, nr: number, cur: number, nc: number, maxDistinct: number, edges: number, refCounts: number, curCounts: number, cap: number): number;
  /** scipy.stats.chi2.sf(x, df). */
  chi2Sf(x: number, df: number): number;
  /** out: expected tp, fp, fn, tn. */
  cbpeConfusion(p: number, yPred: number, n: number, out: number): void;
  /** NannyML's estimated ROC AUC. */
  cbpeRocAuc(p: number, n: number): number;
  /** out: NannyML's AUROC sampling-error std and positive fraction. */
  aucSamplingComponents(p: number, y: number, n: number, out: number): void;
}

export interface Kernels extends SketchKernels, EstimateKernels {
  readonly memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  firstInvalid(ptr: number, n: number, check: Check): number;
  uniqueLabels(a: number, na: number, b: number, nb: number, out: number, maxOut: number): number;
  labelIndices(y: number, n: number, classes: number, c: number, idx: number): void;
  confusionBinary(yTrue: number, yPred: number, n: number, out: number): number;
  confusion(yTrue: number, yPred: number, n: number, classes: number, c: number, out: number): void;
  thresholdCounts(y: number, p: number, n: number, thr: number, k: number, out: number): void;
  rankBinary(score: number, y: number, n: number, out: number, curve: number, unit: number): number;
  rankOneVsRest(scores: number, yIdx: number, n: number, c: number, out: number): void;
  regression(yTrue: number, yPred: number, n: number, scratch: number, out: number): void;
  latency(ptr: number, n: number, q: number, m: number, stats: number, qOut: number): void;
  quantiles(ptr: number, n: number, q: number, m: number, out: number): void;
  ranking(q: number, k: number, width: number, gains: number, ideal: number, relevant: number, firstHit: number, out: number): void;
  linregress(x: number, y: number, n: number, out: number): void;
}
