// classificationMetrics and thresholdMetrics against scikit-learn 1.2.1
// (fixtures from scripts/gen_fixtures.py; conventions documented there).
import { afterAll, beforeAll, describe, it } from 'vitest';
import classificationFixture from '../../fixtures/golden/classification.json';
import thresholdFixture from '../../fixtures/golden/threshold.json';
import { classificationMetrics, init, thresholdMetrics, type ClassificationResult, type PrecisionRecallF1 } from '../../../src/index.js';
import { genBinary, genMulticlass, type MulticlassParams } from '../../support/gen.js';
import { f64, Golden, type BinaryGen, type Encoded, type FixtureFile } from './close.js';

type Prf = Record<keyof PrecisionRecallF1, Encoded>;

interface ClassificationCase {
  name: string;
  gen?: BinaryGen | (MulticlassParams & { kind: 'multiclass' });
  withProb?: boolean;
  input?: { yTrue: number[]; yPred: number[]; yProb?: number[] | number[][] };
  expected: Prf & {
    n: number;
    accuracy: Encoded;
    classes: number[];
    weighted: Prf;
    macro: Prf;
    micro: Prf;
    perClass: (Prf & { label: number; support: number })[];
    confusionMatrix: number[][];
    truePositives?: number;
    trueNegatives?: number;
    falsePositives?: number;
    falseNegatives?: number;
    falsePositiveRate?: Encoded;
    falseNegativeRate?: Encoded;
    aucRoc?: Encoded;
    aucRocPerClass?: Encoded[];
    averagePrecision?: Encoded;
    warnings: string[];
  };
}

interface ThresholdCase {
  name: string;
  gen?: BinaryGen;
  input?: { yTrue: number[]; yProb: number[] };
  thresholds: number[];
  expected: (Prf & { threshold: number; truePositives: number; falsePositives: number; falseNegatives: number })[];
}

const classification = classificationFixture as unknown as FixtureFile<ClassificationCase>;
const threshold = thresholdFixture as unknown as FixtureFile<ThresholdCase>;

type Inputs = [Float64Array, Float64Array, (Float64Array | Float64Array[])?];

function inputs(c: ClassificationCase): Inputs {
  if (c.input) {
    const p = c.input.yProb;
    const prob = p === undefined ? undefined : Array.isArray(p[0]) ? (p as number[][]).map((r) => f64(r)) : f64(p as number[]);
    return [f64(c.input.yTrue), f64(c.input.yPred), prob];
  }
  const gen = c.gen!;
  if (gen.kind === 'binary') {
    const g = genBinary(gen);
    return [g.yTrue, g.yPred, c.withProb ? g.score : undefined];
  }
  const g = genMulticlass(gen);
  return [g.yTrue, g.yPred, c.withProb ? g.prob : undefined];
}

const g = new Golden('classification');

function checkPrf(actual: PrecisionRecallF1, expected: Prf, name: string, field: string): void {
  g.expectClose(actual.precision, expected.precision, name, `${field}.precision`);
  g.expectClose(actual.recall, expected.recall, name, `${field}.recall`);
  g.expectClose(actual.f1Score, expected.f1Score, name, `${field}.f1Score`);
}

function check(r: ClassificationResult, c: ClassificationCase): void {
  const e = c.expected, name = c.name;
  g.expectEqual(r.n, e.n, name, 'n');
  g.expectEqual(r.classes, e.classes, name, 'classes');
  g.expectEqual(r.confusionMatrix, e.confusionMatrix, name, 'confusionMatrix');
  g.expectClose(r.accuracy, e.accuracy, name, 'accuracy');
  checkPrf(r, e, name, 'top');
  checkPrf(r.weighted, e.weighted, name, 'weighted');
  checkPrf(r.macro, e.macro, name, 'macro');
  checkPrf(r.micro, e.micro, name, 'micro');
  g.expectEqual(r.perClass.length, e.perClass.length, name, 'perClass.length');
  e.perClass.forEach((pc, j) => {
    const a = r.perClass[j]!;
    g.expectEqual([a.label, a.support], [pc.label, pc.support], name, `perClass[${j}].label/support`);
    checkPrf(a, pc, name, `perClass[${j}]`);
  });
  for (const k of ['truePositives', 'trueNegatives', 'falsePositives', 'falseNegatives'] as const) {
    g.expectEqual(r[k], e[k], name, k);
  }
  for (const k of ['falsePositiveRate', 'falseNegativeRate', 'aucRoc', 'averagePrecision'] as const) {
    const want = e[k];
    if (want === undefined) g.expectEqual(r[k], undefined, name, k);
    else g.expectClose(r[k], want, name, k);
  }
  if (e.aucRocPerClass) g.expectArrayClose(r.aucRocPerClass, e.aucRocPerClass, name, 'aucRocPerClass');
  else g.expectEqual(r.aucRocPerClass, undefined, name, 'aucRocPerClass');
  g.expectEqual(r.warnings.map((w) => w.code), e.warnings, name, 'warnings');
}

beforeAll(() => init());

describe('classificationMetrics matches scikit-learn 1.2.1', () => {
  const groups = {
    binary: classification.cases.filter((c) => c.gen?.kind === 'binary'),
    multiclass: classification.cases.filter((c) => c.gen?.kind === 'multiclass'),
  };
  it.each(Object.entries(groups))('%s: generated cases', (_, cases) => {
    for (const c of cases) check(classificationMetrics(...inputs(c)), c);
  });
  it.each(classification.cases.filter((c) => c.input).map((c) => [c.name, c] as const))('%s', (_, c) => {
    check(classificationMetrics(...inputs(c)), c);
  });
});

describe('thresholdMetrics matches precision/recall/f1_score of (yProb >= t)', () => {
  it.each(threshold.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    let yTrue: Float64Array, yProb: Float64Array;
    if (c.input) [yTrue, yProb] = [f64(c.input.yTrue), f64(c.input.yProb)];
    else ({ yTrue, score: yProb } = genBinary(c.gen!));
    const r = thresholdMetrics(yTrue, yProb, c.thresholds);
    g.expectEqual(r.length, c.expected.length, c.name, 'length');
    c.expected.forEach((e, j) => {
      const a = r[j]!;
      g.expectEqual([a.threshold, a.truePositives, a.falsePositives, a.falseNegatives],
        [e.threshold, e.truePositives, e.falsePositives, e.falseNegatives], c.name, `[${j}].counts`);
      checkPrf(a, e, c.name, `threshold[${j}]`);
    });
  });
});

afterAll(() => {
  console.log(g.summary());
});
