import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExpHistogram, InputError, init, percentiles, relativeErrorAtScale } from '../../../src/index.js';
import { rng } from './random.js';

beforeAll(async () => {
  await init();
});

/** OpenTelemetry's definition, computed independently of the kernel. */
function refIndex(v: number, scale: number): number {
  return Math.ceil(Math.log2(v) * 2 ** scale) - 1;
}

/** Finest scale <= maxScale at which each sign's values span <= maxSize buckets. */
function refScale(values: ArrayLike<number>, maxSize: number, maxScale: number): number {
  for (let s = maxScale; s > -10; s--) {
    let ok = true;
    for (const sign of [1, -1]) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]! * sign;
        if (v > 0) {
          const k = refIndex(v, s);
          lo = Math.min(lo, k);
          hi = Math.max(hi, k);
        }
      }
      if (hi - lo + 1 > maxSize) ok = false;
    }
    if (ok) return s;
  }
  return -10;
}

/** Bucket counts by index, per sign. */
function refCounts(values: ArrayLike<number>, scale: number): { pos: Map<number, number>; neg: Map<number, number>; zero: number } {
  const pos = new Map<number, number>(), neg = new Map<number, number>();
  let zero = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) zero++;
    else {
      const m = v > 0 ? pos : neg;
      const k = refIndex(Math.abs(v), scale);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  }
  return { pos, neg, zero };
}

function asMap(b: { offset: number; counts: Float64Array }): Map<number, number> {
  const m = new Map<number, number>();
  b.counts.forEach((c, k) => { if (c > 0) m.set(b.offset + k, c); });
  return m;
}

function sameSketch(a: ExpHistogram, b: ExpHistogram): void {
  expect(a.scale).toBe(b.scale);
  expect(a.count).toBe(b.count);
  expect(a.zeroCount).toBe(b.zeroCount);
  expect(asMap(a.positive)).toEqual(asMap(b.positive));
  expect(asMap(a.negative)).toEqual(asMap(b.negative));
  expect(a.min).toBe(b.min);
  expect(a.max).toBe(b.max);
  // Sums add in a different order: equal to a few ulp of the largest term.
  const scale = Math.max(Math.abs(a.min), Math.abs(a.max), 1e-300) * Math.max(1, a.count);
  expect(Math.abs(a.sum - b.sum)).toBeLessThanOrEqual(1e-14 * scale);
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 })
  .filter((x) => x === 0 || Math.abs(x) >= 2 ** -1022);

