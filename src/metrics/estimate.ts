// Label-free performance estimation: NannyML's confidence-based performance
// estimation (CBPE) for binary classifiers. Fitted on a labelled reference
// window; estimates accuracy, precision, recall, F1 and ROC AUC of windows
// without labels from their calibrated probabilities, each with NannyML's
// sampling error.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, column, describe, numbers, options, requireNonEmpty, requireSameLength } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import type { IsotonicCalibrator} from './calibration.js';
import { fitIsotonic } from './calibration.js';
import { requireBinaryLabels } from './classification.js';
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

  toJSON(): { calibrator?: { x: number[]; y: number[] }; components: SamplingComponents } {
    return { ...(this.calibrator ? { calibrator: this.calibrator.toJSON() } : {}), components: this.components };
  }
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
  if (reference === null || typeof reference !== 'object') {
    throw new InputError('INVALID_OPTION', 'reference', `is ${describe(reference)}; pass { yTrue, yPred, yProb }.`);
  }
  const calibrate = options(opts, 'options').calibrate ?? true;
  if (typeof calibrate !== 'boolean') throw new InputError('INVALID_OPTION', 'options.calibrate', `is ${describe(calibrate)}; pass true or false.`);
  const t = numbers(reference.yTrue, 'reference.yTrue');
  const yp = numbers(reference.yPred, 'reference.yPred');
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
