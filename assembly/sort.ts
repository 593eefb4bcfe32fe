// Sorting and selection over f64 in linear memory, without comparators.
//
// f64 keys become u64 keys whose unsigned order is the numeric order (flip all
// bits of negatives, the sign bit of the rest; -0 is folded into +0 first so
// that ties compare equal, as numpy's ==), sorted by radix passes (see
// radixSortU64).

/** Order-preserving map from f64 to u64 (NaN excluded by validation). */
@inline export function toKey(x: f64): u64 {
  const b = reinterpret<u64>(x + 0.0); // + 0.0 turns -0 into +0
  return (b >> 63) != 0 ? ~b : b | 0x8000000000000000;
}

/** Inverse of toKey. */
@inline export function fromKey(k: u64): f64 {
  return reinterpret<f64>((k >> 63) != 0 ? k & 0x7fffffffffffffff : ~k);
}

/** toKey for f32: the same order on half the bytes (for scores that are float32 values). */
@inline export function toKey32(x: f32): u32 {
  const b = reinterpret<u32>(x + <f32>0.0);
  return (b >> 31) != 0 ? ~b : b | 0x80000000;
}

/** Inverse of toKey32. */
@inline export function fromKey32(k: u32): f32 {
  return reinterpret<f32>((k >> 31) != 0 ? k & 0x7fffffff : ~k);
}

/** Digit width of the radix passes over the high half of the keys. */
const BITS: i32 = 11;

/**
 * LSD radix passes over bits fromBit.. of n keys of type K (u64 or u32;
 * BITS-bit digits), using tmp (n keys) as scratch; a digit on which all keys
 * agree costs no pass. `given` may hold the histograms already (see
 * countSortBits). Returns the pointer (keys or tmp) that holds the result.
 */
function radixPasses<K>(keys: usize, tmp: usize, n: i32, fromBit: i32, given: usize): usize {
  const size = <usize>sizeof<K>();
  const digits = (<i32>(size << 3) - fromBit + BITS - 1) / BITS;
  const buckets = 1 << BITS;
  const mask: u64 = <u64>(buckets - 1);
  let counts = given;
  if (counts == 0) {
    const bytes = <usize>digits * <usize>buckets << 2;
    counts = heap.alloc(bytes);
    memory.fill(counts, 0, bytes);
    // One read pass builds the histograms of all digits.
    for (let i = 0; i < n; i++) histogramAdd(counts, <u64>load<K>(keys + <usize>i * size) >> <u64>fromBit, digits);
  }
  let src = keys;
  let dst = tmp;
  for (let d = 0; d < digits; d++) {
    const base = counts + (<usize>d * <usize>buckets << 2);
    let total = 0;
    let constant = false;
    for (let v = 0; v < buckets; v++) {
      const p = base + (<usize>v << 2);
      const c = load<i32>(p);
      if (c == n) constant = true;
      store<i32>(p, total); // exclusive prefix sum: first slot of each digit value
      total += c;
    }
    if (constant) continue;
    const shift = <u64>(fromBit + d * BITS);
    for (let i = 0; i < n; i++) {
      const k = load<K>(src + <usize>i * size);
      const p = base + (<usize>((<u64>k >> shift) & mask) << 2);
      const at = load<i32>(p);
      store<i32>(p, at + 1);
      store<K>(dst + <usize>at * size, k);
    }
    const t = src; src = dst; dst = t;
  }
  if (given == 0) heap.free(counts);
  return src;
}

/**
 * Bytes of the histograms a sort needs: both sorts order 32 bits by radix
 * passes (the high half of u64 keys, all of u32 keys).
 */
export const SORT_COUNTS_BYTES: usize = <usize>((32 + BITS - 1) / BITS) << (BITS + 2);

/** Counts the digits of k (already shifted to its first digit) into histograms. */
@inline export function histogramAdd(counts: usize, k: u64, digits: i32): void {
  const mask: u64 = <u64>((1 << BITS) - 1);
  for (let d = 0; d < digits; d++) {
    const c = counts + (((<usize>d << <usize>BITS) + <usize>((k >> <u64>(d * BITS)) & mask)) << 2);
    store<i32>(c, load<i32>(c) + 1);
  }
}

