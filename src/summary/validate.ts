// Invariants of a summary, checked before a summary is serialized, after one
// is parsed and before any merge: a hostile or corrupt summary is rejected
// with the path of the offending field and never merged.
import { InputError } from '../errors.js';
import { describe } from '../core/input.js';
import { ExpHistogram, MAX_MAX_SIZE, MAX_SCALE, MIN_SCALE } from './sketch.js';
import type { Buckets, Summary } from './types.js';

/** Size limits of an accepted summary. */
export const LIMITS = {
  /** Characters of a model, version or segment name. */
  name: 256,
  /** Distinct classes in predicted or confusion counts. */
  classes: 256,
  /** Score histogram bins. */
  bins: 10_000,
  /** Ranking cut-offs. */
  ks: 32,
  /** Characters of serialized text. */
  textLength: 4 * 1024 * 1024,
} as const;

/** Spec chapter's Prometheus latency buckets (seconds) and confidence buckets. */
export const LATENCY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0] as const;
export const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] as const;

const MAX_COUNT = 2 ** 53 - 1;

export function invalid(path: string, message: string): never {
  throw new InputError('INVALID_SUMMARY', path, `${message}.`);
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    invalid(path, `is ${describe(value)}; a count is an integer in [0, 2^53)`);
  }
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(path, `is ${describe(value)}; expected a finite number`);
  return value;
}

function counts(values: ArrayLike<number>, path: string, length?: number): number {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') invalid(path, `is ${describe(values)}; expected an array of counts`);
  if (length !== undefined && values.length !== length) invalid(path, `has ${values.length} entries; expected ${length}`);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // The path string is built only for a failure: this loop runs over every bucket.
    if (!(Number.isInteger(v) && v >= 0 && v <= MAX_COUNT)) count(v, `${path}[${i}]`);
    total += v;
  }
  return total;
}

function ascendingIntegers(values: number[], path: string, max: number): void {
  if (!Array.isArray(values)) invalid(path, `is ${describe(values)}; expected an array`);
  if (values.length > max) invalid(path, `has ${values.length} entries; at most ${max} are allowed`);
  for (let i = 0; i < values.length; i++) {
    const v = finite(values[i], `${path}[${i}]`);
    if (!Number.isInteger(v)) invalid(`${path}[${i}]`, `is ${v}; classes are integers`);
    if (i > 0 && !(v > values[i - 1]!)) invalid(`${path}[${i}]`, `is ${v}; entries must be strictly ascending`);
  }
}

/** Bucket index range of positive normal doubles at a scale. */
function indexRange(scale: number): [number, number] {
  return scale > 0 ? [-1022 * 2 ** scale - 1, 1024 * 2 ** scale - 1] : [Math.floor(-1023 / 2 ** -scale), Math.floor(1023 / 2 ** -scale)];
}

function checkBuckets(b: Buckets, path: string, h: ExpHistogram): number {
  if (b === null || typeof b !== 'object' || !(b.counts instanceof Float64Array)) invalid(path, 'is not { offset, counts: Float64Array }');
  if (!Number.isInteger(b.offset)) invalid(`${path}.offset`, `is ${describe(b.offset)}; expected an integer`);
  if (b.counts.length > h.maxSize) invalid(`${path}.counts`, `has ${b.counts.length} buckets, more than maxSize ${h.maxSize}`);
  if (b.counts.length > 0) {
    const [lo, hi] = indexRange(h.scale);
    if (b.offset < lo || b.offset + b.counts.length - 1 > hi) {
      invalid(`${path}.offset`, `puts buckets ${b.offset}..${b.offset + b.counts.length - 1} outside [${lo}, ${hi}], the finite range at scale ${h.scale} (mismatched scale)`);
    }
  }
  return counts(b.counts, `${path}.counts`);
}

