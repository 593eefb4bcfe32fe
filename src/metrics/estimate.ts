// Label-free performance estimation: NannyML's confidence-based performance
// estimation (CBPE) for binary classifiers. Fitted on a labelled reference
// window; estimates accuracy, precision, recall, F1 and ROC AUC of windows
// without labels from their calibrated probabilities, each with NannyML's
// sampling error.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, check, column, describe, numbers, options, requireNonEmpty, requireSameLength } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import { IsotonicCalibrator, fitIsotonic } from './calibration.js';
import { type Scores, requireBinaryLabels, scoreMatrix } from './classification.js';
import type { CbpeEstimate, Estimate, MetricWarning } from './types.js';

/** A labelled reference window: true labels, predictions (0/1) and scores (probability of class 1). */
export interface CbpeReference {
  yTrue: Numbers;
  yPred: Numbers;
  yProb: Numbers;
}

export interface CbpeOptions {
  /**
   * Fit an isotonic calibrator on the reference (default true) and estimate
   * from calibrated probabilities, as NannyML does when scores are not
   * calibrated. Pass false only for scores known to be calibrated.
   */
  calibrate?: boolean;
}

/**
 * Standard deviation and fraction from the reference, per metric: NannyML's
 * sampling error of a window of n rows is std / sqrt(n x fraction)
 * (nannyml/sampling_error/binary_classification.py).
 */
export interface SamplingComponents {
  accuracy: { std: number; fraction: number };
  precision: { std: number; fraction: number };
  recall: { std: number; fraction: number };
  f1Score: { std: number; fraction: number };
  rocAuc: { std: number; fraction: number };
}

/** numpy.std (ddof 0) of a vector of `ones` ones and `total - ones` zeros. */
function std01(ones: number, total: number): number {
  if (total === 0) return NaN;
  const mean = ones / total;
  return Math.sqrt((ones * (1 - mean) ** 2 + (total - ones) * mean ** 2) / total);
}

function ratio(num: number, den: number, name: string, warnings: MetricWarning[]): number {
  if (den !== 0) return num / den;
  warnings.push({ code: 'ZERO_DIVISION', message: `estimated ${name} is ill-defined (no expected cases in its denominator); set to 0` });
  return 0;
}

/** A fitted CBPE estimator. */
export class Cbpe {
  constructor(
    /** The calibrator fitted on the reference, or undefined when calibrate was false. */
    readonly calibrator: IsotonicCalibrator | undefined,
    readonly components: SamplingComponents,
  ) {}

  /**
   * Estimated metrics of one window from its predictions (0/1) and scores
   * (the same kind of scores as the reference's; calibrated here if the
   * estimator was fitted with calibration).
   */
  estimate(yPred: Numbers, yProb: Numbers): CbpeEstimate {
    const yp = numbers(yPred, 'yPred');
    const pr = numbers(yProb, 'yProb');
    requireNonEmpty(yp.length, 'yPred');
    requireSameLength(yp.length, pr.length, 'yProb', 'yPred');
    const n = yp.length;
    // Validate under the caller's name before the calibrator sees the scores.
    withScope((s) => column(s, pr, Check.Finite, 'yProb'));
    const calibrated = this.calibrator ? this.calibrator.apply(pr) : pr;
    return withScope((s) => {
      const yPtr = column(s, yp, Check.Finite, 'yPred');
      requireBinaryLabels(s, yPtr, n, 'yPred');
      const pPtr = column(s, calibrated, Check.Unit, this.calibrator ? 'yProb (calibrated)' : 'yProb');
      const out = s.alloc(32);
      s.k.cbpeConfusion(pPtr, yPtr, n, out);
      const [tp = 0, fp = 0, fn = 0, tn = 0] = s.readF64(out, 4);
      const auc = s.k.cbpeRocAuc(pPtr, n);
      const warnings: MetricWarning[] = [];
      const c = this.components;
      const se = (x: { std: number; fraction: number }): number => x.std / Math.sqrt(n * x.fraction);
      const est = (value: number, x: { std: number; fraction: number }): Estimate => ({ value, samplingError: se(x) });
      return {
        n,
        accuracy: est((tp + tn) / n, c.accuracy),
        precision: est(ratio(tp, tp + fp, 'precision', warnings), c.precision),
        recall: est(ratio(tp, tp + fn, 'recall', warnings), c.recall),
        f1Score: est(ratio(tp, tp + 0.5 * (fp + fn), 'F1', warnings), c.f1Score),
        rocAuc: est(auc, c.rocAuc),
        truePositives: tp,
        falsePositives: fp,
        falseNegatives: fn,
        trueNegatives: tn,
        warnings,
      };
    });
  }

