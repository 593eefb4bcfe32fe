// parseSummary checks that a summary's numbers can belong together, not only
// their types ([fleet-trust] issue #11): sums within count x [min, max], sums
// of squares non-negative and consistent, regression sums that real rows can
// have; and a merge whose sums would overflow is refused (MERGE_OVERFLOW)
// instead of producing an Infinity that no later merge can repair.
import { beforeAll, describe, expect, it } from 'vitest';
import { ExpHistogram, InputError, init, parseSummary, summarize, summaryToJSON } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import type { DecodeBudget } from '../../../src/summary/index.js';
import { packCounts, parseSummaryWithin } from '../../../src/summary/index.js';
import { batch } from './data.js';

beforeAll(async () => {
  await init();
});

const WINDOW = { start: 1_700_000_000_000, end: 1_700_000_000_000 + 3_600_000 };

function one(task: 'binary' | 'regression', n: number, seed = 1): Summary {
  return summarize({ ...batch(task, n, seed, { segments: [''] }), window: WINDOW })[0]!;
}

// Loose on purpose: the tests write impossible values into any field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** The JSON form of a summary, deep-copied so a test may edit it. */
function json(s: Summary): Loose {
  return JSON.parse(JSON.stringify(summaryToJSON(s))) as Loose;
}

function rejects(o: unknown, code: string, argument: string | RegExp): InputError {
  let error: unknown;
  try {
    parseSummary(o);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  const e = error as InputError;
  expect(e.code).toBe(code);
  if (typeof argument === 'string') expect(e.argument).toBe(argument);
  else expect(e.argument).toMatch(argument);
  return e;
}

describe('parseSummary: consistency of sums', () => {
  it('accepts what summarize builds (binary and regression)', () => {
    expect(parseSummary(json(one('binary', 500))).count).toBe(500);
    expect(parseSummary(json(one('regression', 500))).regression!.n).toBeGreaterThan(0);
  });

  it('refuses a latency sum of 1e300 when every latency is at most max', () => {
    const o = json(one('binary', 200));
    expect(o['latency'].max).toBeLessThan(2000);
    o['latency'].sum = [1e300, 0];
    const e = rejects(o, 'INVALID_SUMMARY', 'summary.latency.sum');
    expect(e.message).toMatch(/sum to between/);
  });

  it('refuses a sum below count x min', () => {
    const o = json(one('binary', 200));
    o['latency'].sum = [o['latency'].min * o['latency'].count * 0.5, 0];
    rejects(o, 'INVALID_SUMMARY', 'summary.latency.sum');
  });

  it('refuses a negative sum of squares', () => {
    const o = json(one('binary', 200));
    o['confidence'].sumSq = [-1, 0];
    rejects(o, 'INVALID_SUMMARY', 'summary.confidence.sumSq');
  });

  it('refuses a sum of squares below sum^2 / n (no real values have it)', () => {
    const o = json(one('binary', 200));
    const [s] = o['latency'].sum as [number, number];
    o['latency'].sumSq = [(s * s) / o['latency'].count / 2, 0];
    rejects(o, 'INVALID_SUMMARY', 'summary.latency.sumSq');
  });

  it('refuses a sum of squares above n x max^2', () => {
    const o = json(one('binary', 200));
    o['latency'].sumSq = [o['latency'].count * o['latency'].max ** 2 * 2, 0];
    rejects(o, 'INVALID_SUMMARY', 'summary.latency.sumSq');
  });

  it('refuses non-zero sums on an empty sketch', () => {
    const o = json(one('binary', 200));
    o['feedbackDelay'] = { ...o['feedbackDelay'], count: 0, zeroCount: 0, min: null, max: null, sum: [5, 0], sumSq: [25, 0], positive: { offset: 0, counts: '' }, negative: { offset: 0, counts: '' } };
    rejects(o, 'INVALID_SUMMARY', 'summary.feedbackDelay.sum');
  });

  it('refuses classification confidences outside [0, 1] and negative label delays', () => {
    const o = json(one('binary', 200));
    o['confidence'].max = 3;
    rejects(o, 'INVALID_SUMMARY', /summary\.confidence/);
    const d = json(one('binary', 200));
    expect(d['feedbackDelay'].count).toBeGreaterThan(0);
    d['feedbackDelay'].min = -5;
    rejects(d, 'INVALID_SUMMARY', 'summary.feedbackDelay.min');
  });

  it.each([
    ['sumAbsE', (r: Record<string, number>) => { r['sumAbsE'] = r['n']! * r['maxAbsE']! * 3; }],
    ['sumE2', (r: Record<string, number>) => { r['sumE2'] = -1; }],
    ['sumE', (r: Record<string, number>) => { r['sumE'] = r['sumAbsE']! * 2 + 1; }],
    ['sumY2', (r: Record<string, number>) => { r['sumY2'] = 0; }],
    ['maxAbsE', (r: Record<string, number>) => { r['maxAbsE'] = r['maxAbsE']! * 2; }],
    ['sumApe', (r: Record<string, number>) => { r['sumApe'] = 1.5e308; }],
  ])('refuses regression sums real rows cannot have (%s)', (field, edit) => {
    const o = json(one('regression', 300));
    edit(o['regression']);
    rejects(o, 'INVALID_SUMMARY', new RegExp(`^summary\\.regression\\.(${field}|sumE2|sumAbsE)$`));
  });

  it('keeps labeled <= count in one named rule (checkLabeledWithinCount)', () => {
    const o = json(one('binary', 200));
    o['labeled'] = o['count'] + 1;
    rejects(o, 'INVALID_SUMMARY', 'summary.labeled');
  });
});

describe('merging: overflow is refused, never stored', () => {
  it('two sketches whose sums add past the largest double: MERGE_OVERFLOW, inputs unchanged', () => {
    const a = new ExpHistogram().insert([1.5e308]);
    const b = new ExpHistogram().insert([1.5e308]);
    let error: unknown;
    try {
      ExpHistogram.merge(a, b);
    } catch (e) {
      error = e;
    }
    expect((error as InputError).code).toBe('MERGE_OVERFLOW');
    expect((error as InputError).argument).toBe('b.sum');
    expect(a.sum).toBe(1.5e308);
    expect(b.count).toBe(1);
  });

  it('a summary claiming latency.sum 1.5e308 is refused before any merge (its values have no finite sum of squares)', () => {
    const o = json(one('binary', 50));
    o['latency'].sum = [1.5e308, 0];
    o['latency'].max = 1.5e308;
    rejects(o, 'INVALID_SUMMARY', 'summary.latency.sumSq');
  });
});

describe('parseSummary: a decode budget bounds what packed counts expand to', () => {
  it('a 3-byte run of 16,384 empty buckets spends the budget; past it: BODY_TOO_COMPLEX', () => {
    const o = json(one('binary', 50));
    o['latency'].maxSize = 16384;
    const run = packCounts(new Float64Array(16384));
    expect(run.length).toBeLessThan(8);
    o['latency'].negative = { offset: 0, counts: run };
    const budget: DecodeBudget = { counts: 20_000 };
    expect(() => parseSummaryWithin(o, budget)).not.toThrow();
    expect(budget.counts).toBeLessThan(20_000 - 16384);
    let error: unknown;
    try {
      parseSummaryWithin(o, budget);
    } catch (e) {
      error = e;
    }
    expect((error as InputError).code).toBe('BODY_TOO_COMPLEX');
  });
});
