// Joining predictions with their latest label by id, without comparators or
// hash maps: a stable LSD radix argsort on the integer ids (11-bit digits on
// the low 32 and high 21 bits; passes on which all ids agree are skipped, and
// already sorted input costs one scan), then one merge walk.

const TWO32 = 4294967296;

/** A stable permutation that sorts `ids` (integers in [0, 2^53)) ascending. */
export function argsortIds(ids: Float64Array): Uint32Array {
  const n = ids.length;
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (ids[i]! < ids[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return order;
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = ids[i]!;
    lo[i] = v >>> 0; // ToUint32 is v mod 2^32 for integers
    hi[i] = Math.floor(v / TWO32);
  }
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(2048);
  const passes: [Uint32Array, number, number][] = [
    [lo, 0, 0x7ff],
    [lo, 11, 0x7ff],
    [lo, 22, 0x3ff],
    [hi, 0, 0x7ff],
    [hi, 11, 0x3ff],
  ];
  for (const [key, shift, mask] of passes) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i]! >>> shift) & mask]!++;
    if (count[(key[0]! >>> shift) & mask] === n) continue; // every id has this digit
    let total = 0;
    for (let d = 0; d <= mask; d++) {
      const c = count[d]!;
      count[d] = total;
      total += c;
    }
    for (let i = 0; i < n; i++) {
      const r = order[i]!;
      const d = (key[r]! >>> shift) & mask;
      tmp[count[d]!++] = r;
    }
    const t = order;
    order = tmp;
    tmp = t;
  }
  return order;
}

/** The winning label row of each distinct id, ascending by id, and how many labels lost. */
export interface Winners {
  /** Label row indices, one per distinct id, in ascending id order. */
  rows: Uint32Array;
  /** Labels superseded by a later one for the same id. */
  duplicates: number;
}

/**
 * Picks one label per id: the greatest `labeledAt` wins; on a tie the row that
 * comes later in the input (a later write) wins.
 */
export function latestLabels(ids: Float64Array, labeledAt: Float64Array): Winners {
  const order = argsortIds(ids);
  const n = order.length;
  const rows = new Uint32Array(n);
  let m = 0;
  let i = 0;
  while (i < n) {
    const first = order[i]!;
    const id = ids[first]!;
    let best = first;
    let j = i + 1;
    for (; j < n; j++) {
      const r = order[j]!;
      if (ids[r] !== id) break;
      // The sort is stable, so r comes later in the input than best.
      if (labeledAt[r]! >= labeledAt[best]!) best = r;
    }
    rows[m++] = best;
    i = j;
  }
  return { rows: rows.slice(0, m), duplicates: n - m };
}

/**
 * For each prediction, the index of its label row (from `winners`), or -1.
 * `labelIds[winners[k]]` must ascend with k.
 */
export function matchLabels(predIds: Float64Array, labelIds: Float64Array, winners: Uint32Array): Int32Array {
  const n = predIds.length;
  const out = new Int32Array(n).fill(-1);
  const order = argsortIds(predIds);
  let k = 0;
  const m = winners.length;
  for (let i = 0; i < n && k < m; i++) {
    const p = order[i]!;
    const id = predIds[p]!;
    while (k < m && labelIds[winners[k]!]! < id) k++;
    if (k < m && labelIds[winners[k]!] === id) out[p] = winners[k]!;
  }
  return out;
}

/** Whether a sorted array contains x (binary search). */
export function sortedHas(a: Float64Array, x: number): boolean {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length && a[lo] === x;
}
