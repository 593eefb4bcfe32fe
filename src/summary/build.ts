// Builds window summaries from the column batches of src/columns: one pass to
// group rows by segment, then per segment the counts, sums and sketches.
import { InputError } from '../errors.js';
import { describe } from '../core/input.js';
import type { PredictionColumns, Task } from '../columns/index.js';
import { rankingMetrics, type RankingQuery } from '../metrics/ranking.js';
import { ExpHistogram, DEFAULT_MAX_SIZE } from './sketch.js';
import type { RankingSums, RegressionSums, Summary, SummarizeInput } from './types.js';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_S, LIMITS } from './validate.js';

/** Bins of the binary score histograms: thresholds on a 0.001 grid. */
export const SCORE_BINS = 1000;
/** Default ranking cut-offs. */
export const DEFAULT_KS = [1, 3, 5, 10];
/**
 * Sketches inside summaries stop at scale 6 (relative error 0.54%): finer
 * scales would not change the 1% promise but would multiply the buckets a
 * narrow window sends over the wire.
 */
export const SUMMARY_SKETCH = { maxSize: DEFAULT_MAX_SIZE, maxScale: 6 } as const;
/**
 * Label delays span minutes to days and need no sub-percent quantiles: scale
 * 5 (relative error 1.08%) halves their buckets, which keeps one binary
 * window of 1e6 rows under 8 KB on the wire.
 */
export const DELAY_SKETCH = { maxSize: DEFAULT_MAX_SIZE, maxScale: 5 } as const;

const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression', 'ranking'];

