// The exponential histogram of OpenTelemetry (ExponentialHistogram data point)
// and Prometheus (native histogram): bucket i at scale s holds
// (base^i, base^(i+1)] with base = 2^(2^-s); a separate zero count; the scale
// drops automatically so that each sign spans at most `maxSize` buckets.
// Inserts run in WASM (assembly/sketch.ts) one batch per call; the state lives
// here, in plain typed arrays, so sketches are garbage collected, cloned and
// serialized like any object and need no close().
import { InputError } from '../errors.js';
import { type Numbers, describe, numbers } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import type { Buckets, SketchOptions } from './types.js';

/** OpenTelemetry's scale limits. */
export const MIN_SCALE = -10;
export const MAX_SCALE = 20;
/**
 * Default bucket budget per sign. 2048 keeps scale >= 6 (relative error
 * <= 0.54%) while the values of a sign span up to 2^32 (a factor of 4.3e9);
 * OpenTelemetry's default of 160 would drop to scale 3 (4.3%) on a lognormal
 * sample of 1e6 values, which cannot meet a 1% target.
 */
export const DEFAULT_MAX_SIZE = 2048;
/** Largest accepted budget: bounds the memory and the size of a sketch on the wire. */
export const MAX_MAX_SIZE = 16384;

/** Stateless header slots shared with assembly/sketch.ts. */
const HEADER = 16;

function emptyBuckets(): Buckets {
  return { offset: 0, counts: new Float64Array(0) };
}

/** Relative error bound of a quantile estimate at scale s: (base - 1) / (base + 1). */
export function relativeErrorAtScale(scale: number): number {
  const base = 2 ** (2 ** -scale);
  return Number.isFinite(base) ? (base - 1) / (base + 1) : 1;
}

function option(value: unknown, fallback: number, lo: number, hi: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new InputError('INVALID_OPTION', name, `is ${describe(value)}; pass an integer in [${lo}, ${hi}].`);
  }
  return value;
}

/** Neumaier sum of two compensated pairs. */
function addPairs(a: readonly [number, number], b: readonly [number, number]): [number, number] {
  let s = a[0];
  let c = a[1] + b[1];
  const x = b[0];
  const t = s + x;
  c += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
  s = t;
  return [s, c];
}

/** Buckets of `b` (at some scale) moved down d scales. */
function downscaled(b: Buckets, d: number): Buckets {
  if (d === 0 || b.counts.length === 0) return b;
  const offset = b.offset >> d;
  const last = (b.offset + b.counts.length - 1) >> d;
  const counts = new Float64Array(last - offset + 1);
  for (let k = 0; k < b.counts.length; k++) counts[((b.offset + k) >> d) - offset]! += b.counts[k]!;
  return { offset, counts };
}

/** Scale reduction d making the union of index ranges fit in maxSize buckets. */
function reductionFor(ranges: Array<[number, number]>, maxSize: number): number {
  let d = 0;
  for (;;) {
    let ok = true;
    for (const [lo, hi] of ranges) if ((hi >> d) - (lo >> d) + 1 > maxSize) ok = false;
    if (ok) return d;
    d++;
  }
}

/**
 * A mergeable quantile sketch with a relative error bound.
 *
 * The bound depends only on the scale the data leave it at:
 * (2^(2^-s) - 1) / (2^(2^-s) + 1), i.e. 4.3% at scale 3, 2.2% at 4, 1.08% at
 * 5, 0.54% at 6, 0.27% at 7. A sign whose values span a factor R needs
 * 2^s · log2(R) buckets at scale s, so the default budget (2048) keeps
 * scale >= 6, and the bound <= 0.54%, for any R up to 2^32; wider data
 * lower the scale and `relativeError` says by how much. OpenTelemetry's
 * default budget of 160 reaches scale 6 only for R <= 5.6.
 *
 * Quantile estimates use the point 2·base^(i+1)/(base+1) of their bucket,
 * within `relativeError` = (base-1)/(base+1) of every value in it, and are
 * clamped to the exact [min, max]. `quantile(q)` interpolates between the
 * estimates of the two order statistics around rank q·(n-1) as numpy's
 * default method does, so it is within `relativeError` of
 * numpy.quantile(values, q) whenever those two order statistics share a sign.
 * Values within one ulp of a bucket boundary may be counted in the next
 * bucket, which adds at most one ulp to that bound.
 */
export class ExpHistogram {
  scale: number;
  readonly maxSize: number;
  count = 0;
  zeroCount = 0;
  /** Sum of values as a compensated (hi, lo) pair; `sum` is hi + lo. */
  sumPair: [number, number] = [0, 0];
  /** Sum of squares as a compensated pair (for the standard deviation). */
  sumSqPair: [number, number] = [0, 0];
  min = Infinity;
  max = -Infinity;
  positive: Buckets = emptyBuckets();
  /** Buckets of |x| for negative x. */
  negative: Buckets = emptyBuckets();

