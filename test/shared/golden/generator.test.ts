// The TypeScript generators must reproduce scripts/gen_fixtures.py bit for
// bit, or every golden comparison would test different inputs.
import { describe, expect, it } from 'vitest';
import fixture from '../../fixtures/golden/generator.json';
import {
  genBinary, genLatency, genMulticlass, genRanking, genRegression, genSegments, genTrend, Rng,
  type BinaryParams, type LatencyParams, type MulticlassParams, type RankingParams, type RegressionParams,
  type SegmentParams, type TrendParams,
} from '../../support/gen.js';
import { decode, type Encoded } from './close.js';

interface Case {
  name: string;
  gen?: unknown;
  values: unknown;
}
const cases = (fixture as unknown as { cases: Case[] }).cases;
const byName = (name: string): Case => cases.find((c) => c.name === name)!;

/** Bit-exact comparison (Object.is distinguishes -0 and matches NaN). */
function same(actual: ArrayLike<number>, expected: readonly Encoded[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Object.is(actual[i], decode(expected[i]!)), `index ${i}: ${actual[i]} vs ${String(expected[i])}`).toBe(true);
}

describe('golden generators match scripts/gen_fixtures.py bit for bit', () => {
  it('mulberry32 and uniform()', () => {
    const rng = new Rng(42);
    expect(Array.from({ length: 8 }, () => rng.u32())).toEqual(byName('u32').values);
    same(Array.from({ length: 8 }, () => rng.uniform()), byName('uniform').values as Encoded[]);
  });

  it.each(['unit', 'heavy', 'wide'])('binary (%s)', (t) => {
    const c = byName(`binary-${t}`);
    const v = c.values as Record<string, Encoded[]>;
    const g = genBinary(c.gen as BinaryParams);
    same(g.yTrue, v['yTrue']!);
    same(g.yPred, v['yPred']!);
    same(g.score, v['score']!);
  });

  it('multiclass with a probability matrix', () => {
    const c = byName('multiclass');
    const v = c.values as { yTrue: Encoded[]; yPred: Encoded[]; prob: Encoded[][] };
    const g = genMulticlass(c.gen as MulticlassParams);
    same(g.yTrue, v.yTrue);
    same(g.yPred, v.yPred);
    expect(g.prob?.length).toBe(v.prob.length);
    g.prob!.forEach((row, i) => same(row, v.prob[i]!));
  });

  it.each(['uniform', 'ties', 'heavy', 'cubic', 'sqrt'])('regression and latency (%s)', (d) => {
    const r = byName(`regression-${d}`);
    const g = genRegression(r.gen as RegressionParams);
    same(g.yTrue, (r.values as Record<string, Encoded[]>)['yTrue']!);
    same(g.yPred, (r.values as Record<string, Encoded[]>)['yPred']!);
    const l = byName(`latency-${d}`);
    same(genLatency(l.gen as LatencyParams), l.values as Encoded[]);
  });

  it('segments', () => {
    const c = byName('segments');
    expect(genSegments(c.gen as SegmentParams)).toEqual(c.values);
  });

  it.each(['default', 'uniform', 'ties', 'shifted'])('trend (x %s)', (xk) => {
    const c = byName(`trend-${xk}`);
    const v = c.values as { x: Encoded[] | null; y: Encoded[] };
    const g = genTrend(c.gen as TrendParams);
    same(g.y, v.y);
    if (v.x === null) expect(g.x).toBeUndefined();
    else same(g.x!, v.x);
  });

  it.each([false, true])('ranking (duplicates %s)', (dup) => {
    const c = byName(`ranking-dup${dup ? 'True' : 'False'}`);
    const g = genRanking(c.gen as RankingParams);
    expect(g.map((q) => ({ relevant: [...q.relevant.entries()], ranked: q.ranked }))).toEqual(c.values);
  });
});
