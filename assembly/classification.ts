// Classification kernels: label sets, confusion counts, threshold counts, and
// the exact ranking metrics (AUC-ROC, average precision) and curves.
import { toKey, fromKey, toKey32, fromKey32, radixSortU64, radixSortU32, countSortBits, SORT_COUNTS_BYTES } from './sort';
import { BLOCK } from './sum';
import { Sum } from './sum';

/** Label ranges up to this wide are indexed by a direct table, wider ones by binary search. */
const TABLE_SPAN: f64 = 1048576.0;

@inline function f64At(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + (<usize>i << 3));
}

/**
 * Sorted distinct values of the integer labels a[0..na) and b[0..nb), written
 * to out. Returns their count, or -1 if there are more than maxOut.
 */
export function uniqueLabels(a: usize, na: i32, b: usize, nb: i32, out: usize, maxOut: i32): i32 {
  let lo = Infinity;
  let hi = -Infinity;
  // Plain compares, not f64.min/max: those handle NaN and -0 and are slow in
  // V8, and labels are validated integers here.
  for (let i = 0; i < na; i++) { const x = f64At(a, i); lo = x < lo ? x : lo; hi = x > hi ? x : hi; }
  for (let i = 0; i < nb; i++) { const x = f64At(b, i); lo = x < lo ? x : lo; hi = x > hi ? x : hi; }
  if (na + nb == 0) return 0;
  const span = hi - lo + 1;
  let count = 0;
  if (span <= TABLE_SPAN) {
    const width = <i32>span;
    const seen = heap.alloc(<usize>width);
    memory.fill(seen, 0, <usize>width);
    for (let i = 0; i < na; i++) store<u8>(seen + <usize>(f64At(a, i) - lo), 1);
    for (let i = 0; i < nb; i++) store<u8>(seen + <usize>(f64At(b, i) - lo), 1);
    for (let v = 0; v < width; v++) {
      if (load<u8>(seen + <usize>v) != 0) {
        if (count == maxOut) { heap.free(seen); return -1; }
        store<f64>(out + (<usize>count << 3), lo + <f64>v);
        count++;
      }
    }
    heap.free(seen);
    return count;
  }
  const n = na + nb;
  const keys = heap.alloc(<usize>n << 4);
  for (let i = 0; i < na; i++) store<u64>(keys + (<usize>i << 3), toKey(f64At(a, i)));
  for (let i = 0; i < nb; i++) store<u64>(keys + (<usize>(na + i) << 3), toKey(f64At(b, i)));
  const sorted = radixSortU64(keys, keys + (<usize>n << 3), n);
  let prev: u64 = 0;
  for (let i = 0; i < n; i++) {
    const k = load<u64>(sorted + (<usize>i << 3));
    if (i == 0 || k != prev) {
      if (count == maxOut) { heap.free(keys); return -1; }
      store<f64>(out + (<usize>count << 3), fromKey(k));
      count++;
      prev = k;
    }
  }
  heap.free(keys);
  return count;
}

