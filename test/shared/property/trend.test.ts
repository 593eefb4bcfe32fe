// linearTrend against the closed-form least-squares oracle.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, linearTrend } from '../../../src/index.js';
import * as o from '../../support/oracle.js';
import { close, gridDouble, runs } from './helpers.js';

beforeAll(() => init());

const series = fc.array(gridDouble(50), { minLength: 2, maxLength: 40 });
/** Distinct-enough x: a strictly increasing grid sequence of the given length. */
const xsOf = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: 8 }), { minLength: n, maxLength: n }).map((steps) => {
    let x = -3;
    return steps.map((s) => (x += s / 4));
  });

describe('linearTrend', () => {
  it('matches the closed form with default x = 0, 1, 2, ...', () => {
    fc.assert(fc.property(series, (y) => {
      const r = linearTrend(y);
      const e = o.linear(y.map((_, i) => i), y);
      expect(r.n).toBe(y.length);
      close(r.slope, e.slope, 1e-10, 'slope');
      close(r.intercept, e.intercept, 1e-10, 'intercept');
      close(r.r, e.r, 1e-10, 'r');
      close(r.rSquared, r.r * r.r, 1e-15, 'rSquared');
      expect(r.pValue).toBeGreaterThanOrEqual(0);
      expect(r.pValue).toBeLessThanOrEqual(1);
      expect(r.trend).toBe(r.slope < 0 ? 'declining' : r.slope > 0 ? 'improving' : 'stable');
      expect(r.significant).toBe(r.pValue < 0.05);
    }), runs(300));
  });

  it('matches the closed form with given x (unevenly spaced, any order)', () => {
    const arb = series.chain((y) => fc.tuple(fc.constant(y), xsOf(y.length), fc.boolean()));
    fc.assert(fc.property(arb, ([y, x, reverse]) => {
      const xs = reverse ? [...x].reverse() : x;
      const r = linearTrend(y, { x: xs, alpha: 0.1 });
      const e = o.linear(xs, y);
      close(r.slope, e.slope, 1e-10, 'slope');
      close(r.intercept, e.intercept, 1e-10, 'intercept');
      close(r.r, e.r, 1e-10, 'r');
      expect(r.pValue).toBeGreaterThanOrEqual(0);
      expect(r.pValue).toBeLessThanOrEqual(1);
      expect(r.significant).toBe(r.pValue < 0.1);
    }), runs(200));
  });

  it('gives |r| = 1 and a tiny p-value on a perfect line', () => {
    const arb = fc.tuple(fc.integer({ min: -8, max: 8 }).filter((a) => a !== 0), fc.integer({ min: -20, max: 20 }), fc.integer({ min: 3, max: 40 }));
    fc.assert(fc.property(arb, ([a, b, n]) => {
      const y = Array.from({ length: n }, (_, i) => (a / 4) * i + b);
      const r = linearTrend(y);
      close(Math.abs(r.r), 1, 1e-12, '|r|');
      close(r.slope, a / 4, 1e-12, 'slope');
      expect(r.pValue).toBeLessThan(1e-9);
      expect(r.trend).toBe(a > 0 ? 'improving' : 'declining');
      expect(r.significant).toBe(true);
    }), runs(100));
  });

  it('gives slope 0, r 0, p 1 and "stable" on constant values, for any x', () => {
    const arb = fc.tuple(fc.constantFrom(0, 0.1, 1 / 3, -2.7, 1e6 + 0.1), fc.integer({ min: 2, max: 40 }))
      .chain(([c, n]) => fc.tuple(fc.constant(c), fc.constant(n), fc.option(xsOf(n), { nil: undefined })));
    fc.assert(fc.property(arb, ([c, n, x]) => {
      const r = linearTrend(new Array<number>(n).fill(c), x === undefined ? {} : { x });
      expect(r.slope).toBe(0);
      expect(r.r).toBe(0);
      expect(r.pValue).toBe(1);
      expect(r.trend).toBe('stable');
      expect(r.significant).toBe(false);
    }), runs(150));
  });
});
