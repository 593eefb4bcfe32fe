// [estimate] Bad inputs to the calibration, drift and CBPE functions: a typed
// InputError with a stable code naming the argument (and element), and a
// valid call afterwards still works (expectError checks that too).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Cbpe, IsotonicCalibrator, calibrationFromSums, calibrationMetrics, calibrationSums, chiSquareClasses, driftBins, fitCbpe, fitCbpeMulticlass, fitIsotonic, init, jensenShannonDistance, ksTest,
  normalizedWasserstein, psi, wassersteinDistance,
} from '../../../src/index.js';
import { bad, table } from './expect-error.js';

beforeAll(() => init());


const ref = { yTrue: [0, 1, 1, 0], yPred: [0, 1, 0, 0], yProb: [0.2, 0.9, 0.4, 0.1] };

table('fitIsotonic', [
  ['empty x', () => fitIsotonic([], []), 'EMPTY_INPUT', 'x'],
  ['length mismatch', () => fitIsotonic([0.1, 0.2], [1]), 'LENGTH_MISMATCH', 'y'],
  ['NaN in x', () => fitIsotonic([0.1, NaN], [1, 0]), 'NON_FINITE', 'x[1]'],
  ['Infinity in y', () => fitIsotonic([0.1, 0.2], [1, Infinity]), 'NON_FINITE', 'y[1]'],
  ['negative weight', () => fitIsotonic([0.1, 0.2], [1, 0], [1, -1]), 'NEGATIVE_VALUE', 'sampleWeight[1]'],
  ['all weights zero', () => fitIsotonic([0.1, 0.2], [1, 0], [0, 0]), 'EMPTY_INPUT', 'sampleWeight'],
  ['weights of another length', () => fitIsotonic([0.1, 0.2], [1, 0], [1]), 'LENGTH_MISMATCH', 'sampleWeight'],
  ['string x', () => fitIsotonic(bad('0.1'), [1]), 'NOT_NUMERIC', 'x'],
  ['apply to NaN', () => fitIsotonic([0.1, 0.2], [0, 1]).apply([0.5, NaN]), 'NON_FINITE', 'scores[1]'],
  ['fromJSON of null', () => IsotonicCalibrator.fromJSON(null), 'INVALID_OPTION', 'calibrator'],
  ['fromJSON with descending x', () => IsotonicCalibrator.fromJSON({ x: [0.5, 0.1], y: [0, 1] }), 'INVALID_OPTION', 'calibrator.x[1]'],
]);

table('calibrationMetrics', [
  ['empty', () => calibrationMetrics([], []), 'EMPTY_INPUT', 'yTrue'],
  ['label 2', () => calibrationMetrics([0, 2], [0.1, 0.2]), 'NOT_BINARY', 'yTrue'],
  ['probability above 1', () => calibrationMetrics([0, 1], [0.1, 1.2]), 'PROBABILITY_OUT_OF_RANGE', 'yProb[1]'],
  ['NaN probability', () => calibrationMetrics([0, 1], [NaN, 0.2]), 'NON_FINITE', 'yProb[0]'],
  ['zero bins', () => calibrationMetrics([0, 1], [0.1, 0.2], { bins: 0 }), 'INVALID_OPTION', 'options.bins'],
  ['fractional bins', () => calibrationMetrics([0, 1], [0.1, 0.2], { bins: 2.5 }), 'INVALID_OPTION', 'options.bins'],
  ['options not an object', () => calibrationMetrics([0, 1], [0.1, 0.2], bad(10)), 'INVALID_OPTION', 'options'],
]);

table('calibrationSums / calibrationFromSums', [
  ['sums null', () => calibrationFromSums(bad(null)), 'INVALID_OPTION', 'sums'],
  ['bins 0', () => calibrationFromSums({ ...calibrationSums([0, 1], [0.2, 0.7]), bins: 0 }), 'INVALID_OPTION', 'options.bins'],
  ['count of the wrong length', () => calibrationFromSums({ ...calibrationSums([0, 1], [0.2, 0.7]), count: new Float64Array(3) }), 'SHAPE_MISMATCH', 'sums.count'],
  ['probability below 0', () => calibrationSums([0, 1], [-0.1, 0.7]), 'PROBABILITY_OUT_OF_RANGE', 'yProb[0]'],
]);

