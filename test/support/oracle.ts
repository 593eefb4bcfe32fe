// Naive reference implementations of modelwatch's metrics, written for clarity
// rather than speed and independent of src/: plain loops, full sorts with
// comparators, and O(n^2) definitions where the library is clever. Property
// tests compare the library against these.

export type Num = ArrayLike<number>;

const arr = (x: Num): number[] => Array.from(x);

/** Ascending copy sorted with a numeric comparator. */
export function sorted(x: Num): number[] {
  return arr(x).sort((a, b) => a - b);
}

/** Plain left-to-right sum. */
export function sum(x: Num): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** tp / (tp + fp) style ratio, 0 when the denominator is 0 (sklearn's zero_division=0). */
export function safeDiv(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

export function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

// ---------------------------------------------------------------------------
// Classification

export interface OracleClass {
  label: number;
  support: number;
  predicted: number;
  tp: number;
  precision: number;
  recall: number;
  f1Score: number;
}

export interface OracleClassification {
  classes: number[];
  confusionMatrix: number[][];
  accuracy: number;
  perClass: OracleClass[];
  macro: { precision: number; recall: number; f1Score: number };
  weighted: { precision: number; recall: number; f1Score: number };
  binary?: { tp: number; tn: number; fp: number; fn: number; fpr: number; fnr: number };
}

/** Sorted distinct values of the given columns. */
export function distinct(...cols: Num[]): number[] {
  const out: number[] = [];
  for (const col of cols) for (let i = 0; i < col.length; i++) if (!out.includes(col[i]!)) out.push(col[i]!);
  return out.sort((a, b) => a - b);
}

export function classification(yTrue: Num, yPred: Num): OracleClassification {
  const n = yTrue.length;
  const classes = distinct(yTrue, yPred);
  const c = classes.length;
  const confusionMatrix = classes.map(() => classes.map(() => 0));
  for (let i = 0; i < n; i++) {
    confusionMatrix[classes.indexOf(yTrue[i]!)]![classes.indexOf(yPred[i]!)]! += 1;
  }
  let correct = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) correct++;
  const perClass: OracleClass[] = classes.map((label) => {
    let tp = 0, support = 0, predicted = 0;
    for (let i = 0; i < n; i++) {
      if (yTrue[i] === label) support++;
      if (yPred[i] === label) predicted++;
      if (yTrue[i] === label && yPred[i] === label) tp++;
    }
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, support);
    return { label, support, predicted, tp, precision, recall, f1Score: f1(precision, recall) };
  });
  const avg = (key: 'precision' | 'recall' | 'f1Score', weighted: boolean): number => {
    let s = 0;
    for (const m of perClass) s += weighted ? m[key] * m.support : m[key];
    return s / (weighted ? n : c);
  };
  const result: OracleClassification = {
    classes,
    confusionMatrix,
    accuracy: correct / n,
    perClass,
    macro: { precision: avg('precision', false), recall: avg('recall', false), f1Score: avg('f1Score', false) },
    weighted: { precision: avg('precision', true), recall: avg('recall', true), f1Score: avg('f1Score', true) },
  };
  if (classes.every((x) => x === 0 || x === 1)) {
    let tp = 0, tn = 0, fp = 0, fn = 0;
    for (let i = 0; i < n; i++) {
      if (yTrue[i] === 1 && yPred[i] === 1) tp++;
      else if (yTrue[i] === 0 && yPred[i] === 0) tn++;
      else if (yTrue[i] === 0) fp++;
      else fn++;
    }
    result.binary = { tp, tn, fp, fn, fpr: safeDiv(fp, fp + tn), fnr: safeDiv(fn, fn + tp) };
  }
  return result;
}

/** AUC as P(s+ > s-) + 0.5 P(s+ = s-) over all positive/negative pairs; NaN without both classes. */
export function aucPairwise(yTrue: Num, score: Num, positive = 1): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] !== positive) continue;
    for (let j = 0; j < yTrue.length; j++) {
      if (yTrue[j] === positive) continue;
      pairs++;
      if (score[i]! > score[j]!) wins += 1;
      else if (score[i] === score[j]) wins += 0.5;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

/** Counts at one threshold (predict 1 when score >= t). */
export function countsAt(yTrue: Num, score: Num, t: number): { tp: number; fp: number; fn: number; tn: number } {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const hit = score[i]! >= t;
    if (yTrue[i] === 1) { if (hit) tp++; else fn++; } else if (hit) fp++; else tn++;
  }
  return { tp, fp, fn, tn };
}

