import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ExpHistogram, InputError, init, mergeSummaries, packCounts, parseSummary, serializeSummary, summarize, summaryMetrics, summaryToJSON, unpackCounts,
} from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { batch } from './data.js';

beforeAll(async () => {
  await init();
});

const WINDOW = { start: 1_700_000_000_000, end: 1_700_000_000_000 + 3_600_000 };

function one(task: 'binary' | 'multiclass' | 'regression' | 'ranking', n: number, seed = 1): Summary {
  return summarize({ ...batch(task, n, seed, { segments: [''] }), window: WINDOW })[0]!;
}

/** [kind, m] tokens (0 repeat, 1 up, 2 down) as base64url, written independently of packCounts. */
function rawTokens(tokens: Array<[number, number]>): string {
  const bytes: number[] = [];
  for (const [kind, m] of tokens) {
    let rest = Math.floor(m / 32);
    bytes.push((rest > 0 ? 128 : 0) | (kind << 5) | (m % 32));
    while (rest > 0) {
      bytes.push((rest >= 128 ? 128 : 0) | (rest % 128));
      rest = Math.floor(rest / 128);
    }
  }
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function rejection(input: unknown): InputError {
  try {
    parseSummary(input);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('parseSummary accepted the input');
}

describe('packed counts', () => {
  it('round-trip any non-negative integers, with zero runs', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.nat(300), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), { maxLength: 500 }),
      (xs) => { expect(Array.from(unpackCounts(packCounts(xs), 500, 'c'))).toEqual(xs); },
    ));
  });

  it('reject malformed, truncated and oversized input', () => {
    expect(() => unpackCounts('AB*C', 10, 'c')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY', argument: 'c[2]' }));
    // A step of 100 takes two bytes; the first alone ends inside the number.
    const two = packCounts([100]);
    expect(() => unpackCounts(two.slice(0, 2), 10, 'c')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY' }));
    // One token asking for 2^40 zeros must fail before allocating them.
    expect(() => unpackCounts(rawTokens([[0, 2 ** 40]]), 40, 'c')).toThrow(/more than 40/);
    expect(() => unpackCounts(rawTokens([[1, 2 ** 60]]), 40, 'c')).toThrow(/above 2\^53/);
    expect(Array.from(unpackCounts(rawTokens([[0, 3], [1, 4], [0, 2], [2, 1]]), 40, 'c'))).toEqual([0, 0, 0, 4, 4, 4, 3]);
    expect(() => unpackCounts(rawTokens([[1, 4], [2, 5]]), 40, 'c')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY', argument: 'c[1]' }));
    expect(() => unpackCounts(rawTokens([[3, 1]]), 40, 'c')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY', argument: 'c[0]' }));
    expect(() => unpackCounts(rawTokens([[1, 0]]), 40, 'c')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY', argument: 'c[0]' }));
    expect(() => unpackCounts(42, 10, 'c')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY', argument: 'c' }));
  });
});

describe('serializeSummary / parseSummary', () => {
  it.each(['binary', 'multiclass', 'regression', 'ranking'] as const)('%s round-trips to an equal summary with equal metrics', (task) => {
    const s = one(task, 3000);
    const text = serializeSummary(s);
    const back = parseSummary(text);
    expect(serializeSummary(back)).toBe(text);
    expect(summaryMetrics(back)).toEqual(summaryMetrics(s));
    expect(parseSummary(JSON.parse(text))).toEqual(back);
  });

  it('keeps one window of one binary model within 8 KB', () => {
    for (const n of [1000, 10_000, 100_000]) {
      const text = serializeSummary(one('binary', n, 3));
      expect(new TextEncoder().encode(text).length, `${n} rows`).toBeLessThanOrEqual(8192);
    }
  });

  it('parsed summaries merge like the originals', () => {
    const a = one('binary', 2000, 5), b = one('binary', 2000, 6);
    expect(serializeSummary(mergeSummaries(parseSummary(serializeSummary(a)), parseSummary(serializeSummary(b)))))
      .toBe(serializeSummary(mergeSummaries(a, b)));
  });

  const base = (): Record<string, unknown> => summaryToJSON(one('binary', 500, 2)) as Record<string, unknown>;
  // The wire form is untyped JSON: the mutations below reach into it freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const hostile: Array<[string, (o: Record<string, any>) => unknown, string, string]> = [
    ['unknown version', (o) => { o.version = 2; }, 'UNSUPPORTED_VERSION', 'summary.version'],
    ['missing version', (o) => { delete o.version; }, 'UNSUPPORTED_VERSION', 'summary.version'],
    ['wrong format', (o) => { o.format = 'x'; }, 'INVALID_SUMMARY', 'summary.format'],
    ['negative count', (o) => { o.count = -3; }, 'INVALID_SUMMARY', 'summary.count'],
    ['fractional count', (o) => { o.labeled = 1.5; }, 'INVALID_SUMMARY', 'summary.labeled'],
    ['negative bucket count', (o) => { o.latencyBuckets[2] = -1; }, 'INVALID_SUMMARY', 'summary.latencyBuckets[2]'],
    ['NaN as a string', (o) => { o.window.start = 'NaN'; }, 'INVALID_SUMMARY', 'summary.window.start'],
    ['null sum', (o) => { o.latency.sum = [null, 0]; }, 'INVALID_SUMMARY', 'summary.latency.sum[0]'],
    ['oversized class list', (o) => { o.predicted.classes = Array.from({ length: 300 }, (_, i) => i); }, 'INVALID_SUMMARY', 'summary.predicted.classes'],
    ['oversized bucket array', (o) => { o.latency.positive.counts = packCounts(new Array(3000).fill(1)); }, 'INVALID_SUMMARY', 'summary.latency.positive.counts'],
    ['scale out of range', (o) => { o.latency.scale = 21; }, 'INVALID_SUMMARY', 'summary.latency.scale'],
    ['buckets outside the range of their scale', (o) => { o.confidence.scale = -10; }, 'INVALID_SUMMARY', 'summary.confidence.positive.offset'],
    ['bucket counts disagree with count', (o) => { o.latency.count += 1; }, 'INVALID_SUMMARY', 'summary.latency.count'],
    ['confusion disagrees with labeled', (o) => { o.labeled -= 1; }, 'INVALID_SUMMARY', 'summary.confusion.cells'],
    ['histogram bins mismatch', (o) => { o.scores.bins = 10; }, 'INVALID_SUMMARY', 'summary.scores.positive'],
    ['unknown task', (o) => { o.task = 'clustering'; }, 'INVALID_SUMMARY', 'summary.task'],
    ['regression part in a binary summary', (o) => { o.regression = {}; }, 'INVALID_SUMMARY', 'summary.regression.n'],
    ['not base64', (o) => { o.scores.positive = '!!!'; }, 'INVALID_SUMMARY', 'summary.scores.positive[0]'],
    ['huge name', (o) => { o.model = 'x'.repeat(1000); }, 'INVALID_SUMMARY', 'summary.model'],
    ['array instead of object', () => [], 'INVALID_SUMMARY', 'summary'],
  ];
  it.each(hostile)('rejects %s', (_name, mutate, code, argument) => {
    const o = base();
    const replaced = mutate(o);
    const err = rejection(replaced === undefined ? JSON.stringify(o) : replaced);
    expect(err).toMatchObject({ code, argument });
  });

  it('rejects truncated and oversized text', () => {
    const text = serializeSummary(one('binary', 500, 2));
    for (const cut of [1, 10, text.length / 2, text.length - 1]) {
      expect(rejection(text.slice(0, Math.floor(cut)))).toMatchObject({ code: 'INVALID_SUMMARY', argument: 'summary' });
    }
    expect(rejection(' '.repeat(5 * 1024 * 1024))).toMatchObject({ code: 'INVALID_SUMMARY', argument: 'summary' });
  });

  it('serializes an empty sketch with null min and max', () => {
    const s = one('binary', 200);
    s.feedbackDelay = new ExpHistogram({ maxScale: 6 });
    const o = JSON.parse(serializeSummary(s));
    expect(o.feedbackDelay.min).toBeNull();
    expect(parseSummary(o).feedbackDelay.count).toBe(0);
  });
});