  /** Plain data (for IndexedDB, postMessage or JSON); `Cbpe.fromJSON` rebuilds the estimator. */
  toJSON(): { calibrator?: { x: number[]; y: number[] }; components: SamplingComponents } {
    return { ...(this.calibrator ? { calibrator: this.calibrator.toJSON() } : {}), components: this.components };
  }

  static fromJSON(value: unknown): Cbpe {
    const v = value as { calibrator?: unknown; components?: Record<string, { std?: unknown; fraction?: unknown } | undefined> } | null;
    if (v === null || typeof v !== 'object' || v.components === null || typeof v.components !== 'object') {
      throw new InputError('INVALID_OPTION', 'cbpe', `is ${describe(value)}; pass the object toJSON() returned.`);
    }
    const components = {} as SamplingComponents;
    for (const k of ['accuracy', 'precision', 'recall', 'f1Score', 'rocAuc'] as const) {
      const c = v.components[k];
      if (!c || typeof c.std !== 'number' || typeof c.fraction !== 'number') {
        throw new InputError('INVALID_OPTION', `cbpe.components.${k}`, 'needs numbers std and fraction; pass the object toJSON() returned.');
      }
      components[k] = { std: c.std, fraction: c.fraction };
    }
    return new Cbpe(v.calibrator === undefined ? undefined : IsotonicCalibrator.fromJSON(v.calibrator), components);
  }
}

/** The checks and columns both CBPE fits share: the reference object, `calibrate`, yTrue and yPred. */
function referenceColumns(
  reference: CbpeReference | CbpeMulticlassReference,
  opts: CbpeOptions | undefined,
): { calibrate: boolean; t: ReturnType<typeof numbers>; yp: ReturnType<typeof numbers> } {
  if (reference === null || typeof reference !== 'object') {
    throw new InputError('INVALID_OPTION', 'reference', `is ${describe(reference)}; pass { yTrue, yPred, yProb }.`);
  }
  const calibrate = options(opts, 'options').calibrate ?? true;
  if (typeof calibrate !== 'boolean') throw new InputError('INVALID_OPTION', 'options.calibrate', `is ${describe(calibrate)}; pass true or false.`);
  return { calibrate, t: numbers(reference.yTrue, 'reference.yTrue'), yp: numbers(reference.yPred, 'reference.yPred') };
}

/**
 * Fits NannyML-style CBPE on a labelled reference window (binary: labels and
 * predictions 0/1, yProb the score of class 1):
 * - the calibrator: isotonic regression of yTrue on yProb (NannyML's
 *   IsotonicCalibrator is scikit-learn's IsotonicRegression with
 *   out_of_bounds='clip'), unless options.calibrate is false;
 * - the sampling-error components of each metric, as NannyML computes them
 *   from the reference (accuracy: std of the 0/1 correctness; precision,
 *   recall, F1: std of the relevant rows' 0/1 outcomes and their fraction of
 *   rows; ROC AUC: the Mann-Whitney form over the calibrated scores).
 *
 * What CBPE cannot see: it assumes P(y | score) is the same now as in the
 * reference (no concept drift). Under covariate shift it stays unbiased;
 * when the relation between inputs and labels changes, the estimate does not
 * move and only realized metrics (late labels) reveal the drop.
 */
