// The write path: a batch is checked, sorted by id and cut into chunks before
// any transaction starts (a bad batch fails whole and writes nothing), then
// written in one transaction with its catalog entries.

import { InputError } from '../errors.js';
import type { Connection } from './connection.js';
import { argsortIds, labelRows } from './join.js';
import { ID_BLOCK, boundsOf } from './schema.js';
import type { LabelBounds, LabelChunk, PredictionChunk, PredictionExtras } from './schema.js';
import type { LabelBatch, PredictionBatch } from './types.js';

const MAX_SAFE_ID = Number.MAX_SAFE_INTEGER;

/** Writes a prediction chunk and its catalog entry in one transaction. */
export async function writePredictions(conn: Connection, chunk: PredictionChunk): Promise<void> {
  const tx = conn.open().transaction(['chunks', 'chunkIndex'], 'readwrite', { durability: conn.o.durability });
  await conn.commit(tx, [
    tx.objectStore('chunks').put(chunk),
    tx.objectStore('chunkIndex').put(boundsOf(chunk.key, chunk.model, chunk.version, chunk.id, chunk.timestamp)),
  ]);
}

/** Writes label chunks and their catalog entries in one transaction. */
export async function writeLabels(conn: Connection, chunks: LabelChunk[]): Promise<void> {
  const tx = conn.open().transaction(['labelChunks', 'labelIndex'], 'readwrite', {
    durability: conn.o.durability,
  });
  const now = conn.o.now();
  const requests: Promise<unknown>[] = [];
  for (const l of chunks) requests.push(tx.objectStore('labelChunks').put(l), tx.objectStore('labelIndex').put(labelBounds(l, now)));
  await conn.commit(tx, requests);
}

/** Checks a prediction batch and returns it as one chunk, rows sorted by id. */
export function predictionChunk(b: PredictionBatch, storeFeatures: boolean): PredictionChunk {
  if (typeof b !== 'object' || b === null) throw new InputError('NOT_NUMERIC', 'batch', 'expected PredictionColumns');
  for (const k of ['model', 'version'] as const) {
    if (typeof b[k] !== 'string') throw new InputError('INVALID_OPTION', `batch.${k}`, 'expected a string');
  }
  const n = requireF64(b.id, 'batch.id').length;
  if (n === 0) throw new InputError('EMPTY_INPUT', 'batch.id', 'a batch needs at least one row');
  for (const k of ['timestamp', 'prediction', 'score', 'latencyMs'] as const) requireRows(b[k], `batch.${k}`, n, 'batch.id');
  if (!(b.segment instanceof Uint16Array) || b.segment.length !== n) {
    throw new InputError('LENGTH_MISMATCH', 'batch.segment', `expected a Uint16Array of ${n} rows`);
  }
  if (!Array.isArray(b.segments) || b.segments.length === 0) {
    throw new InputError('INVALID_OPTION', 'batch.segments', "expected segment names (index 0 is '')");
  }
  for (let i = 0; i < n; i++) {
    checkId(b.id[i]!, 'batch.id', i);
    if (!Number.isFinite(b.timestamp[i]!)) {
      throw new InputError('NON_FINITE', `batch.timestamp[${i}]`, 'expected ms since the epoch');
    }
    if (b.segment[i]! >= b.segments.length) {
      throw new InputError('INVALID_OPTION', `batch.segment[${i}]`, `index ${b.segment[i]} has no name in segments`);
    }
  }
  const order = argsortIds(b.id);
  let identity = true;
  for (let i = 0; i < n; i++) {
    if (order[i] !== i) identity = false;
    if (i > 0 && b.id[order[i]!] === b.id[order[i - 1]!]) {
      throw new InputError('DUPLICATE_ID', `batch.id[${order[i]}]`, `id ${b.id[order[i]!]} occurs twice in the batch`);
    }
  }
  const pick = <T extends Float64Array | Uint16Array>(a: T): T => {
    if (identity) return a;
    const out = new (a.constructor as new (n: number) => T)(n);
    for (let i = 0; i < n; i++) out[i] = a[order[i]!]!;
    return out;
  };
  const id = pick(b.id);
  const timestamp = pick(b.timestamp);
  const chunk: PredictionChunk = {
    ...boundsOf(id[0]!, b.model, b.version, id, timestamp),
    id,
    timestamp,
    prediction: pick(b.prediction),
    score: pick(b.score),
    latencyMs: pick(b.latencyMs),
    segment: pick(b.segment),
    segments: b.segments,
  };
  const extras = extrasOf(b.extras, n, identity ? undefined : order, storeFeatures);
  if (extras) chunk.extras = extras;
  return chunk;
}

