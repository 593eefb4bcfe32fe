import { beforeAll, describe, expect, it } from 'vitest';
import { ExpHistogram, InputError, emptySummary, init, mergeAll, mergeSummaries, summarize, summaryMetrics } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { batch, slice, type Batch } from './data.js';
import { rng } from './random.js';

beforeAll(async () => {
  await init();
});

const WINDOW = { start: 1_700_000_000_000, end: 1_700_000_000_000 + 3_600_000 };

function sameSketch(a: ExpHistogram, b: ExpHistogram, path: string): void {
  expect(a.scale, `${path}.scale`).toBe(b.scale);
  expect(a.count, `${path}.count`).toBe(b.count);
  expect(a.zeroCount).toBe(b.zeroCount);
  expect(a.positive, `${path}.positive`).toEqual(b.positive);
  expect(a.negative, `${path}.negative`).toEqual(b.negative);
  expect(a.min).toBe(b.min);
  expect(a.max).toBe(b.max);
  expect(a.sum).toBeCloseTo(b.sum, 6);
}

function near(a: number, b: number, path: string): void {
  expect(Math.abs(a - b), path).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
}

/** Counts identical, sums equal to rounding, sketches identical. */
function sameSummary(a: Summary, b: Summary): void {
  for (const k of ['task', 'model', 'modelVersion', 'segment', 'count', 'labeled', 'predicted', 'confusion', 'scores', 'latencyBuckets', 'confidenceBuckets'] as const) {
    expect(a[k], k).toEqual(b[k]);
  }
  sameSketch(a.latency, b.latency, 'latency');
  sameSketch(a.confidence, b.confidence, 'confidence');
  sameSketch(a.feedbackDelay, b.feedbackDelay, 'feedbackDelay');
  if (b.regression) {
    const x = a.regression!, y = b.regression;
    expect(x.n).toBe(y.n);
    expect(x.maxAbsE).toBe(y.maxAbsE);
    for (const k of ['sumY', 'sumY2', 'sumE', 'sumE2', 'sumAbsE', 'sumApe'] as const) near(x[k], y[k], `regression.${k}`);
    sameSketch(x.absError, y.absError, 'absError');
  }
  if (b.ranking) {
    const x = a.ranking!, y = b.ranking;
    expect([x.ks, x.queries, x.withoutRelevant]).toEqual([y.ks, y.queries, y.withoutRelevant]);
    x.precision.forEach((v, i) => near(v, y.precision[i]!, 'precision'));
    x.ndcg.forEach((v, i) => near(v, y.ndcg[i]!, 'ndcg'));
    near(x.reciprocalRank, y.reciprocalRank, 'rr');
  }
}