const drifts: Array<[string, (a: number[], b: number[]) => unknown]> = [
  ['ksTest', ksTest], ['wassersteinDistance', wassersteinDistance], ['normalizedWasserstein', normalizedWasserstein],
  ['psi', psi], ['jensenShannonDistance', jensenShannonDistance], ['driftBins', driftBins], ['chiSquareClasses', chiSquareClasses],
];
for (const [name, fn] of drifts) {
  table(name, [
    ['empty reference', () => fn([], [1]), 'EMPTY_INPUT', 'reference'],
    ['empty current', () => fn([1], []), 'EMPTY_INPUT', 'current'],
    ['NaN in reference', () => fn([1, NaN], [1]), 'NON_FINITE', 'reference[1]'],
    ['Infinity in current', () => fn([1], [2, 3, -Infinity]), 'NON_FINITE', 'current[2]'],
    ['null element', () => fn(bad([1, null]), [1]), 'NOT_NUMERIC', 'reference[1]'],
  ]);
}
table('driftBins options', [['unknown kind', () => driftBins([1], [2], bad({ kind: 'quantile' })), 'INVALID_OPTION', 'options.kind']]);

table('fitCbpe / estimate', [
  ['reference not an object', () => fitCbpe(bad(null)), 'INVALID_OPTION', 'reference'],
  ['empty reference', () => fitCbpe({ yTrue: [], yPred: [], yProb: [] }), 'EMPTY_INPUT', 'reference.yTrue'],
  ['mismatched yProb', () => fitCbpe({ ...ref, yProb: [0.1] }), 'LENGTH_MISMATCH', 'reference.yProb'],
  ['multiclass labels', () => fitCbpe({ ...ref, yTrue: [0, 1, 2, 0] }), 'NOT_BINARY', 'reference.yTrue'],
  ['NaN score', () => fitCbpe({ ...ref, yProb: [0.1, NaN, 0.2, 0.3] }), 'NON_FINITE', 'reference.yProb[1]'],
  ['calibrate not boolean', () => fitCbpe(ref, bad({ calibrate: 'yes' })), 'INVALID_OPTION', 'options.calibrate'],
  ['raw scores outside [0, 1]', () => fitCbpe({ ...ref, yProb: [0.1, 3, 0.2, 0.3] }, { calibrate: false }), 'PROBABILITY_OUT_OF_RANGE', 'reference.yProb[1]'],
  ['estimate: empty window', () => fitCbpe(ref).estimate([], []), 'EMPTY_INPUT', 'yPred'],
  ['fromJSON of a string', () => Cbpe.fromJSON('cbpe'), 'INVALID_OPTION', 'cbpe'],
  ['fromJSON without a component', () => Cbpe.fromJSON({ components: { accuracy: { std: 0.1, fraction: 1 } } }), 'INVALID_OPTION', 'cbpe.components.precision'],
  ['estimate: predictions not 0/1', () => fitCbpe(ref).estimate([0, 3], [0.1, 0.2]), 'NOT_BINARY', 'yPred'],
  ['estimate: NaN score', () => fitCbpe(ref).estimate([0, 1], [0.1, NaN]), 'NON_FINITE', 'yProb[1]'],
  ['estimate: length mismatch', () => fitCbpe(ref).estimate([0, 1], [0.1]), 'LENGTH_MISMATCH', 'yProb'],
]);