export function fitCbpe(reference: CbpeReference, opts?: CbpeOptions): Cbpe {
  const { calibrate, t, yp } = referenceColumns(reference, opts);
  const pr = numbers(reference.yProb, 'reference.yProb');
  requireNonEmpty(t.length, 'reference.yTrue');
  requireSameLength(t.length, yp.length, 'reference.yPred', 'reference.yTrue');
  requireSameLength(t.length, pr.length, 'reference.yProb', 'reference.yTrue');
  const n = t.length;
  // Validate everything before fitting so errors name the caller's argument.
  withScope((s) => {
    requireBinaryLabels(s, column(s, t, Check.Finite, 'reference.yTrue'), n, 'reference.yTrue');
    requireBinaryLabels(s, column(s, yp, Check.Finite, 'reference.yPred'), n, 'reference.yPred');
    column(s, pr, Check.Finite, 'reference.yProb');
  });
  const calibrator = calibrate ? fitIsotonic(pr, t) : undefined;
  const p = calibrator ? calibrator.apply(pr) : pr;
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < n; i++) {
    if (yp[i] === 1) { if (t[i] === 1) tp++; else fp++; } else if (t[i] === 1) fn++; else tn++;
  }
  const relevant = tp + fp + fn;
  const factor = relevant / ((fn + fp) * 0.5 + tp);
  const auc = withScope((s) => {
    const pPtr = column(s, p, Check.Unit, calibrator ? 'reference.yProb (calibrated)' : 'reference.yProb');
    const tPtr = s.f64(t);
    const out = s.alloc(16);
    s.k.aucSamplingComponents(pPtr, tPtr, n, out);
    const [std = NaN, fraction = NaN] = s.readF64(out, 2);
    return { std, fraction };
  });
  return new Cbpe(calibrator, {
    accuracy: { std: std01(tp + tn, n), fraction: 1 },
    precision: { std: std01(tp, tp + fp), fraction: (tp + fp) / n },
    recall: { std: std01(tp, tp + fn), fraction: (tp + fn) / n },
    f1Score: { std: factor * std01(tp, relevant), fraction: relevant / n },
    rocAuc: auc,
  });
}

// ---------------------------------------------------------------------------
// Multiclass CBPE (NannyML's _cbpe_multiclass_classification.py and
// sampling_error/multiclass_classification.py).

/** A labelled multiclass reference: yProb is n x C (rows, or flat row-major), columns in ascending class order. */
export interface CbpeMulticlassReference {
  yTrue: Numbers;
  yPred: Numbers;
  yProb: Scores;
}

/** Per-class variance and fraction from the reference (NannyML's multiclass components). */
export interface MulticlassSamplingComponents {
  accuracy: { std: number };
  precision: { variance: number; fraction: number }[];
  recall: { variance: number; fraction: number }[];
  f1Score: { variance: number; fraction: number }[];
  rocAuc: { variance: number; fraction: number }[];
}

export interface CbpeMulticlassEstimate {
  n: number;
  classes: number[];
  /** Mean calibrated probability of the predicted class. */
  accuracy: Estimate;
  /** Macro averages of the one-vs-rest estimates (NannyML's averaging). */
  precision: Estimate;
  recall: Estimate;
  f1Score: Estimate;
  rocAuc: Estimate;
  warnings: MetricWarning[];
}

/** numpy.var (ddof 0) of `ones` ones and `total - ones` zeros. */
function var01(ones: number, total: number): number {
  const s = std01(ones, total);
  return s * s;
}

/** NannyML's _standard_deviation_of_variances: sqrt(sum var / (n fraction)) / C. */
function macroError(parts: { variance: number; fraction: number }[], n: number, factor = 1): number {
  let sum = 0;
  for (const p of parts) sum += p.variance / (n * p.fraction);
  return (Math.sqrt(sum) / parts.length) * factor;
}

/** A fitted multiclass CBPE estimator. */
export class CbpeMulticlass {
  constructor(
    readonly classes: number[],
    /** One calibrator per class (one-vs-rest), or undefined when calibrate was false. */
    readonly calibrators: IsotonicCalibrator[] | undefined,
    readonly components: MulticlassSamplingComponents,
  ) {}