/** Adds key k to histograms for radixSortU64 / radixSortU32 (counts: SORT_COUNTS_BYTES, zeroed). */
@inline export function countSortBits<K>(counts: usize, k: K): void {
  histogramAdd(counts, sizeof<K>() == 8 ? <u64>k >> 32 : <u64>k, (32 + BITS - 1) / BITS);
}

/** Runs this short are insertion-sorted; longer ones get radix passes. */
const SHORT_RUN: i32 = 32;

/**
 * Sorts n u64 keys at keys ascending, using tmp (n u64) as scratch, and
 * returns the pointer (keys or tmp) that holds the sorted keys. Callers that
 * already pass over the keys may build the histograms on the way (countSortBits)
 * and hand them over as `counts`, saving a read pass.
 *
 * Sorting by the high 32 bits first takes 4 byte passes instead of 8 (fewer
 * still when bytes are constant, as the exponent bytes of probabilities are).
 * Keys equal in their high half then form runs, almost always of identical
 * keys (ties) or of a few keys, ordered by insertion sort; a long run of
 * keys differing only in their low half gets radix passes of its own, so
 * adversarial inputs stay O(n).
 */
export function radixSortU64(keys: usize, tmp: usize, n: i32, counts: usize = 0): usize {
  if (n < 2) return keys;
  const sorted = radixPasses<u64>(keys, tmp, n, 32, counts);
  const spare = sorted == keys ? tmp : keys;
  let i = 0;
  while (i < n) {
    const first = load<u64>(sorted + (<usize>i << 3));
    const high = first >> 32;
    let j = i + 1;
    let same = true; // a run of one repeated key (a tie) is already sorted
    while (j < n) {
      const k = load<u64>(sorted + (<usize>j << 3));
      if (k >> 32 != high) break;
      same = same & (k == first);
      j++;
    }
    const len = j - i;
    const run = sorted + (<usize>i << 3);
    if (same) {
      // nothing to do
    } else if (len > SHORT_RUN) {
      const done = radixPasses<u64>(run, spare + (<usize>i << 3), len, 0, 0);
      if (done != run) memory.copy(run, done, <usize>len << 3);
    } else if (len > 1) {
      insertionSortU64(run, len);
    }
    i = j;
  }
  return sorted;
}

/** Sorts n u32 keys ascending (tmp: n u32 of scratch); returns where they are. */
export function radixSortU32(keys: usize, tmp: usize, n: i32, counts: usize = 0): usize {
  return n < 2 ? keys : radixPasses<u32>(keys, tmp, n, 0, counts);
}

// ---------------------------------------------------------------------------
// Selection of several order statistics at once (radix select).
//
// One pass histograms the keys by their top 16 varying bits; each wanted rank
// falls in one bucket; one more pass gathers only the keys of those buckets,
// and each gathered bucket (about n / 65536 keys for spread-out data) is
// resolved the same way, recursively, with 16 fewer varying bits per level (at
// most 4 levels). Cost: ~2 passes over the data, versus ~4 for sequential
// quickselects, and no adversarial worst case.

/** Buckets per level. */
const SELECT_BITS: i32 = 16;
/** At or below this many keys, sort them directly. */
const SELECT_SMALL: i32 = 64;

/**
 * Writes to out[j] (f64) the value of rank ranks[j] (i32, ascending, each in
 * [0, n)) among the n f64 at ptr, i.e. the value at that index if the values
 * were sorted. The values are not modified.
 */
export function selectRanks(ptr: usize, n: i32, ranks: usize, m: i32, out: usize): void {
  const keys = heap.alloc(<usize>n << 3);
  let lo: u64 = u64.MAX_VALUE;
  let hi: u64 = 0;
  for (let i = 0; i < n; i++) {
    const k = toKey(load<f64>(ptr + (<usize>i << 3)));
    store<u64>(keys + (<usize>i << 3), k);
    lo = k < lo ? k : lo;
    hi = k > hi ? k : hi;
  }
  rankKeys(keys, n, lo, hi, ranks, m, out);
  heap.free(keys);
}