/** Checks a sketch's fields and that its counts add up. */
export function checkSketch(h: unknown, path: string): ExpHistogram {
  if (!(h instanceof ExpHistogram)) invalid(path, `is ${describe(h)}; expected an ExpHistogram`);
  if (!Number.isInteger(h.scale) || h.scale < MIN_SCALE || h.scale > MAX_SCALE) invalid(`${path}.scale`, `is ${describe(h.scale)}; expected an integer in [${MIN_SCALE}, ${MAX_SCALE}]`);
  if (!Number.isInteger(h.maxSize) || h.maxSize < 2 || h.maxSize > MAX_MAX_SIZE) invalid(`${path}.maxSize`, `is ${describe(h.maxSize)}; expected an integer in [2, ${MAX_MAX_SIZE}]`);
  const n = count(h.count, `${path}.count`);
  const inBuckets = count(h.zeroCount, `${path}.zeroCount`) + checkBuckets(h.positive, `${path}.positive`, h) + checkBuckets(h.negative, `${path}.negative`, h);
  if (inBuckets !== n) invalid(`${path}.count`, `is ${n} but the buckets hold ${inBuckets}`);
  for (const [k, p] of [['sum', h.sumPair], ['sumSq', h.sumSqPair]] as const) {
    if (!Array.isArray(p) || p.length !== 2) invalid(`${path}.${k}`, 'is not a [hi, lo] pair');
    finite(p[0], `${path}.${k}[0]`);
    finite(p[1], `${path}.${k}[1]`);
  }
  if (n === 0) {
    if (h.min !== Infinity || h.max !== -Infinity) invalid(`${path}.min`, 'is set on an empty sketch');
  } else {
    finite(h.min, `${path}.min`);
    finite(h.max, `${path}.max`);
    if (h.min > h.max) invalid(`${path}.min`, `is ${h.min}, above max ${h.max}`);
    if (h.negative.counts.some((c) => c > 0) && !(h.min < 0)) invalid(`${path}.min`, `is ${h.min} but there are negative values`);
    if (h.positive.counts.some((c) => c > 0) && !(h.max > 0)) invalid(`${path}.max`, `is ${h.max} but there are positive values`);
  }
  checkMoments(n, h.sum, h.sumOfSquares, h.min, h.max, `${path}.sum`, `${path}.sumSq`);
  return h;
}

/**
 * Relative slack of the consistency checks: sums are compensated (error of a
 * few ulp) and the bounds are computed in floating point too, so 1e-9 is
 * far above rounding and far below anything that would change a metric.
 */
const REL = 1e-9;
/** Absolute slack for squares of tiny values, which lose precision as subnormals. */
const ABS = 1e-300;

/**
 * Checks that n values in [min, max] can have this sum and sum of squares:
 * sum within n x [min, max]; sumSq >= 0, at most n x max(min^2, max^2), at
 * least n x (the smallest possible |x|)^2 and at least sum^2 / n
 * (Cauchy-Schwarz). An empty sketch has zero sums. These stop a summary that
 * claims a latency sum of 1e300 over values of at most 2 s, or a negative
 * sum of squares, from ever being merged.
 */
function checkMoments(n: number, sum: number, sumSq: number, min: number, max: number, sumPath: string, sqPath: string): void {
  if (n === 0) {
    if (sum !== 0) invalid(sumPath, `is ${sum} over no values; expected 0`);
    if (sumSq !== 0) invalid(sqPath, `is ${sumSq} over no values; expected 0`);
    return;
  }
  if (!Number.isFinite(sum)) invalid(sumPath, `is ${sum}; expected a finite number`);
  if (!Number.isFinite(sumSq)) invalid(sqPath, `is ${sumSq}; expected a finite number`);
  const lo = n * min, hi = n * max;
  const slack = REL * Math.max(Math.abs(lo), Math.abs(hi)) + ABS * n;
  if (!(sum >= lo - slack && sum <= hi + slack)) invalid(sumPath, `is ${sum}, but ${n} values in [${min}, ${max}] sum to between ${lo} and ${hi}`);
  if (!(sumSq >= 0)) invalid(sqPath, `is ${sumSq}; a sum of squares cannot be negative`);
  const big = Math.max(min * min, max * max);
  const small = min > 0 ? min * min : max < 0 ? max * max : 0;
  if (sumSq > n * big * (1 + REL) + ABS * n) invalid(sqPath, `is ${sumSq}, more than ${n} values in [${min}, ${max}] can reach (${n * big})`);
  if (sumSq < n * small * (1 - REL) - ABS * n) invalid(sqPath, `is ${sumSq}, less than ${n} values in [${min}, ${max}] must reach (${n * small})`);
  if ((sum / n) * sum > sumSq * (1 + REL) + ABS * n) invalid(sqPath, `is ${sumSq}, below sum^2 / n (${(sum / n) * sum}); no ${n} real values have these sums`);
}