/** Index of x among the c sorted classes (x is known to be one of them). */
@inline function classIndex(classes: usize, c: i32, x: f64): i32 {
  let lo = 0;
  let hi = c - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f64At(classes, mid) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Maps n labels to class indices 0..c-1 (i32 at idx). classes holds the c
 * sorted classes and contains every label.
 */
export function labelIndices(y: usize, n: i32, classes: usize, c: i32, idx: usize): void {
  const lo = f64At(classes, 0);
  const span = f64At(classes, c - 1) - lo + 1;
  if (span <= TABLE_SPAN) {
    const width = <i32>span;
    const table = heap.alloc(<usize>width << 2);
    for (let j = 0; j < c; j++) store<i32>(table + (<usize>(f64At(classes, j) - lo) << 2), j);
    for (let i = 0; i < n; i++) {
      store<i32>(idx + (<usize>i << 2), load<i32>(table + (<usize>(f64At(y, i) - lo) << 2)));
    }
    heap.free(table);
  } else {
    for (let i = 0; i < n; i++) store<i32>(idx + (<usize>i << 2), classIndex(classes, c, f64At(y, i)));
  }
}

/**
 * The common case in one pass: if every label of both columns is exactly 0 or
 * 1, writes tn, fp, fn, tp (f64) to out and returns 1; otherwise returns 0 and
 * the caller takes the general, validating path.
 */
export function confusionBinary(yTrue: usize, yPred: usize, n: i32, out: usize): i32 {
  let tp = 0, fp = 0, fn = 0;
  let ok = true;
  for (let i = 0; i < n; i++) {
    const t = f64At(yTrue, i);
    const p = f64At(yPred, i);
    ok = ok & ((t == 0.0) | (t == 1.0)) & ((p == 0.0) | (p == 1.0));
    const ti = <i32>(t == 1.0);
    const pi = <i32>(p == 1.0);
    tp += ti & pi;
    fp += pi & (ti ^ 1);
    fn += ti & (pi ^ 1);
  }
  if (!ok) return 0;
  store<f64>(out, <f64>(n - tp - fp - fn));
  store<f64>(out + 8, <f64>fp);
  store<f64>(out + 16, <f64>fn);
  store<f64>(out + 24, <f64>tp);
  return 1;
}

/**
 * Confusion counts: out[t * c + p] (f64, c*c) counts rows with true class t and
 * predicted class p; classes are the c sorted classes covering both columns.
 */
export function confusion(yTrue: usize, yPred: usize, n: i32, classes: usize, c: i32, out: usize): void {
  const ti = heap.alloc(<usize>n << 3);
  const pi = ti + (<usize>n << 2);
  labelIndices(yTrue, n, classes, c, ti);
  labelIndices(yPred, n, classes, c, pi);
  const counts = heap.alloc(<usize>c * <usize>c << 2);
  memory.fill(counts, 0, <usize>c * <usize>c << 2);
  for (let i = 0; i < n; i++) {
    const cell = counts + ((<usize>load<i32>(ti + (<usize>i << 2)) * <usize>c + <usize>load<i32>(pi + (<usize>i << 2))) << 2);
    store<i32>(cell, load<i32>(cell) + 1);
  }
  for (let j = 0; j < c * c; j++) store<f64>(out + (<usize>j << 3), <f64>load<i32>(counts + (<usize>j << 2)));
  heap.free(counts);
  heap.free(ti);
}

/**
 * For binary labels y in {0, 1} and scores p, counts at each of k thresholds
 * (predict 1 when p >= threshold): out[3j] = tp, out[3j+1] = fp, out[3j+2] = fn.
 */
export function thresholdCounts(y: usize, p: usize, n: i32, thr: usize, k: i32, out: usize): void {
  memory.fill(out, 0, <usize>k * 24);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += <i32>f64At(y, i);
  for (let j = 0; j < k; j++) {
    const t = f64At(thr, j);
    let tp = 0, fp = 0;
    for (let i = 0; i < n; i++) {
      const hit = <i32>(f64At(p, i) >= t);
      const yi = <i32>f64At(y, i);
      tp += hit & yi;
      fp += hit & (yi ^ 1);
    }
    store<f64>(out + (<usize>j * 24), <f64>tp);
    store<f64>(out + (<usize>j * 24) + 8, <f64>fp);
    store<f64>(out + (<usize>j * 24) + 16, <f64>(positives - tp));
  }
}

// ---------------------------------------------------------------------------
// Exact AUC-ROC and average precision.
//
// Instead of sorting (score, label) pairs, the scores of positives and of
// negatives are sorted separately as packed u64 keys; walking both from the top
// visits every distinct threshold once with its tp and fp counts. The ROC area
// is accumulated in integers (sum of dFP * (TP_prev + TP) <= 2 * P * N, exact
// in f64 below 2^53) and divided once, so it is the correctly rounded value.

/** Results of rankBinary, read by TypeScript at out[0..4]. */
// out[0] = positives, out[1] = negatives, out[2] = AUC (NaN without both
// classes), out[3] = average precision (NaN without positives), out[4] = number
// of distinct thresholds.

/**
 * Splits the keys of n scores by label: positives' keys at keys[0..P),
 * negatives' at keys[P..n). With f64 labels (yIsIndex false) positives are
 * y == 1, and the pass also checks that every label is 0 or 1 and every score
 * finite (within [0, 1] too when unit): it returns -1 on any failure, leaving
 * the precise error to the caller's validating path. Returns P otherwise.
 * Keys are K: u64 (toKey), or u32 (toKey32) when every score is a float32 value.
 */
function splitKeys<K>(score: usize, stride: i32, y: usize, yIsIndex: bool, target: i32, n: i32, keys: usize, unit: bool, counts: usize): i32 {
  let pos = 0;
  let neg = n - 1;
  let ok = true;
  const lo = unit ? 0.0 : -Infinity;
  const hi = unit ? 1.0 : Infinity;
  const negCounts = counts + SORT_COUNTS_BYTES;
  const size = <usize>sizeof<K>();
  for (let i = 0; i < n; i++) {
    const x = load<f64>(score + (<usize>i * <usize>stride << 3));
    const k: K = sizeof<K>() == 8 ? <K>toKey(x) : <K>toKey32(<f32>x);
    let isPos: bool;
    if (yIsIndex) {
      isPos = load<i32>(y + (<usize>i << 2)) == target;
    } else {
      const t = f64At(y, i);
      isPos = t == 1.0;
      ok = ok & (isPos | (t == 0.0)) & (x >= lo) & (x <= hi) & (x - x == 0.0);
    }
    // Branch-free: labels are unpredictable, so write both slots and advance one.
    store<K>(keys + <usize>pos * size, k);
    store<K>(keys + <usize>neg * size, k);
    pos += <i32>isPos;
    neg -= <i32>!isPos;
    countSortBits<K>(select<usize>(counts, negCounts, isPos), k);
  }
  return ok ? pos : -1;
}

/**
 * Walks the sorted positive keys pk[0..P) and negative keys nk[0..N) from the
 * largest threshold down. With curve != 0 writes thresholds, tps and fps
 * (f64) at curve, curve + 8n, curve + 16n. Writes out[0..4] as documented above.
 */
function walk<K>(pk: usize, p: i32, nk: usize, nn: i32, out: usize, curve: usize, cap: i32): void {
  const size = <usize>sizeof<K>();
  let i = p - 1;
  let j = nn - 1;
  // Keys of finite scores are never 0, so 0 marks an exhausted side.
  let kp: K = i >= 0 ? load<K>(pk + <usize>i * size) : <K>0;
  let kn: K = j >= 0 ? load<K>(nk + <usize>j * size) : <K>0;
  let tp = 0;
  let fp = 0;
  let area: f64 = 0;
  const ap = new Sum();
  let apBlock: f64 = 0;
  let inBlock = 0;
  let steps = 0;
  while ((kp | kn) != 0) {
    const k = kp >= kn ? kp : kn;
    const tp0 = tp;
    const fp0 = fp;
    while (kp == k) { tp++; i--; kp = i >= 0 ? load<K>(pk + <usize>i * size) : <K>0; }
    while (kn == k) { fp++; j--; kn = j >= 0 ? load<K>(nk + <usize>j * size) : <K>0; }
    area += <f64>(fp - fp0) * <f64>(tp + tp0);
    // Recall step times precision; 0 when no positive sits at this threshold.
    apBlock += <f64>(tp - tp0) * (<f64>tp / <f64>(tp + fp));
    if (++inBlock == BLOCK) { ap.add(apBlock); apBlock = 0; inBlock = 0; }
    if (curve != 0) {
      store<f64>(curve + (<usize>steps << 3), sizeof<K>() == 8 ? fromKey(<u64>k) : <f64>fromKey32(<u32>k));
      store<f64>(curve + (<usize>(cap + steps) << 3), <f64>tp);
      store<f64>(curve + (<usize>(2 * cap + steps) << 3), <f64>fp);
    }
    steps++;
  }
  ap.add(apBlock);
  store<f64>(out, <f64>p);
  store<f64>(out + 8, <f64>nn);
  store<f64>(out + 16, p > 0 && nn > 0 ? area / (2.0 * <f64>p * <f64>nn) : NaN);
  store<f64>(out + 24, p > 0 ? ap.value / <f64>p : NaN);
  store<f64>(out + 32, <f64>steps);
}

function rankColumn(score: usize, stride: i32, y: usize, yIsIndex: bool, target: i32, n: i32, out: usize, curve: usize, unit: bool): i32 {
  const keys = heap.alloc(<usize>n << 4);
  // Histograms of positives' and negatives' keys, built while splitting.
  const counts = heap.alloc(SORT_COUNTS_BYTES << 1);
  memory.fill(counts, 0, SORT_COUNTS_BYTES << 1);
  // On-device models mostly emit float32 scores: their keys fit in 32 bits,
  // which halves the bytes every pass moves and needs no tie-up of key halves.
  const p = allFloat32(score, stride, n)
    ? rankKeys<u32>(score, stride, y, yIsIndex, target, n, out, curve, unit, keys, counts)
    : rankKeys<u64>(score, stride, y, yIsIndex, target, n, out, curve, unit, keys, counts);
  heap.free(counts);
  heap.free(keys);
  return p >= 0 ? 1 : 0;
}

/** Split, sort and walk with keys of type K; returns P, or -1 for invalid input. */
function rankKeys<K>(score: usize, stride: i32, y: usize, yIsIndex: bool, target: i32, n: i32, out: usize, curve: usize, unit: bool, keys: usize, counts: usize): i32 {
  const size = <usize>sizeof<K>();
  const tmp = keys + <usize>n * size;
  const p = splitKeys<K>(score, stride, y, yIsIndex, target, n, keys, unit, counts);
  if (p < 0) return p;
  const negKeys = keys + <usize>p * size;
  const negTmp = tmp + <usize>p * size;
  const negCounts = counts + SORT_COUNTS_BYTES;
  const pk = size == 8 ? radixSortU64(keys, tmp, p, counts) : radixSortU32(keys, tmp, p, counts);
  const nk = size == 8 ? radixSortU64(negKeys, negTmp, n - p, negCounts) : radixSortU32(negKeys, negTmp, n - p, negCounts);
  walk<K>(pk, p, nk, n - p, out, curve, n);
  return p;
}

/** Whether every one of n strided f64 scores is exactly a float32 value (NaN is not). */
function allFloat32(score: usize, stride: i32, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const x = load<f64>(score + (<usize>i * <usize>stride << 3));
    if (<f64><f32>x != x) return false; // doubles fail at once, float32 columns pass in one read
  }
  return true;
}

/**
 * AUC-ROC and average precision for labels y (f64) and scores (f64); out as
 * documented above. With curve != 0 (3n f64) also writes the distinct
 * thresholds (descending) with cumulative tps and fps, like scikit-learn's
 * _binary_clf_curve. Returns 0 without writing anything if a label is not 0
 * or 1 or a score is not finite (not in [0, 1] when unit != 0), else 1.
 */
export function rankBinary(score: usize, y: usize, n: i32, out: usize, curve: usize, unit: i32): i32 {
  return rankColumn(score, 1, y, false, 1, n, out, curve, unit != 0);
}

/**
 * One-vs-rest AUC for each of c classes: scores is an n x c row-major matrix,
 * yIdx the true class index (i32) of each row. out[5j..5j+4] holds class j's
 * rankBinary results.
 */
export function rankOneVsRest(scores: usize, yIdx: usize, n: i32, c: i32, out: usize): void {
  for (let j = 0; j < c; j++) {
    rankColumn(scores + (<usize>j << 3), c, yIdx, true, j, n, out + (<usize>j * 40), 0, false);
  }
}
