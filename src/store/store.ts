// The on-device store: prediction and label chunks in IndexedDB, one
// transaction per batch, joined by id on read.
//
// Unknown prediction ids: a label is always written as it arrives (nothing is
// dropped), and joins by id whenever its prediction is there, including a
// prediction another tab flushes later. Labels still unmatched `pendingLabelMs`
// after they were written are moved to the `orphans` store by
// reconcileLabels() (run by compact()) and reported in an 'orphan-labels' event.
// Duplicate labels are all kept: on read the greatest labeledAt wins (on a tie,
// the later write) and the losers are counted in `duplicateLabels`.
//
// This file holds openStore() and the Store class, the public face: the
// write queue (flush, the quota retry), the label chunk keys and the
// compaction queue. The work is done by plain functions over its Connection
// (connection.ts): options.ts checks the options, write.ts the write path,
// read.ts the range reads and joins (with join.ts), retention.ts compaction,
// the quota reserve and orphan reconciliation, records.ts summaries, alerts,
// the outbox and app meta.

import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import { Connection } from './connection.js';
import { StoreError, isQuotaError } from './errors.js';
import { resolve } from './options.js';
import type { Resolved } from './options.js';
import { rowsById } from './lookup.js';
import type { RowsById } from './lookup.js';
import { coverage, readChunks, readLabeled } from './read.js';
import { addAlert, alerts, commitOutbox, getMeta, outbox, putSummary, setMeta, stats, summaries } from './records.js';
import { compactNow, reconcileNow, releaseReserve, restoreReserve, roomForReserve, withCompactLock } from './retention.js';
import { MAX_BLOCK } from './ids.js';
import { ID_BLOCK, NEXT_BLOCK, RESETS, SCHEMA_VERSION, upgrade } from './schema.js';
import { withWriteLock } from './lock.js';
import { INCARNATION, cacheWatermark, clockBlock, guardIds, isPersisted } from './watermark.js';
import type { ResetRecord, Watermark } from './watermark.js';
import type {
  AlertRecord,
  NewOutboxRecord,
  OutboxCommit,
  OutboxRecord,
  PredictionChunk,
  StoreSchema,
  SummaryRecord,
} from './schema.js';
import type {
  CompactReason,
  CoverageWindows,
  LabelBatch,
  LabeledColumns,
  LabeledQuery,
  PredictionBatch,
  RangeQuery,
  StoreEvent,
  StoreOptions,
  StoreStats,
} from './types.js';
import { labelChunks, predictionChunk, writeLabels, writePredictions } from './write.js';

