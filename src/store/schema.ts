// The IndexedDB schema of the on-device store, typed with idb's DBSchema, and
// the upgrades that bring any earlier version to the current one.
//
// Predictions live in columnar chunks (one record per ingested batch, typed
// arrays inside): one IndexedDB record per prediction caps durable writes at
// tens of thousands a second, while structured clone of a few typed arrays is
// close to a memcpy. Small catalog records (`chunkIndex`, `labelIndex`) mirror
// each chunk's bounds so that range queries, retention and label checks read a
// few kilobytes of catalog before they touch any large record.

import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { RowColumns } from '../columns/index.js';

/** Schema version written by this code. */
export const SCHEMA_VERSION = 2;

/** Optional per-prediction data beyond the metric columns. */
export interface PredictionExtras {
  /** Per-class scores, row-major: row i is values[i*classes .. (i+1)*classes). */
  classScores?: { classes: number; values: Float64Array };
  /** Ranked lists (ranking models): row i is items[offsets[i] .. offsets[i+1]). */
  ranked?: { offsets: Uint32Array; items: Float64Array };
  /** App metadata per row (structured-cloneable), or undefined. */
  metadata?: (Record<string, unknown> | undefined)[];
  /** Input features per row; kept only when the store was opened with `storeFeatures: true`. */
  features?: (Record<string, unknown> | undefined)[];
}

/** One chunk of predictions: a batch of one model version, rows sorted by id. */
export interface PredictionChunk extends ChunkBounds, RowColumns {
  extras?: PredictionExtras;
}

/** Catalog entry of a prediction chunk (same key as the chunk). */
export interface ChunkBounds {
  /** The chunk's smallest id: ids are unique, so this is a unique key, and re-writing the same batch overwrites it. */
  key: number;
  model: string;
  version: string;
  /** Smallest and largest timestamp. */
  t0: number;
  t1: number;
  minId: number;
  maxId: number;
  rows: number;
}

/** One chunk of labels, rows sorted by id (ids of one id block, so its id range stays narrow). */
export interface LabelChunk {
  key: number;
  id: Float64Array;
  label: Float64Array;
  labeledAt: Float64Array;
  /** Feedback delay given by the app (ms), NaN where it is to be computed as labeledAt - timestamp. */
  feedbackDelayMs: Float64Array;
}

/** Catalog entry of a label chunk. */
export interface LabelBounds {
  key: number;
  minId: number;
  maxId: number;
  rows: number;
  /** When the chunk was written (ms): the pending period of unknown ids counts from here. */
  createdAt: number;
  maxLabeledAt: number;
  /** 0 until every id was matched to a prediction or moved to `orphans`, then 1. */
  checked: 0 | 1;
}

/** Labels whose prediction id was never seen within the pending period. */
export interface OrphanChunk {
  key: number;
  id: Float64Array;
  label: Float64Array;
  labeledAt: Float64Array;
  /** Why they were set aside: never seen, or seen but already folded away. */
  reason: 'unknown-id';
  reportedAt: number;
}

/** A window summary persisted by the owner of the summaries (opaque to the store). */
export interface SummaryRecord {
  model: string;
  version: string;
  windowStart: number;
  windowMs: number;
  data: unknown;
}

/** An alert raised by the monitor. */
export interface AlertRecord {
  seq?: number;
  at: number;
  model: string;
  version: string;
  kind: string;
  data: unknown;
}

/** A payload waiting to be sent off the device. */
export interface OutboxRecord {
  seq?: number;
  createdAt: number;
  destination: string;
  payload: unknown;
  attempts: number;
}

/** An outbox record as the caller gives it (the store assigns seq and attempts). */
export type NewOutboxRecord = Omit<OutboxRecord, 'seq' | 'attempts'>;

/** What Store.commitOutbox writes, all in one transaction. */
export interface OutboxCommit {
  /** Records to queue, in order; their sequence numbers come back in the same order. */
  add?: readonly NewOutboxRecord[];
  /** Sequence numbers of queued records to remove. */
  remove?: readonly number[];
  /** App meta values to write (see Store.setMeta); undefined deletes the key. */
  meta?: Readonly<Record<string, unknown>>;
}

/** The current schema. */
export interface StoreSchema extends DBSchema {
  chunks: { key: number; value: PredictionChunk };
  chunkIndex: { key: number; value: ChunkBounds; indexes: { byModel: [string, string, number] } };
  labelChunks: { key: number; value: LabelChunk };
  labelIndex: { key: number; value: LabelBounds; indexes: { byChecked: number } };
  orphans: { key: number; value: OrphanChunk };
  summaries: {
    key: [string, string, number, number];
    value: SummaryRecord;
    indexes: { byWindow: number };
  };
  alerts: { key: number; value: AlertRecord; indexes: { byTime: number } };
  outbox: { key: number; value: OutboxRecord };
  meta: { key: string; value: unknown };
}

// ---------------------------------------------------------------------------
// Version 1, kept as the upgrade's source format: prediction chunks without
// bounds or catalog, and one record per label keyed by prediction id (the
// last label overwrote earlier ones and duplicates went uncounted).

/** A version-1 prediction chunk. */
export interface V1Chunk extends RowColumns {
  key: number;
  model: string;
  version: string;
}

/** A version-1 label record. */
export interface V1Label {
  id: number;
  label: number;
  labeledAt: number;
}

type AnyTx = IDBPTransaction<StoreSchema, StoreNames<StoreSchema>[], 'versionchange'>;

