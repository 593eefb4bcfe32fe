// Ranking metrics against a direct oracle with set semantics.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  init, ndcgAtK, precisionAtK, rankingMetrics, recallAtK, reciprocalRank,
} from '../../../src/index.js';
import type { Item, Relevance } from '../../../src/index.js';
import * as o from '../../support/oracle.js';
import { close, runs } from './helpers.js';

beforeAll(() => init());

// Small item universes so that hits, misses and duplicates are all common.
const numItem = fc.integer({ min: 0, max: 12 });
const strItem = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '1', '2');

type Form = 'array' | 'set' | 'map' | 'object';

interface Case {
  relevant: Relevance;
  gains: Map<Item, number>;
  ranked: Item[];
  k: number;
}

/** A query with relevance in one of the accepted forms (graded gains for maps and objects). */
const query = (item: fc.Arbitrary<Item>, forms: Form[]): fc.Arbitrary<Case> =>
  fc.tuple(
    fc.constantFrom(...forms),
    fc.array(fc.tuple(item, fc.constantFrom(0, 1, 2, 3, 0.5)), { maxLength: 8 }),
    fc.array(item, { maxLength: 15 }),
    fc.integer({ min: 1, max: 20 }),
  ).map(([form, rel, ranked, k]) => {
    let relevant: Relevance;
    if (form === 'array') relevant = rel.map(([i]) => i);
    else if (form === 'set') relevant = new Set(rel.map(([i]) => i));
    else if (form === 'map') relevant = new Map(rel);
    else relevant = Object.fromEntries(rel.map(([i, g]) => [String(i), g]));
    return { relevant, gains: o.gainsOf(relevant), ranked, k };
  });

const numericCase = query(numItem, ['array', 'set', 'map']);
const stringCase = query(strItem, ['array', 'set', 'map', 'object']);
const anyCase = fc.oneof(numericCase, stringCase);

describe('single-query ranking metrics', () => {
  it('precision@k, recall@k, NDCG@k (both ideals) and RR match the oracle', () => {
    fc.assert(fc.property(anyCase, ({ relevant, gains, ranked, k }) => {
      close(precisionAtK(relevant, ranked, k), o.precisionAtK(gains, ranked, k), 1e-12, 'precision@k');
      close(recallAtK(relevant, ranked, k), o.recallAtK(gains, ranked, k), 1e-12, 'recall@k');
      close(ndcgAtK(relevant, ranked, k), o.ndcgAtK(gains, ranked, k), 1e-12, 'ndcg@k');
      close(ndcgAtK(relevant, ranked, k, { ideal: 'relevant' }), o.ndcgAtK(gains, ranked, k), 1e-12, 'ndcg@k relevant');
      close(ndcgAtK(relevant, ranked, k, { ideal: 'retrieved' }), o.ndcgAtK(gains, ranked, k, 'retrieved'), 1e-12, 'ndcg@k retrieved');
      close(reciprocalRank(relevant, ranked), o.reciprocalRank(gains, ranked), 1e-12, 'RR');
    }), runs(400));
  });

  it('NDCG lies in [0, 1]; recall and NDCG are 0 without relevant items', () => {
    fc.assert(fc.property(anyCase, ({ relevant, gains, ranked, k }) => {
      for (const ideal of ['relevant', 'retrieved'] as const) {
        const v = ndcgAtK(relevant, ranked, k, { ideal });
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1 + 1e-15);
      }
      if (gains.size === 0) {
        expect(recallAtK(relevant, ranked, k)).toBe(0);
        expect(ndcgAtK(relevant, ranked, k)).toBe(0);
        expect(precisionAtK(relevant, ranked, k)).toBe(0);
        expect(reciprocalRank(relevant, ranked)).toBe(0);
      }
    }), runs(200));
  });

  it('worked examples of the semantics', () => {
    // Duplicates count once, at their first position; precision divides by k.
    expect(precisionAtK([1], [1, 1, 1], 3)).toBe(1 / 3);
    expect(precisionAtK(['a', 'b'], ['a'], 5)).toBe(1 / 5);
    expect(recallAtK(['a', 'b'], ['a', 'a', 'b'], 2)).toBe(1 / 2);
    // The ideal of all relevant items penalises misses; the retrieved ideal does not.
    expect(ndcgAtK([1, 2], [1], 2)).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 15);
    expect(ndcgAtK([1, 2], [1], 2, { ideal: 'retrieved' })).toBe(1);
    // Numbers and strings are distinct items.
    expect(precisionAtK([1], ['1'], 1)).toBe(0);
    expect(reciprocalRank(new Set(['x']), ['a', 'b', 'x'])).toBe(1 / 3);
  });

  it('precision@k divides by k even when k is far beyond the list', () => {
    const k = 2 ** 40;
    expect(precisionAtK(['a'], ['a'], k)).toBe(1 / k);
    expect(recallAtK(['a'], ['a'], k)).toBe(1);
    expect(ndcgAtK(['a'], ['a'], k)).toBe(1);
    expect(rankingMetrics([{ relevant: ['a'], ranked: ['a'] }], k).precisionAtK).toBe(1 / k);
  });
});

describe('rankingMetrics', () => {
  it('is the mean of the single-query metrics', () => {
    const arb = fc.tuple(fc.array(anyCase, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20 }), fc.constantFrom('relevant', 'retrieved') as fc.Arbitrary<'relevant' | 'retrieved'>);
    fc.assert(fc.property(arb, ([cases, k, ideal]) => {
      const r = rankingMetrics(cases.map((c) => ({ relevant: c.relevant, ranked: c.ranked })), k, { ideal });
      const q = cases.length;
      const mean = (f: (c: Case) => number): number => o.sum(cases.map(f)) / q;
      expect(r.queries).toBe(q);
      expect(r.k).toBe(k);
      close(r.precisionAtK, mean((c) => o.precisionAtK(c.gains, c.ranked, k)), 1e-12, 'P@k');
      close(r.recallAtK, mean((c) => o.recallAtK(c.gains, c.ranked, k)), 1e-12, 'R@k');
      close(r.ndcgAtK, mean((c) => o.ndcgAtK(c.gains, c.ranked, k, ideal)), 1e-12, 'NDCG@k');
      close(r.mrr, mean((c) => o.reciprocalRank(c.gains, c.ranked)), 1e-12, 'MRR');
      const empty = cases.filter((c) => c.gains.size === 0).length;
      expect(r.queriesWithoutRelevant).toBe(empty);
      expect(r.warnings.map((w) => w.code)).toEqual(empty > 0 ? ['NO_RELEVANT_ITEMS'] : []);
    }), runs(200));
  });
});