/** Neumaier-compensated running sum. */
class Acc {
  s = 0;
  c = 0;
  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? (this.s - t) + x : (x - t) + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** Index of the first Prometheus bucket (le) holding v, or bounds.length for +Inf. */
function bucketOf(v: number, bounds: readonly number[]): number {
  let j = 0;
  while (j < bounds.length && v > bounds[j]!) j++;
  return j;
}

/** The score-histogram bin of s in [0, 1], edges compared as `s >= k / bins`. */
export function scoreBin(s: number, bins: number): number {
  let k = Math.min(bins - 1, Math.floor(s * bins));
  if (k > 0 && s < k / bins) k--;
  else if (k + 1 < bins && s >= (k + 1) / bins) k++;
  return k;
}

function column(value: unknown, name: string, n: number): Float64Array {
  if (!(value instanceof Float64Array)) throw new InputError('NOT_NUMERIC', name, `is ${describe(value)}; expected a Float64Array.`);
  if (value.length !== n) throw new InputError('LENGTH_MISMATCH', name, `has ${value.length} rows but predictions.id has ${n}; pass one value per row.`);
  return value;
}

function checkInput(input: SummarizeInput): number {
  if (input === null || typeof input !== 'object') throw new InputError('INVALID_OPTION', 'input', `is ${describe(input)}; pass { task, predictions, window, ... }.`);
  if (!TASKS.includes(input.task)) throw new InputError('INVALID_OPTION', 'task', `is ${describe(input.task)}; use one of ${TASKS.join(', ')}.`);
  const p = input.predictions;
  if (p === null || typeof p !== 'object') throw new InputError('INVALID_OPTION', 'predictions', `is ${describe(p)}; pass PredictionColumns.`);
  if (!(p.id instanceof Float64Array)) throw new InputError('NOT_NUMERIC', 'predictions.id', `is ${describe(p.id)}; expected a Float64Array.`);
  const n = p.id.length;
  for (const k of ['timestamp', 'prediction', 'score', 'latencyMs'] as const) column(p[k], `predictions.${k}`, n);
  if (!(p.segment instanceof Uint16Array) || p.segment.length !== n) throw new InputError('LENGTH_MISMATCH', 'predictions.segment', `must be a Uint16Array with one segment index per row (${n}).`);
  if (!Array.isArray(p.segments) || p.segments.some((x) => typeof x !== 'string')) throw new InputError('INVALID_OPTION', 'predictions.segments', 'must be an array of segment names.');
  for (const k of ['model', 'version'] as const) {
    if (typeof p[k] !== 'string' || p[k].length > LIMITS.name) throw new InputError('INVALID_OPTION', `predictions.${k}`, `is ${describe(p[k])}; expected a string of at most ${LIMITS.name} characters.`);
  }
  if (input.labels !== undefined) column(input.labels, 'labels', n);
  if (input.labelDelayMs !== undefined) column(input.labelDelayMs, 'labelDelayMs', n);
  if (input.rankings !== undefined && (input.rankings === null || input.rankings.length !== n)) {
    throw new InputError('LENGTH_MISMATCH', 'rankings', `must hold one entry (a query or undefined) per row (${n}).`);
  }
  const w = input.window;
  if (w === null || typeof w !== 'object' || !Number.isFinite(w.start) || !Number.isFinite(w.end) || w.start > w.end) {
    throw new InputError('INVALID_OPTION', 'window', `is ${describe(w)}; pass { start, end } in ms with start <= end.`);
  }
  const ks = input.ks ?? DEFAULT_KS;
  if (!Array.isArray(ks) || ks.length === 0 || ks.length > LIMITS.ks || ks.some((k, i) => !Number.isInteger(k) || k < 1 || (i > 0 && k <= ks[i - 1]!))) {
    throw new InputError('INVALID_K', 'ks', `is ${describe(ks)}; pass 1 to ${LIMITS.ks} ascending integers >= 1.`);
  }
  return n;
}

/**
 * Summaries of the rows of one prediction batch that fall in the window, one
 * per segment that has such rows, ordered by segment name. Labels, label
 * delays and (ranking) judged queries are aligned with the prediction rows;
 * NaN / undefined marks a row without one. Throws InputError on values a
 * metric could not use (non-integer classes, scores outside [0, 1], negative
 * latencies, infinities), naming the column and row.
 */
export function summarize(input: SummarizeInput): Summary[] {
  const n = checkInput(input);
  const p = input.predictions;
  // Keyed by name: two indices may name the same segment.
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const t = p.timestamp[i]!;
    if (!(t >= input.window.start && t < input.window.end)) continue;
    const g = p.segment[i]!;
    if (g >= p.segments.length) throw new InputError('INVALID_OPTION', `predictions.segment[${i}]`, `is ${g} but there are ${p.segments.length} segment names.`);
    const name = p.segments[g]!;
    const rows = groups.get(name);
    if (rows) rows.push(i);
    else groups.set(name, [i]);
  }
  const out = [...groups].map(([name, rows]) => one(input, p, name, rows));
  out.sort((a, b) => (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0));
  return out;
}

