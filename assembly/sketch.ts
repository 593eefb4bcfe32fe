// Batched insert into an exponential histogram (OpenTelemetry's
// ExponentialHistogram, Prometheus's native histogram): bucket i at scale s
// holds (base^i, base^(i+1)] with base = 2^(2^-s).
//
// The sketch's state belongs to TypeScript (src/summary/sketch.ts) so that it
// is garbage collected, cloned and serialized like any object; a call copies
// the populated buckets in, inserts a whole batch and leaves the result for
// the caller to copy out. Merging and quantiles touch at most maxSize buckets
// and stay in TypeScript.
//
// State block layout (f64 slots, then the bucket arrays):
//   0 scale, 1 maxSize, 2 positive offset, 3 positive length, 4 negative
//   offset, 5 negative length, 6 zero count, 7 count, 8-9 sum (Neumaier hi,
//   lo), 10-11 sum of squares (hi, lo), 12 min, 13 max;
//   then maxSize f64 positive counts from slot 16 (count k is bucket offset+k),
//   then maxSize f64 negative counts (indexed by bucket of |x|).
import { BLOCK } from './sum';

export const SKETCH_HEADER: i32 = 16;
/** OpenTelemetry's smallest scale: base 2^1024 puts every f64 in <= 2 buckets. */
export const SKETCH_MIN_SCALE: i32 = -10;

const MANT: u64 = 0x000fffffffffffff;
const ONE_BITS: u64 = 0x3ff0000000000000;
const SIGN: u64 = 0x8000000000000000;
/** Scales up to this use lookup tables; finer ones (narrow data only) use log2. */
const TABLE_MAX: i32 = 12;

// Per scale s in 1..TABLE_MAX: `thresholds` has 2^s + 1 u64 where value
// 1.M (mantissa bits M) lies above boundary 2^(k/2^s) iff M >= thresholds[k];
// `linear` maps the top s+1 mantissa bits to the sub-bucket of the start of
// that linear slice. Log buckets are wider than 1/2^(s+1) of an octave, so a
// slice holds at most one boundary and one comparison finishes the index
// (the "exponent + mantissa" approach of OTel, without a log per value).
// Built once per scale, kept for the life of the module (about 100 KB for all).
const thresholdTables = new StaticArray<usize>(TABLE_MAX + 1);
const linearTables = new StaticArray<usize>(TABLE_MAX + 1);

function tables(s: i32): void {
  if (unchecked(thresholdTables[s]) != 0) return;
  const nb = 1 << s;
  const thr = heap.alloc(<usize>(nb + 1) << 3);
  const lin = heap.alloc(<usize>(nb << 1) << 2);
  store<u64>(thr, 0);
  for (let k = 1; k < nb; k++) {
    // A boundary 2^(k/2^s) is irrational, so no f64 equals it; pow is within
    // an ulp, so a value within an ulp of a boundary may land next door.
    const b = Math.pow(2.0, <f64>k / <f64>nb);
    store<u64>(thr + (<usize>k << 3), (reinterpret<u64>(b) & MANT) + 1);
  }
  store<u64>(thr + (<usize>nb << 3), <u64>1 << 52);
  let j = 0;
  for (let r = 0; r < nb << 1; r++) {
    const start = <u64>r << <u64>(51 - s);
    while (j + 1 < nb && load<u64>(thr + (<usize>(j + 1) << 3)) <= start) j++;
    store<i32>(lin + (<usize>r << 2), j);
  }
  unchecked(thresholdTables[s] = thr);
  unchecked(linearTables[s] = lin);
}

/**
 * Bucket index of a positive finite value given its bits, at scale s:
 * ceil(log2(x) * 2^s) - 1. Subnormals go to the bucket of 2^-1022.
 */
@inline function indexOf(bits: u64, s: i32, thr: usize, lin: usize): i32 {
  let e = <i32>(bits >> 52) - 1023;
  let m = bits & MANT;
  if (e == -1023) {
    e = -1022;
    m = 0;
  }
  if (s <= 0) return (e - <i32>(m == 0)) >> -s;
  // An exact power of two closes the bucket below it.
  if (m == 0) return (e << s) - 1;
  if (s <= TABLE_MAX) {
    let j = load<i32>(lin + (<usize>(m >> <u64>(51 - s)) << 2));
    j += <i32>(m >= load<u64>(thr + (<usize>(j + 1) << 3)));
    return (e << s) + j;
  }
  const nb = 1 << s;
  let j = <i32>Math.floor(Math.log2(reinterpret<f64>(m | ONE_BITS)) * <f64>nb);
  if (j < 0) j = 0;
  if (j >= nb) j = nb - 1;
  return (e << s) + j;
}

