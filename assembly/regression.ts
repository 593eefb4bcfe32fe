// Regression kernel: every scikit-learn regression metric of the spec chapter
// in two passes plus one selection for the median absolute error.
import { Sum, BLOCK } from './sum';
import { selectRanks } from './sort';

/** numpy.finfo(float64).eps, scikit-learn's floor for |y| in MAPE. */
const EPS: f64 = 2.220446049250313e-16;

// out layout (f64): 0 mae, 1 mse, 2 r2 numerator (sum e^2), 3 r2 denominator
// (sum (y - mean)^2, exactly 0 when y is constant), 4 mape (fraction), 5 max
// |e|, 6 median |e|, 7 mean of y.

/**
 * Regression metrics of n pairs. scratch (n f64) receives |e|.
 */
export function regression(yTrue: usize, yPred: usize, n: i32, scratch: usize, out: usize): void {
  const sAbs = new Sum();
  const sSq = new Sum();
  const sY = new Sum();
  const sPct = new Sum();
  let maxAbs: f64 = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let b = 0; b < n; b += BLOCK) {
    const end = min(n, b + BLOCK);
    let a: f64 = 0, q: f64 = 0, s: f64 = 0, r: f64 = 0;
    for (let i = b; i < end; i++) {
      const o = <usize>i << 3;
      const t = load<f64>(yTrue + o);
      const e = load<f64>(yPred + o) - t;
      const ae = Math.abs(e);
      store<f64>(scratch + o, ae);
      a += ae;
      q += e * e;
      s += t;
      r += ae / max(Math.abs(t), EPS);
      maxAbs = max(maxAbs, ae);
      yMin = min(yMin, t);
      yMax = max(yMax, t);
    }
    sAbs.add(a); sSq.add(q); sY.add(s); sPct.add(r);
  }
  const nf = <f64>n;
  const mean = sY.value / nf;
  let ssTot: f64 = 0;
  // A constant y has no variance; computing it from a rounded mean would give
  // a tiny positive number and a meaningless R^2 (see README, "R^2").
  if (yMin != yMax) {
    const acc = new Sum();
    for (let b = 0; b < n; b += BLOCK) {
      const end = min(n, b + BLOCK);
      let s: f64 = 0;
      for (let i = b; i < end; i++) {
        const d = load<f64>(yTrue + (<usize>i << 3)) - mean;
        s += d * d;
      }
      acc.add(s);
    }
    ssTot = acc.value;
  }
  // numpy's median: the middle value, or the mean of the two middle values.
  const mid = n >> 1;
  const ranks = heap.alloc(8);
  const picked = heap.alloc(16);
  store<i32>(ranks, (n & 1) == 0 ? mid - 1 : mid);
  store<i32>(ranks + 4, mid);
  selectRanks(scratch, n, ranks, 2, picked);
  const median = (n & 1) == 0 ? (load<f64>(picked) + load<f64>(picked + 8)) / 2.0 : load<f64>(picked);
  heap.free(picked);
  heap.free(ranks);
  store<f64>(out, sAbs.value / nf);
  store<f64>(out + 8, sSq.value / nf);
  store<f64>(out + 16, sSq.value);
  store<f64>(out + 24, ssTot);
  store<f64>(out + 32, sPct.value / nf);
  store<f64>(out + 40, maxAbs);
  store<f64>(out + 48, median);
  store<f64>(out + 56, mean);
}