/** Distinct scores, descending. */
export function thresholdsDesc(score: Num): number[] {
  return distinct(score).reverse();
}

/**
 * Average precision, step-wise: sum over distinct thresholds (descending) of
 * (recall_i - recall_{i-1}) * precision_i. NaN without positives.
 */
export function averagePrecision(yTrue: Num, score: Num): number {
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === 1) positives++;
  if (positives === 0) return NaN;
  let ap = 0;
  let prevRecall = 0;
  for (const t of thresholdsDesc(score)) {
    const { tp, fp } = countsAt(yTrue, score, t);
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** Full (un-thinned) ROC curve: leading (0, 0) at +Infinity, then each distinct threshold. */
export function rocPoints(yTrue: Num, score: Num): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const total = countsAt(yTrue, score, -Infinity);
  const P = total.tp, N = total.fp;
  const fpr = [0], tpr = [0], thresholds = [Infinity];
  for (const t of thresholdsDesc(score)) {
    const { tp, fp } = countsAt(yTrue, score, t);
    fpr.push(fp / N);
    tpr.push(tp / P);
    thresholds.push(t);
  }
  return { fpr, tpr, thresholds };
}

/** Precision and recall at each distinct threshold, ascending, then (1, 0). */
export function prPoints(yTrue: Num, score: Num): { precision: number[]; recall: number[]; thresholds: number[] } {
  const P = countsAt(yTrue, score, -Infinity).tp;
  const thresholds = distinct(score);
  const precision: number[] = [], recall: number[] = [];
  for (const t of thresholds) {
    const { tp, fp } = countsAt(yTrue, score, t);
    precision.push(safeDiv(tp, tp + fp));
    recall.push(P === 0 ? 1 : tp / P);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds };
}

/** Trapezoid area under (x, y). */
export function trapezoid(x: Num, y: Num): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return a;
}

// ---------------------------------------------------------------------------
// Regression

export interface OracleRegression {
  mae: number;
  mse: number;
  rmse: number;
  r2Score: number;
  mape: number;
  maxError: number;
  medianError: number;
}

export const EPS = 2.220446049250313e-16;

/** Median of a full ascending sort (mean of the two middle values for even n). */
export function median(x: Num): number {
  const s = sorted(x);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function regression(yTrue: Num, yPred: Num): OracleRegression {
  const n = yTrue.length;
  const abs: number[] = [];
  let sq = 0, pct = 0;
  for (let i = 0; i < n; i++) {
    const e = yPred[i]! - yTrue[i]!;
    abs.push(Math.abs(e));
    sq += e * e;
    pct += Math.abs(e) / Math.max(Math.abs(yTrue[i]!), EPS);
  }
  const mean = sum(yTrue) / n;
  let ssTot = 0;
  for (let i = 0; i < n; i++) ssTot += (yTrue[i]! - mean) ** 2;
  const constant = arr(yTrue).every((y) => y === yTrue[0]);
  // sklearn r2_score (force_finite): perfect -> 1, constant target otherwise -> 0.
  let r2Score: number;
  if (n < 2) r2Score = NaN;
  else if (sq === 0) r2Score = 1;
  else if (constant) r2Score = 0;
  else r2Score = 1 - sq / ssTot;
  return {
    mae: sum(abs) / n,
    mse: sq / n,
    rmse: Math.sqrt(sq / n),
    r2Score,
    mape: (pct / n) * 100,
    maxError: Math.max(...abs),
    medianError: median(abs),
  };
}

// ---------------------------------------------------------------------------
// Percentiles and latency

/** numpy.percentile(values, p) with the default 'linear' method, via a full sort. */
export function percentile(values: Num, p: number): number {
  return quantileSorted(sorted(values), p / 100);
}

export function quantileSorted(s: number[], q: number): number {
  const n = s.length;
  const vi = (n - 1) * q;
  const lo = Math.floor(vi);
  const g = vi - lo;
  const a = s[lo]!;
  const b = s[Math.min(lo + 1, n - 1)]!;
  // numpy's _lerp: the two forms keep the result exact at both ends.
  return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
}

export function latency(values: Num): { count: number; mean: number; std: number; min: number; max: number; p: Record<50 | 75 | 90 | 95 | 99, number> } {
  const n = values.length;
  const mean = sum(values) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  const s = sorted(values);
  return {
    count: n, mean, std: Math.sqrt(ss / n), min: s[0]!, max: s[n - 1]!,
    p: {
      50: quantileSorted(s, 0.5), 75: quantileSorted(s, 0.75), 90: quantileSorted(s, 0.9),
      95: quantileSorted(s, 0.95), 99: quantileSorted(s, 0.99),
    },
  };
}

// ---------------------------------------------------------------------------
// Trend

/** Least squares of y on x by the textbook formulas. */
export function linear(x: Num, y: Num): { slope: number; intercept: number; r: number } {
  const n = x.length;
  const xm = sum(x) / n, ym = sum(y) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - xm) ** 2;
    sxy += (x[i]! - xm) * (y[i]! - ym);
    syy += (y[i]! - ym) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: ym - slope * xm, r: sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy) };
}

