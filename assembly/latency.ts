// Latency statistics: moments and exact percentiles by selection (no full sort).
import { sumF64, sumSqDev } from './sum';
import { selectRanks } from './sort';

// stats out layout (f64): 0 mean, 1 population std, 2 min, 3 max.

/**
 * Moments of n values at ptr, then the m quantiles q[0..m) (fractions in
 * [0, 1]) with numpy's default 'linear' method written to qOut[0..m).
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
 * numpy.percentile(..., method='linear') for fractions q[0..m) (any order) of
 * the n values at ptr, by one multi-rank selection: each quantile needs the
 * order statistics at floor((n - 1) q) and the next one up.
 */
export function quantiles(ptr: usize, n: i32, q: usize, m: i32, out: usize): void {
  const m2 = m << 1;
  const ranks = heap.alloc(<usize>m2 << 2);
  const order = heap.alloc(<usize>m2 << 2);
  const values = heap.alloc(<usize>m2 << 3);
  for (let j = 0; j < m; j++) {
    const k = <i32>Math.floor(<f64>(n - 1) * load<f64>(q + (<usize>j << 3)));
    store<i32>(ranks + (<usize>(2 * j) << 2), k);
    store<i32>(ranks + (<usize>(2 * j + 1) << 2), min(k + 1, n - 1));
  }
  // selectRanks wants ascending ranks: sort the 2m of them, remembering where each goes.
  for (let j = 0; j < m2; j++) store<i32>(order + (<usize>j << 2), j);
  for (let a = 1; a < m2; a++) {
    const r = load<i32>(ranks + (<usize>a << 2));
    const o = load<i32>(order + (<usize>a << 2));
    let b = a - 1;
    while (b >= 0 && load<i32>(ranks + (<usize>b << 2)) > r) {
      store<i32>(ranks + (<usize>(b + 1) << 2), load<i32>(ranks + (<usize>b << 2)));
      store<i32>(order + (<usize>(b + 1) << 2), load<i32>(order + (<usize>b << 2)));
      b--;
    }
    store<i32>(ranks + (<usize>(b + 1) << 2), r);
    store<i32>(order + (<usize>(b + 1) << 2), o);
  }
  const sorted = heap.alloc(<usize>m2 << 3);
  selectRanks(ptr, n, ranks, m2, sorted);
  for (let j = 0; j < m2; j++) {
    store<f64>(values + (<usize>load<i32>(order + (<usize>j << 2)) << 3), load<f64>(sorted + (<usize>j << 3)));
  }
  for (let j = 0; j < m; j++) {
    // numpy: virtual index (n - 1) * q, gamma its fractional part, then _lerp:
    // a + (b - a) * g, or b - (b - a) * (1 - g) when g >= 0.5.
    const vi = <f64>(n - 1) * load<f64>(q + (<usize>j << 3));
    const g = vi - Math.floor(vi);
    const a = load<f64>(values + (<usize>(2 * j) << 3));
    const b = load<f64>(values + (<usize>(2 * j + 1) << 3));
    const d = b - a;
    store<f64>(out + (<usize>j << 3), g >= 0.5 ? b - d * (1.0 - g) : a + d * g);
  }
  heap.free(sorted);
  heap.free(values);
  heap.free(order);
  heap.free(ranks);
}
