// Calibration: isotonic calibrators (fit on a reference window, applied to new
// scores) and the calibration metrics of binary probabilities.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, column, describe, numbers, options, requireNonEmpty, requireSameLength } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import { requireBinaryLabels } from './classification.js';
import type { CalibrationResult, MetricWarning, ReliabilityBin } from './types.js';

/**
 * A fitted isotonic calibrator: a non-decreasing, piecewise-linear map from
 * scores to probabilities. Plain data (thresholds), so it can be stored,
 * cloned to a worker or serialized as JSON and rebuilt with `fromJSON`.
 */
export class IsotonicCalibrator {
  /** Ascending score thresholds (the fitted x). */
  readonly x: Float64Array;
  /** Fitted values at x (non-decreasing). */
  readonly y: Float64Array;

  constructor(x: Float64Array, y: Float64Array) {
    if (x.length === 0 || x.length !== y.length) {
      throw new InputError('INVALID_OPTION', 'calibrator', `needs matching, non-empty x and y thresholds (got ${x.length} and ${y.length}).`);
    }
    this.x = x;
    this.y = y;
  }

  /**
   * Calibrated values of `scores`: each score is clipped to [x[0], x[last]]
   * and linearly interpolated (sklearn's out_of_bounds='clip').
   */
  apply(scores: Numbers): Float64Array {
    const sc = numbers(scores, 'scores');
    if (sc.length === 0) return new Float64Array(0);
    return withScope((s) => {
      const sPtr = column(s, sc, Check.Finite, 'scores');
      const tx = s.f64(this.x), ty = s.f64(this.y);
      const out = s.alloc(sc.length * 8);
      s.k.isotonicApply(tx, ty, this.x.length, sPtr, sc.length, out);
      return s.readF64(out, sc.length);
    });
  }

  toJSON(): { x: number[]; y: number[] } {
    return { x: Array.from(this.x), y: Array.from(this.y) };
  }

  static fromJSON(value: unknown): IsotonicCalibrator {
    const v = value as { x?: unknown; y?: unknown } | null;
    if (v === null || typeof v !== 'object') throw new InputError('INVALID_OPTION', 'calibrator', `is ${describe(value)}; pass the object toJSON() returned.`);
    const x = Float64Array.from(numbers(v.x, 'calibrator.x'));
    const y = Float64Array.from(numbers(v.y, 'calibrator.y'));
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!) || (i > 0 && (x[i]! <= x[i - 1]! || y[i]! < y[i - 1]!))) {
        throw new InputError('INVALID_OPTION', `calibrator.x[${i}]`, 'thresholds must be finite, x strictly ascending and y non-decreasing.');
      }
    }
    return new IsotonicCalibrator(x, y);
  }
}

/**
 * Fits an increasing isotonic regression of `y` on `x` by pool-adjacent-
 * violators, equal to scikit-learn 1.2.1's
 * `IsotonicRegression(increasing=True, out_of_bounds='clip').fit(x, y,
 * sample_weight)`: rows with weight 0 are ignored, rows with equal x (within
 * 1e-15) are pooled into their weighted mean, and `apply` then equals its
 * `predict`. To calibrate a classifier, pass its scores as x and the 0/1
 * labels as y.
 */
export function fitIsotonic(x: Numbers, y: Numbers, sampleWeight?: Numbers): IsotonicCalibrator {
  const xs = numbers(x, 'x');
  const ys = numbers(y, 'y');
  requireNonEmpty(xs.length, 'x');
  requireSameLength(xs.length, ys.length, 'y', 'x');
  const n = xs.length;
  const w = sampleWeight === undefined ? undefined : numbers(sampleWeight, 'sampleWeight');
  if (w) requireSameLength(n, w.length, 'sampleWeight', 'x');
  return withScope((s) => {
    const xPtr = column(s, xs, Check.Finite, 'x');
    const yPtr = column(s, ys, Check.Finite, 'y');
    const wPtr = w ? column(s, w, Check.NonNegative, 'sampleWeight') : s.f64(new Float64Array(n).fill(1));
    const outX = s.alloc(n * 8), outY = s.alloc(n * 8);
    const m = s.k.isotonicFit(xPtr, yPtr, wPtr, n, outX, outY);
    if (m === 0) throw new InputError('EMPTY_INPUT', 'sampleWeight', 'has no positive weight; at least one row must count.');
    return new IsotonicCalibrator(s.readF64(outX, m), s.readF64(outY, m));
  });
}

/** Options of calibrationMetrics. */
export interface CalibrationOptions {
  /** Equal-width bins on [0, 1] (default 10, sklearn's calibration_curve default: up to 10,000). */
  bins?: number;
}

