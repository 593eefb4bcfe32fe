// fitCbpe / Cbpe.estimate against a plain numpy transcription of NannyML's
// binary CBPE (estimated confusion counts, metrics, estimate_roc_auc, and the
// sampling errors of nannyml/sampling_error/binary_classification.py), with
// scikit-learn 1.2.1's IsotonicRegression as the calibrator (fixtures:
// scripts/gen_fixtures.py, estimate_cases).
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/estimate.json';
import { fitCbpe, fitCbpeMulticlass, init, type CbpeEstimate } from '../../../src/index.js';
import { genBinary, genMulticlass, type BinaryParams, type MulticlassParams } from '../../support/gen.js';
import { Golden, type Encoded, type FixtureFile } from './close.js';

type Pair = { value: Encoded; samplingError: Encoded };
interface EstimateCase {
  name: string;
  reference: BinaryParams;
  analysis: BinaryParams;
  calibrate: boolean;
  multiclass?: false;
  expected: { n: number; truePositives: Encoded; falsePositives: Encoded; falseNegatives: Encoded; trueNegatives: Encoded } & Record<
    'accuracy' | 'precision' | 'recall' | 'f1Score' | 'rocAuc',
    Pair
  >;
}

interface MulticlassCase {
  name: string;
  multiclass: true;
  reference: MulticlassParams;
  analysis: MulticlassParams;
  calibrate: boolean;
  expected: { n: number; classes: number[] } & Record<'accuracy' | 'precision' | 'recall' | 'f1Score' | 'rocAuc', Pair>;
}

const file = fixture as unknown as FixtureFile<EstimateCase | MulticlassCase>;
const binary = file.cases.filter((c): c is EstimateCase => !c.multiclass);
const multiclass = file.cases.filter((c): c is MulticlassCase => c.multiclass === true);
const g = new Golden('estimate');
const METRICS = ['accuracy', 'precision', 'recall', 'f1Score', 'rocAuc'] as const;
const COUNTS = ['truePositives', 'falsePositives', 'falseNegatives', 'trueNegatives'] as const;

beforeAll(() => init());

describe('CBPE equals the NannyML transcription to 1e-12', () => {
  it.each(binary.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const ref = genBinary(c.reference);
    const ana = genBinary(c.analysis);
    const model = fitCbpe({ yTrue: ref.yTrue, yPred: ref.yPred, yProb: ref.score }, { calibrate: c.calibrate });
    const r: CbpeEstimate = model.estimate(ana.yPred, ana.score);
    g.expectEqual(r.n, c.expected.n, c.name, 'n');
    for (const k of COUNTS) g.expectClose(r[k], c.expected[k], c.name, k, 1e-12);
    for (const k of METRICS) {
      g.expectClose(r[k].value, c.expected[k].value, c.name, `${k}.value`, 1e-12);
      g.expectClose(r[k].samplingError, c.expected[k].samplingError, c.name, `${k}.samplingError`, 1e-12);
    }
  });
});

describe('multiclass CBPE equals the NannyML transcription to 1e-12', () => {
  it.each(multiclass.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const ref = genMulticlass(c.reference);
    const ana = genMulticlass(c.analysis);
    const model = fitCbpeMulticlass({ yTrue: ref.yTrue, yPred: ref.yPred, yProb: ref.prob! }, { calibrate: c.calibrate });
    const r = model.estimate(ana.yPred, ana.prob!);
    g.expectEqual(r.n, c.expected.n, c.name, 'n');
    g.expectEqual(r.classes, c.expected.classes, c.name, 'classes');
    for (const k of METRICS) {
      g.expectClose(r[k].value, c.expected[k].value, c.name, `multiclass ${k}.value`, 1e-12);
      g.expectClose(r[k].samplingError, c.expected[k].samplingError, c.name, `multiclass ${k}.samplingError`, 1e-12);
    }
  });
});

afterAll(() => {
  console.log(g.summary());
});