function one(input: SummarizeInput, p: PredictionColumns, segment: string, rows: number[]): Summary {
  const { task } = input;
  const classification = task === 'binary' || task === 'multiclass';
  const latencies: number[] = [];
  const scores: number[] = [];
  const delays: number[] = [];
  const latencyBuckets = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
  const confidenceBuckets = new Array<number>(CONFIDENCE_BUCKETS.length + 1).fill(0);
  const predicted = new Map<number, number>();
  const pairs = new Map<number, Map<number, number>>();
  const labelSet = new Set<number>();
  const positive = new Float64Array(SCORE_BINS), negative = new Float64Array(SCORE_BINS);
  const sums = { y: new Acc(), y2: new Acc(), e: new Acc(), e2: new Acc(), ae: new Acc(), ape: new Acc() };
  const absErrors: number[] = [];
  const queries: RankingQuery[] = [];
  let maxAbsE = 0;
  let labeled = 0;

  for (const i of rows) {
    const lat = p.latencyMs[i]!;
    if (!Number.isNaN(lat)) {
      if (!(lat >= 0 && lat < Infinity)) throw new InputError('NEGATIVE_VALUE', `predictions.latencyMs[${i}]`, `is ${lat}; latencies are finite and >= 0 (NaN = not measured).`);
      latencies.push(lat);
      latencyBuckets[bucketOf(lat / 1000, LATENCY_BUCKETS_S)]!++;
    }
    const score = p.score[i]!;
    if (!Number.isNaN(score)) {
      if (classification ? !(score >= 0 && score <= 1) : !Number.isFinite(score)) {
        throw new InputError(classification ? 'PROBABILITY_OUT_OF_RANGE' : 'NON_FINITE', `predictions.score[${i}]`, `is ${score}; scores are ${classification ? 'probabilities in [0, 1]' : 'finite'} (NaN = absent).`);
      }
      scores.push(score);
      confidenceBuckets[bucketOf(score, CONFIDENCE_BUCKETS)]!++;
    }
    const pred = p.prediction[i]!;
    if (classification) {
      if (!Number.isInteger(pred)) throw new InputError('NON_INTEGER_LABEL', `predictions.prediction[${i}]`, `is ${pred}; predicted classes are integers (encode classes as 0..C-1).`);
      if (task === 'binary' && pred !== 0 && pred !== 1) throw new InputError('NOT_BINARY', `predictions.prediction[${i}]`, `is ${pred}; binary predictions are 0 or 1.`);
      predicted.set(pred, (predicted.get(pred) ?? 0) + 1);
    }

    // Ground truth.
    let isLabeled: boolean;
    let y = NaN;
    if (task === 'ranking') {
      const q = input.rankings?.[i];
      isLabeled = q !== undefined;
      if (isLabeled) queries.push(q!);
    } else {
      y = input.labels?.[i] ?? NaN;
      isLabeled = !Number.isNaN(y);
      if (isLabeled && !Number.isFinite(y)) throw new InputError('NON_FINITE', `labels[${i}]`, `is ${y}; labels are finite (NaN = unlabeled).`);
    }
    if (!isLabeled) continue;
    labeled++;
    const delay = input.labelDelayMs?.[i] ?? NaN;
    if (!Number.isNaN(delay)) {
      if (!(delay >= 0 && delay < Infinity)) throw new InputError('NEGATIVE_VALUE', `labelDelayMs[${i}]`, `is ${delay}; delays are finite and >= 0 (NaN = unknown).`);
      delays.push(delay);
    }
    if (classification) {
      if (!Number.isInteger(y)) throw new InputError('NON_INTEGER_LABEL', `labels[${i}]`, `is ${y}; class labels are integers.`);
      if (task === 'binary' && y !== 0 && y !== 1) throw new InputError('NOT_BINARY', `labels[${i}]`, `is ${y}; binary labels are 0 or 1.`);
      labelSet.add(y).add(pred);
      let row = pairs.get(y);
      if (!row) pairs.set(y, (row = new Map()));
      row.set(pred, (row.get(pred) ?? 0) + 1);
      if (task === 'binary' && !Number.isNaN(score)) (y === 1 ? positive : negative)[scoreBin(score, SCORE_BINS)]!++;
    } else if (task === 'regression') {
      if (!Number.isFinite(pred)) throw new InputError('NON_FINITE', `predictions.prediction[${i}]`, `is ${pred}; a labeled regression row needs a finite prediction.`);
      const e = y - pred;
      const ae = Math.abs(e);
      sums.y.add(y);
      sums.y2.add(y * y);
      sums.e.add(e);
      sums.e2.add(e * e);
      sums.ae.add(ae);
      sums.ape.add(ae / Math.max(Math.abs(y), Number.EPSILON));
      maxAbsE = Math.max(maxAbsE, ae);
      absErrors.push(ae);
    }
  }

  const summary: Summary = {
    task,
    model: p.model,
    modelVersion: p.version,
    segment,
    window: { start: input.window.start, end: input.window.end },
    count: rows.length,
    labeled,
    latency: new ExpHistogram(SUMMARY_SKETCH).insert(latencies),
    confidence: new ExpHistogram(SUMMARY_SKETCH).insert(scores),
    latencyBuckets,
    confidenceBuckets,
    feedbackDelay: new ExpHistogram(DELAY_SKETCH).insert(delays),
  };
  if (classification) {
    const classes = [...predicted.keys()].sort((a, b) => a - b);
    summary.predicted = { classes, counts: classes.map((c) => predicted.get(c)!) };
    const all = [...labelSet].sort((a, b) => a - b);
    if (all.length > LIMITS.classes || classes.length > LIMITS.classes) {
      throw new InputError('TOO_MANY_CLASSES', 'labels', `hold more than ${LIMITS.classes} classes; a summary keeps at most ${LIMITS.classes}.`);
    }
    const cells = new Array<number>(all.length * all.length).fill(0);
    all.forEach((t, ti) => all.forEach((q, pi) => { cells[ti * all.length + pi] = pairs.get(t)?.get(q) ?? 0; }));
    summary.confusion = { classes: all, cells };
    if (task === 'binary') summary.scores = { bins: SCORE_BINS, positive, negative };
  }
  if (task === 'regression') {
    const r: RegressionSums = {
      n: labeled, sumY: sums.y.value, sumY2: sums.y2.value, sumE: sums.e.value, sumE2: sums.e2.value,
      sumAbsE: sums.ae.value, sumApe: sums.ape.value, maxAbsE, absError: new ExpHistogram(SUMMARY_SKETCH).insert(absErrors),
    };
    summary.regression = r;
  }
  if (task === 'ranking') summary.ranking = rankingSums(queries, input.ks ?? DEFAULT_KS);
  return summary;
}