describe('edge cases that are not errors', () => {
  it('one sample value each, identical samples, all-same scores', () => {
    expect(ksTest([0.5], [0.7])).toEqual({ statistic: 1, pValue: 1, method: 'exact' });
    expect(ksTest([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
    expect(wassersteinDistance([2, 2, 2], [2, 2])).toBe(0);
    expect(normalizedWasserstein([2, 2, 2], [3])).toBe(1 / 0.001);
    const cal = fitIsotonic([0.4, 0.4, 0.4], [0, 1, 1]);
    expect(Array.from(cal.apply([0, 0.4, 1]))).toEqual([2 / 3, 2 / 3, 2 / 3]);
  });

  it('one class: calibration warns, chi-square p is NaN with a warning', () => {
    expect(calibrationMetrics([0, 0, 0], [0.1, 0.5, 0.9]).warnings.map((w) => w.code)).toEqual(['ONE_CLASS']);
    const chi = chiSquareClasses([1, 1], [1, 1, 1]);
    expect(chi.pValue).toBeNaN();
    expect(chi.warnings.map((w) => w.code)).toEqual(['ONE_CLASS']);
  });

  it('more categories than the first buffer holds: the kernel asks for room and gets it', () => {
    const a = Array.from({ length: 3000 }, (_, i) => i);
    const b = Array.from({ length: 1500 }, (_, i) => 2 * i + 0.5);
    const bins = driftBins(a, b, { kind: 'categorical' });
    expect(bins.kind).toBe('categorical');
    expect(bins.edges.length).toBe(4500);
    expect(bins.edges[0]).toBe(0);
    expect(bins.edges[4499]).toBe(2999);
    const chi = chiSquareClasses(a, a);
    expect(chi.classes.length).toBe(3000);
    expect(chi.dof).toBe(2999);
    expect(chi.pValue).toBe(1);
  });

  it('a class unseen in the reference gives p = 0', () => {
    const chi = chiSquareClasses([0, 0, 1, 1], [0, 1, 2]);
    expect(chi.statistic).toBe(Infinity);
    expect(chi.pValue).toBe(0);
  });

  it('CBPE: no predicted positives gives precision 0 with ZERO_DIVISION; all-1 probabilities give AUC NaN', () => {
    const model = fitCbpe(ref, { calibrate: false });
    const r = model.estimate([0, 0, 0], [0.2, 0.3, 0.9]);
    expect(r.precision.value).toBe(0);
    expect(r.warnings.map((w) => w.code)).toContain('ZERO_DIVISION');
    expect(model.estimate([1, 1], [1, 1]).rocAuc.value).toBeNaN();
  });

  it('huge n: 1e6 rows through KS, Wasserstein, PSI and CBPE', () => {
    const n = 1_000_000;
    const a = new Float64Array(n), b = new Float64Array(n), yp = new Float64Array(n);
    for (let i = 0; i < n; i++) { a[i] = ((i * 7919) % n) / n; b[i] = Math.min(1, (((i * 104729) % n) / n) * 1.01); yp[i] = b[i]! >= 0.5 ? 1 : 0; }
    const ks = ksTest(a, b);
    expect(ks.method).toBe('asymp');
    expect(ks.statistic).toBeGreaterThan(0);
    expect(ks.pValue).toBeGreaterThanOrEqual(0);
    expect(wassersteinDistance(a, b)).toBeGreaterThan(0);
    expect(psi(a, b).bins.kind).toBe('numeric');
    const est = fitCbpe({ yTrue: yp, yPred: yp, yProb: b }, { calibrate: false }).estimate(yp, b);
    expect(est.n).toBe(n);
    expect(est.rocAuc.value).toBeGreaterThan(0.5);
  });
});

const mref = { yTrue: [0, 1, 2, 1, 0, 2], yPred: [0, 1, 1, 1, 2, 2], yProb: [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.5, 0.3], [0.3, 0.6, 0.1], [0.4, 0.2, 0.4], [0.1, 0.1, 0.8]] };
table('fitCbpeMulticlass / estimate', [
  ['one class only', () => fitCbpeMulticlass({ yTrue: [1, 1], yPred: [1, 1], yProb: [[1], [1]] }), 'SHAPE_MISMATCH', 'reference.yTrue'],
  ['columns do not match classes', () => fitCbpeMulticlass({ ...mref, yProb: mref.yProb.map((r) => r.slice(0, 2)) }), 'SHAPE_MISMATCH', 'reference.yProb'],
  ['fractional label', () => fitCbpeMulticlass({ ...mref, yTrue: [0, 1, 2, 1, 0.5, 2] }), 'NON_INTEGER_LABEL', 'reference.yTrue[4]'],
  ['NaN score', () => fitCbpeMulticlass({ ...mref, yProb: mref.yProb.map((r, i) => (i === 3 ? [r[0]!, NaN, r[2]!] : r)) }), 'NON_FINITE', 'reference.yProb[10]'],
  ['estimate: unknown class', () => fitCbpeMulticlass(mref).estimate([0, 7], [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]), 'SHAPE_MISMATCH', 'yPred[1]'],
  ['estimate: wrong column count', () => fitCbpeMulticlass(mref).estimate([0, 1], [[0.5, 0.5], [0.1, 0.9]]), 'SHAPE_MISMATCH', 'yProb'],
  ['estimate: empty', () => fitCbpeMulticlass(mref).estimate([], []), 'EMPTY_INPUT', 'yPred'],
]);