/** Bits of an id below its block number (see ids.ts). */
export const ID_BLOCK_BITS = 22;
/** Ids per block. */
export const ID_BLOCK = 2 ** ID_BLOCK_BITS;
/** Meta key of the next id block to hand out (blocks start at 1). */
export const NEXT_BLOCK = 'nextBlock';
/** Meta key of the resets the store detected on open (see watermark.ts). */
export const RESETS = 'resets';
/** Meta key of the quota reserve: incompressible bytes deleted to make room for `fold` when the quota runs out. */
export const QUOTA_RESERVE = 'quotaReserve';
/** Prefix of the app's meta keys (Store.setMeta), so they can never overwrite the store's own (above). */
export const APP_META = 'app:';

/** Bounds of a chunk's rows (ids sorted ascending). */
export function boundsOf(
  key: number,
  model: string,
  version: string,
  id: Float64Array,
  timestamp: Float64Array,
): ChunkBounds {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (let i = 0; i < timestamp.length; i++) {
    const t = timestamp[i]!;
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  }
  return { key, model, version, t0, t1, minId: id[0]!, maxId: id[id.length - 1]!, rows: id.length };
}

/**
 * Creates or upgrades the stores. Runs inside the versionchange transaction;
 * data migrations only await IndexedDB requests of that transaction, which
 * keeps it alive until they finish (openDB resolves after it commits).
 * `now` is the store's clock: it stamps the label chunks a migration writes.
 */
export function upgrade(db: IDBPDatabase<StoreSchema>, oldVersion: number, tx: AnyTx, now: () => number): void {
  // openDB reports a failed upgrade itself; idb's done promise would be an unhandled rejection.
  tx.done.catch(() => undefined);
  // Untyped view for stores that exist only in older versions.
  const raw = db as unknown as IDBPDatabase;
  if (oldVersion < 1) {
    db.createObjectStore('chunks', { keyPath: 'key' });
    raw.createObjectStore('labels', { keyPath: 'id' });
    db.createObjectStore('meta');
  }
  if (oldVersion < 2) {
    const index = db.createObjectStore('chunkIndex', { keyPath: 'key' });
    index.createIndex('byModel', ['model', 'version', 't0']);
    db.createObjectStore('labelChunks', { keyPath: 'key' });
    db.createObjectStore('labelIndex', { keyPath: 'key' }).createIndex('byChecked', 'checked');
    db.createObjectStore('orphans', { keyPath: 'key' });
    db.createObjectStore('summaries', { keyPath: ['model', 'version', 'windowStart', 'windowMs'] }).createIndex(
      'byWindow',
      'windowStart',
    );
    db.createObjectStore('alerts', { keyPath: 'seq', autoIncrement: true }).createIndex('byTime', 'at');
    db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
    if (oldVersion >= 1) {
      migrateV1(raw, tx, now()).catch(() => {
        try {
          tx.abort();
        } catch {
          // Already finished: openDB reports the failure.
        }
      });
    } else {
      raw.deleteObjectStore('labels');
    }
  }
}

/** Version 1 to 2: catalog the chunks; turn per-id label records into label chunks. */
async function migrateV1(raw: IDBPDatabase, tx: AnyTx, now: number): Promise<void> {
  const rtx = tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>;
  const chunks = tx.objectStore('chunks');
  const index = tx.objectStore('chunkIndex');
  // Every request is awaited (at the end, so they queue without a round trip
  // each): a failed one rejects the migration, which aborts the upgrade. Each
  // is marked handled at once, since the cursor loop awaits in between.
  const writes: Promise<unknown>[] = [];
  const write = (...requests: Promise<unknown>[]): void => {
    for (const r of requests) {
      r.catch(() => undefined);
      writes.push(r);
    }
  };
  let maxId = 0;
  for (let cursor = await rtx.objectStore('chunks').openCursor(); cursor; cursor = await cursor.continue()) {
    const old = cursor.value as V1Chunk;
    const b = boundsOf(old.key, old.model, old.version, old.id, old.timestamp);
    maxId = Math.max(maxId, b.maxId);
    write(index.put(b), chunks.put({ ...old, ...b }));
  }
  const labels = (await rtx.objectStore('labels').getAll()) as V1Label[];
  labels.sort((a, b) => a.id - b.id);
  if (labels.length > 0) maxId = Math.max(maxId, labels[labels.length - 1]!.id);
  // Ids handed out from here on must lie above every id version 1 wrote.
  const meta = tx.objectStore('meta');
  const next = ((await meta.get(NEXT_BLOCK)) as number | undefined) ?? 1;
  await meta.put(Math.max(next, Math.floor(maxId / ID_BLOCK) + 1), NEXT_BLOCK);
  // Keys of migrated label chunks: block 0 is never handed out by the id
  // allocator, so these cannot collide with a writer's keys.
  let key = 0;
  let start = 0;
  while (start < labels.length) {
    const block = Math.floor(labels[start]!.id / ID_BLOCK);
    let end = start + 1;
    while (end < labels.length && Math.floor(labels[end]!.id / ID_BLOCK) === block) end++;
    const part = labels.slice(start, end);
    const chunk: LabelChunk = {
      key: key++,
      id: Float64Array.from(part, (l) => l.id),
      label: Float64Array.from(part, (l) => l.label),
      labeledAt: Float64Array.from(part, (l) => l.labeledAt),
      feedbackDelayMs: new Float64Array(part.length).fill(NaN),
    };
    write(tx.objectStore('labelChunks').put(chunk));
    let maxLabeledAt = -Infinity;
    for (const l of part) maxLabeledAt = Math.max(maxLabeledAt, l.labeledAt);
    write(
      tx.objectStore('labelIndex').put({
        key: chunk.key,
        minId: part[0]!.id,
        maxId: part[part.length - 1]!.id,
        rows: part.length,
        createdAt: now,
        maxLabeledAt,
        checked: 0,
      }),
    );
    start = end;
  }
  await Promise.all(writes);
  raw.deleteObjectStore('labels');
}
