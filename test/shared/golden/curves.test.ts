// rocCurve and precisionRecallCurve against sklearn 1.2.1's roc_curve and
// precision_recall_curve, whole arrays (thresholds[0] = +Infinity as in
// sklearn >= 1.3; see scripts/gen_fixtures.py).
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/curves.json';
import { init, precisionRecallCurve, rocCurve } from '../../../src/index.js';
import { genBinary } from '../../support/gen.js';
import { f64, Golden, type BinaryGen, type Encoded, type FixtureFile } from './close.js';

interface Roc {
  fpr: Encoded[];
  tpr: Encoded[];
  thresholds: Encoded[];
  warnings?: string[];
}

interface CurveCase {
  name: string;
  gen?: BinaryGen;
  input?: { yTrue: number[]; yScore: number[] };
  expected: {
    roc: Roc;
    rocAll?: Roc;
    pr: { precision: Encoded[]; recall: Encoded[]; thresholds: Encoded[]; warnings: string[] };
  };
}

const curves = fixture as unknown as FixtureFile<CurveCase>;
const g = new Golden('curves');

beforeAll(() => init());

describe('rocCurve and precisionRecallCurve match scikit-learn', () => {
  it.each(curves.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    let yTrue: Float64Array, yScore: Float64Array;
    if (c.input) [yTrue, yScore] = [f64(c.input.yTrue), f64(c.input.yScore)];
    else ({ yTrue, score: yScore } = genBinary(c.gen!));
    const e = c.expected;
    const roc = rocCurve(yTrue, yScore);
    g.expectArrayClose(roc.thresholds, e.roc.thresholds, c.name, 'roc.thresholds', 0);
    g.expectArrayClose(roc.fpr, e.roc.fpr, c.name, 'roc.fpr');
    g.expectArrayClose(roc.tpr, e.roc.tpr, c.name, 'roc.tpr');
    g.expectEqual(roc.warnings.map((w) => w.code), e.roc.warnings, c.name, 'roc.warnings');
    if (e.rocAll) {
      const all = rocCurve(yTrue, yScore, { dropIntermediate: false });
      g.expectArrayClose(all.thresholds, e.rocAll.thresholds, c.name, 'rocAll.thresholds', 0);
      g.expectArrayClose(all.fpr, e.rocAll.fpr, c.name, 'rocAll.fpr');
      g.expectArrayClose(all.tpr, e.rocAll.tpr, c.name, 'rocAll.tpr');
    }
    const pr = precisionRecallCurve(yTrue, yScore);
    g.expectArrayClose(pr.thresholds, e.pr.thresholds, c.name, 'pr.thresholds', 0);
    g.expectArrayClose(pr.precision, e.pr.precision, c.name, 'pr.precision');
    g.expectArrayClose(pr.recall, e.pr.recall, c.name, 'pr.recall');
    g.expectEqual(pr.warnings.map((w) => w.code), e.pr.warnings, c.name, 'pr.warnings');
  });
});

afterAll(() => {
  console.log(g.summary());
});
