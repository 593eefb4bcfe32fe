// Trend of a metric over periods: least-squares slope with scipy's p-value.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, column, describe, numbers, options as optionsOf, requireSameLength } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import type { TrendResult } from './types.js';

export interface TrendOptions {
  /** x of each value (default 0, 1, 2, ...: one period apart). */
  x?: Numbers;
  /** Significance level (default 0.05). */
  alpha?: number;
}

/**
 * scipy.stats.linregress(x, values): slope, intercept, r, r², the two-sided
 * p-value of the slope and standard errors. `trend` is the sign of the slope
 * (as the spec chapter); `significant` is pValue < alpha.
 */
export function linearTrend(values: Numbers, opts?: TrendOptions): TrendResult {
  const options = optionsOf(opts, 'options');
  const y = numbers(values, 'values');
  const n = y.length;
  if (n < 2) throw new InputError('TOO_FEW_VALUES', 'values', `has ${n} value(s); a trend needs at least 2 (3 for a p-value).`);
  const alpha = options.alpha ?? 0.05;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new InputError('INVALID_OPTION', 'options.alpha', `is ${describe(alpha)}; use a significance level in (0, 1).`);
  }
  const x = options.x === undefined ? Float64Array.from({ length: n }, (_, i) => i) : numbers(options.x, 'options.x');
  requireSameLength(n, x.length, 'options.x', 'values');
  return withScope((s) => {
    const xPtr = column(s, x, Check.Finite, 'options.x');
    const yPtr = column(s, y, Check.Finite, 'values');
    const out = s.alloc(6 * 8);
    s.k.linregress(xPtr, yPtr, n, out);
    const [slope = NaN, intercept = NaN, r = NaN, pValue = NaN, stderr = NaN, interceptStderr = NaN] = s.readF64(out, 6);
    if (!Number.isFinite(slope)) {
      throw new InputError('INVALID_OPTION', 'options.x', 'has no spread (all x equal); a slope needs at least two distinct x.');
    }
    const trend = slope < 0 ? 'declining' : slope > 0 ? 'improving' : 'stable';
    return { n, slope, intercept, r, rSquared: r * r, pValue, stderr, interceptStderr, trend, significant: pValue < alpha };
  });
}