  /**
   * Calibrated probabilities, n x C flat: each column through its class's
   * calibrator, then every row divided by its sum (1/C each where the sum is
   * 0), as NannyML's _calibrate_predicted_probabilities.
   */
  calibrate(yProb: Scores, n: number, name = 'yProb'): Float64Array {
    const [flat, c] = scoreMatrix(yProb, n);
    const C = this.classes.length;
    if (c !== C) throw new InputError('SHAPE_MISMATCH', name, `has ${c} columns but the estimator was fitted on ${C} classes (${this.classes.join(', ')}); pass one column per class.`);
    withScope((s) => column(s, flat, Check.Finite, name));
    const out = Float64Array.from(flat);
    if (this.calibrators) {
      for (let j = 0; j < C; j++) {
        const col = new Float64Array(n);
        for (let i = 0; i < n; i++) col[i] = flat[i * C + j]!;
        const cal = this.calibrators[j]!.apply(col);
        for (let i = 0; i < n; i++) out[i * C + j] = cal[i]!;
      }
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < C; j++) sum += out[i * C + j]!;
        for (let j = 0; j < C; j++) out[i * C + j] = sum !== 0 ? out[i * C + j]! / sum : 1 / C;
      }
    }
    return out;
  }

  /** Estimated macro metrics of one window from its predicted classes and n x C scores. */
  estimate(yPred: Numbers, yProb: Scores): CbpeMulticlassEstimate {
    const yp = numbers(yPred, 'yPred');
    requireNonEmpty(yp.length, 'yPred');
    const n = yp.length;
    const C = this.classes.length;
    const idx = classIndex(yp, this.classes, 'yPred');
    const p = this.calibrate(yProb, n);
    const warnings: MetricWarning[] = [];
    let acc = 0;
    for (let i = 0; i < n; i++) acc += p[i * C + idx[i]!]!;
    const per = { precision: 0, recall: 0, f1: 0, auc: 0 };
    withScope((s) => {
      const col = s.alloc(n * 8), pred = s.alloc(n * 8), out = s.alloc(32);
      for (let j = 0; j < C; j++) {
        const f = s.f64View();
        for (let i = 0; i < n; i++) {
          f[(col >>> 3) + i] = p[i * C + j]!;
          f[(pred >>> 3) + i] = idx[i] === j ? 1 : 0;
        }
        check(s, col, n, Check.Unit, 'yProb (calibrated)');
        s.k.cbpeConfusion(col, pred, n, out);
        const [tp = 0, fp = 0, fn = 0] = s.readF64(out, 3);
        const cls = this.classes[j]!;
        per.precision += ratio(tp, tp + fp, `precision of class ${cls}`, warnings);
        per.recall += ratio(tp, tp + fn, `recall of class ${cls}`, warnings);
        per.f1 += ratio(tp, tp + 0.5 * (fp + fn), `F1 of class ${cls}`, warnings);
        per.auc += s.k.cbpeRocAuc(col, n);
      }
    });
    const c = this.components;
    return {
      n,
      classes: [...this.classes],
      accuracy: { value: acc / n, samplingError: c.accuracy.std / Math.sqrt(n) },
      precision: { value: per.precision / C, samplingError: macroError(c.precision, n) },
      recall: { value: per.recall / C, samplingError: macroError(c.recall, n) },
      f1Score: { value: per.f1 / C, samplingError: macroError(c.f1Score, n) },
      // NannyML widens the multiclass AUROC sampling error by a factor 1.2.
      rocAuc: { value: per.auc / C, samplingError: macroError(c.rocAuc, n, 1.2) },
      warnings,
    };
  }
}

/** Index of each label among the sorted classes; rejects labels outside them. */
function classIndex(labels: Numbers, classes: number[], name: string): Int32Array {
  const at = new Map(classes.map((c, j) => [c, j]));
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const j = at.get(labels[i]!);
    if (j === undefined) {
      throw new InputError('SHAPE_MISMATCH', `${name}[${i}]`, `is ${describe(labels[i])}, not one of the fitted classes ${classes.join(', ')}; labels must be among them, with one column per class in yProb.`);
    }
    out[i] = j;
  }
  return out;
}