// ---------------------------------------------------------------------------
// Ranking

export type Item = number | string;

/** Item -> gain for relevance given as a list/set (gain 1), a Map or a plain object. Gains of 0 are dropped. */
export function gainsOf(relevant: Iterable<Item> | ReadonlyMap<Item, number> | Readonly<Record<string, number>>): Map<Item, number> {
  const out = new Map<Item, number>();
  if (relevant instanceof Map) {
    for (const [item, g] of relevant) if (g > 0) out.set(item, g);
  } else if (Symbol.iterator in relevant) {
    for (const item of relevant as Iterable<Item>) out.set(item, 1);
  } else {
    for (const key of Object.keys(relevant)) if (relevant[key]! > 0) out.set(key, relevant[key]!);
  }
  return out;
}

/** The first occurrences among the top k positions of the ranked list: [position, item]. */
function firstOccurrences(ranked: ArrayLike<Item>, k: number): Array<[number, Item]> {
  const out: Array<[number, Item]> = [];
  for (let i = 0; i < ranked.length && i < k; i++) {
    let earlier = false;
    for (let j = 0; j < i; j++) if (ranked[j] === ranked[i]) earlier = true;
    if (!earlier) out.push([i, ranked[i]!]);
  }
  return out;
}

export function precisionAtK(gains: Map<Item, number>, ranked: ArrayLike<Item>, k: number): number {
  return firstOccurrences(ranked, k).filter(([, item]) => gains.has(item)).length / k;
}

export function recallAtK(gains: Map<Item, number>, ranked: ArrayLike<Item>, k: number): number {
  if (gains.size === 0) return 0;
  return firstOccurrences(ranked, k).filter(([, item]) => gains.has(item)).length / gains.size;
}

export function ndcgAtK(gains: Map<Item, number>, ranked: ArrayLike<Item>, k: number, ideal: 'relevant' | 'retrieved' = 'relevant'): number {
  let dcg = 0;
  const retrieved: number[] = [];
  for (const [i, item] of firstOccurrences(ranked, k)) {
    const g = gains.get(item) ?? 0;
    dcg += g / Math.log2(i + 2);
    retrieved.push(g);
  }
  const best = (ideal === 'relevant' ? [...gains.values()] : retrieved).sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  best.forEach((g, i) => { idcg += g / Math.log2(i + 2); });
  return idcg > 0 ? dcg / idcg : 0;
}

export function reciprocalRank(gains: Map<Item, number>, ranked: ArrayLike<Item>): number {
  for (let i = 0; i < ranked.length; i++) if (gains.has(ranked[i]!)) return 1 / (i + 1);
  return 0;
}

// ---------------------------------------------------------------------------
// [estimate] calibration, drift and CBPE, by their definitions.

/**
 * Increasing isotonic regression evaluated at the distinct x (ascending), by
 * the min-max formula: fit(i) = max over j <= i of min over k >= i of the
 * weighted mean of y over distinct-x groups j..k. O(g^3) in the groups.
 */