/** Opens (creating or upgrading) the store's database. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const o = resolve(options);
  // Filled in once the connection is open; the callbacks below may fire before.
  const holder: { store?: Store } = {};
  let db: IDBPDatabase<StoreSchema> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Chromium deletes a backing store it finds corrupt and opens an empty one,
  // saying so only here (w3c/IndexedDB issue 30).
  let dataLoss: { kind: string; message: string } | undefined;
  const opening = withFactory(o.factory, () =>
    openDB<StoreSchema>(o.name, SCHEMA_VERSION, {
      upgrade: (d, oldVersion, _v, tx, event) => {
        const e = event as IDBVersionChangeEvent & { dataLoss?: string; dataLossMessage?: string };
        if (e.dataLoss !== undefined && e.dataLoss !== 'none') dataLoss = { kind: e.dataLoss, message: e.dataLossMessage ?? '' };
        upgrade(d, oldVersion, tx, o.now);
      },
      blocked: () => o.onEvent?.({ type: 'blocked' }),
      // Another tab wants a newer schema: let it through at once.
      blocking: () => {
        if (holder.store) holder.store.shut('versionchange');
        else db?.close();
      },
      terminated: () => holder.store?.shut('terminated'),
    }),
  );
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new StoreError(
          'VERSION_BLOCKED',
          `opening ${o.name} v${SCHEMA_VERSION} waited ${o.blockedTimeoutMs} ms for other tabs to close older connections`,
        ),
      );
      // If the open completes later, release it at once.
      opening.then((late) => late.close(), () => undefined);
    }, o.blockedTimeoutMs);
  });
  try {
    db = await Promise.race([opening, timeout]);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    const name = (e as { name?: string }).name;
    if (name === 'VersionError') {
      throw new StoreError('VERSION_BLOCKED', `${o.name} was written by a newer schema than v${SCHEMA_VERSION}`, {
        cause: e,
      });
    }
    throw new StoreError('STORE_FAILED', `cannot open ${o.name}: ${String(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  const store = new Store(db, o, o.factory && o.factory !== globalThis.indexedDB ? undefined : cacheWatermark(o.name));
  holder.store = store;
  try {
    await store.guard(dataLoss);
    store.writerBlock = await store.reserveIdBlock();
    if (o.fold) await store.restoreReserve();
  } catch (e) {
    store.close();
    throw e;
  }
  return store;
}

// idb's openDB uses the global indexedDB; an injected factory (e.g. in Node)
// is installed for the duration of the open call only.
async function withFactory<T>(factory: IDBFactory | undefined, fn: () => Promise<T>): Promise<T> {
  if (!factory || factory === globalThis.indexedDB) return fn();
  const g = globalThis as { indexedDB?: IDBFactory };
  const saved = g.indexedDB;
  g.indexedDB = factory;
  try {
    return fn();
  } finally {
    g.indexedDB = saved;
  }
}

async function getMetaRaw(c: Connection, key: string): Promise<unknown> {
  const tx = c.open().transaction('meta', 'readonly');
  const value = await tx.objectStore('meta').get(key);
  await c.done(tx);
  return value;
}

/** The on-device store. Create with openStore(). */
export class Store {
  /** Block whose ids key this connection's label chunks (reserved at open). */
  writerBlock = 0;
  private labelSeq = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private failures: unknown[] = [];
  private compaction: Promise<unknown> = Promise.resolve();
  private reserveMissing = false;
  // Origin usage when the reserve was last found missing or the store last compacted for it.
  private usageAfterCompaction = Infinity;
  // Prediction rows were written since the last compaction started (see restoreOrCompact).
  private rawSinceCompaction = false;
  private restoring: Promise<void> | undefined;
  private readonly c: Connection;

  /** @internal use openStore(). */
  constructor(
    db: IDBPDatabase<StoreSchema>,
    o: Resolved,
    private readonly mark: Watermark | undefined,
  ) {
    this.c = new Connection(db, o);
  }

  /**
   * @internal Checks the id counter against the mark outside IndexedDB and
   * the engine's data-loss report (watermark.ts); emits and returns the reset
   * it found, if any.
   */
  async guard(dataLoss: { kind: string; message: string } | undefined): Promise<(StoreEvent & { type: 'reset' }) | undefined> {
    const marks = await this.mark?.entries();
    const { reset } = await this.locked(() => guardIds(this.c, marks, dataLoss));
    if (reset) this.c.emit(reset);
    return reset;
  }

  /** Database name. */
  get name(): string {
    return this.c.o.name;
  }

  /** Whether the connection was closed (by close(), another tab's upgrade, or the browser). */
  get isClosed(): boolean {
    return this.c.closed !== undefined;
  }

