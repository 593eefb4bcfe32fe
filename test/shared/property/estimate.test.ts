// [estimate] Calibration, drift and CBPE against the naive oracle
// (test/support/oracle.ts): definitions, not transcriptions of the kernels.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Cbpe, IsotonicCalibrator, calibrationFromSums, calibrationMetrics, calibrationSums, chiSquareClasses, fitCbpe, fitIsotonic, init, jensenShannonDistance, ksTest, psi, wassersteinDistance,
} from '../../../src/index.js';
import * as o from '../../support/oracle.js';
import { binaryRows, close, closeAll, col, gridDouble, gridProb, runs } from './helpers.js';

beforeAll(() => init());

describe('fitIsotonic', () => {
  it('equals the min-max isotonic fit at every distinct x, with and without weights', () => {
    const rows = fc.array(fc.tuple(gridDouble(5), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 30 });
    fc.assert(fc.property(rows, fc.boolean(), (r, weighted) => {
      const x = col(r, 0), y = col(r, 1), w = weighted ? col(r, 2) : undefined;
      if (w && !w.some((v) => v > 0)) return;
      const e = o.isotonicAtDistinct(x, y, w);
      const cal = fitIsotonic(x, y, w);
      closeAll(cal.apply(e.xs), e.fit, 1e-12, 'fit');
      // Non-decreasing, clipped outside the fitted range.
      const out = cal.apply([-1000, ...e.xs, 1000]);
      for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]!);
      expect(out[0]).toBe(e.fit[0]);
      expect(out[out.length - 1]).toBe(e.fit[e.fit.length - 1]);
    }), runs(300));
  });

  it('survives a JSON round trip', () => {
    const cal = fitIsotonic([0.1, 0.4, 0.35, 0.8], [0, 1, 0, 1]);
    const back = IsotonicCalibrator.fromJSON(JSON.parse(JSON.stringify(cal)));
    expect(Array.from(back.apply([0, 0.37, 0.6, 1]))).toEqual(Array.from(cal.apply([0, 0.37, 0.6, 1])));
  });
});

describe('calibrationMetrics', () => {
  it('bins, ECE, MCE and Brier by their definitions (grid probabilities: many on bin edges)', () => {
    fc.assert(fc.property(binaryRows(60, 20), fc.integer({ min: 1, max: 12 }), (rows, k) => {
      const y = col(rows, 0), p = col(rows, 1);
      const r = calibrationMetrics(y, p, { bins: k });
      const e = o.reliability(y, p, k);
      expect(r.reliability.map((b) => b.count)).toEqual(e.map((b) => b.count));
      closeAll(r.reliability.map((b) => b.meanProbability), e.map((b) => b.meanP), 1e-12, 'meanP');
      closeAll(r.reliability.map((b) => b.fractionPositive), e.map((b) => b.fracPos), 1e-12, 'fracPos');
      const gaps = e.map((b) => Math.abs(b.fracPos - b.meanP));
      close(r.expectedCalibrationError, e.reduce((a, b, i) => a + (b.count / y.length) * gaps[i]!, 0), 1e-12, 'ece');
      close(r.maxCalibrationError, Math.max(...gaps), 1e-12, 'mce');
      close(r.brierScore, o.sum(y.map((t, i) => (t - p[i]!) ** 2)) / y.length, 1e-12, 'brier');
    }), runs(300));
  });
});

describe('calibrationSums', () => {
  it('merge by addition: the sums of two shards give the metrics of the whole', () => {
    fc.assert(fc.property(binaryRows(60, 20), binaryRows(60, 20), fc.integer({ min: 1, max: 12 }), (a, b, k) => {
      const sa = calibrationSums(col(a, 0), col(a, 1), { bins: k });
      const sb = calibrationSums(col(b, 0), col(b, 1), { bins: k });
      const add = (x: Float64Array, y: Float64Array): Float64Array => x.map((v, i) => v + y[i]!);
      const merged = calibrationFromSums({
        bins: k, n: sa.n + sb.n, count: add(sa.count, sb.count), sumProbability: add(sa.sumProbability, sb.sumProbability),
        sumLabel: add(sa.sumLabel, sb.sumLabel), sumSquaredError: sa.sumSquaredError + sb.sumSquaredError,
      });
      const whole = calibrationMetrics([...col(a, 0), ...col(b, 0)], [...col(a, 1), ...col(b, 1)], { bins: k });
      expect(merged.reliability.map((r) => r.count)).toEqual(whole.reliability.map((r) => r.count));
      close(merged.expectedCalibrationError, whole.expectedCalibrationError, 1e-12, 'ece');
      close(merged.maxCalibrationError, whole.maxCalibrationError, 1e-12, 'mce');
      close(merged.brierScore, whole.brierScore, 1e-12, 'brier');
    }), runs(200));
  });
});