/**
 * The summary of no rows for a key: the identity of mergeSummaries, for
 * folding windows that may turn out empty.
 */
export function emptySummary(key: Pick<Summary, 'task' | 'model' | 'modelVersion' | 'segment' | 'window'>, ks: number[] = DEFAULT_KS): Summary {
  const p: PredictionColumns = {
    model: key.model, version: key.modelVersion, segments: [key.segment], id: new Float64Array(0), timestamp: new Float64Array(0),
    prediction: new Float64Array(0), score: new Float64Array(0), latencyMs: new Float64Array(0), segment: new Uint16Array(0),
  };
  const input: SummarizeInput = { task: key.task, predictions: p, window: key.window, ks };
  checkInput(input);
  return one(input, p, key.segment, []);
}

/**
 * The correction that carries the label side of `s`: summarize the rows whose
 * first label arrived after their window was delivered, with those labels,
 * and pass the result here. Same series and window, count 0, the prediction
 * side (predicted counts, latency, confidence and their buckets) empty, the
 * label side (labeled, confusion, scores, regression and ranking sums, label
 * delays) kept. mergeSummaries(window at close, correctionOf(late rows)) is
 * the summary of the window with all its labels.
 */
export function correctionOf(s: Summary): Summary {
  if (s.labeled === 0) throw new InputError('EMPTY_INPUT', 'summary.labeled', 'is 0; a correction needs at least one labeled row.');
  const empty = emptySummary(s, s.ranking?.ks);
  const out: Summary = {
    ...s,
    kind: 'correction',
    count: 0,
    latency: empty.latency,
    confidence: empty.confidence,
    latencyBuckets: empty.latencyBuckets,
    confidenceBuckets: empty.confidenceBuckets,
  };
  if (s.predicted) out.predicted = { classes: [], counts: [] };
  return out;
}

/** Per-k sums of the [core] ranking metrics over judged queries (mean x count). */
function rankingSums(queries: RankingQuery[], ks: number[]): RankingSums {
  const q = queries.length;
  const sums: RankingSums = { ks: [...ks], queries: q, withoutRelevant: 0, precision: [], recall: [], ndcg: [], reciprocalRank: 0 };
  for (const k of ks) {
    if (q === 0) {
      sums.precision.push(0);
      sums.recall.push(0);
      sums.ndcg.push(0);
      continue;
    }
    const r = rankingMetrics(queries, k);
    sums.precision.push(r.precisionAtK * q);
    sums.recall.push(r.recallAtK * q);
    sums.ndcg.push(r.ndcgAtK * q);
    sums.reciprocalRank = r.mrr * q;
    sums.withoutRelevant = r.queriesWithoutRelevant;
  }
  return sums;
}
