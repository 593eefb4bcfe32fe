// Retention: compaction folds the oldest raw rows into summaries (through the
// app's `fold`) before it deletes them, drops labels and orphans past
// retention, and keeps the quota reserve that lets it run on a full origin;
// reconciliation sets aside labels whose prediction never arrived.

import { withWriteLock } from './lock.js';
import type { PredictionColumns } from '../columns/index.js';
import type { Connection } from './connection.js';
import { StoreError, isQuotaError } from './errors.js';
import { concatLabels, delayOf, latestLabels, matchLabels, overlapping, pickLabels, sortedHas } from './join.js';
import { QUOTA_RESERVE } from './schema.js';
import type { ChunkBounds, LabelChunk } from './schema.js';
import type { CompactReason, FoldFn } from './types.js';
import { labelBounds } from './write.js';

/** Runs `fn` holding the store's compaction lock (Web Locks, across tabs), or at once where there are none. */
export async function withCompactLock<T>(conn: Connection, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  return locks.request(`modelwatch:${conn.o.name}:compact`, fn);
}

/** One compaction (see Store.compact), run under the lock. */
export async function compactNow(conn: Connection, now: number, reason: CompactReason): Promise<{ chunks: number; rows: number; labelChunks: number }> {
  const fold = conn.o.fold;
  if (!fold) {
    throw new StoreError('NO_FOLD', 'compaction needs a fold function: raw rows are never deleted unsummarized');
  }
  // On a full origin even fold's summaries cannot be written, so nothing
  // could ever be deleted: the reserve makes room for them first.
  if (reason === 'quota') await releaseReserve(conn);
  await reconcileNow(conn, now);
  const catalog = await conn.open().getAll('chunkIndex');
  catalog.sort((a, b) => a.t1 - b.t1 || a.key - b.key);
  let total = 0;
  for (const c of catalog) total += c.rows;
  const cutoff = now - conn.o.maxAgeMs;
  const keepRows = reason === 'quota' ? Math.floor(total * (1 - conn.o.quotaCompactFraction)) : conn.o.maxRows;
  const selected: ChunkBounds[] = [];
  let remaining = total;
  for (const c of catalog) {
    if (c.t1 < cutoff || remaining > keepRows) {
      selected.push(c);
      remaining -= c.rows;
    } else {
      break;
    }
  }
  let rows = 0;
  for (const b of selected) {
    const batch = await foldBatch(conn, b);
    if (!batch) continue;
    await fold(batch);
    await withWriteLock(conn.o.name, async () => {
      const tx = conn.open().transaction(['chunks', 'chunkIndex'], 'readwrite', { durability: 'strict' });
      await conn.commit(tx, [tx.objectStore('chunks').delete(b.key), tx.objectStore('chunkIndex').delete(b.key)]);
    });
    rows += b.rows;
  }
  // Labels older than retention (plus the pending period) belong to
  // predictions that were folded above; orphans are kept as long.
  const labelCutoff = cutoff - conn.o.pendingLabelMs;
  const oldLabels = (await conn.open().getAll('labelIndex')).filter((l) => l.checked === 1 && l.maxLabeledAt < labelCutoff);
  if (oldLabels.length > 0) {
    await withWriteLock(conn.o.name, async () => {
      const tx = conn.open().transaction(['labelChunks', 'labelIndex'], 'readwrite', { durability: 'strict' });
      await conn.commit(
        tx,
        oldLabels.flatMap((l) => [tx.objectStore('labelChunks').delete(l.key), tx.objectStore('labelIndex').delete(l.key)]),
      );
    });
  }
  const oldOrphans = (await conn.open().getAll('orphans')).filter((o) => o.reportedAt < cutoff);
  if (oldOrphans.length > 0) {
    await withWriteLock(conn.o.name, async () => {
      const tx = conn.open().transaction('orphans', 'readwrite', { durability: 'strict' });
      await conn.commit(
        tx,
        oldOrphans.map((o) => tx.store.delete(o.key)),
      );
    });
  }
  // The reserve is put back by the caller, around the write that needed the
  // room (see Store.withQuota): in Firefox deleted rows free no quota until
  // the database file is vacuumed, so a reserve restored here could take back
  // the very room the retried write needs.
  const result = { chunks: selected.length, rows, labelChunks: oldLabels.length };
  if (selected.length > 0 || oldLabels.length > 0) conn.emit({ type: 'compacted', reason, ...result });
  return result;
}

