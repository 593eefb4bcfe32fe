// Latency statistics: moments and exact percentiles by selection (no full sort).
import { sumF64, sumSqDev } from './sum';
import { selectF64, minF64 } from './sort';

// stats out layout (f64): 0 mean, 1 population std, 2 min, 3 max.

/**
 * Moments of n values at ptr, then the m quantiles q[0..m) (fractions in
 * [0, 1], ascending) with numpy's default 'linear' method written to
 * qOut[0..m). The values are reordered.
 */
export function latency(ptr: usize, n: i32, q: usize, m: i32, stats: usize, qOut: usize): void {
  const nf = <f64>n;
  const mean = sumF64(ptr, n) / nf;
  store<f64>(stats, mean);
  store<f64>(stats + 8, Math.sqrt(sumSqDev(ptr, n, mean) / nf));
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = load<f64>(ptr + (<usize>i << 3));
    lo = min(lo, x);
    hi = max(hi, x);
  }
  store<f64>(stats + 16, lo);
  store<f64>(stats + 24, hi);
  quantiles(ptr, n, q, m, qOut);
}

/**
 * numpy.percentile(..., method='linear') for ascending fractions q[0..m) of the
 * n values at ptr, selecting order statistics left to right so that each
 * selection only scans what lies right of the previous one.
 */
export function quantiles(ptr: usize, n: i32, q: usize, m: i32, out: usize): void {
  let from = 0; // everything left of `from` is already in its sorted place
  for (let j = 0; j < m; j++) {
    const f = load<f64>(q + (<usize>j << 3));
    // numpy: virtual index (n - 1) * q, gamma its fractional part.
    const vi = <f64>(n - 1) * f;
    const below = Math.floor(vi);
    const g = vi - below;
    const k = <i32>below;
    if (k >= from) {
      selectF64(ptr, from, n, k);
      from = k;
    }
    const a = load<f64>(ptr + (<usize>k << 3));
    let b = a;
    if (k + 1 < n) b = minF64(ptr, k + 1, n);
    // numpy's _lerp: a + (b - a) * g, or b - (b - a) * (1 - g) when g >= 0.5.
    const d = b - a;
    store<f64>(out + (<usize>j << 3), g >= 0.5 ? b - d * (1.0 - g) : a + d * g);
  }
}
