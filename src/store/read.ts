// The read path: prediction rows of a model in a time range, gathered from
// their chunks into typed columns and joined by id with their latest labels
// (join.ts), for readLabeled() and coverage().

import type { RowColumns } from '../columns/index.js';
import { InputError } from '../errors.js';
import type { Connection } from './connection.js';
import { argsortIds, concatLabels, delayOf, latestLabels, matchLabels, matchLabelsAll, overlapping, pickLabels } from './join.js';
import type { ChunkBounds, PredictionChunk } from './schema.js';
import type { CoverageWindows, LabeledColumns, LabeledQuery, RangeQuery } from './types.js';

// The prediction rows in range and, per row, the row of its winning label in
// label/labeledAt/givenDelay (-1 when it has none).
interface Joined extends RowColumns {
  versionIndex: Uint16Array;
  versions: string[];
  labelRow: Int32Array;
  label: Float64Array;
  labeledAt: Float64Array;
  givenDelay: Float64Array;
  duplicates: number;
  /** The prediction timestamp of each superseded label (one per label counted in `duplicates`). */
  duplicateAt: Float64Array;
  /** The chunks the rows were gathered from. */
  chunks: PredictionChunk[];
  /** Class score vectors aligned with the rows (see gatherRows), when some chunk has them and they were asked for. */
  classScores?: { classes: number; values: Float64Array };
}

/** Raw prediction chunks (with extras) overlapping [from, to), rows not trimmed to the range. */
export async function readChunks(conn: Connection, q: RangeQuery): Promise<PredictionChunk[]> {
  checkRange(q);
  const tx = conn.open().transaction(['chunkIndex', 'chunks'], 'readonly');
  const bounds = await chunksInRange(tx.objectStore('chunkIndex'), q);
  const store = tx.objectStore('chunks');
  const chunks = await Promise.all(bounds.map((b) => store.get(b.key)));
  // Finished before returning: WebKit keeps a connection whose transaction is
  // still closing, so a close() and Worker terminate right after a read left
  // the database blocked for later deletes and upgrades.
  await conn.done(tx);
  return chunks.filter((c): c is PredictionChunk => c !== undefined);
}

/** Labeled predictions of one model in [from, to) as typed columns, with coverage counts. */
export async function readLabeled(conn: Connection, q: LabeledQuery): Promise<LabeledColumns> {
  const minDelay = q.minFeedbackDelayMs ?? -Infinity;
  if (q.minFeedbackDelayMs !== undefined && !Number.isFinite(q.minFeedbackDelayMs)) {
    throw new InputError('INVALID_OPTION', 'minFeedbackDelayMs', 'expected a finite number of ms');
  }
  const j = await join(conn, q, true);
  const n = j.id.length;
  const delay = new Float64Array(n);
  const keep = new Uint8Array(n);
  let labeled = 0;
  let eligible = 0;
  for (let i = 0; i < n; i++) {
    const r = j.labelRow[i]!;
    if (r < 0) continue;
    labeled++;
    const d = delayOf(j.givenDelay[r]!, j.labeledAt[r]!, j.timestamp[i]!);
    delay[i] = d;
    if (d >= minDelay) {
      keep[i] = 1;
      eligible++;
    }
  }
  const out: LabeledColumns = {
    id: new Float64Array(eligible),
    timestamp: new Float64Array(eligible),
    prediction: new Float64Array(eligible),
    score: new Float64Array(eligible),
    latencyMs: new Float64Array(eligible),
    segment: new Uint16Array(eligible),
    segments: j.segments,
    versionIndex: new Uint16Array(eligible),
    versions: j.versions,
    label: new Float64Array(eligible),
    labeledAt: new Float64Array(eligible),
    feedbackDelayMs: new Float64Array(eligible),
    coverage: { predictions: n, labeled, eligible },
    duplicateLabels: j.duplicates,
    duplicateAt: j.duplicateAt,
  };
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const r = j.labelRow[i]!;
    out.id[k] = j.id[i]!;
    out.timestamp[k] = j.timestamp[i]!;
    out.prediction[k] = j.prediction[i]!;
    out.score[k] = j.score[i]!;
    out.latencyMs[k] = j.latencyMs[i]!;
    out.segment[k] = j.segment[i]!;
    out.versionIndex[k] = j.versionIndex[i]!;
    out.label[k] = j.label[r]!;
    out.labeledAt[k] = j.labeledAt[r]!;
    out.feedbackDelayMs[k] = delay[i]!;
    k++;
  }
  if (j.classScores) out.classScores = keepVectors(j.classScores, keep, eligible);
  if (q.withChunks) out.chunks = j.chunks;
  return out;
}