/** The database that holds a store's quota reserve, beside the store's own. */
export function reserveName(name: string): string {
  return `${name}:quota-reserve`;
}

/**
 * Puts the quota reserve back if it is missing. Where the origin has no room
 * for it (a full origin, or one smaller than the reserve), it stays missing
 * until space is freed; a store still opens and writes without it.
 *
 * The reserve lives in a database of its own and is released by deleting
 * that database: at the limit Firefox aborts even a transaction that only
 * deletes (it needs journal room), and a deleted record's room stays inside
 * the database file until it is vacuumed, but deleting a whole database frees
 * its files at once in every engine.
 */
export async function restoreReserve(conn: Connection): Promise<boolean> {
  await dropLegacyReserve(conn);
  const size = conn.o.quotaReserveBytes;
  if (size === 0) return true;
  const opening = factory(conn).open(reserveName(conn.o.name), 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore('reserve');
  const db = await request(opening);
  try {
    const tx = db.transaction('reserve', 'readwrite', { durability: 'strict' });
    const done = transactionDone(tx);
    const store = tx.objectStore('reserve');
    if ((await request(store.count(0))) > 0) {
      await conn.commit(done, []);
      return true;
    }
    // Random bytes: Chromium compresses IndexedDB values, zeros would take no room.
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
    const put = request(store.put(bytes, 0));
    try {
      await conn.commit(done, [put]);
      return true;
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      return false;
    }
  } finally {
    db.close();
  }
}

/**
 * The origin's usage (navigator.storage.estimate()) and whether it leaves
 * room for the reserve and as much again, so writes do not pay for a restore
 * that would fail. Where there is no estimate (Node), room is assumed.
 */
export async function roomForReserve(conn: Connection): Promise<{ room: boolean; usage: number }> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.estimate) return { room: true, usage: 0 };
  const { quota, usage } = await storage.estimate();
  if (quota === undefined || usage === undefined) return { room: true, usage: 0 };
  return { room: quota - usage > 2 * conn.o.quotaReserveBytes, usage };
}

/** Frees the reserve's room on a full origin (for compaction, or for the write that needs it). */
export async function releaseReserve(conn: Connection): Promise<void> {
  await request(factory(conn).deleteDatabase(reserveName(conn.o.name)));
}

// Stores of earlier versions kept the reserve in their meta store, where
// deleting it does not free room in every engine: it is dropped once.
async function dropLegacyReserve(conn: Connection): Promise<void> {
  if ((await conn.open().count('meta', QUOTA_RESERVE)) === 0) return;
  const tx = conn.open().transaction('meta', 'readwrite', { durability: 'strict' });
  await conn.commit(tx, [tx.store.delete(QUOTA_RESERVE)]);
}

function factory(conn: Connection): IDBFactory {
  return conn.o.factory ?? indexedDB;
}

// A raw request as a promise (the reserve database has no idb schema).
function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function transactionDone(tx: IDBTransaction): { done: Promise<void> } {
  return {
    done: new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = tx.onerror = () => reject(tx.error ?? new DOMException('AbortError', 'AbortError'));
    }),
  };
}

