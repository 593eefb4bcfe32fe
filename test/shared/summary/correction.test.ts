// Late-label corrections: the summary algebra. A window summarized at close
// (some labels missing) merged with the correction of its late labels equals
// the window summarized with all labels, for every task; corrections merge
// with each other and travel through the codec; the validator takes only
// what a correction can be.
import { beforeAll, describe, expect, it } from 'vitest';
import { correctionOf, init, InputError, mergeAll, mergeSummaries, parseSummary, serializeSummary, summarize } from '../../../src/index.js';
import type { ExpHistogram, Summary } from '../../../src/index.js';
import type { PredictionColumns, Task } from '../../../src/columns/index.js';
import { batch, type Batch } from './data.js';
import { rng } from './random.js';

beforeAll(async () => {
  await init();
});

const WINDOW = { start: 1_700_000_000_000, end: 1_700_000_000_000 + 3_600_000 };

/** Rows `keep` of a batch as their own batch. */
function pick(b: Batch, keep: number[]): Batch {
  const p = b.predictions;
  const f = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i]!);
  const predictions: PredictionColumns = {
    model: p.model, version: p.version, segments: p.segments, id: f(p.id), timestamp: f(p.timestamp), prediction: f(p.prediction),
    score: f(p.score), latencyMs: f(p.latencyMs), segment: Uint16Array.from(keep, (i) => p.segment[i]!),
  };
  return { task: b.task, predictions, labels: f(b.labels), labelDelayMs: f(b.labelDelayMs), ...(b.rankings ? { rankings: keep.map((i) => b.rankings![i]) } : {}) };
}

/**
 * The batch as its window closed: a third of the labeled rows had no label
 * yet; and the late rows (those rows, with their labels).
 */
function split(b: Batch, seed: number): { atClose: Batch; late: Batch } {
  const u = rng(seed);
  const atClose: Batch = { ...b, labels: b.labels.slice(), labelDelayMs: b.labelDelayMs.slice(), ...(b.rankings ? { rankings: [...b.rankings] } : {}) };
  const lateRows: number[] = [];
  for (let i = 0; i < b.labels.length; i++) {
    const labeled = b.task === 'ranking' ? b.rankings![i] !== undefined : b.labels[i] === b.labels[i];
    if (!labeled || u() >= 1 / 3) continue;
    lateRows.push(i);
    atClose.labels[i] = NaN;
    atClose.labelDelayMs[i] = NaN;
    if (atClose.rankings) atClose.rankings[i] = undefined;
  }
  return { atClose, late: pick(b, lateRows) };
}

const bySegment = (list: Summary[]): Map<string, Summary> => new Map(list.map((s) => [s.segment, s]));

function sameSketch(a: ExpHistogram, b: ExpHistogram, path: string): void {
  expect([a.scale, a.count, a.zeroCount, a.min, a.max], path).toEqual([b.scale, b.count, b.zeroCount, b.min, b.max]);
  expect(a.positive, `${path}.positive`).toEqual(b.positive);
  expect(a.negative, `${path}.negative`).toEqual(b.negative);
  expect(Math.abs(a.sum - b.sum), `${path}.sum`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b.sum)));
}