/** Coverage (labeled / predictions) per window of `windowMs` from `from`. */
export async function coverage(conn: Connection, q: LabeledQuery & { windowMs: number }): Promise<CoverageWindows> {
  if (!(q.windowMs > 0)) throw new InputError('INVALID_OPTION', 'windowMs', 'expected a positive window length in ms');
  const minDelay = q.minFeedbackDelayMs ?? -Infinity;
  const j = await join(conn, q);
  const w = Math.max(1, Math.ceil((q.to - q.from) / q.windowMs));
  const out: CoverageWindows = {
    windowStart: new Float64Array(w),
    predictions: new Uint32Array(w),
    labeled: new Uint32Array(w),
    ratio: new Float64Array(w),
  };
  for (let k = 0; k < w; k++) out.windowStart[k] = q.from + k * q.windowMs;
  for (let i = 0; i < j.id.length; i++) {
    const k = Math.floor((j.timestamp[i]! - q.from) / q.windowMs);
    out.predictions[k]!++;
    const r = j.labelRow[i]!;
    if (r < 0) continue;
    const d = delayOf(j.givenDelay[r]!, j.labeledAt[r]!, j.timestamp[i]!);
    if (d >= minDelay) out.labeled[k]!++;
  }
  for (let k = 0; k < w; k++) out.ratio[k] = out.predictions[k] ? out.labeled[k]! / out.predictions[k]! : NaN;
  return out;
}

// Reads the prediction rows in range and the label chunks whose id ranges
// meet theirs, in one readonly transaction, and matches each prediction to
// its latest label.
// With `scores`, class score vectors come along (see gatherRows).
async function join(conn: Connection, q: RangeQuery, scores = false): Promise<Joined> {
  checkRange(q);
  const tx = conn.open().transaction(['chunkIndex', 'chunks', 'labelIndex', 'labelChunks'], 'readonly');
  const [bounds, labelCatalog] = await Promise.all([
    chunksInRange(tx.objectStore('chunkIndex'), q),
    tx.objectStore('labelIndex').getAll(),
  ]);
  const chunkStore = tx.objectStore('chunks');
  const labelStore = tx.objectStore('labelChunks');
  const wanted = overlapping(labelCatalog, bounds);
  const [chunks, labels] = await Promise.all([
    Promise.all(bounds.map((b) => chunkStore.get(b.key))),
    Promise.all(wanted.map((b) => labelStore.get(b.key))),
  ]);
  await conn.done(tx); // see readChunks
  const found = chunks.filter((c): c is PredictionChunk => c !== undefined);
  const rows = gatherRows(found, q.from, q.to, scores);
  const l = concatLabels(labels);
  // Only labels of predictions in range count as duplicates here.
  const inRange = matchLabelsAll(rows.id, l.id);
  const sub = pickLabels(l, inRange);
  const winners = latestLabels(sub.id, sub.labeledAt);
  const labelRow = matchLabels(rows.id, sub.id, winners.rows);
  const duplicateAt = supersededAt(rows.id, rows.timestamp, sub.id, winners.rows);
  return { ...rows, labelRow, label: sub.label, labeledAt: sub.labeledAt, givenDelay: sub.feedbackDelayMs, duplicates: winners.duplicates, duplicateAt, chunks: found };
}

// The prediction timestamp of every label that lost to a later one: each
// label of `labelIds` (all of them ids among `predIds`) that is not a winner.
// A caller that read a wide range (a trend) counts those of its own window.
function supersededAt(predIds: Float64Array, timestamp: Float64Array, labelIds: Float64Array, winners: Uint32Array): Float64Array {
  const n = labelIds.length - winners.length;
  if (n === 0) return new Float64Array(0);
  const won = new Uint8Array(labelIds.length);
  for (const r of winners) won[r] = 1;
  const lost = new Float64Array(n);
  let k = 0;
  for (let r = 0; r < labelIds.length; r++) if (!won[r]) lost[k++] = labelIds[r]!;
  // Prediction ids are unique, so their ascending order serves as the winners
  // of a match from the lost labels' side: row[k] is the prediction of lost[k].
  const row = matchLabels(lost, predIds, argsortIds(predIds));
  return Float64Array.from(row, (i) => timestamp[i]!);
}

function checkRange(q: RangeQuery): void {
  if (typeof q?.model !== 'string') throw new InputError('INVALID_OPTION', 'model', 'expected a model name');
  if (q.version !== undefined && typeof q.version !== 'string') {
    throw new InputError('INVALID_OPTION', 'version', 'expected a version string or undefined');
  }
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.to < q.from) {
    throw new InputError('INVALID_OPTION', 'from/to', `expected finite from <= to, got [${q.from}, ${q.to})`);
  }
}

type CatalogStore = {
  index(name: 'byModel'): { getAll(range: IDBKeyRange): Promise<ChunkBounds[]> };
};

