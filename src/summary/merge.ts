// merge(a, b): associative and commutative, exact for counts (integers held in
// f64 below 2^53 add exactly in any order) and for min/max; sums are added
// (compensated within each summary), so they agree to a few ulp across merge
// orders; sketches merge to exactly the sketch of all values. No merge of
// valid summaries can overflow: checkSummary bounds every sum by its count and
// extremes (below ~1e186 for 2^53 rows of values whose squares are finite), and
// ExpHistogram.merge refuses a non-finite result (MERGE_OVERFLOW) anyway.
import { InputError } from '../errors.js';
import { ExpHistogram } from './sketch.js';
import type { ClassCounts, ConfusionCounts, RankingSums, ScoreHistograms, Summary } from './types.js';
import { checkSummary, LIMITS } from './validate.js';

function incompatible(path: string, message: string): never {
  throw new InputError('INCOMPATIBLE_SUMMARY', path, `${message}.`);
}

function addArrays(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x + b[i]!);
}

function union(a: readonly number[], b: readonly number[]): number[] {
  const out = [...new Set([...a, ...b])].sort((x, y) => x - y);
  if (out.length > LIMITS.classes) incompatible('b', `together with a holds ${out.length} classes, more than a summary keeps (${LIMITS.classes})`);
  return out;
}

function mergeClassCounts(a: ClassCounts, b: ClassCounts): ClassCounts {
  const classes = union(a.classes, b.classes);
  const counts = new Array<number>(classes.length).fill(0);
  for (const x of [a, b]) x.classes.forEach((c, i) => { counts[classes.indexOf(c)]! += x.counts[i]!; });
  return { classes, counts };
}

function mergeConfusion(a: ConfusionCounts, b: ConfusionCounts): ConfusionCounts {
  const classes = union(a.classes, b.classes);
  const c = classes.length;
  const cells = new Array<number>(c * c).fill(0);
  for (const x of [a, b]) {
    const map = x.classes.map((k) => classes.indexOf(k));
    const m = x.classes.length;
    for (let t = 0; t < m; t++) for (let p = 0; p < m; p++) cells[map[t]! * c + map[p]!]! += x.cells[t * m + p]!;
  }
  return { classes, cells };
}

function mergeScores(a: ScoreHistograms, b: ScoreHistograms): ScoreHistograms {
  if (a.bins !== b.bins) incompatible('b.scores.bins', `is ${b.bins} but a.scores.bins is ${a.bins}; score histograms merge only on the same bins`);
  const add = (x: Float64Array, y: Float64Array): Float64Array => x.map((v, i) => v + y[i]!);
  return { bins: a.bins, positive: add(a.positive, b.positive), negative: add(a.negative, b.negative) };
}

function mergeRanking(a: RankingSums, b: RankingSums): RankingSums {
  if (a.ks.length !== b.ks.length || a.ks.some((k, i) => k !== b.ks[i])) {
    incompatible('b.ranking.ks', `is [${b.ks.join(', ')}] but a.ranking.ks is [${a.ks.join(', ')}]; ranking sums merge only at the same cut-offs`);
  }
  return {
    ks: [...a.ks],
    queries: a.queries + b.queries,
    withoutRelevant: a.withoutRelevant + b.withoutRelevant,
    precision: addArrays(a.precision, b.precision),
    recall: addArrays(a.recall, b.recall),
    ndcg: addArrays(a.ndcg, b.ndcg),
    reciprocalRank: a.reciprocalRank + b.reciprocalRank,
  };
}

/**
 * The summary of the rows of both a and b; neither input is changed. Both must
 * describe the same task, model, model version and segment (else
 * INCOMPATIBLE_SUMMARY); windows may differ and the result spans both. Each
 * input is validated first, so a corrupt summary is rejected, never merged.
 * Two corrections merge into one correction; a correction merged into a
 * summary gives a summary, checked like any other (its labels must fit the
 * predictions: else INVALID_SUMMARY naming 'merged').
 */
export function mergeSummaries(a: Summary, b: Summary): Summary {
  checkSummary(a, 'a');
  checkSummary(b, 'b');
  for (const k of ['task', 'model', 'modelVersion', 'segment'] as const) {
    if (a[k] !== b[k]) incompatible(`b.${k}`, `is ${JSON.stringify(b[k])} but a.${k} is ${JSON.stringify(a[k])}; only summaries of the same task, model, version and segment merge`);
  }
  const out: Summary = {
    ...(a.kind === 'correction' && b.kind === 'correction' ? { kind: 'correction' as const } : {}),
    task: a.task,
    model: a.model,
    modelVersion: a.modelVersion,
    segment: a.segment,
    window: { start: Math.min(a.window.start, b.window.start), end: Math.max(a.window.end, b.window.end) },
    count: a.count + b.count,
    labeled: a.labeled + b.labeled,
    latency: ExpHistogram.merge(a.latency, b.latency),
    confidence: ExpHistogram.merge(a.confidence, b.confidence),
    latencyBuckets: addArrays(a.latencyBuckets, b.latencyBuckets),
    confidenceBuckets: addArrays(a.confidenceBuckets, b.confidenceBuckets),
    feedbackDelay: ExpHistogram.merge(a.feedbackDelay, b.feedbackDelay),
  };
  if (a.predicted && b.predicted) out.predicted = mergeClassCounts(a.predicted, b.predicted);
  if (a.confusion && b.confusion) out.confusion = mergeConfusion(a.confusion, b.confusion);
  if (a.scores && b.scores) out.scores = mergeScores(a.scores, b.scores);
  else if (a.scores || b.scores) incompatible(a.scores ? 'b.scores' : 'a.scores', 'is missing while the other summary has score histograms');
  if (a.regression && b.regression) {
    const x = a.regression, y = b.regression;
    out.regression = {
      n: x.n + y.n, sumY: x.sumY + y.sumY, sumY2: x.sumY2 + y.sumY2, sumE: x.sumE + y.sumE, sumE2: x.sumE2 + y.sumE2,
      sumAbsE: x.sumAbsE + y.sumAbsE, sumApe: x.sumApe + y.sumApe, maxAbsE: Math.max(x.maxAbsE, y.maxAbsE),
      absError: ExpHistogram.merge(x.absError, y.absError),
    };
  }
  if (a.ranking && b.ranking) out.ranking = mergeRanking(a.ranking, b.ranking);
  // Every other count is bounded by count, so this one check keeps them all below 2^53.
  if (out.count > Number.MAX_SAFE_INTEGER) incompatible('b.count', `would push the merged count past 2^53 - 1 (${a.count} + ${b.count})`);
  // Only a correction can make labeled outgrow count (or the label-side sums
  // outgrow the rows): the merged summary must be one that rows can have.
  if ((a.kind === 'correction') !== (b.kind === 'correction')) checkSummary(out, 'merged');
  return out;
}

/** Folds any number of summaries (at least one) with mergeSummaries. */
export function mergeAll(summaries: readonly Summary[]): Summary {
  if (!Array.isArray(summaries) || summaries.length === 0) throw new InputError('EMPTY_INPUT', 'summaries', 'is empty; pass at least one summary.');
  let acc = summaries[0]!;
  for (let i = 1; i < summaries.length; i++) acc = mergeSummaries(acc, summaries[i]!);
  if (summaries.length === 1) checkSummary(acc, 'summaries[0]');
  return acc;
}
