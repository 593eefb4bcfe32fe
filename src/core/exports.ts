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

export interface Kernels extends SketchKernels {
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