function extrasOf(
  e: PredictionExtras | undefined,
  n: number,
  order: Uint32Array | undefined,
  storeFeatures: boolean,
): PredictionExtras | undefined {
  if (!e) return undefined;
  const out: PredictionExtras = {};
  const rowsOf = <T>(a: T[] | undefined, name: string): T[] | undefined => {
    if (a === undefined) return undefined;
    if (!Array.isArray(a) || a.length !== n) throw new InputError('LENGTH_MISMATCH', name, `expected ${n} rows`);
    return order ? Array.from(order, (r) => a[r]!) : a;
  };
  const metadata = rowsOf(e.metadata, 'batch.extras.metadata');
  if (metadata) out.metadata = metadata;
  if (storeFeatures) {
    const features = rowsOf(e.features, 'batch.extras.features');
    if (features) out.features = features;
  }
  if (e.classScores) {
    const { classes, values } = e.classScores;
    if (!Number.isInteger(classes) || classes < 1 || !(values instanceof Float64Array) || values.length !== n * classes) {
      throw new InputError('SHAPE_MISMATCH', 'batch.extras.classScores', `expected ${n} x classes scores`);
    }
    let v = values;
    if (order) {
      v = new Float64Array(values.length);
      for (let i = 0; i < n; i++) v.set(values.subarray(order[i]! * classes, (order[i]! + 1) * classes), i * classes);
    }
    out.classScores = { classes, values: v };
  }
  if (e.ranked) {
    const { offsets, items } = e.ranked;
    if (!(offsets instanceof Uint32Array) || offsets.length !== n + 1 || offsets[n] !== items.length) {
      throw new InputError('SHAPE_MISMATCH', 'batch.extras.ranked', `expected ${n + 1} offsets ending at items.length`);
    }
    if (order) {
      const o2 = new Uint32Array(n + 1);
      const it = new Float64Array(items.length);
      for (let i = 0; i < n; i++) {
        const r = order[i]!;
        it.set(items.subarray(offsets[r]!, offsets[r + 1]!), o2[i]!);
        o2[i + 1] = o2[i]! + offsets[r + 1]! - offsets[r]!;
      }
      out.ranked = { offsets: o2, items: it };
    } else {
      out.ranked = { offsets, items };
    }
  }
  return out;
}

/** Checks a label batch and returns it as chunks keyed by `nextKey()`, rows sorted by id. */
export function labelChunks(b: LabelBatch, nextKey: () => number): LabelChunk[] {
  if (typeof b !== 'object' || b === null) throw new InputError('NOT_NUMERIC', 'labels', 'expected LabelColumns');
  const n = requireF64(b.id, 'labels.id').length;
  if (n === 0) throw new InputError('EMPTY_INPUT', 'labels.id', 'a batch needs at least one label');
  for (const k of ['label', 'labeledAt'] as const) requireRows(b[k], `labels.${k}`, n, 'labels.id');
  const given = b.feedbackDelayMs;
  if (given !== undefined) requireRows(given, 'labels.feedbackDelayMs', n, 'labels.id');
  for (let i = 0; i < n; i++) {
    checkId(b.id[i]!, 'labels.id', i);
    if (!Number.isFinite(b.label[i]!)) throw new InputError('NON_FINITE', `labels.label[${i}]`, 'expected a finite label');
    if (!Number.isFinite(b.labeledAt[i]!)) {
      throw new InputError('NON_FINITE', `labels.labeledAt[${i}]`, 'expected ms since the epoch');
    }
  }
  // Sorted by id and cut at id-block boundaries, so each chunk covers a
  // narrow id range and reads fetch only the chunks near their predictions.
  const order = argsortIds(b.id);
  const chunks: LabelChunk[] = [];
  let start = 0;
  while (start < n) {
    const block = Math.floor(b.id[order[start]!]! / ID_BLOCK);
    let end = start + 1;
    while (end < n && Math.floor(b.id[order[end]!]! / ID_BLOCK) === block) end++;
    const m = end - start;
    const c: LabelChunk = { key: nextKey(), ...labelRows(m) };
    for (let i = 0; i < m; i++) {
      const r = order[start + i]!;
      c.id[i] = b.id[r]!;
      c.label[i] = b.label[r]!;
      c.labeledAt[i] = b.labeledAt[r]!;
      c.feedbackDelayMs[i] = given ? given[r]! : NaN;
    }
    chunks.push(c);
    start = end;
  }
  return chunks;
}

/** The catalog entry of a label chunk written at `createdAt`, not yet checked. */
export function labelBounds(c: LabelChunk, createdAt: number): LabelBounds {
  let maxLabeledAt = -Infinity;
  for (const t of c.labeledAt) if (t > maxLabeledAt) maxLabeledAt = t;
  return { key: c.key, minId: c.id[0]!, maxId: c.id[c.id.length - 1]!, rows: c.id.length, createdAt, maxLabeledAt, checked: 0 };
}

function requireF64(a: unknown, name: string): Float64Array {
  if (!(a instanceof Float64Array)) throw new InputError('NOT_NUMERIC', name, 'expected a Float64Array');
  return a;
}

// A column of a batch: a Float64Array with as many rows as the batch's ids.
function requireRows(a: unknown, name: string, n: number, like: string): void {
  if (requireF64(a, name).length !== n) throw new InputError('LENGTH_MISMATCH', name, `expected ${n} rows like ${like}`);
}

// Row i of an id column (the name is built only on failure: this runs per row).
function checkId(id: number, column: string, i: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_SAFE_ID) {
    throw new InputError('INVALID_ID', `${column}[${i}]`, `expected an integer id in [0, 2^53), got ${id}`);
  }
}