/**
 * The one place that says how labeled relates to count: a window's labels
 * cannot outnumber its predictions. A correction (late labels of a window
 * already delivered) has no predictions of its own: count 0 (which, through
 * the checks below, leaves its predicted counts, latencies, scores and their
 * buckets empty) and at least one label. Whether its labels fit the
 * predictions they correct is a question for whoever merges it with them
 * (mergeSummaries checks the result; a receiver keeps per-device totals).
 */
export function checkLabeledWithinCount(labeled: number, count: number, path: string, kind?: unknown): void {
  if (kind === 'correction') {
    if (count !== 0) invalid(`${path}.count`, `is ${count}; a correction carries late labels only (count 0)`);
    if (labeled === 0) invalid(`${path}.labeled`, 'is 0; a correction carries at least one late label');
    return;
  }
  if (kind !== undefined) invalid(`${path}.kind`, `is ${describe(kind)}; expected 'correction' or no kind`);
  if (labeled > count) invalid(`${path}.labeled`, `is ${labeled}, more than the ${count} predictions`);
}

/**
 * Sums of regression errors that n real rows can have: |e| <= maxAbsE, so
 * sumAbsE <= n maxAbsE and sumE2 <= n maxAbsE^2; |sumE| <= sumAbsE;
 * sumE^2 / n <= sumE2, sumAbsE^2 / n <= sumE2 and sumY^2 / n <= sumY2
 * (Cauchy-Schwarz); sumApe <= n maxAbsE / epsilon; maxAbsE is the largest
 * |e| (absError.max).
 */
function checkRegressionSums(r: NonNullable<Summary['regression']>, e: ExpHistogram, path: string): void {
  const n = r.n;
  if (n === 0) {
    for (const k of ['sumY', 'sumY2', 'sumE', 'sumE2', 'sumAbsE', 'sumApe', 'maxAbsE'] as const) {
      if (r[k] !== 0) invalid(`${path}.${k}`, `is ${r[k]} over no labeled rows; expected 0`);
    }
    return;
  }
  if (r.maxAbsE !== e.max) invalid(`${path}.maxAbsE`, `is ${r.maxAbsE} but absError.max is ${e.max}`);
  const le = (x: number, bound: number): boolean => x <= bound * (1 + REL) + ABS * n;
  if (!le(r.sumAbsE, n * r.maxAbsE)) invalid(`${path}.sumAbsE`, `is ${r.sumAbsE}, more than n x maxAbsE (${n * r.maxAbsE})`);
  if (!le(r.sumE2, n * r.maxAbsE * r.maxAbsE)) invalid(`${path}.sumE2`, `is ${r.sumE2}, more than n x maxAbsE^2 (${n * r.maxAbsE * r.maxAbsE})`);
  if (!le(Math.abs(r.sumE), r.sumAbsE)) invalid(`${path}.sumE`, `is ${r.sumE}; |sumE| cannot exceed sumAbsE (${r.sumAbsE})`);
  if (!le((r.sumE / n) * r.sumE, r.sumE2)) invalid(`${path}.sumE2`, `is ${r.sumE2}, below sumE^2 / n (${(r.sumE / n) * r.sumE})`);
  if (!le((r.sumAbsE / n) * r.sumAbsE, r.sumE2)) invalid(`${path}.sumE2`, `is ${r.sumE2}, below sumAbsE^2 / n (${(r.sumAbsE / n) * r.sumAbsE})`);
  // Each MAPE term is |e| / max(|y|, machine epsilon) (build.ts).
  if (!le(r.sumApe, (n * r.maxAbsE) / Number.EPSILON)) invalid(`${path}.sumApe`, `is ${r.sumApe}, more than n x maxAbsE / epsilon (${(n * r.maxAbsE) / Number.EPSILON})`);
  if (!le((r.sumY / n) * r.sumY, r.sumY2)) invalid(`${path}.sumY2`, `is ${r.sumY2}, below sumY^2 / n (${(r.sumY / n) * r.sumY})`);
}

