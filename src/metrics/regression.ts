// Regression metrics, whole and per segment, from the one regression kernel.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, column, describe, numbers, requireNonEmpty, requireSameLength } from '../core/input.js';
import { type Scope, withScope } from '../core/wasm.js';
import type { MetricWarning, RegressionResult } from './types.js';

/** Segment keys: numbers or strings, one per row. */
export type Segment = number | string;

/** Runs the kernel over n rows at tPtr/pPtr. */
function compute(s: Scope, tPtr: number, pPtr: number, n: number): RegressionResult {
  const scratch = s.alloc(n * 8);
  const out = s.alloc(8 * 8);
  s.k.regression(tPtr, pPtr, n, scratch, out);
  const [mae = NaN, mse = NaN, num = NaN, den = NaN, mapeFraction = NaN, maxError = NaN, medianError = NaN] = s.readF64(out, 8);
  const warnings: MetricWarning[] = [];
  let r2Score: number;
  if (n < 2) {
    r2Score = NaN;
    warnings.push({ code: 'TOO_FEW_SAMPLES', message: 'R² is not well-defined with fewer than two samples (NaN)' });
  } else if (num === 0) {
    r2Score = 1; // perfect predictions, even of a constant target
  } else if (den === 0) {
    r2Score = 0; // sklearn's force_finite: constant target, imperfect predictions
  } else {
    r2Score = 1 - num / den;
  }
  return { n, mae, mse, rmse: Math.sqrt(mse), r2Score, mape: mapeFraction * 100, maxError, medianError, warnings };
}

function inputs(yTrue: Numbers, yPred: Numbers): [Numbers, Numbers] {
  const t = numbers(yTrue, 'yTrue');
  const p = numbers(yPred, 'yPred');
  requireNonEmpty(t.length, 'yTrue');
  requireSameLength(t.length, p.length, 'yPred', 'yTrue');
  return [t, p];
}

/**
 * MAE, MSE, RMSE, R², MAPE (percent), max error and median absolute error, as
 * scikit-learn computes them (R² of a constant target: 1 if predicted exactly,
 * else 0; MAPE divides by max(|y|, machine epsilon)).
 */
export function regressionMetrics(yTrue: Numbers, yPred: Numbers): RegressionResult {
  const [t, p] = inputs(yTrue, yPred);
  return withScope((s) => compute(s, column(s, t, Check.Finite, 'yTrue'), column(s, p, Check.Finite, 'yPred'), t.length));
}

/**
 * regressionMetrics for each distinct segment, in ascending order of segment
 * (numbers numerically, strings by code unit; numbers before strings).
 */
export function regressionMetricsBySegment(yTrue: Numbers, yPred: Numbers, segments: ArrayLike<Segment>): Map<Segment, RegressionResult> {
  const [t, p] = inputs(yTrue, yPred);
  const n = t.length;
  if (segments === null || typeof segments !== 'object' || typeof segments.length !== 'number') {
    throw new InputError('NOT_NUMERIC', 'segments', `expected an array of numbers or strings, got ${describe(segments)}.`);
  }
  requireSameLength(n, segments.length, 'segments', 'yTrue');
  // Group row indices by segment, then lay each group out contiguously so the
  // kernel runs once per segment over a plain range.
  const groups = new Map<Segment, number[]>();
  for (let i = 0; i < n; i++) {
    const key = segments[i];
    if (typeof key === 'number' ? Number.isNaN(key) : typeof key !== 'string') {
      throw new InputError('NOT_NUMERIC', `segments[${i}]`, `is ${describe(key)}; segments must be numbers (not NaN) or strings.`);
    }
    const rows = groups.get(key as Segment);
    if (rows) rows.push(i);
    else groups.set(key as Segment, [i]);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const tt = new Float64Array(n), pp = new Float64Array(n);
  const starts: number[] = [];
  let at = 0;
  for (const key of keys) {
    starts.push(at);
    for (const i of groups.get(key)!) { tt[at] = t[i]!; pp[at] = p[i]!; at++; }
  }
  return withScope((s) => {
    // Validate in the caller's row order so that errors name the caller's index.
    column(s, t, Check.Finite, 'yTrue');
    column(s, p, Check.Finite, 'yPred');
    const tPtr = s.f64(tt);
    const pPtr = s.f64(pp);
    const result = new Map<Segment, RegressionResult>();
    keys.forEach((key, j) => {
      const from = starts[j]!;
      const len = groups.get(key)!.length;
      result.set(key, compute(s, tPtr + from * 8, pPtr + from * 8, len));
    });
    return result;
  });
}