/**
 * The additive state behind calibrationMetrics: per bin the count, the sum of
 * probabilities and the sum of labels, and the sum of squared errors. Two
 * CalibrationSums with the same `bins` merge by adding every field, so
 * windows, tabs and devices can be combined before calibrationFromSums.
 */
export interface CalibrationSums {
  bins: number;
  n: number;
  count: Float64Array;
  sumProbability: Float64Array;
  sumLabel: Float64Array;
  sumSquaredError: number;
}

function requireBins(value: unknown): number {
  const k = value ?? 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 10000) {
    throw new InputError('INVALID_OPTION', 'options.bins', `is ${describe(k)}; pass an integer from 1 to 10000.`);
  }
  return k;
}

/** Bins binary probabilities against 0/1 labels (see calibrationMetrics for the binning). */
export function calibrationSums(yTrue: Numbers, yProb: Numbers, opts?: CalibrationOptions): CalibrationSums {
  const t = numbers(yTrue, 'yTrue');
  const p = numbers(yProb, 'yProb');
  requireNonEmpty(t.length, 'yTrue');
  requireSameLength(t.length, p.length, 'yProb', 'yTrue');
  const k = requireBins(options(opts, 'options').bins);
  const n = t.length;
  return withScope((s) => {
    const tPtr = column(s, t, Check.Finite, 'yTrue');
    requireBinaryLabels(s, tPtr, n, 'yTrue');
    const pPtr = column(s, p, Check.Unit, 'yProb');
    const out = s.alloc((3 * k + 1) * 8);
    s.k.calibrationBins(pPtr, tPtr, n, k, out);
    const v = s.readF64(out, 3 * k + 1);
    const count = new Float64Array(k), sumProbability = new Float64Array(k), sumLabel = new Float64Array(k);
    for (let b = 0; b < k; b++) {
      count[b] = v[3 * b]!;
      sumProbability[b] = v[3 * b + 1]!;
      sumLabel[b] = v[3 * b + 2]!;
    }
    return { bins: k, n, count, sumProbability, sumLabel, sumSquaredError: v[3 * k]! };
  });
}

/** calibrationMetrics from (possibly merged) CalibrationSums. */
export function calibrationFromSums(sums: CalibrationSums): CalibrationResult {
  if (sums === null || typeof sums !== 'object') throw new InputError('INVALID_OPTION', 'sums', `is ${describe(sums)}; pass what calibrationSums returned.`);
  const k = requireBins(sums.bins);
  for (const field of ['count', 'sumProbability', 'sumLabel'] as const) {
    if (!sums[field] || sums[field].length !== k) throw new InputError('SHAPE_MISMATCH', `sums.${field}`, `has ${sums[field]?.length} values for ${k} bins; pass what calibrationSums returned: one value per bin (the rows of the reliability diagram).`);
  }
  const n = sums.n;
  const reliability: ReliabilityBin[] = [];
  let ece = 0;
  let mce = 0;
  let positives = 0;
  for (let b = 0; b < k; b++) {
    const count = sums.count[b]!;
    if (count === 0) continue;
    const meanProbability = sums.sumProbability[b]! / count;
    const fractionPositive = sums.sumLabel[b]! / count;
    positives += sums.sumLabel[b]!;
    const gap = Math.abs(fractionPositive - meanProbability);
    ece += (count / n) * gap;
    mce = Math.max(mce, gap);
    reliability.push({ lower: b / k, upper: (b + 1) / k, count, meanProbability, fractionPositive });
  }
  const warnings: MetricWarning[] = [];
  if (positives === 0 || positives === n) {
    warnings.push({ code: 'ONE_CLASS', message: 'yTrue holds one class only; calibration is measured against it alone' });
  }
  return { n, expectedCalibrationError: ece, maxCalibrationError: mce, brierScore: sums.sumSquaredError / n, reliability, warnings };
}

/**
 * Calibration of binary probabilities against 0/1 labels:
 * - the reliability diagram: `bins` equal-width bins on [0, 1], assigned as
 *   sklearn 1.2.1's `calibration_curve(strategy='uniform')` does (a
 *   probability on an interior edge falls in the bin below it); for each
 *   non-empty bin the mean probability (prob_pred), the fraction of
 *   positives (prob_true) and the count;
 * - expected calibration error: sum over those bins of count / n times
 *   |fraction of positives - mean probability|; maximum calibration error:
 *   the largest such gap;
 * - Brier score: mean (label - probability)^2, = sklearn's brier_score_loss.
 */
export function calibrationMetrics(yTrue: Numbers, yProb: Numbers, opts?: CalibrationOptions): CalibrationResult {
  return calibrationFromSums(calibrationSums(yTrue, yProb, opts));
}