  constructor(options: SketchOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InputError('INVALID_OPTION', 'options', `is ${describe(options)}; pass { maxSize?, maxScale? }.`);
    }
    this.maxSize = option(options.maxSize, DEFAULT_MAX_SIZE, 2, MAX_MAX_SIZE, 'options.maxSize');
    this.scale = option(options.maxScale, MAX_SCALE, MIN_SCALE, MAX_SCALE, 'options.maxScale');
  }

  get sum(): number {
    return this.sumPair[0] + this.sumPair[1];
  }

  get sumOfSquares(): number {
    return this.sumSqPair[0] + this.sumSqPair[1];
  }

  /** base = 2^(2^-scale): each bucket's upper bound over its lower bound. */
  get base(): number {
    return 2 ** (2 ** -this.scale);
  }

  /** Bound on the relative error of quantile estimates at the current scale. */
  get relativeError(): number {
    return relativeErrorAtScale(this.scale);
  }

  /**
   * Adds a batch of finite values in one WASM call. Rejects the whole batch,
   * leaving the sketch as it was, if any value is NaN or infinite.
   */
  insert(values: Numbers): this {
    const v = numbers(values, 'values');
    const n = v.length;
    if (n === 0) return this;
    withScope((s) => {
      const m = this.maxSize;
      const state = s.alloc((HEADER + 2 * m) * 8);
      const vp = s.f64(v);
      const f = s.f64View();
      const h = state >>> 3;
      f.fill(0, h, h + HEADER);
      f[h] = this.scale;
      f[h + 1] = m;
      f[h + 2] = this.positive.offset;
      f[h + 3] = this.positive.counts.length;
      f[h + 4] = this.negative.offset;
      f[h + 5] = this.negative.counts.length;
      f[h + 6] = this.zeroCount;
      f[h + 7] = this.count;
      f[h + 8] = this.sumPair[0];
      f[h + 9] = this.sumPair[1];
      f[h + 10] = this.sumSqPair[0];
      f[h + 11] = this.sumSqPair[1];
      f[h + 12] = this.min;
      f[h + 13] = this.max;
      f.set(this.positive.counts, h + HEADER);
      f.set(this.negative.counts, h + HEADER + m);
      const bad = s.k.sketchInsert(state, vp, n);
      if (bad >= 0) {
        throw new InputError('NON_FINITE', `values[${bad}]`, `is ${v[bad]}; a sketch takes finite numbers only (drop NaN before inserting).`);
      }
      const g = s.f64View();
      this.scale = g[h]!;
      const pLen = g[h + 3]!, nLen = g[h + 5]!;
      this.positive = readBuckets(this.positive, g[h + 2]!, g.subarray(h + HEADER, h + HEADER + pLen));
      this.negative = readBuckets(this.negative, g[h + 4]!, g.subarray(h + HEADER + m, h + HEADER + m + nLen));
      this.zeroCount = g[h + 6]!;
      this.count = g[h + 7]!;
      this.sumPair = [g[h + 8]!, g[h + 9]!];
      this.sumSqPair = [g[h + 10]!, g[h + 11]!];
      this.min = g[h + 12]!;
      this.max = g[h + 13]!;
    });
    return this;
  }

  /** A deep copy. */
  clone(): ExpHistogram {
    const c = new ExpHistogram({ maxSize: this.maxSize, maxScale: this.scale });
    c.count = this.count;
    c.zeroCount = this.zeroCount;
    c.sumPair = [...this.sumPair];
    c.sumSqPair = [...this.sumSqPair];
    c.min = this.min;
    c.max = this.max;
    c.positive = { offset: this.positive.offset, counts: this.positive.counts.slice() };
    c.negative = { offset: this.negative.offset, counts: this.negative.counts.slice() };
    return c;
  }

  /**
   * The sketch of both inputs' values, neither input changed. Scales are
   * brought to the coarser one (index >> difference) and lowered further if
   * the union exceeds the smaller budget of the two. Counts add exactly, and
   * the result does not depend on the order of merges: it equals the sketch
   * of all values inserted at once with that budget.
   */
  static merge(a: ExpHistogram, b: ExpHistogram): ExpHistogram {
    const maxSize = Math.min(a.maxSize, b.maxSize);
    let scale = Math.min(a.scale, b.scale);
    const sides = (x: ExpHistogram): [Buckets, Buckets] => [
      downscaled(x.positive, x.scale - scale), downscaled(x.negative, x.scale - scale),
    ];
    let [ap, an] = sides(a);
    let [bp, bn] = sides(b);
    const ranges: Array<[number, number]> = [];
    for (const [x, y] of [[ap, bp], [an, bn]] as const) {
      const parts = [x, y].filter((q) => q.counts.length > 0);
      if (parts.length === 0) continue;
      ranges.push([Math.min(...parts.map((q) => q.offset)), Math.max(...parts.map((q) => q.offset + q.counts.length - 1))]);
    }
    let d = reductionFor(ranges, maxSize);
    if (scale - d < MIN_SCALE) d = scale - MIN_SCALE;
    if (d > 0) {
      scale -= d;
      [ap, an, bp, bn] = [ap, an, bp, bn].map((q) => downscaled(q, d)) as [Buckets, Buckets, Buckets, Buckets];
    }
    const out = new ExpHistogram({ maxSize, maxScale: scale });
    out.positive = addBuckets(ap, bp);
    out.negative = addBuckets(an, bn);
    out.count = a.count + b.count;
    out.zeroCount = a.zeroCount + b.zeroCount;
    out.sumPair = addPairs(a.sumPair, b.sumPair);
    out.sumSqPair = addPairs(a.sumSqPair, b.sumSqPair);
    out.min = Math.min(a.min, b.min);
    out.max = Math.max(a.max, b.max);
    // Two finite sums can add to Infinity (1.5e308 + 1.5e308); such a sketch
    // could never be serialized, merged back to finite or exported, so the
    // merge is refused and neither input is changed. (A sketch of values
    // beyond ~1e154 already holds an infinite sum of squares in memory; merging
    // it only carries that along.)
    const finitePair = (p: readonly [number, number]): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(p[0] + p[1]);
    for (const [k, p, x, y] of [['sum', out.sumPair, a.sumPair, b.sumPair], ['sumSq', out.sumSqPair, a.sumSqPair, b.sumSqPair]] as const) {
      if (!finitePair(p) && finitePair(x) && finitePair(y)) {
        throw new InputError('MERGE_OVERFLOW', `b.${k}`, `merged with a.${k} gives ${p[0] + p[1]}; the merged sketch would leave the finite range, so it is not built.`);
      }
    }
    return out;
  }

  /**
   * A copy at a coarser scale (or this scale), e.g. for Prometheus native
   * histograms, whose schema stops at 8, or to send fewer buckets.
   */
  atScale(scale: number): ExpHistogram {
    if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > this.scale) {
      throw new InputError('INVALID_OPTION', 'scale', `is ${describe(scale)}; pass an integer in [${MIN_SCALE}, ${this.scale}] (a sketch cannot be refined).`);
    }
    const c = this.clone();
    c.positive = downscaled(c.positive, this.scale - scale);
    c.negative = downscaled(c.negative, this.scale - scale);
    c.scale = scale;
    return c;
  }

  /** Estimate of the value of 0-based rank r (0 <= r < count). */
  private valueAtRank(r: number): number {
    if (r <= 0) return this.min;
    if (r >= this.count - 1) return this.max;
    const base = this.base;
    const point = (i: number): number => {
      // 2·upper/(base+1): equal relative distance to both ends of the bucket.
      const upper = 2 ** ((i + 1) * 2 ** -this.scale);
      const v = (2 * upper) / (base + 1);
      return Number.isFinite(v) && v > 0 ? v : upper;
    };
    let seen = 0;
    const neg = this.negative.counts;
    for (let k = neg.length - 1; k >= 0; k--) {
      seen += neg[k]!;
      if (r < seen) return this.clamp(-point(this.negative.offset + k));
    }
    seen += this.zeroCount;
    if (r < seen) return this.clamp(0);
    const pos = this.positive.counts;
    for (let k = 0; k < pos.length; k++) {
      seen += pos[k]!;
      if (r < seen) return this.clamp(point(this.positive.offset + k));
    }
    return this.max;
  }

  private clamp(v: number): number {
    return Math.min(this.max, Math.max(this.min, v));
  }

  /**
   * Estimated q-quantile (0 <= q <= 1) with numpy's default 'linear' rule;
   * NaN for an empty sketch.
   */
  quantile(q: number): number {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
      throw new InputError('INVALID_OPTION', 'q', `is ${describe(q)}; a quantile lies in [0, 1].`);
    }
    if (this.count === 0) return NaN;
    const vi = (this.count - 1) * q;
    const k = Math.floor(vi);
    const g = vi - k;
    const a = this.valueAtRank(k);
    if (g === 0) return a;
    const b = this.valueAtRank(k + 1);
    const d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
  }

  /** quantile() for each of qs. */
  quantiles(qs: Numbers): Float64Array {
    const q = numbers(qs, 'qs');
    return Float64Array.from(q, (x) => this.quantile(x));
  }
}

/** New bucket state from WASM memory, reusing the old array when the length is unchanged (the common case once a sketch has warmed up). */
function readBuckets(old: Buckets, offset: number, counts: Float64Array): Buckets {
  if (old.counts.length === counts.length) {
    old.counts.set(counts);
    return { offset, counts: old.counts };
  }
  return { offset, counts: counts.slice() };
}

function addBuckets(a: Buckets, b: Buckets): Buckets {
  if (a.counts.length === 0) return { offset: b.offset, counts: b.counts.slice() };
  if (b.counts.length === 0) return { offset: a.offset, counts: a.counts.slice() };
  const offset = Math.min(a.offset, b.offset);
  const end = Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = new Float64Array(end - offset);
  for (let k = 0; k < a.counts.length; k++) counts[a.offset - offset + k]! += a.counts[k]!;
  for (let k = 0; k < b.counts.length; k++) counts[b.offset - offset + k]! += b.counts[k]!;
  return { offset, counts };
}
