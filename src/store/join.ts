// Joining predictions with their latest label by id, without comparators or
// hash maps: a stable LSD radix argsort on the integer ids (11-bit digits on
// the low 32 and high 21 bits; passes on which all ids agree are skipped, and
// already sorted input costs one scan), then one merge walk. Also the label
// side of every join: which label chunks to fetch (by id range), their rows
// as columns, and the feedback delay of a matched pair.

import type { ChunkBounds, LabelBounds, LabelChunk } from './schema.js';

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

/** Label chunks whose id range meets any of the chunks' id ranges. */
export function overlapping(labels: LabelBounds[], chunks: ChunkBounds[]): LabelBounds[] {
  if (chunks.length === 0) return [];
  const sorted = [...chunks].sort((a, b) => a.minId - b.minId);
  // Merge the chunks' id ranges into disjoint intervals.
  const lo: number[] = [];
  const hi: number[] = [];
  for (const c of sorted) {
    if (lo.length > 0 && c.minId <= hi[hi.length - 1]!) hi[hi.length - 1] = Math.max(hi[hi.length - 1]!, c.maxId);
    else {
      lo.push(c.minId);
      hi.push(c.maxId);
    }
  }
  return labels.filter((l) => {
    // First interval ending at or after l.minId.
    let a = 0;
    let b = hi.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (hi[m]! < l.minId) a = m + 1;
      else b = m;
    }
    return a < lo.length && lo[a]! <= l.maxId;
  });
}

/** Label rows as columns (a LabelChunk without its key). */
export interface LabelRows {
  id: Float64Array;
  label: Float64Array;
  labeledAt: Float64Array;
  feedbackDelayMs: Float64Array;
}

/** `n` label rows, zero-filled. */
export function labelRows(n: number): LabelRows {
  return { id: new Float64Array(n), label: new Float64Array(n), labeledAt: new Float64Array(n), feedbackDelayMs: new Float64Array(n) };
}

/** The rows of label chunks in key order; chunks gone since their catalog was read (undefined) are skipped. */
export function concatLabels(found: (LabelChunk | undefined)[]): LabelRows {
  const chunks = found.filter((c): c is LabelChunk => c !== undefined);
  // Chunk key order is write order within a writer: ties of labeledAt go to
  // the later write.
  chunks.sort((a, b) => a.key - b.key);
  let n = 0;
  for (const c of chunks) n += c.id.length;
  const out = labelRows(n);
  let k = 0;
  for (const c of chunks) {
    out.id.set(c.id, k);
    out.label.set(c.label, k);
    out.labeledAt.set(c.labeledAt, k);
    out.feedbackDelayMs.set(c.feedbackDelayMs, k);
    k += c.id.length;
  }
  return out;
}

/** Marks label rows whose id is among the predictions' ids (1) or not (0). */
export function matchLabelsAll(predIds: Float64Array, labelIds: Float64Array): Uint8Array {
  const mark = new Uint8Array(labelIds.length);
  const p = argsortIds(predIds);
  const l = argsortIds(labelIds);
  let i = 0;
  for (let k = 0; k < l.length; k++) {
    const id = labelIds[l[k]!]!;
    while (i < p.length && predIds[p[i]!]! < id) i++;
    if (i < p.length && predIds[p[i]!] === id) mark[l[k]!] = 1;
  }
  return mark;
}

/** The label rows whose mark is `want`, in order; `l` itself when that is all of them. */
export function pickLabels(l: LabelRows, mark: Uint8Array, want: 0 | 1 = 1): LabelRows {
  let n = 0;
  for (const m of mark) if (m === want) n++;
  if (n === l.id.length) return l;
  const out = labelRows(n);
  let k = 0;
  for (let i = 0; i < mark.length; i++) {
    if (mark[i] !== want) continue;
    out.id[k] = l.id[i]!;
    out.label[k] = l.label[i]!;
    out.labeledAt[k] = l.labeledAt[i]!;
    out.feedbackDelayMs[k] = l.feedbackDelayMs[i]!;
    k++;
  }
  return out;
}

/** A label's feedback delay: the one the app gave, or else (NaN given) labeledAt - timestamp. */
export function delayOf(given: number, labeledAt: number, timestamp: number): number {
  return given === given ? given : labeledAt - timestamp;
}
