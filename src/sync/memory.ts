// An in-memory outbox with the store's outbox API, for Node (Electron main,
// servers, tests) where no IndexedDB exists. It lives as long as the object:
// keep one per process and hand it to each new SyncEngine.
import type { OutboxRecord } from '../store/index.js';
import type { OutboxStore } from './types.js';

/** Outbox records in a Map, sequence numbers ascending like IndexedDB's autoIncrement. */
export class MemoryOutbox implements OutboxStore {
  private next = 1;
  private readonly records = new Map<number, OutboxRecord>();

  /** Queues a payload; returns its sequence number. */
  enqueue(record: Omit<OutboxRecord, 'seq' | 'attempts'>): Promise<number> {
    const seq = this.next++;
    // structuredClone: like IndexedDB, keep a copy the caller cannot change.
    this.records.set(seq, structuredClone({ ...record, seq, attempts: 0 }));
    return Promise.resolve(seq);
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
  acknowledge(seqs: number[]): Promise<void> {
    for (const s of seqs) this.records.delete(s);
    return Promise.resolve();
  }

  /** Records held. */
  get size(): number {
    return this.records.size;
  }
}
