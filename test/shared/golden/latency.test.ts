// latencyStats and percentiles against numpy 1.24 (mean, std with ddof=0,
// min, max, percentile with the default linear method).
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/latency.json';
import { init, latencyStats, percentiles, type LatencyStats } from '../../../src/index.js';
import { genLatency, type LatencyParams } from '../../support/gen.js';
import { f64, Golden, type Encoded, type FixtureFile } from './close.js';

interface LatencyCase {
  name: string;
  gen?: LatencyParams;
  input?: { values: number[] };
  ps: number[];
  expected: { stats: Record<keyof LatencyStats, Encoded>; percentiles: Encoded[] };
}

const latency = fixture as unknown as FixtureFile<LatencyCase>;
const FIELDS = ['mean', 'std', 'min', 'max', 'p50', 'p75', 'p90', 'p95', 'p99'] as const;
const g = new Golden('latency');

function check(c: LatencyCase): void {
  const values = c.input ? f64(c.input.values) : genLatency(c.gen!);
  const s = latencyStats(values);
  g.expectEqual(s.count, c.expected.stats.count, c.name, 'count');
  for (const k of FIELDS) g.expectClose(s[k], c.expected.stats[k], c.name, k);
  g.expectArrayClose(percentiles(values, c.ps), c.expected.percentiles, c.name, 'percentiles');
}

beforeAll(() => init());

describe('latencyStats and percentiles match numpy', () => {
  it('generated cases', () => {
    for (const c of latency.cases.filter((x) => x.gen)) check(c);
  });
  it.each(latency.cases.filter((c) => c.input).map((c) => [c.name, c] as const))('%s', (_, c) => check(c));
});

afterAll(() => {
  console.log(g.summary());
});
