// regressionMetrics and regressionMetricsBySegment against scikit-learn 1.2.1
// (mean_absolute_error, mean_squared_error, r2_score,
// mean_absolute_percentage_error x 100, max_error, median_absolute_error).
import { afterAll, beforeAll, describe, it } from 'vitest';
import regressionFixture from '../../fixtures/golden/regression.json';
import segmentFixture from '../../fixtures/golden/segments.json';
import { init, regressionMetrics, regressionMetricsBySegment, type RegressionResult } from '../../../src/index.js';
import { genRegression, genSegments, type RegressionParams, type SegmentParams } from '../../support/gen.js';
import { f64, Golden, type Encoded, type FixtureFile } from './close.js';

const FIELDS = ['mae', 'mse', 'rmse', 'r2Score', 'mape', 'maxError', 'medianError'] as const;
type Expected = Record<(typeof FIELDS)[number], Encoded> & { n: number; warnings: string[] };

interface RegressionCase {
  name: string;
  gen?: RegressionParams;
  input?: { yTrue: number[]; yPred: number[] };
  expected: Expected;
}

interface SegmentCase {
  name: string;
  gen: RegressionParams & SegmentParams;
  expected: { segment: number | string; metrics: Expected }[];
}

const regression = regressionFixture as unknown as FixtureFile<RegressionCase>;
const segments = segmentFixture as unknown as FixtureFile<SegmentCase>;
const g = new Golden('regression');

function check(r: RegressionResult, e: Expected, name: string): void {
  g.expectEqual(r.n, e.n, name, 'n');
  for (const k of FIELDS) g.expectClose(r[k], e[k], name, k);
  g.expectEqual(r.warnings.map((w) => w.code), e.warnings, name, 'warnings');
}

beforeAll(() => init());

describe('regressionMetrics matches scikit-learn 1.2.1', () => {
  it('generated cases', () => {
    for (const c of regression.cases.filter((x) => x.gen)) {
      const { yTrue, yPred } = genRegression(c.gen!);
      check(regressionMetrics(yTrue, yPred), c.expected, c.name);
    }
  });
  it.each(regression.cases.filter((c) => c.input).map((c) => [c.name, c] as const))('%s', (_, c) => {
    check(regressionMetrics(f64(c.input!.yTrue), f64(c.input!.yPred)), c.expected, c.name);
  });
});

describe('regressionMetricsBySegment matches scikit-learn per segment', () => {
  it.each(segments.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const { yTrue, yPred } = genRegression(c.gen);
    const result = regressionMetricsBySegment(yTrue, yPred, genSegments(c.gen));
    g.expectEqual([...result.keys()], c.expected.map((e) => e.segment), c.name, 'segment order');
    for (const e of c.expected) check(result.get(e.segment)!, e.metrics, `${c.name} segment ${JSON.stringify(e.segment)}`);
  });
});

afterAll(() => {
  console.log(g.summary());
});