// A prediction chunk with its latest labels, as `fold` receives it (undefined if the chunk is gone).
async function foldBatch(conn: Connection, b: ChunkBounds): Promise<Parameters<FoldFn>[0] | undefined> {
  const tx = conn.open().transaction(['chunks', 'labelIndex', 'labelChunks'], 'readonly');
  const [chunk, labelCatalog] = await Promise.all([tx.objectStore('chunks').get(b.key), tx.objectStore('labelIndex').getAll()]);
  if (!chunk) {
    await conn.done(tx);
    return undefined;
  }
  const store = tx.objectStore('labelChunks');
  const labels = await Promise.all(overlapping(labelCatalog, [b]).map((l) => store.get(l.key)));
  await conn.done(tx); // finished before fold runs (see read.ts readChunks)
  const l = concatLabels(labels);
  const winners = latestLabels(l.id, l.labeledAt);
  const row = matchLabels(chunk.id, l.id, winners.rows);
  const n = chunk.rows;
  const label = new Float64Array(n).fill(NaN);
  const labeledAt = new Float64Array(n).fill(NaN);
  const feedbackDelayMs = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const r = row[i]!;
    if (r < 0) continue;
    label[i] = l.label[r]!;
    labeledAt[i] = l.labeledAt[r]!;
    feedbackDelayMs[i] = delayOf(l.feedbackDelayMs[r]!, l.labeledAt[r]!, chunk.timestamp[i]!);
  }
  const predictions: PredictionColumns = {
    model: chunk.model,
    version: chunk.version,
    id: chunk.id,
    timestamp: chunk.timestamp,
    prediction: chunk.prediction,
    score: chunk.score,
    latencyMs: chunk.latencyMs,
    segment: chunk.segment,
    segments: chunk.segments,
  };
  return { predictions, label, labeledAt, feedbackDelayMs, chunkKeys: [b.key] };
}

/** One reconciliation (see Store.reconcileLabels), run under the lock. */
export async function reconcileNow(conn: Connection, now: number): Promise<{ orphans: number }> {
  const db = conn.open();
  const due = (await db.getAllFromIndex('labelIndex', 'byChecked', 0)).filter(
    (l) => l.createdAt <= now - conn.o.pendingLabelMs,
  );
  if (due.length === 0) return { orphans: 0 };
  const catalog = await db.getAll('chunkIndex');
  catalog.sort((a, b) => a.minId - b.minId);
  const ids = new Map<number, Float64Array>();
  const orphanIds: number[] = [];
  for (const entry of due) {
    const chunk = await db.get('labelChunks', entry.key);
    if (!chunk) continue;
    const candidates = catalog.filter((c) => c.minId <= entry.maxId && c.maxId >= entry.minId);
    for (const c of candidates) {
      if (!ids.has(c.key)) {
        const p = await db.get('chunks', c.key);
        if (p) ids.set(c.key, p.id);
      }
    }
    const keep = new Uint8Array(chunk.id.length);
    let kept = 0;
    for (let i = 0; i < chunk.id.length; i++) {
      const id = chunk.id[i]!;
      for (const c of candidates) {
        const a = ids.get(c.key);
        if (a && id >= c.minId && id <= c.maxId && sortedHas(a, id)) {
          keep[i] = 1;
          kept++;
          break;
        }
      }
    }
    // One readwrite transaction at a time per database (lock.ts: why).
    await withWriteLock(conn.o.name, async () => {
      const tx = db.transaction(['labelChunks', 'labelIndex', 'orphans'], 'readwrite', { durability: 'strict' });
      const requests: Promise<unknown>[] = [];
      if (kept < chunk.id.length) {
        const lost = pickLabels(chunk, keep, 0);
        requests.push(tx.objectStore('orphans').put({
          key: chunk.key,
          id: lost.id,
          label: lost.label,
          labeledAt: lost.labeledAt,
          reason: 'unknown-id',
          reportedAt: now,
        }));
        for (const id of lost.id) orphanIds.push(id);
      }
      if (kept === 0) {
        requests.push(tx.objectStore('labelChunks').delete(chunk.key));
        requests.push(tx.objectStore('labelIndex').delete(chunk.key));
      } else {
        const rest: LabelChunk = kept < chunk.id.length ? { key: chunk.key, ...pickLabels(chunk, keep, 1) } : chunk;
        if (rest !== chunk) requests.push(tx.objectStore('labelChunks').put(rest));
        requests.push(tx.objectStore('labelIndex').put({ ...labelBounds(rest, entry.createdAt), checked: 1 }));
      }
      await conn.commit(tx, requests);
    });
  }
  if (orphanIds.length > 0) {
    conn.emit({ type: 'orphan-labels', count: orphanIds.length, ids: Float64Array.from(orphanIds) });
  }
  return { orphans: orphanIds.length };
}
