// Ranking metrics against a transcription of the spec chapter's
// RankingMetrics (with modelwatch's two documented differences, see
// spec_ranking in scripts/gen_fixtures.py) and, for graded relevance, against
// sklearn.metrics.ndcg_score.
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/ranking.json';
import {
  init, ndcgAtK, precisionAtK, rankingMetrics, recallAtK, reciprocalRank, type Item, type RankingQuery, type Relevance,
} from '../../../src/index.js';
import { genRanking, type RankingParams } from '../../support/gen.js';
import { Golden, type Encoded, type FixtureFile } from './close.js';

interface RankingCase {
  name: string;
  gen?: RankingParams;
  input?: { queries: { relevant: Item[] | Record<string, number>; ranked: Item[] }[] };
  k: number;
  expected: {
    perQuery: Encoded[][];
    ndcgRetrieved: Encoded[];
    reciprocalRank: Encoded[];
    means: { queries: number; k: number; precisionAtK: Encoded; recallAtK: Encoded; ndcgAtK: Encoded; mrr: Encoded; queriesWithoutRelevant: number };
    meansRetrieved: { ndcgAtK: Encoded };
    warnings: string[];
    sklearnNdcg: (Encoded | null)[];
  };
}

const ranking = fixture as unknown as FixtureFile<RankingCase>;
const g = new Golden('ranking');

/** Generated queries pass relevance in every accepted form: Map, Set, array. */
function queries(c: RankingCase): RankingQuery[] {
  if (c.input) return c.input.queries;
  return genRanking(c.gen!).map((q, j): RankingQuery => {
    let relevant: Relevance = q.relevant;
    if (!c.gen!.graded) relevant = j % 2 === 0 ? new Set(q.relevant.keys()) : [...q.relevant.keys()];
    return { relevant, ranked: q.ranked };
  });
}

beforeAll(() => init());

describe('ranking metrics match the spec chapter and sklearn ndcg_score', () => {
  it.each(ranking.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const qs = queries(c);
    const e = c.expected;
    const k = c.k;
    qs.forEach((q, j) => {
      const [p, r, n] = e.perQuery[j]!;
      g.expectClose(precisionAtK(q.relevant, q.ranked, k), p!, c.name, `precisionAtK[${j}]`);
      g.expectClose(recallAtK(q.relevant, q.ranked, k), r!, c.name, `recallAtK[${j}]`);
      g.expectClose(ndcgAtK(q.relevant, q.ranked, k), n!, c.name, `ndcgAtK[${j}]`);
      g.expectClose(ndcgAtK(q.relevant, q.ranked, k, { ideal: 'retrieved' }), e.ndcgRetrieved[j]!, c.name, `ndcgAtK(retrieved)[${j}]`);
      g.expectClose(reciprocalRank(q.relevant, q.ranked), e.reciprocalRank[j]!, c.name, `reciprocalRank[${j}]`);
      const sk = e.sklearnNdcg[j];
      if (sk !== null && sk !== undefined) g.expectClose(ndcgAtK(q.relevant, q.ranked, k), sk, c.name, `ndcgAtK vs sklearn[${j}]`);
    });
    const m = rankingMetrics(qs, k);
    g.expectEqual([m.queries, m.k, m.queriesWithoutRelevant], [e.means.queries, e.means.k, e.means.queriesWithoutRelevant], c.name, 'counts');
    g.expectClose(m.precisionAtK, e.means.precisionAtK, c.name, 'mean precisionAtK');
    g.expectClose(m.recallAtK, e.means.recallAtK, c.name, 'mean recallAtK');
    g.expectClose(m.ndcgAtK, e.means.ndcgAtK, c.name, 'mean ndcgAtK');
    g.expectClose(m.mrr, e.means.mrr, c.name, 'mrr');
    g.expectEqual(m.warnings.map((w) => w.code), e.warnings, c.name, 'warnings');
    g.expectClose(rankingMetrics(qs, k, { ideal: 'retrieved' }).ndcgAtK, e.meansRetrieved.ndcgAtK, c.name, 'mean ndcgAtK(retrieved)');
  });
});

afterAll(() => {
  console.log(g.summary());
});
