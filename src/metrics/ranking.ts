// Ranking metrics for recommendation-style models. Item identity is resolved
// here (items may be numbers or strings); the kernel gets per-rank gains.
import { InputError } from '../errors.js';
import { describe, options as optionsOf, requireK } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import type { MetricWarning, RankingResult } from './types.js';

export type Item = number | string;

/**
 * The relevant items of a query: a list or set (binary relevance, gain 1), or
 * a map / plain object from item to graded gain (> 0 relevant, 0 not).
 */
export type Relevance = Iterable<Item> | ReadonlyMap<Item, number> | Readonly<Record<string, number>>;

export interface RankingQuery {
  relevant: Relevance;
  /** Items as the model ranked them, best first. */
  ranked: ArrayLike<Item>;
}

export interface RankingOptions {
  /**
   * Ideal ranking for NDCG. 'relevant' (default, standard NDCG and sklearn's
   * ndcg_score): the best k of all relevant items. 'retrieved': the spec
   * chapter's sketch, which re-sorts only the retrieved top k and so scores 1
   * whenever retrieved hits come first, however many relevant items were missed.
   */
  ideal?: 'relevant' | 'retrieved';
}

function gains(relevant: Relevance, name: string): Map<Item, number> {
  const out = new Map<Item, number>();
  const add = (item: unknown, gain: unknown, where: string): void => {
    if (typeof item !== 'number' && typeof item !== 'string') {
      throw new InputError('NOT_NUMERIC', where, `is ${describe(item)}; items must be numbers or strings.`);
    }
    if (typeof gain !== 'number') {
      throw new InputError('NOT_NUMERIC', `${where} gain`, `is ${describe(gain)}; gains must be numbers >= 0.`);
    }
    if (!Number.isFinite(gain)) {
      throw new InputError('NON_FINITE', `${where} gain`, `is ${gain}; gains must be finite numbers >= 0.`);
    }
    if (gain < 0) {
      throw new InputError('NEGATIVE_VALUE', `${where} gain`, `is ${gain}; gains must be >= 0 (0 = not relevant).`);
    }
    if (gain > 0) out.set(item, gain);
  };
  if (relevant instanceof Map) {
    for (const [item, gain] of relevant) add(item, gain, `${name}[${String(item)}]`);
  } else if (relevant !== null && typeof relevant === 'object' && !(Symbol.iterator in relevant)) {
    for (const [item, gain] of Object.entries(relevant)) add(item, gain, `${name}.${item}`);
  } else if (relevant !== null && typeof relevant === 'object') {
    let i = 0;
    for (const item of relevant as Iterable<unknown>) add(item, 1, `${name}[${i++}]`);
  } else {
    throw new InputError('NOT_NUMERIC', name, `expected an array, Set, Map or object of relevant items, got ${describe(relevant)}.`);
  }
  return out;
}

/**
 * All four metrics for each query in one kernel call. Returns the per-query
 * values (4 per query: P@k, R@k, NDCG@k, RR) and the count without relevant items.
 */