function str(value: unknown, path: string): void {
  if (typeof value !== 'string' || value.length > LIMITS.name) invalid(path, `is ${describe(value)}; expected a string of at most ${LIMITS.name} characters`);
}

/** Throws InputError('INVALID_SUMMARY') naming the first field that breaks an invariant. */
export function checkSummary(s: Summary, path = 'summary'): void {
  if (s === null || typeof s !== 'object') invalid(path, `is ${describe(s)}; expected a summary`);
  const classification = s.task === 'binary' || s.task === 'multiclass';
  if (!classification && s.task !== 'regression' && s.task !== 'ranking') invalid(`${path}.task`, `is ${describe(s.task)}`);
  str(s.model, `${path}.model`);
  str(s.modelVersion, `${path}.modelVersion`);
  str(s.segment, `${path}.segment`);
  if (s.window === null || typeof s.window !== 'object') invalid(`${path}.window`, 'is not { start, end }');
  finite(s.window.start, `${path}.window.start`);
  finite(s.window.end, `${path}.window.end`);
  if (s.window.start > s.window.end) invalid(`${path}.window`, `starts (${s.window.start}) after it ends (${s.window.end})`);
  const n = count(s.count, `${path}.count`);
  const labeled = count(s.labeled, `${path}.labeled`);
  checkLabeledWithinCount(labeled, n, path, s.kind);
  const latency = checkSketch(s.latency, `${path}.latency`);
  const confidence = checkSketch(s.confidence, `${path}.confidence`);
  const delay = checkSketch(s.feedbackDelay, `${path}.feedbackDelay`);
  if (latency.count > n) invalid(`${path}.latency.count`, `is ${latency.count}, more than the ${n} predictions`);
  if (latency.count > 0 && latency.min < 0) invalid(`${path}.latency.min`, `is ${latency.min}; latencies are >= 0`);
  if (confidence.count > n) invalid(`${path}.confidence.count`, `is ${confidence.count}, more than the ${n} predictions`);
  if (classification && confidence.count > 0 && !(confidence.min >= 0 && confidence.max <= 1)) {
    invalid(`${path}.confidence`, `spans [${confidence.min}, ${confidence.max}]; ${s.task} scores are probabilities in [0, 1]`);
  }
  if (delay.count > labeled) invalid(`${path}.feedbackDelay.count`, `is ${delay.count}, more than the ${labeled} labeled rows`);
  if (delay.count > 0 && delay.min < 0) invalid(`${path}.feedbackDelay.min`, `is ${delay.min}; label delays are >= 0`);
  if (counts(s.latencyBuckets, `${path}.latencyBuckets`, LATENCY_BUCKETS_S.length + 1) !== latency.count) {
    invalid(`${path}.latencyBuckets`, `do not add up to latency.count (${latency.count})`);
  }
  if (counts(s.confidenceBuckets, `${path}.confidenceBuckets`, CONFIDENCE_BUCKETS.length + 1) !== confidence.count) {
    invalid(`${path}.confidenceBuckets`, `do not add up to confidence.count (${confidence.count})`);
  }
  if (classification) {
    if (!s.predicted) invalid(`${path}.predicted`, `is missing; a ${s.task} summary counts predicted classes`);
    ascendingIntegers(s.predicted.classes, `${path}.predicted.classes`, LIMITS.classes);
    if (counts(s.predicted.counts, `${path}.predicted.counts`, s.predicted.classes.length) !== n) {
      invalid(`${path}.predicted.counts`, `do not add up to count (${n})`);
    }
    if (!s.confusion) invalid(`${path}.confusion`, `is missing; a ${s.task} summary holds confusion counts`);
    const c = s.confusion.classes;
    ascendingIntegers(c, `${path}.confusion.classes`, LIMITS.classes);
    if (counts(s.confusion.cells, `${path}.confusion.cells`, c.length * c.length) !== labeled) {
      invalid(`${path}.confusion.cells`, `do not add up to labeled (${labeled})`);
    }
  } else if (s.predicted || s.confusion) {
    invalid(`${path}.${s.predicted ? 'predicted' : 'confusion'}`, `is present in a ${s.task} summary`);
  }
  if (s.scores) {
    if (s.task !== 'binary') invalid(`${path}.scores`, `is present in a ${s.task} summary`);
    const { bins } = s.scores;
    if (!Number.isInteger(bins) || bins < 1 || bins > LIMITS.bins) invalid(`${path}.scores.bins`, `is ${describe(bins)}; expected an integer in [1, ${LIMITS.bins}]`);
    if (!(s.scores.positive instanceof Float64Array) || !(s.scores.negative instanceof Float64Array)) invalid(`${path}.scores`, 'holds counts that are not Float64Arrays');
    const scored = counts(s.scores.positive, `${path}.scores.positive`, bins) + counts(s.scores.negative, `${path}.scores.negative`, bins);
    if (scored > labeled) invalid(`${path}.scores`, `hold ${scored} rows, more than the ${labeled} labeled`);
  }
  if (s.task === 'regression') {
    const r = s.regression;
    if (!r) invalid(`${path}.regression`, 'is missing; a regression summary holds sufficient statistics');
    if (count(r.n, `${path}.regression.n`) !== labeled) invalid(`${path}.regression.n`, `is ${r.n}; expected labeled (${labeled})`);
    for (const k of ['sumY', 'sumE'] as const) finite(r[k], `${path}.regression.${k}`);
    for (const k of ['sumY2', 'sumE2', 'sumAbsE', 'sumApe', 'maxAbsE'] as const) {
      if (finite(r[k], `${path}.regression.${k}`) < 0) invalid(`${path}.regression.${k}`, `is ${r[k]}; it cannot be negative`);
    }
    const e = checkSketch(r.absError, `${path}.regression.absError`);
    if (e.count !== r.n) invalid(`${path}.regression.absError.count`, `is ${e.count}; expected n (${r.n})`);
    if (e.count > 0 && e.min < 0) invalid(`${path}.regression.absError.min`, `is ${e.min}; absolute errors are >= 0`);
    checkRegressionSums(r, e, `${path}.regression`);
  } else if (s.regression) {
    invalid(`${path}.regression`, `is present in a ${s.task} summary`);
  }
  if (s.task === 'ranking') {
    const r = s.ranking;
    if (!r) invalid(`${path}.ranking`, 'is missing; a ranking summary holds ranking sums');
    if (!Array.isArray(r.ks) || r.ks.length === 0 || r.ks.length > LIMITS.ks) invalid(`${path}.ranking.ks`, `must list 1 to ${LIMITS.ks} cut-offs`);
    r.ks.forEach((k, i) => {
      if (!Number.isInteger(k) || k < 1 || (i > 0 && k <= r.ks[i - 1]!)) invalid(`${path}.ranking.ks[${i}]`, `is ${describe(k)}; cut-offs are ascending integers >= 1`);
    });
    const q = count(r.queries, `${path}.ranking.queries`);
    if (q !== labeled) invalid(`${path}.ranking.queries`, `is ${q}; expected labeled (${labeled})`);
    if (count(r.withoutRelevant, `${path}.ranking.withoutRelevant`) > q) invalid(`${path}.ranking.withoutRelevant`, `is more than the ${q} queries`);
    for (const k of ['precision', 'recall', 'ndcg'] as const) {
      if (!Array.isArray(r[k]) || r[k].length !== r.ks.length) invalid(`${path}.ranking.${k}`, `must hold one sum per cut-off (${r.ks.length})`);
      r[k].forEach((v, i) => {
        if (!(finite(v, `${path}.ranking.${k}[${i}]`) >= 0 && v <= q * (1 + 1e-12))) invalid(`${path}.ranking.${k}[${i}]`, `is ${v}; a sum of per-query values in [0, 1] over ${q} queries`);
      });
    }
    const rr = finite(r.reciprocalRank, `${path}.ranking.reciprocalRank`);
    if (!(rr >= 0 && rr <= q * (1 + 1e-12))) invalid(`${path}.ranking.reciprocalRank`, `is ${rr}; a sum of values in [0, 1] over ${q} queries`);
  } else if (s.ranking) {
    invalid(`${path}.ranking`, `is present in a ${s.task} summary`);
  }
}
