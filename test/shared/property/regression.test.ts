// regressionMetrics and regressionMetricsBySegment against the naive oracle.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, regressionMetrics, regressionMetricsBySegment } from '../../../src/index.js';
import type { RegressionResult, Segment } from '../../../src/index.js';
import * as o from '../../support/oracle.js';
import { close, col, gridDouble, runs } from './helpers.js';

beforeAll(() => init());

const KEYS = ['mae', 'mse', 'rmse', 'r2Score', 'mape', 'maxError', 'medianError'] as const;

function matches(r: RegressionResult, yTrue: number[], yPred: number[]): void {
  const e = o.regression(yTrue, yPred);
  expect(r.n).toBe(yTrue.length);
  for (const key of KEYS) close(r[key], e[key], 1e-12, key);
}

const pairs = (maxLength = 60): fc.Arbitrary<Array<[number, number]>> =>
  fc.array(fc.tuple(gridDouble(20), gridDouble(20)), { minLength: 1, maxLength });

describe('regressionMetrics', () => {
  it('matches the oracle on coarse-grid values (ties, zeros in yTrue)', () => {
    fc.assert(fc.property(pairs(), (rows) => matches(regressionMetrics(col(rows, 0), col(rows, 1)), col(rows, 0), col(rows, 1))), runs(400));
  });

  it('matches the oracle on arbitrary finite doubles of moderate size', () => {
    const d = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
    fc.assert(fc.property(fc.array(fc.tuple(d, d), { minLength: 2, maxLength: 80 }), (rows) => {
      const r = regressionMetrics(col(rows, 0), col(rows, 1));
      const e = o.regression(col(rows, 0), col(rows, 1));
      for (const key of ['mae', 'mse', 'rmse', 'maxError', 'medianError', 'mape'] as const) close(r[key], e[key], 1e-12, key);
      // R^2 = 1 - a / b loses relative precision when it is near 0; compare the ratio.
      close(1 - r.r2Score, 1 - e.r2Score, 1e-10, 'r2Score');
    }), runs(200));
  });

  it('applies sklearn\'s constant-target rule: 1 if predicted exactly, else 0', () => {
    const arb = fc.tuple(gridDouble(20), fc.integer({ min: 2, max: 30 }), fc.array(gridDouble(20), { minLength: 30, maxLength: 30 }));
    fc.assert(fc.property(arb, ([c, n, pred]) => {
      const yTrue = new Array<number>(n).fill(c);
      expect(regressionMetrics(yTrue, yTrue).r2Score).toBe(1);
      const yPred = pred.slice(0, n);
      const expected = yPred.every((p) => p === c) ? 1 : 0;
      expect(regressionMetrics(yTrue, yPred).r2Score).toBe(expected);
    }), runs(100));
    // Constants whose rounded mean is not the constant itself.
    expect(regressionMetrics([0.1, 0.1, 0.1], [0.1, 0.1, 0.2]).r2Score).toBe(0);
  });

  it('gives NaN R^2 for one sample, with a warning', () => {
    const r = regressionMetrics([3], [5]);
    expect(r.r2Score).toBeNaN();
    expect(r.warnings.map((w) => w.code)).toContain('TOO_FEW_SAMPLES');
    expect(r.mae).toBe(2);
  });

  it('divides MAPE by machine epsilon where yTrue is 0', () => {
    const r = regressionMetrics([0, 2], [1, 1]);
    close(r.mape, ((1 / o.EPS + 0.5) / 2) * 100, 1e-12, 'mape');
  });
});

describe('regressionMetricsBySegment', () => {
  const seg = fc.oneof(fc.constantFrom<Segment>(-1, 0, 2.5, 7), fc.constantFrom<Segment>('a', 'b', 'B', '10', '9'));
  const arb = fc.array(fc.tuple(gridDouble(20), gridDouble(20), seg), { minLength: 1, maxLength: 60 });

  it('equals regressionMetrics over each segment\'s rows, keys in ascending order (numbers, then strings)', () => {
    fc.assert(fc.property(arb, (rows) => {
      const out = regressionMetricsBySegment(col(rows, 0) as number[], col(rows, 1) as number[], col(rows, 2) as Segment[]);
      const keys = [...new Set(rows.map((r) => r[2]))];
      const nums = keys.filter((k): k is number => typeof k === 'number').sort((a, b) => a - b);
      const strs = keys.filter((k): k is string => typeof k === 'string').sort();
      expect([...out.keys()]).toEqual([...nums, ...strs]);
      for (const key of keys) {
        const mine = rows.filter((r) => r[2] === key);
        const t = col(mine, 0) as number[], p = col(mine, 1) as number[];
        const got = out.get(key)!;
        expect(got).toEqual(regressionMetrics(t, p));
        matches(got, t, p);
      }
    }), runs(200));
  });
});