describe('drift', () => {
  const sample = (max: number): fc.Arbitrary<number[]> => fc.array(gridDouble(10), { minLength: 1, maxLength: max });

  it('KS statistic and Wasserstein distance by the ECDF definitions (ties common)', () => {
    fc.assert(fc.property(sample(40), sample(40), (a, b) => {
      close(ksTest(a, b).statistic, o.ksStatistic(a, b), 1e-12, 'ks');
      close(wassersteinDistance(a, b), o.wasserstein(a, b), 1e-12, 'wasserstein');
      close(wassersteinDistance(a, b), wassersteinDistance(b, a), 1e-12, 'symmetric');
    }), runs(300));
  });

  it('the exact KS p-value equals the permutation probability on small distinct samples', () => {
    const distinct = fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 2, maxLength: 13 });
    fc.assert(fc.property(distinct, fc.integer({ min: 1, max: 6 }), (values, na) => {
      if (na >= values.length) return;
      const a = values.slice(0, na), b = values.slice(na);
      const r = ksTest(a, b);
      expect(r.method).toBe('exact');
      close(r.pValue, o.ksPermutationP(a, b), 1e-12, 'p');
    }), runs(150));
  });

  it('PSI and Jensen-Shannon are 0 for identical samples and grow with a shift', () => {
    fc.assert(fc.property(fc.array(gridProb(100), { minLength: 30, maxLength: 200 }), (a) => {
      expect(psi(a, a).value).toBe(0);
      expect(jensenShannonDistance(a, a).value).toBe(0);
      const shifted = a.map((v) => v + 0.5);
      expect(psi(a, shifted).value).toBeGreaterThan(0);
      expect(jensenShannonDistance(a, shifted).value).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
    }), runs(100));
  });

  it('chi-square of identical class mixes is 0 with p = 1', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 50 }), (c) => {
      const r = chiSquareClasses(c, [...c, ...c]);
      close(r.statistic, 0, 1e-12, 'statistic');
      if (r.dof > 0) close(r.pValue, 1, 1e-12, 'p');
      else expect(r.pValue).toBeNaN();
    }), runs(100));
  });
});

describe('CBPE', () => {
  it('expected confusion and estimated AUC by their definitions (calibrate: false)', () => {
    fc.assert(fc.property(binaryRows(40, 20), binaryRows(40, 20), (ref, ana) => {
      const model = fitCbpe({ yTrue: col(ref, 0), yPred: col(ref, 1).map((p) => (p >= 0.5 ? 1 : 0)), yProb: col(ref, 1) }, { calibrate: false });
      const p = col(ana, 1), yp = p.map((v) => (v >= 0.5 ? 1 : 0));
      const r = model.estimate(yp, p);
      let tp = 0, fp = 0, fn = 0, tn = 0;
      p.forEach((v, i) => { if (yp[i] === 1) { tp += v; fp += 1 - v; } else { fn += v; tn += 1 - v; } });
      close(r.truePositives, tp, 1e-12, 'tp');
      close(r.trueNegatives, tn, 1e-12, 'tn');
      close(r.falsePositives, fp, 1e-12, 'fp');
      close(r.falseNegatives, fn, 1e-12, 'fn');
      close(r.precision.value, o.safeDiv(tp, tp + fp), 1e-12, 'precision');
      close(r.accuracy.value, (tp + tn) / p.length, 1e-12, 'accuracy');
      close(r.recall.value, o.safeDiv(tp, tp + fn), 1e-12, 'recall');
      close(r.rocAuc.value, o.cbpeAuc(p), 1e-12, 'auc');
      expect(r.accuracy.samplingError).toBeGreaterThanOrEqual(0);
    }), runs(300));
  });

  it('survives a JSON round trip (as it would through IndexedDB or a worker)', () => {
    const ref = { yTrue: [0, 1, 1, 0, 1, 0, 1], yPred: [0, 1, 0, 0, 1, 1, 1], yProb: [0.2, 0.9, 0.4, 0.1, 0.7, 0.6, 0.8] };
    for (const calibrate of [true, false]) {
      const model = fitCbpe(ref, { calibrate });
      const back = Cbpe.fromJSON(JSON.parse(JSON.stringify(model)));
      expect(back.estimate([1, 0, 1], [0.9, 0.3, 0.55])).toEqual(model.estimate([1, 0, 1], [0.9, 0.3, 0.55]));
    }
  });

  it('on perfectly calibrated data the estimate tracks realized accuracy within a few sampling errors', () => {
    // A window whose labels are drawn from its calibrated probabilities: the
    // estimate's error is sampling noise of about one sampling error.
    let seed = 7;
    const u = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const draw = (n: number): { y: number[]; p: number[]; yp: number[] } => {
      const p = Array.from({ length: n }, () => u());
      return { p, y: p.map((v) => (u() < v ? 1 : 0)), yp: p.map((v) => (v >= 0.5 ? 1 : 0)) };
    };
    const ref = draw(5000);
    const model = fitCbpe({ yTrue: ref.y, yPred: ref.yp, yProb: ref.p });
    let inside = 0;
    for (let w = 0; w < 40; w++) {
      const win = draw(500);
      const r = model.estimate(win.yp, win.p);
      const realized = win.y.filter((y, i) => y === win.yp[i]).length / 500;
      if (Math.abs(r.accuracy.value - realized) <= 2 * r.accuracy.samplingError) inside++;
    }
    expect(inside).toBeGreaterThanOrEqual(34);
  });
});
