// The open database with the state every part of the store shares: the
// resolved options, whether it was closed, and the event listeners. The read,
// write, retention and outbox functions take it as their handle.

import type { IDBPDatabase } from 'idb';
import { InputError } from '../errors.js';
import { StoreError, isQuotaError } from './errors.js';
import type { Resolved } from './options.js';
import type { StoreSchema } from './schema.js';
import type { StoreEvent } from './types.js';

/** @internal A connection to the store's database; the Store class is its public face. */
export class Connection {
  closed: (StoreEvent & { type: 'closed' }) | undefined;
  readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(
    private readonly db: IDBPDatabase<StoreSchema>,
    readonly o: Resolved,
  ) {
    if (o.onEvent) this.listeners.add(o.onEvent);
  }

  /** The database; throws StoreError STORE_CLOSED once the connection was closed. */
  open(): IDBPDatabase<StoreSchema> {
    if (this.closed) {
      throw new StoreError('STORE_CLOSED', `the store ${this.o.name} was closed (${this.closed.reason})`);
    }
    return this.db;
  }

  shut(reason: 'versionchange' | 'terminated' | 'close'): void {
    if (this.closed) return;
    this.closed = { type: 'closed', reason };
    this.db.close();
    this.emit(this.closed);
  }

  emit(e: StoreEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A failing listener must not break the store's own work.
      }
    }
  }

  /** Waits for a transaction; its failure becomes a StoreError. */
  async done(tx: { done: Promise<void> }): Promise<void> {
    try {
      await tx.done;
    } catch (e) {
      throw this.wrap(e);
    }
  }

  wrap(e: unknown): unknown {
    if (e instanceof StoreError || e instanceof InputError) return e;
    if (isQuotaError(e)) {
      return new StoreError('QUOTA_EXCEEDED', `storage quota of this origin is exhausted (${this.o.name})`, { cause: e });
    }
    if (this.closed) return new StoreError('STORE_CLOSED', `the store ${this.o.name} was closed`, { cause: e });
    return new StoreError('STORE_FAILED', `IndexedDB transaction failed: ${String(e)}`, { cause: e });
  }
}