  /** Adds an event listener; returns a function that removes it. */
  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.c.listeners.add(listener);
    return () => this.c.listeners.delete(listener);
  }

  /** Closes the connection; later calls fail with StoreError STORE_CLOSED. */
  close(): void {
    this.shut('close');
  }

  /** @internal */
  shut(reason: 'versionchange' | 'terminated' | 'close'): void {
    this.c.shut(reason);
  }

  /**
   * Reserves a fresh block of 2^22 ids (for IdAllocator.create). The block is
   * durable in IndexedDB (strict) and in the high-water mark outside it before
   * it is returned, and never below the clock's block (watermark.ts): ids are
   * not reused even after the database is lost.
   */
  async reserveIdBlock(): Promise<number> {
    const { block: next, incarnation } = await this.locked(async () => {
      const tx = this.c.open().transaction('meta', 'readwrite', { durability: 'strict' });
      const meta = tx.objectStore('meta');
      const block = Math.max(((await meta.get(NEXT_BLOCK)) as number | undefined) ?? 1, clockBlock());
      // Set by guard() on open, before any reservation (watermark.ts).
      const incarnation = (await meta.get(INCARNATION)) as string | undefined;
      if (block > MAX_BLOCK) {
        tx.abort();
        await tx.done.catch(() => undefined);
        throw new StoreError('IDS_EXHAUSTED', `every id block up to ${MAX_BLOCK} was handed out`);
      }
      await meta.put(block + 1, NEXT_BLOCK);
      await this.c.done(tx);
      return { block, incarnation };
    });
    if (this.mark && incarnation !== undefined) {
      try {
        await this.mark.write(next + 1, incarnation);
      } catch {
        // Cache Storage refused (e.g. the origin is over its quota): the block
        // is still unique while the database lives, and above the clock's
        // block after it is lost. stats().idMark shows the mark lagging.
      }
    }
    return next;
  }

  // ---------------------------------------------------------------- writes

  /** Writes a batch of predictions in one transaction; resolves when it is durable. */
  putPredictions(batch: PredictionBatch): Promise<void> {
    return this.write(
      () => predictionChunk(batch, this.c.o.storeFeatures),
      async (chunk) => {
        await this.locked(() => writePredictions(this.c, chunk));
        this.rawSinceCompaction = true;
      },
    );
  }

  /** Writes a batch of labels in one transaction; resolves when it is durable. */
  putLabels(batch: LabelBatch): Promise<void> {
    return this.write(
      () => labelChunks(batch, () => this.nextLabelKey()),
      (chunks) => this.locked(() => writeLabels(this.c, chunks)),
    );
  }

  // A bad batch or a closed store rejects before any transaction starts;
  // the write itself is tracked for flush() and retried once on a full disk.
  private write<T>(prepare: () => T, commit: (value: T) => Promise<void>): Promise<void> {
    let value: T;
    try {
      this.c.open();
      value = prepare();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.track(this.withQuota(() => commit(value)));
  }

  /** Resolves when every write issued before it is durable; rejects with the first failure among them. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    const failures = this.failures;
    this.failures = [];
    if (failures.length > 0) throw failures[0];
  }

  private track(p: Promise<void>): Promise<void> {
    this.pending.add(p);
    p.then(
      () => this.pending.delete(p),
      (e: unknown) => {
        this.pending.delete(p);
        this.failures.push(e);
      },
    );
    return p;
  }

  // On a full disk: report, fold the oldest rows away, retry once. If that
  // fails too, the write rejects: the caller still holds the batch.
  private async withQuota(write: () => Promise<void>): Promise<void> {
    let first: boolean;
    try {
      await write();
      await this.reserveAgain();
      return;
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      this.c.emit({ type: 'quota-exceeded', error: e as StoreError });
      if (!this.c.o.fold) throw e;
      // Firefox's estimate() reports the quota it enforces, so a full origin
      // shows there; and it keeps deleted rows' pages inside the database
      // file until it vacuums, so after compaction the released reserve is
      // the only room the write has: the reserve comes back after the write,
      // or later, once there is room again (reserveAgain). Where the estimate
      // shows plenty of room yet the write failed (Chromium on a small disk:
      // its estimate is not the limit it enforces), deleted rows free their
      // room at once: the reserve goes back first and the write fits beside it.
      first = (await roomForReserve(this.c)).room;
      await this.queueCompaction('quota');
    }
    if (first) {
      await this.restoreReserve().catch(() => undefined);
      try {
        await write();
        return;
      } catch (e) {
        if (!isQuotaError(e) || this.reserveMissing) throw e;
      }
      // The reserve took back room the write needed after all: it gives it up for this write.
      await releaseReserve(this.c);
      this.reserveMissing = true;
    }
    try {
      await write();
    } finally {
      await this.restoreReserve().catch(() => undefined);
    }
  }

  /** Runs one readwrite transaction under the database's write lock (lock.ts: why). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withWriteLock(this.c.o.name, fn);
  }

  private nextLabelKey(): number {
    if (this.labelSeq === ID_BLOCK) throw new StoreError('IDS_EXHAUSTED', 'reopen the store to get a fresh block for label chunk keys');
    return this.writerBlock * ID_BLOCK + this.labelSeq++;
  }

  // ----------------------------------------------------------------- reads

  /** Raw prediction chunks (with extras) overlapping [from, to), rows not trimmed to the range. */
  async readChunks(q: RangeQuery): Promise<PredictionChunk[]> {
    return readChunks(this.c, q);
  }

  /** Labeled predictions of one model in [from, to) as typed columns, with coverage counts. */
  async readLabeled(q: LabeledQuery): Promise<LabeledColumns> {
    return readLabeled(this.c, q);
  }

  /** The prediction chunks of `model` holding any of `ids`, and every stored label of those ids (see lookup.ts). */
  async rowsById(model: string, ids: Float64Array): Promise<RowsById> {
    return rowsById(this.c, model, ids);
  }

  /** Coverage (labeled / predictions) per window of `windowMs` from `from`. */
  async coverage(q: LabeledQuery & { windowMs: number }): Promise<CoverageWindows> {
    return coverage(this.c, q);
  }

  // ------------------------------------------------------------- retention

  /**
   * Folds raw rows beyond retention (older than maxAgeMs, beyond maxRows, or
   * for reason 'quota' the oldest quotaCompactFraction of them) into summaries
   * through `fold`, then deletes them. Only one tab compacts at a time (Web
   * Locks); rows are deleted only after `fold` resolved.
   */
  async compact(options: { now?: number; reason?: CompactReason } = {}): Promise<{ chunks: number; rows: number; labelChunks: number }> {
    const reason = options.reason ?? 'retention';
    const result = await this.queueCompaction(reason, options.now);
    if (reason === 'quota') await this.restoreReserve();
    return result;
  }

  // One compaction after those already queued, under the cross-tab lock.
  private queueCompaction(reason: CompactReason, now?: number): Promise<{ chunks: number; rows: number; labelChunks: number }> {
    const run = () => {
      this.rawSinceCompaction = false;
      return withCompactLock(this.c, () => compactNow(this.c, now ?? this.c.o.now(), reason));
    };
    const p = this.compaction.then(run, run);
    this.compaction = p.catch(() => undefined);
    return p;
  }

  /**
   * Moves labels whose prediction id is still unknown `pendingLabelMs` after
   * they were written to the `orphans` store and reports them in an
   * 'orphan-labels' event. compact() runs this first.
   */
  reconcileLabels(options: { now?: number } = {}): Promise<{ orphans: number }> {
    return withCompactLock(this.c, () => reconcileNow(this.c, options.now ?? this.c.o.now()));
  }

  /** @internal Puts the quota reserve back if it is missing; a full origin leaves it missing until space is freed. */
  async restoreReserve(): Promise<void> {
    this.reserveMissing = !(await this.locked(() => restoreReserve(this.c)));
    if (this.reserveMissing) this.usageAfterCompaction = (await roomForReserve(this.c)).usage;
  }

  // While the reserve is missing (no room when it was last put back), a
  // write that went in checks the origin's room. Room back (Chromium frees
  // deleted rows at once): the reserve is put back. No room (Firefox keeps the
  // pages of deleted rows inside the database file for reuse until it
  // vacuums, so usage does not drop): writes reuse those pages, and once
  // usage grows past what it was after the last compaction, the store
  // compacts now, while there is still room for fold's summaries and for
  // journaling the deletes; at the limit itself Firefox aborts even deletes,
  // and without a reserve to release the store could not compact at all.
  // Only growth with new prediction rows counts: in Firefox usage also grows
  // with each label write and with the compaction's own writes, and
  // compacting for that growth folded at least one chunk each time until no
  // raw row was left, with 2 to 4 MiB of the 10 MiB quota still free
  // (test/integration/quota.test.ts in Firefox: 7 compactions in a row, one
  // after each predictions and each labels write, once the reserve was missing).
  // One check at a time; its failure leaves the write's outcome alone.
  private reserveAgain(): Promise<void> {
    if (!this.reserveMissing || !this.c.o.fold) return Promise.resolve();
    this.restoring ??= this.restoreOrCompact()
      .catch(() => undefined)
      .finally(() => (this.restoring = undefined));
    return this.restoring;
  }

  private async restoreOrCompact(): Promise<void> {
    const { room, usage } = await roomForReserve(this.c);
    if (room) {
      // The estimate says there is room; where it is not the enforced limit
      // (Chromium on a small disk) the put can still fail: then the origin is
      // within a reserve of its real limit, and the store compacts now (which
      // frees room there at once) and puts the reserve back.
      await this.restoreReserve();
      if (!this.reserveMissing) return;
      await this.queueCompaction('quota');
      await this.restoreReserve();
      return;
    }
    if (usage <= this.usageAfterCompaction || !this.rawSinceCompaction) return;
    await this.queueCompaction('quota');
    this.usageAfterCompaction = (await roomForReserve(this.c)).usage;
  }

  // -------------------------------------- summaries, alerts, outbox, meta, stats

  /** Writes (replaces) a window summary. */
  async putSummary(record: SummaryRecord): Promise<void> {
    await this.locked(() => putSummary(this.c, record));
  }

  /** Window summaries of a model version starting in [from, to). */
  async summaries(q: { model: string; version: string; from?: number; to?: number }): Promise<SummaryRecord[]> {
    return summaries(this.c, q);
  }

  /** Stores an alert; returns its sequence number. */
  async addAlert(alert: AlertRecord): Promise<number> {
    return this.locked(() => addAlert(this.c, alert));
  }

  /** Alerts raised in [from, to). */
  alerts(q: { from?: number; to?: number } = {}): Promise<AlertRecord[]> {
    return alerts(this.c, q);
  }

  /** Queues a payload to send; returns its sequence number. */
  async enqueue(record: NewOutboxRecord): Promise<number> {
    const [seq] = await this.commitOutbox({ add: [record] });
    return seq!;
  }

  /** The oldest queued payloads. */
  outbox(limit = 100): Promise<OutboxRecord[]> {
    return outbox(this.c, limit);
  }

  /** Removes sent payloads. */
  async acknowledge(seqs: readonly number[]): Promise<void> {
    await this.commitOutbox({ remove: seqs });
  }

  /**
   * Queues records, removes records and writes app meta values (see setMeta)
   * in ONE transaction: all of it is durable or none of it, whether a request
   * fails, a value cannot be cloned or the page dies. Returns the new records'
   * sequence numbers in order. A sender moves its cursor together with the
   * summaries it queues, and replaces records by their merge, without a moment
   * in which a crash would leave both (counted twice) or neither (lost).
   */
  async commitOutbox(commit: OutboxCommit): Promise<number[]> {
    return this.locked(() => commitOutbox(this.c, commit));
  }

  /** The app's value stored under `key` by setMeta or commitOutbox, or undefined. */
  async getMeta(key: string): Promise<unknown> {
    return getMeta(this.c, key);
  }

  /**
   * Stores a structured-cloneable value under `key` (undefined deletes it).
   * App keys live apart from the store's own bookkeeping and cannot clash with it.
   */
  async setMeta(key: string, value: unknown): Promise<void> {
    await this.locked(() => setMeta(this.c, key, value));
  }

  /**
   * Counts of what the store holds; whether the origin's storage is
   * persistent (navigator.storage.persisted(): true = not evicted under
   * storage pressure; undefined where the engine cannot tell); the id
   * high-water mark kept outside IndexedDB (undefined where there is none);
   * and the resets detected on open (the newest 20).
   */
  async stats(): Promise<StoreStats> {
    const [counts, persisted, idMark, resets] = await Promise.all([
      stats(this.c),
      isPersisted(),
      this.mark?.read(),
      getMetaRaw(this.c, RESETS) as Promise<ResetRecord[] | undefined>,
    ]);
    return { ...counts, persisted, idMark, resets: resets ?? [] };
  }
}