/** Counts identical, sums equal to rounding, sketches identical. */
function sameSummary(a: Summary, b: Summary): void {
  expect(a.kind).toBe(b.kind);
  for (const k of ['task', 'model', 'modelVersion', 'segment', 'window', 'count', 'labeled', 'predicted', 'confusion', 'scores', 'latencyBuckets', 'confidenceBuckets'] as const) {
    expect(a[k], k).toEqual(b[k]);
  }
  sameSketch(a.latency, b.latency, 'latency');
  sameSketch(a.confidence, b.confidence, 'confidence');
  sameSketch(a.feedbackDelay, b.feedbackDelay, 'feedbackDelay');
  if (b.regression) {
    const { absError: x, ...xs } = a.regression!;
    const { absError: y, ...ys } = b.regression;
    for (const k of Object.keys(ys) as (keyof typeof ys)[]) expect(Math.abs(xs[k] - ys[k]), `regression.${k}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ys[k])));
    sameSketch(x, y, 'regression.absError');
  }
  if (b.ranking) {
    const x = a.ranking!, y = b.ranking;
    expect([x.ks, x.queries, x.withoutRelevant]).toEqual([y.ks, y.queries, y.withoutRelevant]);
    for (const k of ['precision', 'recall', 'ndcg'] as const) x[k].forEach((v, i) => expect(v).toBeCloseTo(y[k][i]!, 9));
    expect(x.reciprocalRank).toBeCloseTo(y.reciprocalRank, 9);
  }
}

describe.each(['binary', 'multiclass', 'regression', 'ranking'] as Task[])('corrections (%s)', (task) => {
  it('window at close + correction of its late labels = the window summarized with all labels, per segment', () => {
    for (const seed of [1, 2, 3]) {
      const b = batch(task, 3000, seed);
      const { atClose, late } = split(b, seed + 100);
      const all = bySegment(summarize({ ...b, window: WINDOW }));
      const closed = bySegment(summarize({ ...atClose, window: WINDOW }));
      const corrections = summarize({ ...late, window: WINDOW }).map(correctionOf);
      expect(corrections.length).toBeGreaterThan(0);
      for (const c of corrections) {
        expect(c.kind).toBe('correction');
        expect([c.count, c.latency.count, c.confidence.count]).toEqual([0, 0, 0]);
        expect(c.labeled).toBeGreaterThan(0);
        const merged = mergeSummaries(closed.get(c.segment)!, c);
        expect(merged.kind).toBeUndefined();
        sameSummary(merged, all.get(c.segment)!);
        // Either order: merge is commutative.
        sameSummary(mergeSummaries(c, closed.get(c.segment)!), all.get(c.segment)!);
      }
    }
  });

  it('corrections of several closes merge into one correction; any order of everything gives the same totals', () => {
    const b = batch(task, 2000, 7, { segments: [''] });
    const { atClose, late } = split(b, 8);
    const n = late.predictions.id.length;
    const first = summarize({ ...pick(late, Array.from({ length: n >> 1 }, (_, i) => i)), window: WINDOW }).map(correctionOf)[0]!;
    const second = summarize({ ...pick(late, Array.from({ length: n - (n >> 1) }, (_, i) => (n >> 1) + i)), window: WINDOW }).map(correctionOf)[0]!;
    const both = mergeSummaries(first, second);
    expect(both.kind).toBe('correction');
    expect(both.labeled).toBe(first.labeled + second.labeled);
    const closed = summarize({ ...atClose, window: WINDOW })[0]!;
    const all = summarize({ ...b, window: WINDOW })[0]!;
    sameSummary(mergeSummaries(closed, both), all);
    sameSummary(mergeAll([second, closed, first]), all);
  });

  it('a correction travels through the codec as a correction, and its text says so', () => {
    const b = batch(task, 800, 11, { segments: [''] });
    const c = correctionOf(summarize({ ...split(b, 12).late, window: WINDOW })[0]!);
    const text = serializeSummary(c);
    expect(JSON.parse(text)).toMatchObject({ kind: 'correction', count: 0 });
    const back = parseSummary(text);
    sameSummary(back, c);
  });
});

describe('what a correction may be', () => {
  const setup = (): { c: Summary; closed: Summary; atClose: Batch; wire: () => Record<string, unknown> } => {
    const b = batch('binary', 1000, 21, { segments: [''] });
    const { atClose, late } = split(b, 22);
    const c = correctionOf(summarize({ ...late, window: WINDOW })[0]!);
    const closed = summarize({ ...atClose, window: WINDOW })[0]!;
    return { c, closed, atClose, wire: () => JSON.parse(serializeSummary(c)) as Record<string, unknown> };
  };
  const fails = (input: unknown, argument: string | RegExp): void => {
    let error: unknown;
    try {
      parseSummary(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('INVALID_SUMMARY');
    expect((error as InputError).argument).toMatch(argument);
  };

  it('a correction with predictions is refused (count must be 0)', () => {
    // Only a correction may carry labels without predictions; one claiming predictions could double them.
    fails({ ...setup().wire(), count: 3 }, 'summary.count');
  });

  it('a correction without labels is refused', () => {
    fails({ ...setup().wire(), labeled: 0 }, 'summary.labeled');
  });

  it('an unknown kind is refused', () => {
    const { wire, closed } = setup();
    fails({ ...wire(), kind: 'delta' }, 'summary.kind');
    fails({ ...(JSON.parse(serializeSummary(closed)) as object), kind: 7 }, 'summary.kind');
  });

  it('without the correction mark, labels without predictions are refused as before', () => {
    const w = setup().wire();
    delete w['kind'];
    fails(w, 'summary.labeled');
  });

  it('label-side sums must still add up in a correction (confusion cells = labeled)', () => {
    const { wire, c } = setup();
    fails({ ...wire(), labeled: c.labeled + 1 }, 'summary.confusion.cells');
  });

  it('merging a correction whose labels outnumber the predictions it lands on is refused', () => {
    const { c, atClose } = setup();
    // A window of 10 unlabeled predictions cannot take the correction's labels.
    const head = pick({ ...atClose, labels: new Float64Array(atClose.labels.length).fill(NaN) }, Array.from({ length: 10 }, (_, i) => i));
    const small = summarize({ ...head, window: WINDOW })[0]!;
    expect(c.labeled).toBeGreaterThan(10);
    let error: unknown;
    try {
      mergeSummaries(small, c);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe('merged.labeled');
  });

  it('correctionOf refuses a summary with no labels', () => {
    const { atClose } = setup();
    expect(() => correctionOf(summarize({ ...atClose, labels: new Float64Array(atClose.labels.length).fill(NaN), window: WINDOW })[0]!)).toThrow(InputError);
  });
});
