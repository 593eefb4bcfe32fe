// Calibration kernels: isotonic regression by pool-adjacent-violators (the
// fit and predict of scikit-learn 1.2.1's IsotonicRegression(increasing=True,
// out_of_bounds='clip')) and the per-bin sums behind the reliability diagram,
// the expected / maximum calibration error and the Brier score.
import { Sum, BLOCK } from './sum';
import { toKey } from './sort';

/** numpy.finfo(float64).resolution: sklearn's _make_unique merges x closer than this. */
const X_RESOLUTION: f64 = 1e-15;

@inline function f(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + (<usize>i << 3));
}

@inline function ix(ptr: usize, i: i32): i32 {
  return load<i32>(ptr + (<usize>i << 2));
}

// Rows are sorted as 24-byte records (x key, y key, row index) so that the
// merge passes read memory sequentially instead of chasing indices.
const REC: usize = 24;

@inline function recLess(a: usize, b: usize): bool {
  const xa = load<u64>(a), xb = load<u64>(b);
  return xa < xb || (xa == xb && load<u64>(a, 8) < load<u64>(b, 8));
}

/**
 * Sorts the m row indices at idx by (x, y), stably (numpy.lexsort is a
 * stable sort; equal pairs keep their input order, which fixes the order of
 * the weighted sums below): insertion-sorted runs of 16 records, then
 * bottom-up merges. Writes the sorted row indices back to idx.
 */
function sortRows(x: usize, y: usize, idx: usize, m: i32): void {
  let src = heap.alloc(<usize>m * REC);
  let dst = heap.alloc(<usize>m * REC);
  for (let i = 0; i < m; i++) {
    const r = ix(idx, i);
    const o = src + <usize>i * REC;
    store<u64>(o, toKey(f(x, r)));
    store<u64>(o, toKey(f(y, r)), 8);
    store<i32>(o, r, 16);
  }
  const RUN = 16;
  const tmp = heap.alloc(REC);
  for (let lo = 0; lo < m; lo += RUN) {
    const hi = min(lo + RUN, m);
    for (let i = lo + 1; i < hi; i++) {
      memory.copy(tmp, src + <usize>i * REC, REC);
      let j = i - 1;
      while (j >= lo && recLess(tmp, src + <usize>j * REC)) {
        memory.copy(src + <usize>(j + 1) * REC, src + <usize>j * REC, REC);
        j--;
      }
      memory.copy(src + <usize>(j + 1) * REC, tmp, REC);
    }
  }
  heap.free(tmp);
  for (let width = RUN; width < m; width <<= 1) {
    for (let lo = 0; lo < m; lo += width << 1) {
      const mid = min(lo + width, m), hi = min(lo + (width << 1), m);
      let i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const a = src + <usize>i * REC, b = src + <usize>j * REC;
        // Take from the right run only when strictly smaller: stable.
        if (recLess(b, a)) { memory.copy(dst + <usize>k * REC, b, REC); j++; } else { memory.copy(dst + <usize>k * REC, a, REC); i++; }
        k++;
      }
      if (i < mid) memory.copy(dst + <usize>k * REC, src + <usize>i * REC, <usize>(mid - i) * REC);
      else if (j < hi) memory.copy(dst + <usize>k * REC, src + <usize>j * REC, <usize>(hi - j) * REC);
    }
    const t = src; src = dst; dst = t;
  }
  for (let i = 0; i < m; i++) store<i32>(idx + (<usize>i << 2), load<i32>(src + <usize>i * REC, 16));
  heap.free(dst);
  heap.free(src);
}

/**
 * Pool-adjacent-violators on m points in place (y: values, w: weights), as
 * sklearn's _inplace_contiguous_isotonic_regression: blocks are merged while
 * a block's mean is not below the next one's, backtracking one block after
 * each merge so the pass stays O(m). target (m i32) is scratch.
 */
function pav(y: usize, w: usize, m: i32, target: usize): void {
  for (let i = 0; i < m; i++) store<i32>(target + (<usize>i << 2), i);
  let i = 0;
  while (i < m) {
    let k = ix(target, i) + 1;
    if (k == m) break;
    if (f(y, i) < f(y, k)) { i = k; continue; }
    let sumWy = f(w, i) * f(y, i);
    let sumW = f(w, i);
    while (true) {
      const prevY = f(y, k);
      sumWy += f(w, k) * f(y, k);
      sumW += f(w, k);
      k = ix(target, k) + 1;
      if (k == m || prevY < f(y, k)) {
        store<f64>(y + (<usize>i << 3), sumWy / sumW);
        store<f64>(w + (<usize>i << 3), sumW);
        store<i32>(target + (<usize>i << 2), k - 1);
        store<i32>(target + (<usize>(k - 1) << 2), i);
        if (i > 0) i = ix(target, i - 1);
        break;
      }
    }
  }
  i = 0;
  while (i < m) {
    const k = ix(target, i) + 1;
    const v = f(y, i);
    for (let j = i + 1; j < k; j++) store<f64>(y + (<usize>j << 3), v);
    i = k;
  }
}

/**
 * Fits an increasing isotonic regression of y on x with weights w (n rows;
 * rows of weight 0 are dropped as sklearn does) and writes its thresholds:
 * outX (ascending) and outY, both of capacity n. Returns how many thresholds
 * were written (0 when no row has a positive weight).
 *
 * As sklearn 1.2.1: rows sorted by (x, y); rows whose x lies within 1e-15 of
 * the first x of a run are pooled into one point (weighted mean of y, summed
 * weight); PAV; then interior points whose y equals both neighbours' are
 * trimmed (they do not change the interpolant).
 */