describe('ExpHistogram insert', () => {
  it('puts every value in the OpenTelemetry bucket at the finest scale that fits the budget', () => {
    fc.assert(fc.property(
      fc.array(finite, { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 300 }), fc.integer({ min: -10, max: 20 }),
      (values, maxSize, maxScale) => {
        const h = new ExpHistogram({ maxSize, maxScale }).insert(values);
        expect(h.scale).toBe(refScale(values, maxSize, maxScale));
        const ref = refCounts(values, h.scale);
        expect(asMap(h.positive)).toEqual(ref.pos);
        expect(asMap(h.negative)).toEqual(ref.neg);
        expect(h.zeroCount).toBe(ref.zero);
        expect(h.positive.counts.length).toBeLessThanOrEqual(maxSize);
        expect(h.negative.counts.length).toBeLessThanOrEqual(maxSize);
        expect(h.count).toBe(values.length);
        expect(h.min).toBe(Math.min(...values));
        expect(h.max).toBe(Math.max(...values));
      },
    ), { numRuns: 200 });
  });

  it('closes a bucket at an exact power of two (upper bound inclusive)', () => {
    const h = new ExpHistogram({ maxScale: 3 }).insert([1, 2, 4, 0.5]);
    // 2^k is the upper bound of bucket k*2^scale - 1.
    expect(asMap(h.positive)).toEqual(new Map([[-9, 1], [-1, 1], [7, 1], [15, 1]]));
  });

  it('counts all-positive batches (the fast path) as mixed batches are counted', () => {
    const u = rng(3);
    const positives = Float64Array.from({ length: 3001 }, () => 10 ** (u() * 6 - 3));
    const fast = new ExpHistogram({ maxSize: 500 }).insert(positives);
    // A zero and a negative of tiny magnitude send the batch down the general path.
    const general = new ExpHistogram({ maxSize: 500 }).insert([...positives, 0, -1e-3]);
    expect(general.scale).toBe(fast.scale);
    expect(general.positive).toEqual(fast.positive);
    expect(refCounts(positives, fast.scale).pos).toEqual(asMap(fast.positive));
  });

  it('gives the same sketch in many batches as in one', () => {
    const u = rng(7);
    const values = Float64Array.from({ length: 5000 }, () => (u() - 0.3) * 10 ** (u() * 8 - 4));
    const whole = new ExpHistogram({ maxSize: 160 }).insert(values);
    const parts = new ExpHistogram({ maxSize: 160 });
    for (let i = 0; i < values.length; i += 137) parts.insert(values.subarray(i, i + 137));
    sameSketch(parts, whole);
    expect(parts.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 9);
  });

  it('counts zeros (and -0) apart and maps subnormals to the smallest normal bucket', () => {
    const h = new ExpHistogram().insert([0, -0, 0, 5e-324, 2 ** -1030, -5e-324]);
    expect(h.zeroCount).toBe(3);
    expect(h.positive.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(h.negative.counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(h.positive.offset).toBe(-1022 * 2 ** h.scale - 1);
    expect(h.quantile(1)).toBe(2 ** -1030);
    expect(h.quantile(0)).toBe(-5e-324);
  });

  it('spans the whole f64 range at a low scale', () => {
    const h = new ExpHistogram({ maxSize: 4 }).insert([Number.MAX_VALUE, 2 ** -1022, -Number.MAX_VALUE, 1]);
    expect(h.scale).toBeLessThanOrEqual(-8);
    expect(h.count).toBe(4);
    expect(h.quantile(1)).toBe(Number.MAX_VALUE);
  });

  it('rejects NaN and infinities and leaves the sketch unchanged', () => {
    const h = new ExpHistogram().insert([1, 2, 3]);
    const before = h.clone();
    for (const bad of [NaN, Infinity, -Infinity]) {
      const err = (() => { try { h.insert([4, bad]); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe('NON_FINITE');
      expect((err as InputError).argument).toBe('values[1]');
    }
    sameSketch(h, before);
    expect(() => h.insert('1,2' as unknown as number[])).toThrow(InputError);
  });

  it('validates its options', () => {
    for (const options of [{ maxSize: 1 }, { maxSize: 1e6 }, { maxSize: 2.5 }, { maxScale: 21 }, { maxScale: -11 }]) {
      expect(() => new ExpHistogram(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
    expect(() => new ExpHistogram().quantile(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(new ExpHistogram().quantile(0.5)).toBeNaN();
  });
});

describe('ExpHistogram quantiles', () => {
  it('are within the relative error bound of numpy quantiles', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ noNaN: true, min: 1e-6, max: 1e6 }), { minLength: 1, maxLength: 400 }),
      fc.integer({ min: 8, max: 400 }), fc.boolean(),
      (raw, maxSize, negate) => {
        const values = negate ? raw.map((x) => -x) : raw;
        const h = new ExpHistogram({ maxSize }).insert(values);
        const qs = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];
        const exact = percentiles(values, qs);
        qs.forEach((q, i) => {
          const e = exact[i]!;
          expect(Math.abs(h.quantile(q / 100) - e)).toBeLessThanOrEqual(h.relativeError * Math.abs(e) * (1 + 1e-9));
        });
      },
    ), { numRuns: 150 });
  });

  it('states the bound (base - 1) / (base + 1) per scale', () => {
    expect(relativeErrorAtScale(0)).toBeCloseTo(1 / 3, 15);
    expect(relativeErrorAtScale(5)).toBeCloseTo(0.010829, 5);
    expect(relativeErrorAtScale(6)).toBeCloseTo(0.005415, 5);
    expect(new ExpHistogram({ maxScale: 6 }).relativeError).toBe(relativeErrorAtScale(6));
  });

  it('handles a mix of negatives, zeros and positives in rank order', () => {
    const values = [-100, -10, -1, 0, 0, 1, 10, 100];
    const h = new ExpHistogram().insert(values);
    const exact = percentiles(values, [0, 100 / 7, 300 / 7, 400 / 7, 600 / 7, 100]);
    const got = [0, 1 / 7, 3 / 7, 4 / 7, 6 / 7, 1].map((q) => h.quantile(q));
    got.forEach((g, i) => expect(Math.abs(g - exact[i]!)).toBeLessThanOrEqual(Math.abs(exact[i]!) * h.relativeError + 1e-12));
  });
});

describe('ExpHistogram.merge', () => {
  it('equals the sketch of all values for random shards, in any order (negatives, zeros, empties, scales)', () => {
    fc.assert(fc.property(
      fc.array(fc.array(finite, { maxLength: 60 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 2, max: 200 }),
      fc.array(fc.integer({ min: -10, max: 20 }), { minLength: 12, maxLength: 12 }),
      fc.integer(),
      (shards, maxSize, scales, seed) => {
        const all = shards.flat();
        const whole = new ExpHistogram({ maxSize }).insert(all);
        // Different starting scales per shard: merging must not depend on them
        // beyond the coarsest one involved.
        const sketches = shards.map((s) => new ExpHistogram({ maxSize, maxScale: 20 }).insert(s).clone());
        const u = rng(seed);
        const order = sketches.map((_, i) => i).sort(() => u() - 0.5);
        let acc = new ExpHistogram({ maxSize });
        for (const i of order) acc = u() < 0.5 ? ExpHistogram.merge(acc, sketches[i]!) : ExpHistogram.merge(sketches[i]!, acc);
        sameSketch(acc, whole);
        // Starting coarser only coarsens: the result is the whole at the coarsest scale.
        const coarse = shards.map((s, i) => new ExpHistogram({ maxSize, maxScale: scales[i]! }).insert(s));
        const merged = coarse.reduce((a, b) => ExpHistogram.merge(a, b));
        const minScale = Math.min(...coarse.map((c) => c.scale));
        expect(merged.scale).toBeLessThanOrEqual(minScale);
        sameSketch(merged, new ExpHistogram({ maxSize, maxScale: Math.min(...scales.slice(0, shards.length)) }).insert(all));
      },
    ), { numRuns: 120 });
  });

  it('atScale coarsens to exactly the sketch built at that scale', () => {
    const u = rng(12);
    const values = Array.from({ length: 2000 }, () => (u() < 0.2 ? -1 : 1) * 10 ** (u() * 4));
    const fine = new ExpHistogram().insert(values);
    for (const s of [fine.scale, fine.scale - 1, 3, 0, -4]) sameSketch(fine.atScale(s), new ExpHistogram({ maxScale: s }).insert(values));
    expect(() => fine.atScale(fine.scale + 1)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'scale' }));
  });

  it('takes the smaller budget and leaves its inputs unchanged', () => {
    const a = new ExpHistogram({ maxSize: 300 }).insert([1, 1000, 1e6]);
    const b = new ExpHistogram({ maxSize: 20 }).insert([-3, 0, 7]);
    const aBefore = a.clone(), bBefore = b.clone();
    const m = ExpHistogram.merge(a, b);
    expect(m.maxSize).toBe(20);
    expect(m.positive.counts.length).toBeLessThanOrEqual(20);
    sameSketch(a, aBefore);
    sameSketch(b, bBefore);
    expect(m.count).toBe(6);
    expect(m.zeroCount).toBe(1);
    expect(m.min).toBe(-3);
    expect(m.max).toBe(1e6);
    sameSketch(ExpHistogram.merge(new ExpHistogram(), new ExpHistogram()), new ExpHistogram());
  });
});