@inline function tableThr(s: i32): usize {
  if (s < 1 || s > TABLE_MAX) return 0;
  tables(s);
  return unchecked(thresholdTables[s]);
}

@inline function tableLin(s: i32): usize {
  if (s < 1 || s > TABLE_MAX) return 0;
  return unchecked(linearTables[s]);
}

/** Scale reduction that makes [lo, hi] span at most maxSize buckets. */
function reduction(lo: i32, hi: i32, maxSize: i32): i32 {
  let d = 0;
  while ((hi >> d) - (lo >> d) + 1 > maxSize) d++;
  return d;
}

/**
 * Merges a side's counts (bucket offset+k at counts) down by d scales in
 * place; reads and writes the side's offset and length in the header slots
 * slotOff and slotOff + 1.
 */
function downscale(state: usize, counts: usize, slotOff: i32, d: i32): void {
  const off = <i32>load<f64>(state + (<usize>slotOff << 3));
  const len = <i32>load<f64>(state + (<usize>(slotOff + 1) << 3));
  if (d == 0 || len == 0) return;
  const newOff = off >> d;
  for (let k = 0; k < len; k++) {
    const j = ((off + k) >> d) - newOff; // j <= k: never overwrites an unread count
    const p = counts + (<usize>k << 3);
    const c = load<f64>(p);
    store<f64>(p, 0);
    const q = counts + (<usize>j << 3);
    store<f64>(q, load<f64>(q) + c);
  }
  store<f64>(state + (<usize>slotOff << 3), <f64>newOff);
  store<f64>(state + (<usize>(slotOff + 1) << 3), <f64>(((off + len - 1) >> d) - newOff + 1));
}

/** Widens a side's window to [lo, hi], moving its counts; writes offset and length to the header. */
function rebase(state: usize, counts: usize, slotOff: i32, lo: i32, hi: i32): void {
  const off = <i32>load<f64>(state + (<usize>slotOff << 3));
  const len = <i32>load<f64>(state + (<usize>(slotOff + 1) << 3));
  let newLo = lo;
  let newHi = hi;
  if (len > 0) {
    newLo = min(lo, off);
    newHi = max(hi, off + len - 1);
    const shift = off - newLo;
    if (shift > 0) {
      memory.copy(counts + (<usize>shift << 3), counts, <usize>len << 3);
      memory.fill(counts, 0, <usize>shift << 3);
    }
    const end = shift + len;
    const newLen = newHi - newLo + 1;
    if (newLen > end) memory.fill(counts + (<usize>end << 3), 0, <usize>(newLen - end) << 3);
  } else {
    memory.fill(counts, 0, <usize>(newHi - newLo + 1) << 3);
  }
  store<f64>(state + (<usize>slotOff << 3), <f64>newLo);
  store<f64>(state + (<usize>(slotOff + 1) << 3), <f64>(newHi - newLo + 1));
}

@inline function neumaier(state: usize, slot: i32, x: f64): void {
  const p = state + (<usize>slot << 3);
  const s = load<f64>(p);
  const t = s + x;
  const c = Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
  store<f64>(p, t);
  store<f64>(p + 8, load<f64>(p + 8) + c);
}

/**
 * Inserts the n f64 at values into the sketch whose state block is at state,
 * lowering the scale as far as needed for each sign's buckets to span at most
 * maxSize. Returns -1, or the index of the first non-finite value (the state
 * is then untouched).
 */
