// Drift statistics against scipy 1.10 (ks_2samp statistic and p-value,
// wasserstein_distance, spatial.distance.jensenshannon, chisquare) and
// transcriptions of Evidently's binning, PSI, normalized Wasserstein and
// chi-square stattests (fixtures: scripts/gen_fixtures.py, drift_cases).
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/drift.json';
import { chiSquareClasses, driftBins, init, jensenShannonDistance, ksTest, normalizedWasserstein, psi, wassersteinDistance } from '../../../src/index.js';
import { genClasses, genSample, type ClassParams, type SampleParams } from '../../support/gen.js';
import { decode, f64, Golden, type Encoded, type FixtureFile } from './close.js';
import { core } from '../../../src/core/wasm.js';

interface DriftExpected {
  ks: { statistic: Encoded; pValue: Encoded; method: 'exact' | 'asymp' };
  wasserstein: Encoded;
  normalizedWasserstein: Encoded;
  bins: { kind: 'numeric' | 'categorical'; edges: Encoded[]; reference: Encoded[]; current: Encoded[] };
  psi: Encoded;
  jensenShannon: Encoded;
  chiSquare?: { statistic: Encoded; pValue: Encoded; dof: number; classes: number[] };
}

interface DriftCase {
  name: string;
  reference?: SampleParams;
  current?: SampleParams;
  classesReference?: ClassParams;
  classesCurrent?: ClassParams;
  input?: { reference: Encoded[]; current: Encoded[] };
  /** [n, x, scipy.stats.kstwo.sf(x, n)] rows. */
  kstwo?: [number, number, Encoded][];
  expected: DriftExpected;
}

const file = fixture as unknown as FixtureFile<DriftCase>;
const g = new Golden('drift');

function samples(c: DriftCase): [Float64Array, Float64Array] {
  if (c.input) return [f64(c.input.reference), f64(c.input.current)];
  if (c.classesReference) return [genClasses(c.classesReference), genClasses(c.classesCurrent!)];
  return [genSample(c.reference!), genSample(c.current!)];
}

beforeAll(() => init());

describe('drift statistics equal scipy 1.10 and Evidently', () => {
  it.each(file.cases.filter((c) => !c.kstwo).map((c) => [c.name, c] as const))('%s', (_, c) => {
    const [r, cur] = samples(c);
    const e = c.expected;
    const ks = ksTest(r, cur);
    g.expectClose(ks.statistic, e.ks.statistic, c.name, 'ks.statistic', 1e-15);
    g.expectClose(ks.pValue, e.ks.pValue, c.name, 'ks.pValue', 1e-12);
    g.expectEqual(ks.method, e.ks.method, c.name, 'ks.method');
    g.expectClose(wassersteinDistance(r, cur), e.wasserstein, c.name, 'wasserstein', 1e-12);
    g.expectClose(normalizedWasserstein(r, cur), e.normalizedWasserstein, c.name, 'normalizedWasserstein', 1e-12);
    const bins = driftBins(r, cur);
    g.expectEqual(bins.kind, e.bins.kind, c.name, 'bins.kind');
    g.expectArrayClose(bins.edges, e.bins.edges, c.name, 'bins.edges', 0);
    g.expectArrayClose(bins.reference, e.bins.reference, c.name, 'bins.reference', 0);
    g.expectArrayClose(bins.current, e.bins.current, c.name, 'bins.current', 0);
    g.expectClose(psi(r, cur).value, e.psi, c.name, 'psi', 1e-12);
    g.expectClose(jensenShannonDistance(r, cur).value, e.jensenShannon, c.name, 'jensenShannon', 1e-12);
    if (e.chiSquare) {
      const chi = chiSquareClasses(r, cur);
      g.expectEqual(chi.classes, e.chiSquare.classes, c.name, 'chi.classes');
      g.expectEqual(chi.dof, e.chiSquare.dof, c.name, 'chi.dof');
      g.expectClose(chi.statistic, e.chiSquare.statistic, c.name, 'chi.statistic', 1e-12);
      g.expectClose(chi.pValue, e.chiSquare.pValue, c.name, 'chi.pValue', 1e-9);
    }
  });
});

describe('the asymptotic KS p-value equals scipy.stats.kstwo.sf on every branch', () => {
  it('kstwo grid', () => {
    const grid = file.cases.find((c) => c.kstwo)!.kstwo!;
    for (const [n, x, e] of grid) {
      const expected = decode(e);
      // Below the smallest normal double scipy's result has fewer significant bits: compare absolutely.
      if (expected < 2.2250738585072014e-308) g.expectClose(core().kolmogorovSf(n, x) + 1, 1 + expected, `n=${n} x=${x}`, 'kstwo.sf (subnormal)', 0);
      else g.expectClose(core().kolmogorovSf(n, x), e, `n=${n} x=${x}`, 'kstwo.sf', 1e-12);
    }
  });
});

afterAll(() => {
  console.log(g.summary());
});