/**
 * Fits NannyML-style multiclass CBPE on a labelled reference: classes are the
 * sorted distinct labels of yTrue and yPred, one per yProb column; one
 * isotonic calibrator per class (one-vs-rest), rows renormalized to sum 1;
 * estimates are macro averages of the one-vs-rest binary estimates, accuracy
 * the mean probability of the predicted class, and sampling errors NannyML's
 * (sqrt of the summed per-class variances / (n x fraction), divided by the
 * number of classes; x 1.2 for ROC AUC).
 */
export function fitCbpeMulticlass(reference: CbpeMulticlassReference, opts?: CbpeOptions): CbpeMulticlass {
  const { calibrate, t, yp } = referenceColumns(reference, opts);
  requireNonEmpty(t.length, 'reference.yTrue');
  requireSameLength(t.length, yp.length, 'reference.yPred', 'reference.yTrue');
  const n = t.length;
  withScope((s) => {
    check(s, column(s, t, Check.Finite, 'reference.yTrue'), n, Check.Integer, 'reference.yTrue');
    check(s, column(s, yp, Check.Finite, 'reference.yPred'), n, Check.Integer, 'reference.yPred');
  });
  const classes = [...new Set([...Array.from(t), ...Array.from(yp)])].sort((a, b) => a - b);
  const C = classes.length;
  if (C < 2) throw new InputError('SHAPE_MISMATCH', 'reference.yTrue', `holds the single class ${classes[0]}; multiclass estimation needs at least two classes, with one column per class in yProb.`);
  const [flat, cols] = scoreMatrix(reference.yProb, n);
  if (cols !== C) throw new InputError('SHAPE_MISMATCH', 'reference.yProb', `has ${cols} columns but yTrue and yPred hold ${C} classes (${classes.join(', ')}); pass one column per class.`);
  withScope((s) => column(s, flat, Check.Finite, 'reference.yProb'));
  const ti = classIndex(t, classes, 'reference.yTrue');
  const pi = classIndex(yp, classes, 'reference.yPred');
  let calibrators: IsotonicCalibrator[] | undefined;
  if (calibrate) {
    calibrators = classes.map((_, j) => {
      const col = new Float64Array(n), y = new Float64Array(n);
      for (let i = 0; i < n; i++) { col[i] = flat[i * C + j]!; y[i] = ti[i] === j ? 1 : 0; }
      return fitIsotonic(col, y);
    });
  }
  const model0 = new CbpeMulticlass(classes, calibrators, { accuracy: { std: 0 }, precision: [], recall: [], f1Score: [], rocAuc: [] });
  const p = model0.calibrate(flat, n, 'reference.yProb');
  let correct = 0;
  for (let i = 0; i < n; i++) if (ti[i] === pi[i]) correct++;
  const components: MulticlassSamplingComponents = { accuracy: { std: std01(correct, n) }, precision: [], recall: [], f1Score: [], rocAuc: [] };
  withScope((s) => {
    const col = s.alloc(n * 8), yb = s.alloc(n * 8), out = s.alloc(16);
    for (let j = 0; j < C; j++) {
      let tp = 0, fp = 0, fn = 0;
      const f = s.f64View();
      for (let i = 0; i < n; i++) {
        const isT = ti[i] === j, isP = pi[i] === j;
        if (isP && isT) tp++; else if (isP) fp++; else if (isT) fn++;
        f[(col >>> 3) + i] = p[i * C + j]!;
        f[(yb >>> 3) + i] = isT ? 1 : 0;
      }
      components.precision.push({ variance: var01(tp, tp + fp), fraction: (tp + fp) / n });
      components.recall.push({ variance: var01(tp, tp + fn), fraction: (tp + fn) / n });
      components.f1Score.push({ variance: var01(tp, tp + fp + fn), fraction: (tp + fp + fn) / n });
      check(s, col, n, Check.Unit, 'reference.yProb (calibrated)');
      s.k.aucSamplingComponents(col, yb, n, out);
      const [std = NaN, fraction = NaN] = s.readF64(out, 2);
      components.rocAuc.push({ variance: std * std, fraction });
    }
  });
  return new CbpeMulticlass(classes, calibrators, components);
}