export function isotonicAtDistinct(x: Num, y: Num, w?: Num): { xs: number[]; fit: number[] } {
  const groups = new Map<number, { sw: number; swy: number }>();
  for (let i = 0; i < x.length; i++) {
    const wi = w ? w[i]! : 1;
    if (!(wi > 0)) continue;
    const g = groups.get(x[i]!) ?? { sw: 0, swy: 0 };
    g.sw += wi;
    g.swy += wi * y[i]!;
    groups.set(x[i]!, g);
  }
  const xs = [...groups.keys()].sort((a, b) => a - b);
  const sw = xs.map((v) => groups.get(v)!.sw), swy = xs.map((v) => groups.get(v)!.swy);
  const fit = xs.map((_, i) => {
    let best = -Infinity;
    for (let j = 0; j <= i; j++) {
      let low = Infinity;
      for (let k = i; k < xs.length; k++) {
        let a = 0, b = 0;
        for (let q = j; q <= k; q++) { a += swy[q]!; b += sw[q]!; }
        low = Math.min(low, a / b);
      }
      best = Math.max(best, low);
    }
    return best;
  });
  return { xs, fit };
}

/** Fraction of values <= v. */
export function ecdf(values: Num, v: number): number {
  let c = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! <= v) c++;
  return c / values.length;
}

/** sup |F_a - F_b| over the pooled values. */
export function ksStatistic(a: Num, b: Num): number {
  let d = 0;
  for (const v of [...arr(a), ...arr(b)]) d = Math.max(d, Math.abs(ecdf(a, v) - ecdf(b, v)));
  return d;
}

/** Integral of |F_a - F_b| between consecutive pooled values. */
export function wasserstein(a: Num, b: Num): number {
  const all = sorted([...arr(a), ...arr(b)]);
  let w = 0;
  for (let i = 0; i + 1 < all.length; i++) w += Math.abs(ecdf(a, all[i]!) - ecdf(b, all[i]!)) * (all[i + 1]! - all[i]!);
  return w;
}

/**
 * Exact two-sided permutation p-value of the KS statistic: the share of all
 * C(na + nb, na) ways to split the pooled (distinct) values whose statistic is
 * at least the observed one (with a 1e-9 slack for rounding).
 */
export function ksPermutationP(a: Num, b: Num): number {
  const pooled = [...arr(a), ...arr(b)];
  const na = a.length, n = pooled.length;
  const d = ksStatistic(a, b);
  let hits = 0, total = 0;
  const pick: number[] = [];
  const rec = (start: number): void => {
    if (pick.length === na) {
      const inA = new Set(pick);
      const sa = pick.map((i) => pooled[i]!), sb = pooled.filter((_, i) => !inA.has(i));
      total++;
      if (ksStatistic(sa, sb) >= d - 1e-9) hits++;
      return;
    }
    for (let i = start; i <= n - (na - pick.length); i++) { pick.push(i); rec(i + 1); pick.pop(); }
  };
  rec(0);
  return hits / total;
}

/** Reliability bins by their definition: bin j = (j/k, (j+1)/k], bin 0 also holds 0. */
export function reliability(yTrue: Num, p: Num, k: number): { count: number; meanP: number; fracPos: number }[] {
  const bins = Array.from({ length: k }, () => ({ count: 0, sp: 0, sy: 0 }));
  for (let i = 0; i < p.length; i++) {
    let j = 0;
    while (j < k - 1 && p[i]! > (j + 1) / k) j++;
    const b = bins[j]!;
    b.count++; b.sp += p[i]!; b.sy += yTrue[i]!;
  }
  return bins.filter((b) => b.count > 0).map((b) => ({ count: b.count, meanP: b.sp / b.count, fracPos: b.sy / b.count }));
}

/**
 * NannyML's estimated ROC AUC by its definition: over the scores plus one
 * extra score of 1 (its appended threshold), at each distinct threshold t the
 * expected TP = sum of s >= t, FP = sum of 1 - s >= t, FN and TN the same
 * below t; the trapezoid area under (FPR, TPR).
 */
export function cbpeAuc(p: Num): number {
  const s = [...arr(p), 1];
  const ts = [...new Set(s)].sort((a, b) => a - b);
  const pts = ts.map((t) => {
    let tp = 0, fp = 0, fn = 0, tn = 0;
    for (const v of s) {
      if (v >= t) { tp += v; fp += 1 - v; } else { fn += v; tn += 1 - v; }
    }
    return { x: fp / (fp + tn), y: tp / (tp + fn) };
  });
  let area = 0;
  for (let i = 0; i + 1 < pts.length; i++) area += ((pts[i]!.x - pts[i + 1]!.x) * (pts[i]!.y + pts[i + 1]!.y)) / 2;
  return pts.length < 2 ? NaN : area;
}
