// The small records beside the prediction rows: window summaries, alerts,
// the outbox of payloads to send, and the app's meta values, which commit
// together with outbox changes; and the store's counts.

import { InputError } from '../errors.js';
import type { Connection } from './connection.js';
import { APP_META } from './schema.js';
import type { AlertRecord, OutboxCommit, OutboxRecord, SummaryRecord } from './schema.js';

/** Writes (replaces) a window summary. */
export async function putSummary(conn: Connection, record: SummaryRecord): Promise<void> {
  const tx = conn.open().transaction('summaries', 'readwrite', { durability: conn.o.durability });
  await conn.commit(tx, [tx.store.put(record)]);
}

/** Window summaries of a model version starting in [from, to). */
export async function summaries(conn: Connection, q: { model: string; version: string; from?: number; to?: number }): Promise<SummaryRecord[]> {
  const range = IDBKeyRange.bound([q.model, q.version, q.from ?? -Infinity], [q.model, q.version, q.to ?? Infinity, []], false, true);
  return conn.open().getAll('summaries', range);
}

/** Stores an alert; returns its sequence number. */
export async function addAlert(conn: Connection, alert: AlertRecord): Promise<number> {
  const tx = conn.open().transaction('alerts', 'readwrite', { durability: conn.o.durability });
  const key = await tx.store.add({ ...alert });
  await conn.done(tx);
  return key;
}

/** Alerts raised in [from, to). */
export function alerts(conn: Connection, q: { from?: number; to?: number }): Promise<AlertRecord[]> {
  return conn.open().getAllFromIndex('alerts', 'byTime', IDBKeyRange.bound(q.from ?? -Infinity, q.to ?? Infinity, false, true));
}

/** The oldest queued payloads. */
export function outbox(conn: Connection, limit: number): Promise<OutboxRecord[]> {
  return conn.open().getAll('outbox', undefined, limit);
}

/** Store.commitOutbox: the whole commit in one transaction, all or nothing (see there for why). */
export async function commitOutbox(conn: Connection, commit: OutboxCommit): Promise<number[]> {
  if (commit === null || typeof commit !== 'object') throw new InputError('INVALID_OPTION', 'commit', 'pass { add?, remove?, meta? }.');
  const add = commit.add ?? [];
  const remove = commit.remove ?? [];
  const meta = Object.entries(commit.meta ?? {});
  if (!Array.isArray(add)) throw new InputError('INVALID_OPTION', 'commit.add', 'pass an array of outbox records.');
  if (!Array.isArray(remove)) throw new InputError('INVALID_OPTION', 'commit.remove', 'pass an array of sequence numbers.');
  remove.forEach((seq: unknown, i) => {
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) {
      throw new InputError('INVALID_ID', `commit.remove[${i}]`, `is ${String(seq)}; pass sequence numbers returned by enqueue/commitOutbox.`);
    }
  });
  for (const [k] of meta) checkMetaKey(k, 'commit.meta');
  const names: ('outbox' | 'meta')[] = [];
  if (add.length > 0 || remove.length > 0) names.push('outbox');
  if (meta.length > 0) names.push('meta');
  if (names.length === 0) return [];
  const tx = conn.open().transaction(names, 'readwrite', { durability: conn.o.durability });
  const requests: Promise<unknown>[] = [];
  const seqs: Promise<number>[] = [];
  // The request that failed, to report instead of the transaction's AbortError.
  let failure: unknown;
  try {
    if (names[0] === 'outbox') {
      const outbox = tx.objectStore('outbox');
      for (const r of add) seqs.push(outbox.add({ ...r, attempts: 0 }));
      for (const seq of remove) requests.push(outbox.delete(seq));
    }
    if (meta.length > 0) {
      const store = tx.objectStore('meta');
      for (const [k, v] of meta) requests.push(v === undefined ? store.delete(APP_META + k) : store.put(v, APP_META + k));
    }
  } catch (e) {
    // A request refused at once (a value that cannot be cloned) must not
    // leave the requests issued before it to commit on their own.
    tx.done.catch(() => undefined);
    tx.abort();
    throw conn.wrap(e);
  } finally {
    // An aborted transaction rejects every request; the commit reports it once.
    for (const p of [...requests, ...seqs]) {
      p.catch((e: unknown) => {
        if (!(e instanceof DOMException && e.name === 'AbortError')) failure ??= e;
      });
    }
  }
  try {
    await tx.done;
  } catch (e) {
    throw conn.wrap(failure ?? e);
  }
  return Promise.all(seqs);
}

/** The app's value stored under `key` by setMeta or commitOutbox, or undefined. */
export async function getMeta(conn: Connection, key: string): Promise<unknown> {
  checkMetaKey(key, 'key');
  return conn.open().get('meta', APP_META + key);
}

/** Store.setMeta: an app value under `key`, apart from the store's own keys; undefined deletes it. */
export async function setMeta(conn: Connection, key: string, value: unknown): Promise<void> {
  checkMetaKey(key, 'key');
  await commitOutbox(conn, { meta: { [key]: value } });
}

/** Counts of what the store holds. */
export async function stats(conn: Connection): Promise<{ chunks: number; rows: number; labelChunks: number; labels: number; pendingLabelChunks: number; orphans: number }> {
  const db = conn.open();
  const [chunks, labels, orphans] = await Promise.all([db.getAll('chunkIndex'), db.getAll('labelIndex'), db.getAll('orphans')]);
  return {
    chunks: chunks.length,
    rows: chunks.reduce((s, c) => s + c.rows, 0),
    labelChunks: labels.length,
    labels: labels.reduce((s, c) => s + c.rows, 0),
    pendingLabelChunks: labels.filter((l) => l.checked === 0).length,
    orphans: orphans.reduce((s, o) => s + o.id.length, 0),
  };
}

function checkMetaKey(key: unknown, name: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InputError('INVALID_OPTION', name, `has the key ${JSON.stringify(key)}; use a non-empty string.`);
}
