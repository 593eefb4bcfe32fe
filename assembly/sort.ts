// Sorting and selection over f64 in linear memory, without comparators.
//
// f64 keys become u64 keys whose unsigned order is the numeric order (flip all
// bits of negatives, the sign bit of the rest; -0 is folded into +0 first so
// that ties compare equal, as numpy's ==). An LSD radix sort on those keys does
// 8 byte passes, skipping every pass whose byte is the same for all keys: scores
// in [0, 1] share their top bits, so typically 5-6 passes remain.

/** Order-preserving map from f64 to u64 (NaN excluded by validation). */
@inline export function toKey(x: f64): u64 {
  const b = reinterpret<u64>(x + 0.0); // + 0.0 turns -0 into +0
  return (b >> 63) != 0 ? ~b : b | 0x8000000000000000;
}

/** Inverse of toKey. */
@inline export function fromKey(k: u64): f64 {
  return reinterpret<f64>((k >> 63) != 0 ? k & 0x7fffffffffffffff : ~k);
}

/**
 * Sorts n u64 keys at keys ascending, using tmp (n u64) as scratch.
 * Returns the pointer holding the sorted keys (keys or tmp).
 */
export function radixSortU64(keys: usize, tmp: usize, n: i32): usize {
  if (n < 2) return keys;
  const counts = heap.alloc(8 * 256 * 4);
  memory.fill(counts, 0, 8 * 256 * 4);
  // One pass builds the histograms of all 8 bytes.
  for (let i = 0; i < n; i++) {
    const k = load<u64>(keys + (<usize>i << 3));
    for (let d = 0; d < 8; d++) {
      const c = counts + (((<usize>d << 8) + <usize>((k >> (<u64>d << 3)) & 0xff)) << 2);
      store<i32>(c, load<i32>(c) + 1);
    }
  }
  let src = keys;
  let dst = tmp;
  for (let d = 0; d < 8; d++) {
    const base = counts + (<usize>d << 10);
    // Skip a byte on which all keys agree: the pass would not move anything.
    let skip = false;
    for (let v = 0; v < 256; v++) {
      const c = load<i32>(base + (<usize>v << 2));
      if (c == n) { skip = true; break; }
      if (c != 0) break;
    }
    if (skip) continue;
    // Exclusive prefix sums give each byte value its first output slot.
    let total = 0;
    for (let v = 0; v < 256; v++) {
      const p = base + (<usize>v << 2);
      const c = load<i32>(p);
      store<i32>(p, total);
      total += c;
    }
    const shift = <u64>d << 3;
    for (let i = 0; i < n; i++) {
      const k = load<u64>(src + (<usize>i << 3));
      const p = base + (<usize>((k >> shift) & 0xff) << 2);
      const at = load<i32>(p);
      store<i32>(p, at + 1);
      store<u64>(dst + (<usize>at << 3), k);
    }
    const t = src; src = dst; dst = t;
  }
  heap.free(counts);
  return src;
}

/** Sorts n f64 at ptr ascending in place (tmp: 2n u64 of scratch). */
export function sortF64(ptr: usize, n: i32, tmp: usize): void {
  const keys = tmp;
  const spare = tmp + (<usize>n << 3);
  for (let i = 0; i < n; i++) store<u64>(keys + (<usize>i << 3), toKey(load<f64>(ptr + (<usize>i << 3))));
  const sorted = radixSortU64(keys, spare, n);
  for (let i = 0; i < n; i++) store<f64>(ptr + (<usize>i << 3), fromKey(load<u64>(sorted + (<usize>i << 3))));
}

@inline function at(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + (<usize>i << 3));
}

@inline function swap(ptr: usize, i: i32, j: i32): void {
  const a = ptr + (<usize>i << 3);
  const b = ptr + (<usize>j << 3);
  const t = load<f64>(a);
  store<f64>(a, load<f64>(b));
  store<f64>(b, t);
}

/**
 * Rearranges ptr[lo..hi) so that ptr[k] holds the value it would hold if the
 * range were sorted, smaller-or-equal values before it and larger-or-equal
 * after (quickselect, median-of-three pivot, Hoare partition). If a range
 * shrinks too slowly (adversarial input) the rest is radix-sorted, so the
 * worst case stays O(n).
 */
export function selectF64(ptr: usize, lo: i32, hi: i32, k: i32): void {
  let budget = 2 * (32 - clz<i32>(hi - lo)) + 8;
  hi -= 1; // inclusive bound from here on
  while (hi > lo) {
    if (budget-- == 0) {
      const len = hi - lo + 1;
      const tmp = heap.alloc(<usize>len << 4);
      sortF64(ptr + (<usize>lo << 3), len, tmp);
      heap.free(tmp);
      return;
    }
    if (hi - lo < 16) {
      // Insertion sort of a small range.
      for (let i = lo + 1; i <= hi; i++) {
        const v = at(ptr, i);
        let j = i - 1;
        while (j >= lo && at(ptr, j) > v) {
          store<f64>(ptr + (<usize>(j + 1) << 3), at(ptr, j));
          j--;
        }
        store<f64>(ptr + (<usize>(j + 1) << 3), v);
      }
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    if (at(ptr, mid) < at(ptr, lo)) swap(ptr, mid, lo);
    if (at(ptr, hi) < at(ptr, lo)) swap(ptr, hi, lo);
    if (at(ptr, hi) < at(ptr, mid)) swap(ptr, hi, mid);
    const pivot = at(ptr, mid);
    let i = lo - 1;
    let j = hi + 1;
    while (true) {
      do { i++; } while (at(ptr, i) < pivot);
      do { j--; } while (at(ptr, j) > pivot);
      if (i >= j) break;
      swap(ptr, i, j);
    }
    // Hoare: [lo..j] <= pivot <= [j+1..hi]
    if (k <= j) hi = j;
    else lo = j + 1;
  }
}

/** Smallest value in ptr[lo..hi). */
export function minF64(ptr: usize, lo: i32, hi: i32): f64 {
  let m = at(ptr, lo);
  for (let i = lo + 1; i < hi; i++) m = min(m, at(ptr, i));
  return m;
}
