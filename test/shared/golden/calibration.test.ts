// fitIsotonic / IsotonicCalibrator against scikit-learn 1.2.1's
// IsotonicRegression(out_of_bounds='clip') (thresholds and predict), and
// calibrationMetrics against calibration_curve(strategy='uniform') and
// brier_score_loss (fixtures: scripts/gen_fixtures.py, calibration_cases).
import { afterAll, beforeAll, describe, it } from 'vitest';
import fixture from '../../fixtures/golden/calibration.json';
import { calibrationMetrics, fitIsotonic, init } from '../../../src/index.js';
import { genBinary, type BinaryParams } from '../../support/gen.js';
import { f64, Golden, type Encoded, type FixtureFile } from './close.js';

interface CalibrationCase {
  name: string;
  gen?: BinaryParams;
  input?: { yTrue: number[]; yProb: number[] };
  weights: 'none' | 'mod4' | 'frac';
  probeN?: number;
  probe?: number[];
  bins: number;
  isotonic?: { x: Encoded[]; y: Encoded[]; probe: Encoded[] };
  metrics: {
    n: number;
    count: number[];
    lower: Encoded[];
    fractionPositive: Encoded[];
    meanProbability: Encoded[];
    expectedCalibrationError: Encoded;
    maxCalibrationError: Encoded;
    brierScore: Encoded;
  };
}

const file = fixture as unknown as FixtureFile<CalibrationCase>;
const g = new Golden('calibration');

/** The weights the fixture generator used (iso_weights). */
function weights(n: number, mode: CalibrationCase['weights']): Float64Array | undefined {
  if (mode === 'none') return undefined;
  return Float64Array.from({ length: n }, (_, i) => (mode === 'mod4' ? i % 4 : 0.5 + (i % 3)));
}

function inputs(c: CalibrationCase): { y: Float64Array; x: Float64Array; probe: Float64Array } {
  if (c.input) return { y: f64(c.input.yTrue), x: f64(c.input.yProb), probe: f64(c.probe!) };
  const { yTrue, score } = genBinary(c.gen!);
  const probe = genBinary({ ...c.gen!, seed: c.gen!.seed + 500000, n: c.probeN! }).score;
  return { y: yTrue, x: score, probe: Float64Array.from([...probe, -1, 2, 0, 1]) };
}

beforeAll(() => init());

describe('fitIsotonic equals scikit-learn 1.2.1 IsotonicRegression', () => {
  it.each(file.cases.filter((c) => c.isotonic).map((c) => [c.name, c] as const))('%s', (_, c) => {
    const { y, x, probe } = inputs(c);
    const cal = fitIsotonic(x, y, weights(x.length, c.weights));
    const e = c.isotonic!;
    g.expectArrayClose(cal.x, e.x, c.name, 'X_thresholds_', 0);
    g.expectArrayClose(cal.y, e.y, c.name, 'y_thresholds_', 1e-12);
    g.expectArrayClose(cal.apply(probe), e.probe, c.name, 'predict', 1e-12);
  });
});

describe('calibrationMetrics equals calibration_curve and brier_score_loss', () => {
  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const { y, x } = inputs(c);
    const r = calibrationMetrics(y, x, { bins: c.bins });
    const e = c.metrics;
    g.expectEqual(r.n, e.n, c.name, 'n');
    g.expectEqual(r.reliability.map((b) => b.count), e.count, c.name, 'count');
    g.expectArrayClose(r.reliability.map((b) => b.lower), e.lower, c.name, 'lower', 0);
    g.expectArrayClose(r.reliability.map((b) => b.fractionPositive), e.fractionPositive, c.name, 'prob_true', 1e-12);
    g.expectArrayClose(r.reliability.map((b) => b.meanProbability), e.meanProbability, c.name, 'prob_pred', 1e-12);
    g.expectClose(r.expectedCalibrationError, e.expectedCalibrationError, c.name, 'ece', 1e-12);
    g.expectClose(r.maxCalibrationError, e.maxCalibrationError, c.name, 'mce', 1e-12);
    g.expectClose(r.brierScore, e.brierScore, c.name, 'brier', 1e-12);
  });
});

afterAll(() => {
  console.log(g.summary());
});