function rankKeys(keys: usize, n: i32, lo: u64, hi: u64, ranks: usize, m: i32, out: usize): void {
  if (lo == hi) {
    for (let j = 0; j < m; j++) store<f64>(out + (<usize>j << 3), fromKey(lo));
    return;
  }
  if (n <= SELECT_SMALL) {
    insertionSortU64(keys, n);
    for (let j = 0; j < m; j++) {
      store<f64>(out + (<usize>j << 3), fromKey(load<u64>(keys + (<usize>load<i32>(ranks + (<usize>j << 2)) << 3))));
    }
    return;
  }
  const span = hi - lo;
  const width = 64 - <i32>clz(span);
  const shift: u64 = <u64>(width > SELECT_BITS ? width - SELECT_BITS : 0);
  const nb = <i32>(span >> shift) + 1;
  // counts[b]: keys in bucket b; then, for wanted buckets, where they gather.
  const counts = heap.alloc(<usize>nb << 2);
  memory.fill(counts, 0, <usize>nb << 2);
  for (let i = 0; i < n; i++) {
    const c = counts + (<usize>((load<u64>(keys + (<usize>i << 3)) - lo) >> shift) << 2);
    store<i32>(c, load<i32>(c) + 1);
  }
  // Find each rank's bucket; buckets[j], bucketStart[j] (cumulative count
  // before it) per rank.
  const info = heap.alloc(<usize>m << 3);
  let b = 0;
  let before = 0;
  for (let j = 0; j < m; j++) {
    const r = load<i32>(ranks + (<usize>j << 2));
    while (before + load<i32>(counts + (<usize>b << 2)) <= r) { before += load<i32>(counts + (<usize>b << 2)); b++; }
    store<i32>(info + (<usize>j << 3), b);
    store<i32>(info + (<usize>j << 3) + 4, before);
  }
  // Gather the keys of the wanted buckets: slot[b] = offset of bucket b in the
  // gathered array, or -1 for buckets nobody wants.
  const slot = heap.alloc(<usize>nb << 2);
  memory.fill(slot, 0xff, <usize>nb << 2);
  let total = 0;
  for (let j = 0; j < m; j++) {
    const wb = load<i32>(info + (<usize>j << 3));
    if (load<i32>(slot + (<usize>wb << 2)) < 0) {
      store<i32>(slot + (<usize>wb << 2), total);
      total += load<i32>(counts + (<usize>wb << 2));
    }
  }
  const gathered = heap.alloc(<usize>max(total, 1) << 3);
  for (let i = 0; i < n; i++) {
    const k = load<u64>(keys + (<usize>i << 3));
    const p = slot + (<usize>((k - lo) >> shift) << 2);
    const at = load<i32>(p);
    if (at >= 0) {
      store<u64>(gathered + (<usize>at << 3), k);
      store<i32>(p, at + 1);
    }
  }
  // Resolve each wanted bucket with the ranks that fall in it.
  const sub = heap.alloc(<usize>m << 2);
  let j = 0;
  while (j < m) {
    const wb = load<i32>(info + (<usize>j << 3));
    const start = load<i32>(info + (<usize>j << 3) + 4);
    let e = j;
    while (e < m && load<i32>(info + (<usize>e << 3)) == wb) {
      store<i32>(sub + (<usize>(e - j) << 2), load<i32>(ranks + (<usize>e << 2)) - start);
      e++;
    }
    const cnt = load<i32>(counts + (<usize>wb << 2));
    // After gathering, slot[wb] points one past the bucket's last key.
    const base = gathered + (<usize>(load<i32>(slot + (<usize>wb << 2)) - cnt) << 3);
    let blo: u64 = u64.MAX_VALUE;
    let bhi: u64 = 0;
    for (let i = 0; i < cnt; i++) {
      const k = load<u64>(base + (<usize>i << 3));
      blo = k < blo ? k : blo;
      bhi = k > bhi ? k : bhi;
    }
    rankKeys(base, cnt, blo, bhi, sub, e - j, out + (<usize>j << 3));
    j = e;
  }
  heap.free(sub);
  heap.free(gathered);
  heap.free(slot);
  heap.free(info);
  heap.free(counts);
}

function insertionSortU64(keys: usize, n: i32): void {
  for (let a = 1; a < n; a++) {
    const v = load<u64>(keys + (<usize>a << 3));
    let b = a - 1;
    while (b >= 0 && load<u64>(keys + (<usize>b << 3)) > v) {
      store<u64>(keys + (<usize>(b + 1) << 3), load<u64>(keys + (<usize>b << 3)));
      b--;
    }
    store<u64>(keys + (<usize>(b + 1) << 3), v);
  }
}