export function sketchInsert(state: usize, values: usize, n: i32): i32 {
  // Pass 1, fused and branch-free: sums and extremes, two values per step in
  // SIMD (pmin/pmax are single instructions, where scalar min/max must also
  // order NaN and -0). A NaN or infinity makes its block's sums non-finite,
  // and only then is the block scanned for it, before any state changes.
  const inf = f64x2.splat(Infinity);
  const zero = f64x2.splat(0);
  const lane0 = i64x2(-1, 0);
  let vlo = inf, vhi = f64x2.splat(-Infinity);
  let sum: f64 = 0, sumC: f64 = 0, sq: f64 = 0, sqC: f64 = 0;
  for (let b = 0; b < n; b += BLOCK) {
    const end = min(n, b + BLOCK);
    let vs = zero, vq = zero;
    let i = b;
    for (; i + 1 < end; i += 2) {
      const x = v128.load(values + (<usize>i << 3));
      vs = f64x2.add(vs, x);
      vq = f64x2.add(vq, f64x2.mul(x, x));
      vlo = f64x2.pmin(vlo, x);
      vhi = f64x2.pmax(vhi, x);
    }
    if (i < end) {
      // Odd tail: one value, in lane 0 only.
      const x = f64x2.replace_lane(zero, 0, load<f64>(values + (<usize>i << 3)));
      vs = f64x2.add(vs, x);
      vq = f64x2.add(vq, f64x2.mul(x, x));
      vlo = f64x2.pmin(vlo, v128.bitselect(x, inf, lane0));
      vhi = f64x2.pmax(vhi, v128.bitselect(x, f64x2.splat(-Infinity), lane0));
    }
    const bs = f64x2.extract_lane(vs, 0) + f64x2.extract_lane(vs, 1);
    const bq = f64x2.extract_lane(vq, 0) + f64x2.extract_lane(vq, 1);
    if (!(bs - bs == 0) || !(bq - bq == 0)) {
      for (let k = b; k < end; k++) {
        const x = load<f64>(values + (<usize>k << 3));
        if (!(x - x == 0)) return k;
      }
    }
    // Neumaier steps on the block totals.
    let t = sum + bs;
    sumC += Math.abs(sum) >= Math.abs(bs) ? (sum - t) + bs : (bs - t) + sum;
    sum = t;
    t = sq + bq;
    sqC += Math.abs(sq) >= Math.abs(bq) ? (sq - t) + bq : (bq - t) + sq;
    sq = t;
  }
  const lo = min(f64x2.extract_lane(vlo, 0), f64x2.extract_lane(vlo, 1));
  const hi = max(f64x2.extract_lane(vhi, 0), f64x2.extract_lane(vhi, 1));
  // With every value positive, the smallest positive is the minimum; only
  // batches holding zeros or negatives need a scan for the rest.
  let posMin = lo, negMin = Infinity;
  let zeros = 0;
  if (!(lo > 0)) {
    posMin = Infinity;
    for (let i = 0; i < n; i++) {
      const x = load<f64>(values + (<usize>i << 3));
      if (x > 0) posMin = min(posMin, x);
      else if (x < 0) negMin = min(negMin, -x);
      else zeros++;
    }
  }
  if (n == 0) return -1;
  const posMax = max(hi, 0), negMax = max(-lo, 0);
  neumaier(state, 8, sum);
  neumaier(state, 8, sumC);
  neumaier(state, 10, sq);
  neumaier(state, 10, sqC);
  store<f64>(state + 48, load<f64>(state + 48) + <f64>zeros);
  store<f64>(state + 56, load<f64>(state + 56) + <f64>n);
  store<f64>(state + 96, min(load<f64>(state + 96), lo));
  store<f64>(state + 104, max(load<f64>(state + 104), hi));

  // Choose the scale: the finest at or below the current one that fits both signs.
  let s = <i32>load<f64>(state);
  const maxSize = <i32>load<f64>(state + 8);
  const pos = state + (<usize>SKETCH_HEADER << 3);
  const neg = pos + (<usize>maxSize << 3);
  let pOff = <i32>load<f64>(state + 16);
  const pLen = <i32>load<f64>(state + 24);
  let nOff = <i32>load<f64>(state + 32);
  const nLen = <i32>load<f64>(state + 40);
  let thr = tableThr(s), lin = tableLin(s);
  let d = 0;
  if (posMax > 0) {
    let a = indexOf(reinterpret<u64>(posMin), s, thr, lin), b = indexOf(reinterpret<u64>(posMax), s, thr, lin);
    if (pLen > 0) { a = min(a, pOff); b = max(b, pOff + pLen - 1); }
    d = max(d, reduction(a, b, maxSize));
  }
  if (negMax > 0) {
    let a = indexOf(reinterpret<u64>(negMin), s, thr, lin), b = indexOf(reinterpret<u64>(negMax), s, thr, lin);
    if (nLen > 0) { a = min(a, nOff); b = max(b, nOff + nLen - 1); }
    d = max(d, reduction(a, b, maxSize));
  }
  if (s - d < SKETCH_MIN_SCALE) d = s - SKETCH_MIN_SCALE;
  if (d > 0) {
    s -= d;
    store<f64>(state, <f64>s);
    downscale(state, pos, 2, d);
    downscale(state, neg, 4, d);
    thr = tableThr(s);
    lin = tableLin(s);
  }
  if (posMax > 0) {
    rebase(state, pos, 2, indexOf(reinterpret<u64>(posMin), s, thr, lin), indexOf(reinterpret<u64>(posMax), s, thr, lin));
  }
  if (negMax > 0) {
    rebase(state, neg, 4, indexOf(reinterpret<u64>(negMin), s, thr, lin), indexOf(reinterpret<u64>(negMax), s, thr, lin));
  }
  pOff = <i32>load<f64>(state + 16);
  nOff = <i32>load<f64>(state + 32);

  // Pass 2: count. Every index lies in its side's window by construction.
  // Bases are offset by the window start (wrapping usize arithmetic).
  const posBase = pos - (<usize>pOff << 3);
  const negBase = neg - (<usize>nOff << 3);
  if (s >= 1 && s <= TABLE_MAX) {
    // The common case, specialised on the raw bits: the exponent bias is
    // folded into the bases, zeros and subnormals share one rare branch, the
    // sign picks the side, and two table loads replace a log per value.
    const sh = <u64>(51 - s);
    const bias = <usize>(1023 << s) << 3;
    const posB = posBase - bias, negB = negBase - bias;
    if (negMax == 0 && zeros == 0 && posMin >= 2.2250738585072014e-308) {
      // All positive normal values (latencies, scores, delays): no sign, zero
      // or subnormal cases left, so the loop body is a few integer ops.
      // Neighbouring values usually share a bucket, and each increment would
      // wait for the previous store: odd rows count into a second array, so
      // two chains run at once, and the two are added at the end.
      const len = <i32>load<f64>(state + 24);
      const alt = heap.alloc(<usize>len << 3);
      memory.fill(alt, 0, <usize>len << 3);
      const altB = alt - (<usize>pOff << 3) - bias;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const b0 = load<u64>(values + (<usize>i << 3));
        const b1 = load<u64>(values + (<usize>(i + 1) << 3));
        const m0 = b0 & MANT;
        const m1 = b1 & MANT;
        let j0 = load<i32>(lin + (<usize>(m0 >> sh) << 2));
        let j1 = load<i32>(lin + (<usize>(m1 >> sh) << 2));
        j0 += <i32>(m0 >= load<u64>(thr + (<usize>(j0 + 1) << 3)));
        j1 += <i32>(m1 >= load<u64>(thr + (<usize>(j1 + 1) << 3)));
        const p0 = posB + (<usize>((<i32>(b0 >> 52) << s) + j0 - <i32>(m0 == 0)) << 3);
        const p1 = altB + (<usize>((<i32>(b1 >> 52) << s) + j1 - <i32>(m1 == 0)) << 3);
        store<f64>(p0, load<f64>(p0) + 1.0);
        store<f64>(p1, load<f64>(p1) + 1.0);
      }
      if (i < n) {
        const bits = load<u64>(values + (<usize>i << 3));
        const m = bits & MANT;
        let j = load<i32>(lin + (<usize>(m >> sh) << 2));
        j += <i32>(m >= load<u64>(thr + (<usize>(j + 1) << 3)));
        const p = posB + (<usize>((<i32>(bits >> 52) << s) + j - <i32>(m == 0)) << 3);
        store<f64>(p, load<f64>(p) + 1.0);
      }
      for (let k = 0; k < len; k++) {
        const p = pos + (<usize>k << 3);
        store<f64>(p, load<f64>(p) + load<f64>(alt + (<usize>k << 3)));
      }
      heap.free(alt);
      return -1;
    }
    for (let i = 0; i < n; i++) {
      const bits = load<u64>(values + (<usize>i << 3));
      const E = <i32>(bits >> 52) & 0x7ff;
      let p: usize;
      if (E == 0) {
        if ((bits << 1) == 0) continue; // +-0: counted in pass 1
        p = select<usize>(negBase, posBase, <i64>bits < 0) + (<usize>indexOf(bits & ~SIGN, s, thr, lin) << 3);
      } else {
        const m = bits & MANT;
        let j = load<i32>(lin + (<usize>(m >> sh) << 2));
        j += <i32>(m >= load<u64>(thr + (<usize>(j + 1) << 3)));
        p = select<usize>(negB, posB, <i64>bits < 0) + (<usize>((E << s) + j - <i32>(m == 0)) << 3);
      }
      store<f64>(p, load<f64>(p) + 1.0);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = load<f64>(values + (<usize>i << 3));
      if (x == 0) continue;
      const idx = indexOf(reinterpret<u64>(Math.abs(x)), s, thr, lin);
      const p = select<usize>(posBase, negBase, x > 0) + (<usize>idx << 3);
      store<f64>(p, load<f64>(p) + 1.0);
    }
  }
  return -1;
}
