// Label-free performance estimation after NannyML's CBPE (confidence-based
// performance estimation, nannyml/performance_estimation/confidence_based/
// metrics.py) for binary classification: the expected confusion matrix of
// calibrated probabilities, the estimated ROC AUC, and the reference-side
// component of the AUROC sampling error (nannyml/sampling_error/
// binary_classification.py).
import { Sum, BLOCK } from './sum';
import { toKey, fromKey, radixSortU64 } from './sort';

@inline function f(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + (<usize>i << 3));
}

/**
 * Expected confusion counts of n rows with calibrated probability p of the
 * positive class and prediction yPred (0/1): a row predicted positive adds p
 * to TP and 1 - p to FP, one predicted negative adds p to FN and 1 - p to TN.
 * out (f64): tp, fp, fn, tn (compensated sums).
 */
export function cbpeConfusion(p: usize, yPred: usize, n: i32, out: usize): void {
  const tp = new Sum(), fp = new Sum(), fn = new Sum(), tn = new Sum();
  for (let b = 0; b < n; b += BLOCK) {
    const end = min(n, b + BLOCK);
    let a: f64 = 0, c: f64 = 0, d: f64 = 0, e: f64 = 0;
    for (let i = b; i < end; i++) {
      const v = f(p, i);
      if (f(yPred, i) == 1) { a += v; c += 1.0 - v; } else { d += v; e += 1.0 - v; }
    }
    tp.add(a); fp.add(c); fn.add(d); tn.add(e);
  }
  store<f64>(out, tp.value);
  store<f64>(out + 8, fp.value);
  store<f64>(out + 16, fn.value);
  store<f64>(out + 24, tn.value);
}

/** Sorts n f64 ascending into a fresh block (caller frees). */
function sortedValues(src: usize, n: i32, flip: bool): usize {
  const keys = heap.alloc(<usize>max(n, 1) << 3);
  const tmp = heap.alloc(<usize>max(n, 1) << 3);
  for (let i = 0; i < n; i++) {
    const v = f(src, i);
    store<u64>(keys + (<usize>i << 3), toKey(flip ? 1.0 - v : v));
  }
  const sorted = radixSortU64(keys, tmp, n);
  const other = sorted == keys ? tmp : keys;
  heap.free(other);
  for (let i = 0; i < n; i++) store<f64>(sorted + (<usize>i << 3), fromKey(load<u64>(sorted + (<usize>i << 3))));
  return sorted;
}

/**
 * NannyML's estimate_roc_auc of n calibrated probabilities: thresholds are
 * the sorted probabilities with 1 appended; at each distinct threshold t the
 * expected TP and FP are the sums of p and 1 - p over probabilities >= t and
 * FN and TN those below it (running sums in NannyML's order, so rounding
 * matches numpy.cumsum); the area under (FP/(FP+TN), TP/(TP+FN)) is taken by
 * the trapezoid rule, as sklearn.metrics.auc does for a decreasing x.
 */
export function cbpeRocAuc(p: usize, n: i32): f64 {
  const m = n + 1;
  const t = sortedValues(p, n, false);
  // t has room for n values; the appended threshold 1 is handled as index n.
  const tpArr = heap.alloc(<usize>m << 3);
  const fpArr = heap.alloc(<usize>m << 3);
  let tpAcc: f64 = 0, fpAcc: f64 = 0;
  for (let i = m - 1; i >= 0; i--) {
    const th = i == n ? 1.0 : f(t, i);
    tpAcc += th;
    fpAcc += 1.0 - th;
    store<f64>(tpArr + (<usize>i << 3), tpAcc);
    store<f64>(fpArr + (<usize>i << 3), fpAcc);
  }
  let fnAcc: f64 = 0, tnAcc: f64 = 0;
  let prev: f64 = -1;
  let points = 0;
  let px: f64 = 0, py: f64 = 0;
  const area = new Sum();
  for (let i = 0; i < m; i++) {
    const th = i == n ? 1.0 : f(t, i);
    if (i > 0) {
      const before = i - 1 == n ? 1.0 : f(t, i - 1);
      fnAcc += before;
      tnAcc += 1.0 - before;
    }
    if (th - prev != 0) {
      const tp = f(tpArr, i), fp = f(fpArr, i);
      const y = tp / (tp + fnAcc);
      const x = fp / (fp + tnAcc);
      if (points > 0) area.add((x - px) * (y + py) / 2.0);
      px = x; py = y; points++;
    }
    prev = th;
  }
  heap.free(fpArr);
  heap.free(tpArr);
  heap.free(t);
  // One point (every probability is 1) has no area: sklearn's auc raises.
  if (points < 2) return NaN;
  // x decreases along the thresholds: sklearn's auc multiplies by -1.
  return -area.value;
}

/**
 * The reference-side AUROC sampling-error component of NannyML
 * (auroc_sampling_error_components): with labels y (0/1) and probabilities p
 * of n rows (flipped to 1 - y, 1 - p when more than half are positive), the
 * population standard deviation, over positives in ascending score order, of
 * (negatives ranked below it) / (negatives). NannyML drops the smallest
 * rank value (np.unique(positive_ranks)[1:]), which removes a positive that
 * ranks first; we do the same. Tied scores: a positive is ranked before
 * negatives of equal score (NannyML's order is numpy's unstable argsort).
 * out (f64): 0 the standard deviation, 1 the fraction of positives.
 */
export function aucSamplingComponents(p: usize, y: usize, n: i32, out: usize): void {
  let pos = 0;
  for (let i = 0; i < n; i++) if (f(y, i) == 1) pos++;
  const flip = <f64>pos / <f64>n > 0.5;
  // Split into positive and negative scores (after the flip).
  const ps = heap.alloc(<usize>max(n, 1) << 3);
  const ns = heap.alloc(<usize>max(n, 1) << 3);
  let np = 0, nn = 0;
  for (let i = 0; i < n; i++) {
    const isPos = (f(y, i) == 1) != flip;
    if (isPos) { store<f64>(ps + (<usize>np << 3), f(p, i)); np++; } else { store<f64>(ns + (<usize>nn << 3), f(p, i)); nn++; }
  }
  const sp = sortedValues(ps, np, flip);
  const sn = sortedValues(ns, nn, flip);
  heap.free(ns);
  heap.free(ps);
  // ser_i = negatives strictly below positive i.
  const ser = heap.alloc(<usize>max(np, 1) << 3);
  // NannyML's ser is rank - (index among kept positives): negatives below,
  // plus 1 once the first-ranked positive has been dropped.
  let cnt = 0, j = 0, dropped = 0;
  for (let i = 0; i < np; i++) {
    const v = f(sp, i);
    while (j < nn && f(sn, j) < v) j++;
    if (i == 0 && j == 0) { dropped = 1; continue; }
    store<f64>(ser + (<usize>cnt << 3), <f64>(j + dropped) / <f64>nn);
    cnt++;
  }
  let std: f64 = NaN;
  if (cnt > 0) {
    const s = new Sum();
    for (let i = 0; i < cnt; i++) s.add(f(ser, i));
    const mean = s.value / <f64>cnt;
    const q = new Sum();
    for (let i = 0; i < cnt; i++) { const d = f(ser, i) - mean; q.add(d * d); }
    std = Math.sqrt(q.value / <f64>cnt);
  }
  heap.free(ser);
  heap.free(sn);
  heap.free(sp);
  store<f64>(out, std);
  store<f64>(out + 8, <f64>np / <f64>n);
}