// Catalog entries of chunks of the model (version) that overlap [from, to).
async function chunksInRange(store: CatalogStore, q: RangeQuery): Promise<ChunkBounds[]> {
  const range =
    q.version === undefined
      ? IDBKeyRange.bound([q.model], [q.model, []])
      : IDBKeyRange.bound([q.model, q.version, -Infinity], [q.model, q.version, q.to], false, true);
  const all = await store.index('byModel').getAll(range);
  return all.filter((b) => b.t0 < q.to && b.t1 >= q.from);
}

// The rows of the chunks in [from, to), in chunk order. With `scores`, class
// score vectors too, but only when some chunk has them: reads of models
// without them do no per-row work. Their width is the widest chunk's (a model
// keeps one width; versions may differ); rows of narrower chunks are padded
// with NaN and rows without a vector are all NaN, so a row has a usable
// vector exactly when all its values are numbers.
function gatherRows(
  chunks: PredictionChunk[],
  from: number,
  to: number,
  scores: boolean,
): Omit<Joined, 'labelRow' | 'label' | 'labeledAt' | 'givenDelay' | 'duplicates' | 'duplicateAt' | 'chunks'> {
  let n = 0;
  const full: boolean[] = [];
  for (const c of chunks) {
    const inside = c.t0 >= from && c.t1 < to;
    full.push(inside);
    if (inside) n += c.rows;
    else for (const t of c.timestamp) if (t >= from && t < to) n++;
  }
  const id = new Float64Array(n);
  const timestamp = new Float64Array(n);
  const prediction = new Float64Array(n);
  const score = new Float64Array(n);
  const latencyMs = new Float64Array(n);
  const segment = new Uint16Array(n);
  const versionIndex = new Uint16Array(n);
  const segments: string[] = [];
  const segmentOf = new Map<string, number>();
  const versions: string[] = [];
  const versionOf = new Map<string, number>();
  let w = 0;
  if (scores) for (const c of chunks) w = Math.max(w, c.extras?.classScores?.classes ?? 0);
  const vectors = w > 0 ? new Float64Array(n * w).fill(NaN) : undefined;
  let k = 0;
  chunks.forEach((c, ci) => {
    const cs = vectors ? c.extras?.classScores : undefined;
    let v = versionOf.get(c.version);
    if (v === undefined) {
      v = versions.push(c.version) - 1;
      versionOf.set(c.version, v);
    }
    const remap = new Uint16Array(c.segments.length);
    let same = true;
    c.segments.forEach((s, i) => {
      let g = segmentOf.get(s);
      if (g === undefined) {
        g = segments.push(s) - 1;
        segmentOf.set(s, g);
      }
      remap[i] = g;
      if (g !== i) same = false;
    });
    if (full[ci]) {
      id.set(c.id, k);
      timestamp.set(c.timestamp, k);
      prediction.set(c.prediction, k);
      score.set(c.score, k);
      latencyMs.set(c.latencyMs, k);
      if (same) segment.set(c.segment, k);
      else for (let i = 0; i < c.rows; i++) segment[k + i] = remap[c.segment[i]!]!;
      versionIndex.fill(v, k, k + c.rows);
      if (cs && cs.classes === w) vectors!.set(cs.values, k * w);
      else if (cs) for (let i = 0; i < c.rows; i++) copyVector(cs.values, i * cs.classes, cs.classes, vectors!, (k + i) * w);
      k += c.rows;
      return;
    }
    for (let i = 0; i < c.rows; i++) {
      const t = c.timestamp[i]!;
      if (!(t >= from && t < to)) continue;
      id[k] = c.id[i]!;
      timestamp[k] = t;
      prediction[k] = c.prediction[i]!;
      score[k] = c.score[i]!;
      latencyMs[k] = c.latencyMs[i]!;
      segment[k] = remap[c.segment[i]!]!;
      versionIndex[k] = v;
      if (cs) copyVector(cs.values, i * cs.classes, cs.classes, vectors!, k * w);
      k++;
    }
  });
  const out = { id, timestamp, prediction, score, latencyMs, segment, segments, versionIndex, versions };
  return vectors ? { ...out, classScores: { classes: w, values: vectors } } : out;
}

// One row's vector: a plain loop, with no subarray view allocated per row.
function copyVector(src: Float64Array, from: number, len: number, dst: Float64Array, to: number): void {
  for (let c = 0; c < len; c++) dst[to + c] = src[from + c]!;
}

// The vectors of the rows marked in `keep` (`count` of them), in row order.
function keepVectors(v: { classes: number; values: Float64Array }, keep: Uint8Array, count: number): { classes: number; values: Float64Array } {
  if (count === keep.length) return v;
  const w = v.classes;
  const values = new Float64Array(count * w);
  let k = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    copyVector(v.values, i * w, w, values, k * w);
    k++;
  }
  return { classes: w, values };
}
