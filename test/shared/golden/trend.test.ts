// linearTrend against scipy.stats.linregress (scipy 1.10): every field,
// p-values compared relatively however small.
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/trend.json';
import { init, linearTrend, type TrendResult } from '../../../src/index.js';
import { genTrend, type TrendParams } from '../../support/gen.js';
import { f64, Golden, type Encoded, type FixtureFile } from './close.js';

const FIELDS = ['slope', 'intercept', 'r', 'rSquared', 'pValue', 'stderr', 'interceptStderr'] as const;

interface TrendCase {
  name: string;
  gen?: TrendParams;
  input?: { values: number[]; x?: number[] };
  expected: Record<(typeof FIELDS)[number], Encoded> & {
    n: number;
    /** 256-bit values of fields where scipy's float64 result is > 1e-12 off (see the generator). */
    exact?: Partial<Record<(typeof FIELDS)[number], Encoded>>;
    tolerance?: Partial<Record<(typeof FIELDS)[number], number>>;
    /** 256-bit values of every field the data defines (modelwatch's own accuracy). */
    truth: Partial<Record<(typeof FIELDS)[number], Encoded>>;
    truthTolerance?: { intercept: number };
  };
}

const trend = fixture as unknown as FixtureFile<TrendCase>;
const g = new Golden('trend (vs scipy)');
const all256 = new Golden('trend (vs 256-bit, every case)');
const exact256 = new Golden('trend (vs 256-bit, where scipy itself is > 1e-12 off)');

function check(c: TrendCase): void {
  let y: Float64Array, x: Float64Array | undefined;
  if (c.input) [y, x] = [f64(c.input.values), c.input.x && f64(c.input.x)];
  else ({ y, x } = genTrend(c.gen!));
  const r: TrendResult = linearTrend(y, x ? { x } : {});
  g.expectEqual(r.n, c.expected.n, c.name, 'n');
  for (const k of FIELDS) {
    const exact = c.expected.exact?.[k];
    if (exact === undefined) g.expectClose(r[k], c.expected[k], c.name, k);
    else exact256.expectClose(r[k], exact, c.name, k, c.expected.tolerance![k]);
    const truth = c.expected.truth[k];
    if (truth !== undefined && truth !== 0) {
      all256.expectClose(r[k], truth, c.name, k, k === 'intercept' ? c.expected.truthTolerance!.intercept : 1e-9);
    }
  }
}

beforeAll(() => init());

describe('linearTrend matches scipy.stats.linregress', () => {
  it('generated cases', () => {
    for (const c of trend.cases.filter((x) => x.gen)) check(c);
  });
  it.each(trend.cases.filter((c) => c.input).map((c) => [c.name, c] as const))('%s', (_, c) => check(c));
});

afterAll(() => {
  console.log(g.summary());
  console.log(exact256.summary());
  console.log(all256.summary());
});