export function isotonicFit(x: usize, y: usize, w: usize, n: i32, outX: usize, outY: usize): i32 {
  const idx = heap.alloc(<usize>max(n, 1) << 2);
  const tmp = heap.alloc(<usize>max(n, 1) << 2);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (f(w, i) > 0) { store<i32>(idx + (<usize>m << 2), i); m++; }
  }
  if (m == 0) { heap.free(tmp); heap.free(idx); return 0; }
  sortRows(x, y, idx, m);
  const order = idx;
  // _make_unique: ux / uy / uw (uy is the weighted mean of the pooled rows).
  const ux = heap.alloc(<usize>m << 3);
  const uy = heap.alloc(<usize>m << 3);
  const uw = heap.alloc(<usize>m << 3);
  let u = 0;
  let r0 = ix(order, 0);
  let curX = f(x, r0), curY: f64 = 0, curW: f64 = 0;
  for (let j = 0; j < m; j++) {
    const r = ix(order, j);
    const xv = f(x, r), wv = f(w, r);
    if (xv - curX >= X_RESOLUTION) {
      store<f64>(ux + (<usize>u << 3), curX);
      store<f64>(uw + (<usize>u << 3), curW);
      store<f64>(uy + (<usize>u << 3), curY / curW);
      u++;
      curX = xv;
      curW = wv;
      curY = f(y, r) * wv;
    } else {
      curW += wv;
      curY += f(y, r) * wv;
    }
  }
  store<f64>(ux + (<usize>u << 3), curX);
  store<f64>(uw + (<usize>u << 3), curW);
  store<f64>(uy + (<usize>u << 3), curY / curW);
  u++;
  pav(uy, uw, u, tmp);
  // Trim interior points equal to both neighbours.
  let out = 0;
  for (let j = 0; j < u; j++) {
    const v = f(uy, j);
    if (j == 0 || j == u - 1 || v != f(uy, j - 1) || v != f(uy, j + 1)) {
      store<f64>(outX + (<usize>out << 3), f(ux, j));
      store<f64>(outY + (<usize>out << 3), v);
      out++;
    }
  }
  heap.free(uw); heap.free(uy); heap.free(ux); heap.free(tmp); heap.free(idx);
  return out;
}

/**
 * Applies fitted thresholds (tx ascending, ty; m >= 1) to n scores: each is
 * clipped to [tx[0], tx[m-1]] and linearly interpolated exactly as
 * numpy.interp does (the value at a threshold is its y; otherwise
 * slope * (v - tx[j]) + ty[j]), which is what scipy's interp1d delegates to
 * for float64 input.
 */
export function isotonicApply(tx: usize, ty: usize, m: i32, s: usize, n: i32, out: usize): void {
  const lo = f(tx, 0), hi = f(tx, m - 1);
  for (let i = 0; i < n; i++) {
    let v = f(s, i);
    v = v < lo ? lo : v > hi ? hi : v;
    let r: f64;
    if (m == 1 || v == hi) {
      r = f(ty, m - 1);
    } else {
      // Largest j with tx[j] <= v (v < hi, so j < m - 1).
      let a = 0, b = m - 1;
      while (b - a > 1) {
        const c = (a + b) >>> 1;
        if (f(tx, c) <= v) a = c; else b = c;
      }
      const xj = f(tx, a);
      if (xj == v) r = f(ty, a);
      else {
        const slope = (f(ty, a + 1) - f(ty, a)) / (f(tx, a + 1) - xj);
        r = slope * (v - xj) + f(ty, a);
      }
    }
    store<f64>(out + (<usize>i << 3), r);
  }
}

/**
 * Per-bin sums of n (probability, 0/1 label) pairs over k equal-width bins on
 * [0, 1], binned as sklearn's calibration_curve(strategy='uniform'): its
 * interior edges are numpy.linspace(0, 1, k + 1)[1:-1] (edge j = j * (1/k))
 * and np.searchsorted(edges, p) (side 'left') puts a probability equal to an
 * edge in the bin below it: bin 0 is [0, edge 1], bin j is (edge j, edge j+1].
 *
 * out (f64, 3k + 1): per bin count, sum of probabilities, sum of labels
 * (sequential sums in row order, as numpy.bincount); then sum of
 * (label - probability)^2 (compensated) for the Brier score.
 */
export function calibrationBins(p: usize, y: usize, n: i32, k: i32, out: usize): void {
  memory.fill(out, 0, <usize>(3 * k + 1) << 3);
  const step = 1.0 / <f64>k;
  const sq = new Sum();
  for (let b = 0; b < n; b += BLOCK) {
    const end = min(n, b + BLOCK);
    let s: f64 = 0;
    for (let i = b; i < end; i++) {
      const v = f(p, i), t = f(y, i);
      // Bin j holds (edge j, edge j+1]; bin 0 also holds 0. Start from
      // floor(v * k) and correct against the exact edges.
      let j = <i32>Math.floor(v * <f64>k);
      if (j > k - 1) j = k - 1;
      if (j < 0) j = 0;
      while (j > 0 && v <= <f64>j * step) j--;
      while (j < k - 1 && v > <f64>(j + 1) * step) j++;
      const o = out + (<usize>(3 * j) << 3);
      store<f64>(o, load<f64>(o) + 1.0);
      store<f64>(o + 8, load<f64>(o + 8) + v);
      store<f64>(o + 16, load<f64>(o + 16) + t);
      const d = t - v;
      s += d * d;
    }
    sq.add(s);
  }
  store<f64>(out + (<usize>(3 * k) << 3), sq.value);
}
