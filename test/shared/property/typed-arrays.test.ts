// Every numeric input accepts plain arrays and typed arrays alike, with
// identical results. Values are small non-negative multiples of 1/4 or
// integers so that each array type represents them exactly.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classificationMetrics, init, latencySla, latencyStats, linearTrend, ndcgAtK, percentiles, precisionAtK,
  precisionRecallCurve, rankingMetrics, recallAtK, reciprocalRank, regressionMetrics, regressionMetricsBySegment,
  rocCurve, thresholdMetrics,
} from '../../../src/index.js';
import { runs } from './helpers.js';

beforeAll(() => init());

type Ctor = (xs: number[]) => ArrayLike<number>;
const INT_TYPES: Array<[string, Ctor]> = [
  ['number[]', (xs) => xs],
  ['Float64Array', (xs) => Float64Array.from(xs)],
  ['Float32Array', (xs) => Float32Array.from(xs)],
  ['Int32Array', (xs) => Int32Array.from(xs)],
  ['Uint8Array', (xs) => Uint8Array.from(xs)],
  ['Uint16Array', (xs) => Uint16Array.from(xs)],
  ['Int8Array', (xs) => Int8Array.from(xs)],
];
/** Types that hold fractions (probabilities, quarter-grid doubles). */
const FLOAT_TYPES = INT_TYPES.slice(0, 3);

const ints = (n: number, max: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max }), { minLength: n, maxLength: n });
const quarters = (n: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max: 400 }).map((i) => i / 4), { minLength: n, maxLength: n });
const probs = (n: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max: 8 }).map((i) => i / 8), { minLength: n, maxLength: n });

/** Runs f on each array type and expects the plain-array result from all of them. */
function same<T>(types: Array<[string, Ctor]>, f: (make: Ctor) => T): void {
  const base = f((xs) => xs);
  for (const [name, make] of types) expect(f(make), name).toEqual(base);
}

describe('typed arrays and plain arrays give identical results', () => {
  const n = fc.integer({ min: 2, max: 40 });

  it('classification: labels of any integer type, scores of any float type', () => {
    const arb = n.chain((len) => fc.tuple(ints(len, 1), ints(len, 1), probs(len), ints(len, 4), ints(len, 4)));
    fc.assert(fc.property(arb, ([t, p, s, mt, mp]) => {
      same(INT_TYPES, (make) => classificationMetrics(make(t), make(p)));
      same(INT_TYPES, (make) => classificationMetrics(make(mt), make(mp)));
      same(FLOAT_TYPES, (make) => classificationMetrics(Int32Array.from(t), Uint8Array.from(p), make(s)));
      same(FLOAT_TYPES, (make) => thresholdMetrics(make(t), make(s), make([0.25, 0.5])));
      same(FLOAT_TYPES, (make) => rocCurve(make(t), make(s)));
      same(FLOAT_TYPES, (make) => precisionRecallCurve(make(t), make(s)));
    }), runs(60));
  });

  it('multiclass probability matrices as typed rows or one flat typed array', () => {
    const rows = [[0.5, 0.25, 0.25], [0.125, 0.75, 0.125], [0, 0, 1], [0.5, 0.5, 0]];
    const y = [0, 1, 2, 1];
    same(FLOAT_TYPES, (make) => classificationMetrics(make(y), make(y), rows.map((r) => make(r))));
    same(FLOAT_TYPES, (make) => classificationMetrics(make(y), make(y), make(rows.flat())));
  });

  it('regression, latency, percentiles and trend', () => {
    const arb = n.chain((len) => fc.tuple(quarters(len), quarters(len), ints(len, 127), ints(len, 2)));
    fc.assert(fc.property(arb, ([t, p, lat, seg]) => {
      same(FLOAT_TYPES, (make) => regressionMetrics(make(t), make(p)));
      same(INT_TYPES, (make) => regressionMetrics(make(lat), make(seg)));
      same(FLOAT_TYPES, (make) => regressionMetricsBySegment(make(t), make(p), Int32Array.from(seg)));
      same(INT_TYPES, (make) => latencyStats(make(lat)));
      same(INT_TYPES, (make) => latencySla(make(lat), { p50Ms: 100, p99Ms: 150 }));
      same(INT_TYPES, (make) => percentiles(make(lat), make([0, 50, 90, 99, 100])));
      same(FLOAT_TYPES, (make) => linearTrend(make(t), { x: make(p.map((_, i) => i / 4)) }));
      same(INT_TYPES, (make) => linearTrend(make(lat)));
    }), runs(60));
  });

  it('ranking: ranked items as typed arrays, relevance as array, Set or Map of gain 1', () => {
    const arb = fc.tuple(ints(6, 9), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 12 }), fc.integer({ min: 1, max: 12 }));
    fc.assert(fc.property(arb, ([rel, ranked, k]) => {
      const forms = [rel, new Set(rel), new Map(rel.map((r) => [r, 1]))];
      for (const relevant of forms) {
        same(INT_TYPES, (make) => [
          precisionAtK(relevant, make(ranked), k), recallAtK(relevant, make(ranked), k), ndcgAtK(relevant, make(ranked), k),
          reciprocalRank(relevant, make(ranked)), rankingMetrics([{ relevant, ranked: make(ranked) }], k),
        ]);
        expect(ndcgAtK(relevant, ranked, k)).toBe(ndcgAtK(rel, ranked, k));
      }
    }), runs(100));
  });
});
