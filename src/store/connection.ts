// The open database with the state every part of the store shares: the
// resolved options, whether it was closed, and the event listeners. The read,
// write, retention and outbox functions take it as their handle.

import { unwrap } from 'idb';
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

  private readonly db: IDBPDatabase<StoreSchema>;
  // A transaction failed for quota since the last readwrite one started (see takeCleanupTurn).
  private quotaSeen = false;

  constructor(
    db: IDBPDatabase<StoreSchema>,
    readonly o: Resolved,
  ) {
    if (o.onEvent) this.listeners.add(o.onEvent);
    this.db = takeCleanupTurn(db, () => {
      const seen = this.quotaSeen;
      this.quotaSeen = false;
      return seen;
    });
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

  /**
   * Waits for a transaction and every request issued in it, so none of them
   * rejects unhandled. On failure the first failed request is reported, not
   * the transaction's abort: Firefox aborts the transaction after a request's
   * QuotaExceededError before it sets `transaction.error`, so tx.done alone
   * rejects with a bare AbortError that hides the cause.
   */
  async commit(tx: { done: Promise<void> }, requests: readonly Promise<unknown>[]): Promise<void> {
    const settled = Promise.allSettled(requests);
    try {
      await tx.done;
    } catch (e) {
      const failed = (await settled).filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
      throw this.wrap(failed.find((f) => (f as { name?: unknown })?.name !== 'AbortError') ?? failed[0] ?? e);
    }
    await settled;
  }

  wrap(e: unknown): unknown {
    if (e instanceof StoreError || e instanceof InputError) return e;
    if (isQuotaError(e)) {
      this.quotaSeen = true;
      return new StoreError('QUOTA_EXCEEDED', `storage quota of this origin is exhausted (${this.o.name})`, { cause: e });
    }
    if (this.closed) return new StoreError('STORE_CLOSED', `the store ${this.o.name} was closed`, { cause: e });
    return new StoreError('STORE_FAILED', `IndexedDB transaction failed: ${String(e)}`, { cause: e });
  }
}

// After a transaction failed for quota, Firefox makes the next readwrite
// transaction of that connection a "cleanup" one, in which put() throws an
// InvalidStateError ("A mutation operation was attempted on a database that
// did not allow mutations"; seen in Firefox ESR 153). A compaction, its fold's
// summaries or the retried write would be handed that transaction, so once a
// quota error was seen the next readwrite transaction is preceded by an empty
// one, aborted at once, which takes that turn. Everything else passes to idb's
// database unchanged.
function takeCleanupTurn(db: IDBPDatabase<StoreSchema>, quotaSeen: () => boolean): IDBPDatabase<StoreSchema> {
  const transaction = ((...args: Parameters<typeof db.transaction>) => {
    if (args[1] === 'readwrite' && quotaSeen()) {
      // On the raw connection: an idb transaction's done promise would reject unhandled.
      unwrap(db).transaction(args[0] as string | string[], 'readwrite').abort();
    }
    return db.transaction(...args);
  }) as typeof db.transaction;
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const v: unknown = Reflect.get(target, prop, target);
      // idb's methods find their IDBDatabase through `this`: keep it theirs.
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
