// An in-memory outbox with the store's outbox API, for Node (Electron main,
// servers, tests) where no IndexedDB exists. It lives as long as the object:
// keep one per process and hand it to each new SyncEngine.
import type { NewOutboxRecord, OutboxCommit, OutboxRecord } from '../store/index.js';
import type { OutboxStore } from './types.js';

/** Outbox records in a Map, sequence numbers ascending like IndexedDB's autoIncrement. */
export class MemoryOutbox implements OutboxStore {
  private next = 1;
  private readonly records = new Map<number, OutboxRecord>();
  private readonly meta = new Map<string, unknown>();

  /** Queues a payload; returns its sequence number. */
  async enqueue(record: NewOutboxRecord): Promise<number> {
    const [seq] = await this.commitOutbox({ add: [record] });
    return seq!;
  }

  /** Queues, removes and writes meta values all at once, like Store.commitOutbox. */
  commitOutbox(commit: OutboxCommit): Promise<number[]> {
    // structuredClone first: like IndexedDB, keep copies the caller cannot
    // change, and a value that cannot be cloned fails before anything changes.
    let added: OutboxRecord[];
    let meta: [string, unknown][];
    try {
      added = (commit.add ?? []).map((r, i) => structuredClone({ ...r, seq: this.next + i, attempts: 0 }));
      meta = Object.entries(commit.meta ?? {}).map(([k, v]) => [k, structuredClone(v)]);
    } catch (e) {
      return Promise.reject(e);
    }
    for (const r of added) this.records.set(r.seq!, r);
    this.next += added.length;
    for (const s of commit.remove ?? []) this.records.delete(s);
    for (const [k, v] of meta) {
      if (v === undefined) this.meta.delete(k);
      else this.meta.set(k, v);
    }
    return Promise.resolve(added.map((r) => r.seq!));
  }

  /** The oldest records. */
  outbox(limit = 100): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    for (const r of this.records.values()) {
      if (out.length >= limit) break;
      out.push(structuredClone(r));
    }
    return Promise.resolve(out);
  }

  /** Removes records. */
  async acknowledge(seqs: readonly number[]): Promise<void> {
    await this.commitOutbox({ remove: seqs });
  }

  /** A meta value written by commitOutbox, or undefined. */
  getMeta(key: string): Promise<unknown> {
    return Promise.resolve(structuredClone(this.meta.get(key)));
  }

  /** Records held. */
  get size(): number {
    return this.records.size;
  }
}
