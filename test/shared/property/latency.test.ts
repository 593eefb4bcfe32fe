// latencyStats and percentiles against a full sort with numpy's interpolation,
// including inputs built to defeat quickselect's pivot choice.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, latencySla, latencyStats, percentiles } from '../../../src/index.js';
import * as o from '../../support/oracle.js';
import { close, runs } from './helpers.js';

beforeAll(() => init());

/** Non-negative latencies on a coarse grid (many ties) or arbitrary. */
const latencies = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 20 }).map((i) => i / 2), { minLength: 1, maxLength: 200 }),
  fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }),
);
const percentileList = fc.array(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: 1, maxLength: 8 });

function checkStats(values: ArrayLike<number>): void {
  const r = latencyStats(values);
  const e = o.latency(values);
  expect(r.count).toBe(e.count);
  close(r.mean, e.mean, 1e-12, 'mean');
  close(r.std, e.std, 1e-12, 'std');
  expect([r.min, r.max]).toEqual([e.min, e.max]);
  expect([r.p50, r.p75, r.p90, r.p95, r.p99]).toEqual([e.p[50], e.p[75], e.p[90], e.p[95], e.p[99]]);
}

describe('latencyStats', () => {
  it('matches the oracle exactly on percentiles, min and max', () => {
    fc.assert(fc.property(latencies, (v) => checkStats(v)), runs(300));
  });
});

describe('percentiles', () => {
  it('match numpy linear interpolation exactly, in the order asked', () => {
    const values = fc.oneof(
      latencies,
      fc.array(fc.integer({ min: -40, max: 40 }).map((i) => i / 4), { minLength: 1, maxLength: 100 }),
      fc.array(fc.double({ min: -1e300, max: 1e300, noNaN: true }), { minLength: 1, maxLength: 50 }),
    );
    fc.assert(fc.property(values, percentileList, (v, ps) => {
      const got = percentiles(v, ps);
      expect(got).toBeInstanceOf(Float64Array);
      expect(Array.from(got)).toEqual(ps.map((p) => o.percentile(v, p)));
    }), runs(300));
  });

  it('are monotone in p', () => {
    fc.assert(fc.property(latencies, percentileList, (v, ps) => {
      const asc = [...ps].sort((a, b) => a - b);
      const got = percentiles(v, asc);
      for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThanOrEqual(got[i - 1]!);
      expect(percentiles(v, [0])[0]).toBe(Math.min(...v));
      expect(percentiles(v, [100])[0]).toBe(Math.max(...v));
    }), runs(200));
  });

  it('accept an empty list of percentiles', () => {
    expect(percentiles([1, 2], []).length).toBe(0);
  });
});

describe('selection on adversarial inputs stays exact', () => {
  const P = [0, 0.1, 1, 25, 33.3, 50, 66.7, 75, 90, 95, 99, 99.9, 100];
  const shapes: Record<string, (n: number) => number[]> = {
    sorted: (n) => Array.from({ length: n }, (_, i) => i),
    reversed: (n) => Array.from({ length: n }, (_, i) => n - i),
    'all equal': (n) => new Array<number>(n).fill(7),
    'organ pipe': (n) => Array.from({ length: n }, (_, i) => Math.min(i, n - 1 - i)),
    'many duplicates': (n) => Array.from({ length: n }, (_, i) => (i * 7919) % 5),
    'two values': (n) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0 : 1e9)),
    sawtooth: (n) => Array.from({ length: n }, (_, i) => i % 64),
    // Median-of-three killer (Musser): pushes quickselect to quadratic time.
    'median-of-3 killer': (n) => {
      const k = n >> 1;
      const a = new Array<number>(n);
      for (let i = 1; i <= k; i++) {
        a[i - 1] = i % 2 === 1 ? i : k + i - 1;
        a[k + i - 1] = 2 * i;
      }
      for (let i = 2 * k; i < n; i++) a[i] = i + 1;
      return a;
    },
  };
  for (const [name, make] of Object.entries(shapes)) {
    for (const n of [1, 2, 17, 1000, 200_000]) {
      it(`${name}, n = ${n}`, () => {
        const v = Float64Array.from(make(n));
        const s = o.sorted(v);
        expect(Array.from(percentiles(v, P))).toEqual(P.map((p) => o.quantileSorted(s, p / 100)));
        const st = latencyStats(v);
        expect([st.p50, st.p99, st.min, st.max]).toEqual([o.quantileSorted(s, 0.5), o.quantileSorted(s, 0.99), s[0], s[n - 1]]);
        // The caller's array is not reordered.
        expect(Array.from(v)).toEqual(make(n));
      });
    }
  }
});

describe('latencySla', () => {
  it('agrees with the oracle percentiles and the <= rule', () => {
    const targets = fc.record({ p50Ms: fc.integer({ min: 1, max: 12 }), p99Ms: fc.integer({ min: 1, max: 12 }) });
    fc.assert(fc.property(latencies, targets, (v, t) => {
      const r = latencySla(v, t);
      const e = o.latency(v);
      expect([r.p50Actual, r.p99Actual]).toEqual([e.p[50], e.p[99]]);
      expect(r.p50Ok).toBe(e.p[50] <= t.p50Ms);
      expect(r.p99Ok).toBe(e.p[99] <= t.p99Ms);
      expect(r.status).toBe(r.p50Ok && r.p99Ok ? 'ok' : 'violation');
    }), runs(150));
    expect(latencySla([]).status).toBe('no_data');
  });
});