/** The summary of one segment from a batch. */
function only(b: Batch, segment = ''): Summary {
  const s = summarize({ ...b, window: WINDOW }).find((x) => x.segment === segment);
  if (!s) throw new Error('no rows');
  return s;
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const u = rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('mergeSummaries', () => {
  it.each(['binary', 'multiclass', 'regression', 'ranking'] as const)('%s: 100 random shards merge to the summary of all rows, in any order', (task) => {
    const n = task === 'ranking' ? 3000 : 20_000;
    const all = batch(task, n, 21, { segments: [''] });
    const whole = only(all);
    // Random cut points: shards of very different sizes, some empty.
    const u = rng(5);
    const cuts = [0, ...Array.from({ length: 99 }, () => Math.floor(u() * n)).sort((a, b) => a - b), n];
    const shards = cuts.slice(1).map((end, i) => {
      const part = slice(all, cuts[i]!, end);
      return summarize({ ...part, window: WINDOW })[0] ?? emptyLike(whole);
    });
    expect(shards.length).toBe(100);
    for (const seed of [1, 2, 3]) {
      const order = shuffle(shards, seed);
      sameSummary(mergeAll(order), whole);
    }
    // A balanced tree of merges gives the same as a left fold.
    let level = shards;
    while (level.length > 1) {
      const next: Summary[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? mergeSummaries(level[i + 1]!, level[i]!) : level[i]!);
      level = next;
    }
    sameSummary(level[0]!, whole);
  });

  it('has emptySummary as its identity', () => {
    for (const task of ['binary', 'multiclass', 'regression', 'ranking'] as const) {
      const s = only(batch(task, 400, 2, { segments: [''] }));
      const e = emptySummary(s, s.ranking?.ks);
      expect(e.count).toBe(0);
      sameSummary(mergeSummaries(e, s), s);
      sameSummary(mergeSummaries(s, e), s);
    }
    expect(() => emptySummary({ task: 'binary', model: 'm', modelVersion: '1', segment: '', window: { start: 2, end: 1 } }))
      .toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'window' }));
  });

  it('spans both windows and changes neither input', () => {
    const b = batch('binary', 2000, 4, { segments: [''] });
    const a = only(slice(b, 0, 1000));
    const c = only(slice(b, 1000, 2000));
    const later = { ...c, window: { start: WINDOW.end, end: WINDOW.end + 3_600_000 } };
    const aBefore = JSON.stringify({ ...a, latency: a.latency.positive.counts.join() });
    const m = mergeSummaries(a, later);
    expect(m.window).toEqual({ start: WINDOW.start, end: WINDOW.end + 3_600_000 });
    expect(JSON.stringify({ ...a, latency: a.latency.positive.counts.join() })).toBe(aBefore);
    expect(summaryMetrics(m).count).toBe(2000);
  });

  it('merges class sets that differ and sketches at different scales', () => {
    const b = batch('multiclass', 3000, 8, { segments: [''] });
    const a = only(slice(b, 0, 1500));
    const c = only(slice(b, 1500, 3000));
    // Make c's classes differ: relabel class 0 rows as 7.
    c.confusion = { classes: [...c.confusion!.classes.slice(1), 7], cells: c.confusion!.cells };
    c.predicted = { classes: [...c.predicted!.classes.slice(1), 7], counts: c.predicted!.counts };
    c.latency = new ExpHistogram({ maxSize: 40 }).insert(Array.from({ length: c.latency.count }, (_, i) => 0.5 + i));
    const m = mergeSummaries(a, c);
    expect(m.confusion!.classes).toEqual([...new Set([...a.confusion!.classes, ...c.confusion!.classes])].sort((x, y) => x - y));
    expect(m.confusion!.cells.reduce((x, y) => x + y, 0)).toBe(a.labeled + c.labeled);
    expect(m.latency.scale).toBeLessThanOrEqual(Math.min(a.latency.scale, c.latency.scale));
    expect(m.latency.maxSize).toBe(40);
    sameSummary(mergeSummaries(c, a), m);
  });

  it('rejects summaries of different models, versions, segments, tasks or bins', () => {
    const a = only(batch('binary', 300, 1, { segments: [''] }));
    const cases: Array<[Partial<Summary>, string]> = [
      [{ model: 'other' }, 'b.model'], [{ modelVersion: '2' }, 'b.modelVersion'], [{ segment: 'x' }, 'b.segment'],
      [{ scores: { bins: 10, positive: new Float64Array(10), negative: new Float64Array(10) } }, 'b.scores.bins'],
    ];
    for (const [change, argument] of cases) {
      expect(() => mergeSummaries(a, { ...a, ...change })).toThrow(expect.objectContaining({ code: 'INCOMPATIBLE_SUMMARY', argument }));
    }
    const r = only(batch('regression', 300, 1, { segments: [''] }));
    expect(() => mergeSummaries(a, r)).toThrow(expect.objectContaining({ code: 'INCOMPATIBLE_SUMMARY', argument: 'b.task' }));
  });

  it('refuses a merge whose count would pass 2^53 - 1', () => {
    const a = structuredCloneSummary(only(batch('binary', 300, 1, { segments: [''] })));
    a.count += 2 ** 52;
    a.predicted!.counts[0]! += 2 ** 52;
    expect(() => mergeSummaries(a, a)).toThrow(expect.objectContaining({ code: 'INCOMPATIBLE_SUMMARY', argument: 'b.count' }));
  });

  it('never merges a corrupt summary', () => {
    const a = only(batch('binary', 300, 1, { segments: [''] }));
    const bad: Array<[(s: Summary) => void, string]> = [
      [(s) => { s.count = -1; }, 'b.count'],
      [(s) => { s.labeled = s.count + 1; }, 'b.labeled'],
      [(s) => { s.latencyBuckets[0] = NaN; }, 'b.latencyBuckets[0]'],
      [(s) => { s.confusion!.cells[0] = s.confusion!.cells[0]! + 1; }, 'b.confusion.cells'],
      [(s) => { s.latency.positive.counts[0] = -1; }, 'b.latency.positive.counts[0]'],
      [(s) => { s.latency.count += 1; }, 'b.latency.count'],
      [(s) => { s.latency.scale = 25; }, 'b.latency.scale'],
      [(s) => { s.latency.positive.offset = 2 ** 30; }, 'b.latency.positive.offset'],
      [(s) => { s.scores!.positive = new Float64Array(3); }, 'b.scores.positive'],
      [(s) => { (s as unknown as { latency: unknown }).latency = { count: 0 }; }, 'b.latency'],
    ];
    for (const [corrupt, argument] of bad) {
      const b = structuredCloneSummary(a);
      corrupt(b);
      let err: unknown;
      try { mergeSummaries(a, b); } catch (e) { err = e; }
      expect(err, argument).toBeInstanceOf(InputError);
      expect(err, argument).toMatchObject({ code: 'INVALID_SUMMARY', argument });
    }
  });
});

/** A summary with no rows that merges with `like`. */
function emptyLike(like: Summary): Summary {
  return emptySummary(like, like.ranking?.ks);
}

function structuredCloneSummary(s: Summary): Summary {
  return {
    ...s,
    window: { ...s.window },
    latency: s.latency.clone(), confidence: s.confidence.clone(), feedbackDelay: s.feedbackDelay.clone(),
    latencyBuckets: [...s.latencyBuckets], confidenceBuckets: [...s.confidenceBuckets],
    ...(s.predicted ? { predicted: { classes: [...s.predicted.classes], counts: [...s.predicted.counts] } } : {}),
    ...(s.confusion ? { confusion: { classes: [...s.confusion.classes], cells: [...s.confusion.cells] } } : {}),
    ...(s.scores ? { scores: { bins: s.scores.bins, positive: s.scores.positive.slice(), negative: s.scores.negative.slice() } } : {}),
    ...(s.regression ? { regression: { ...s.regression, absError: s.regression.absError.clone() } } : {}),
    ...(s.ranking ? { ranking: { ...s.ranking, precision: [...s.ranking.precision], recall: [...s.ranking.recall], ndcg: [...s.ranking.ndcg] } } : {}),
  };
}