function evaluate(queries: ArrayLike<RankingQuery>, k: number, ideal: 'relevant' | 'retrieved'): { values: Float64Array; empty: number } {
  const q = queries.length;
  const prepared: { gains: Map<Item, number>; ranked: ArrayLike<Item> }[] = [];
  // Rows only need as many ranks as the longest list or relevant set: k may
  // be far larger (precision@k still divides by k).
  let width = 1;
  for (let j = 0; j < q; j++) {
    const query = queries[j];
    const prefix = q === 1 ? '' : `queries[${j}].`;
    if (query === null || typeof query !== 'object') throw new InputError('NOT_NUMERIC', `queries[${j}]`, `is ${describe(query)}; pass { relevant, ranked }.`);
    const g = gains(query.relevant, `${prefix}relevant`);
    const ranked = query.ranked;
    if (ranked === null || typeof ranked !== 'object' || typeof ranked.length !== 'number') {
      throw new InputError('NOT_NUMERIC', `${prefix}ranked`, `is ${describe(ranked)}; pass the ranked items as an array.`);
    }
    for (let i = 0; i < ranked.length; i++) {
      const item = ranked[i];
      if (typeof item !== 'number' && typeof item !== 'string') {
        throw new InputError('NOT_NUMERIC', `${prefix}ranked[${i}]`, `is ${describe(item)}; items must be numbers or strings.`);
      }
    }
    width = Math.max(width, Math.min(k, Math.max(ranked.length, g.size)));
    prepared.push({ gains: g, ranked });
  }
  const gainRows = new Float64Array(q * width);
  const idealRows = new Float64Array(q * width);
  const relevantCounts = new Float64Array(q);
  const firstHit = new Int32Array(q).fill(-1);
  let empty = 0;
  prepared.forEach(({ gains: g, ranked }, j) => {
    relevantCounts[j] = g.size;
    if (g.size === 0) empty++;
    // Each item counts once, at its best rank (set semantics, as the spec chapter).
    const seen = new Set<Item>();
    const retrieved: number[] = [];
    for (let i = 0; i < ranked.length; i++) {
      const item = ranked[i]!;
      if (seen.has(item)) continue;
      seen.add(item);
      const gain = g.get(item) ?? 0;
      if (gain > 0 && firstHit[j] === -1) firstHit[j] = i;
      if (i < width) {
        gainRows[j * width + i] = gain;
        retrieved.push(gain);
      }
    }
    const best = (ideal === 'relevant' ? [...g.values()] : retrieved).sort((a, b) => b - a).slice(0, width);
    idealRows.set(best, j * width);
  });
  const values = withScope((s) => {
    const out = s.alloc(q * 32);
    const hits = s.alloc(q * 4);
    s.i32View().set(firstHit, hits >>> 2);
    s.k.ranking(q, k, width, s.f64(gainRows), s.f64(idealRows), s.f64(relevantCounts), hits, out);
    return s.readF64(out, q * 4);
  });
  return { values, empty };
}

function one(relevant: Relevance, ranked: ArrayLike<Item>, k: number, metric: number, ideal: 'relevant' | 'retrieved' = 'relevant'): number {
  return evaluate([{ relevant, ranked }], requireK(k), ideal).values[metric]!;
}

/** Relevant items among the top k, divided by k (also when fewer than k are ranked). */
export function precisionAtK(relevant: Relevance, ranked: ArrayLike<Item>, k: number): number {
  return one(relevant, ranked, k, 0);
}

/** Relevant items among the top k, divided by the number of relevant items (0 if none). */
export function recallAtK(relevant: Relevance, ranked: ArrayLike<Item>, k: number): number {
  return one(relevant, ranked, k, 1);
}

/** NDCG@k with linear gains (binary or graded) and 1/log2(rank + 1) discounts. */
export function ndcgAtK(relevant: Relevance, ranked: ArrayLike<Item>, k: number, options?: RankingOptions): number {
  return one(relevant, ranked, k, 2, idealOption(options));
}

/** 1 / rank of the first relevant item anywhere in the list (0 if none). */
export function reciprocalRank(relevant: Relevance, ranked: ArrayLike<Item>): number {
  // Reciprocal rank looks at the whole list: k = its length.
  return one(relevant, ranked, Math.max(1, ranked?.length ?? 1), 3);
}

function idealOption(options: RankingOptions | undefined): 'relevant' | 'retrieved' {
  const ideal = optionsOf(options, 'options').ideal ?? 'relevant';
  if (ideal !== 'relevant' && ideal !== 'retrieved') {
    throw new InputError('INVALID_OPTION', 'options.ideal', `is ${describe(ideal)}; use 'relevant' or 'retrieved'.`);
  }
  return ideal;
}

/** Means of precision@k, recall@k, NDCG@k and reciprocal rank over many queries. */
export function rankingMetrics(queries: ArrayLike<RankingQuery>, k: number, options?: RankingOptions): RankingResult {
  requireK(k);
  if (queries === null || typeof queries !== 'object' || typeof queries.length !== 'number') {
    throw new InputError('NOT_NUMERIC', 'queries', `is ${describe(queries)}; pass an array of { relevant, ranked }.`);
  }
  if (queries.length === 0) throw new InputError('EMPTY_INPUT', 'queries', 'is empty; pass at least one query.');
  const { values, empty } = evaluate(queries, k, idealOption(options));
  const q = queries.length;
  const mean = (m: number): number => {
    let sum = 0;
    for (let j = 0; j < q; j++) sum += values[j * 4 + m]!;
    return sum / q;
  };
  const warnings: MetricWarning[] = empty > 0
    ? [{ code: 'NO_RELEVANT_ITEMS', message: `${empty} of ${q} queries have no relevant items; they score 0 on every metric` }]
    : [];
  return { queries: q, k, precisionAtK: mean(0), recallAtK: mean(1), ndcgAtK: mean(2), mrr: mean(3), queriesWithoutRelevant: empty, warnings };
}
