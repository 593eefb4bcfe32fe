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

import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import type { PredictionColumns, RowColumns } from '../columns/index.js';
import { InputError } from '../errors.js';
import { Connection } from './connection.js';
import { StoreError, isQuotaError } from './errors.js';
import { argsortIds, latestLabels, matchLabels, sortedHas } from './join.js';
import {
  APP_META,
  ID_BLOCK,
  NEXT_BLOCK,
  QUOTA_RESERVE,
  SCHEMA_VERSION,
  upgrade,
} from './schema.js';
import type {
  AlertRecord,
  ChunkBounds,
  LabelBounds,
  LabelChunk,
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
  FoldFn,
  LabelBatch,
  LabeledColumns,
  LabeledQuery,
  PredictionBatch,
  RangeQuery,
  StoreEvent,
  StoreOptions,
} from './types.js';
import { resolve } from './options.js';
import type { Resolved } from './options.js';
import { labelBounds, labelChunks, predictionChunk, writeLabels, writePredictions } from './write.js';

/** Opens (creating or upgrading) the store's database. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const o = resolve(options);
  // Filled in once the connection is open; the callbacks below may fire before.
  const holder: { store?: Store } = {};
  let db: IDBPDatabase<StoreSchema> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const opening = withFactory(o.factory, () =>
    openDB<StoreSchema>(o.name, SCHEMA_VERSION, {
      upgrade: (d, oldVersion, _v, tx) => upgrade(d, oldVersion, tx),
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
  const store = new Store(db, o);
  holder.store = store;
  try {
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

interface Joined extends RowColumns {
  versionIndex: Uint16Array;
  versions: string[];
  labelRow: Int32Array;
  label: Float64Array;
  labeledAt: Float64Array;
  givenDelay: Float64Array;
  duplicates: number;
  /** Class score vectors aligned with the rows (see gatherRows), when some chunk has them and they were asked for. */
  classScores?: { classes: number; values: Float64Array };
}

/** The on-device store. Create with openStore(). */
export class Store {
  /** Block whose ids key this connection's label chunks (reserved at open). */
  writerBlock = 0;
  private labelSeq = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private failures: unknown[] = [];
  private compaction: Promise<unknown> = Promise.resolve();
  private readonly c: Connection;

  /** @internal use openStore(). */
  constructor(db: IDBPDatabase<StoreSchema>, o: Resolved) {
    this.c = new Connection(db, o);
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

  /** Reserves a fresh block of 2^22 ids (for IdAllocator.create). */
  async reserveIdBlock(): Promise<number> {
    const tx = this.c.open().transaction('meta', 'readwrite', { durability: 'strict' });
    const meta = tx.objectStore('meta');
    const next = ((await meta.get(NEXT_BLOCK)) as number | undefined) ?? 1;
    void meta.put(next + 1, NEXT_BLOCK);
    await this.c.done(tx);
    return next;
  }

  // ---------------------------------------------------------------- writes

  /** Writes a batch of predictions in one transaction; resolves when it is durable. */
  putPredictions(batch: PredictionBatch): Promise<void> {
    return this.write(
      () => predictionChunk(batch, this.c.o.storeFeatures),
      (chunk) => writePredictions(this.c, chunk),
    );
  }

  /** Writes a batch of labels in one transaction; resolves when it is durable. */
  putLabels(batch: LabelBatch): Promise<void> {
    return this.write(
      () => labelChunks(batch, () => this.nextLabelKey()),
      (chunks) => writeLabels(this.c, chunks),
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
    try {
      await write();
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      this.c.emit({ type: 'quota-exceeded', error: e as StoreError });
      if (!this.c.o.fold) throw e;
      await this.compact({ reason: 'quota' });
      await write();
    }
  }

  private nextLabelKey(): number {
    if (this.labelSeq === ID_BLOCK) throw new StoreError('IDS_EXHAUSTED', 'reopen the store to get a fresh block for label chunk keys');
    return this.writerBlock * ID_BLOCK + this.labelSeq++;
  }

  // ----------------------------------------------------------------- reads

  /** Raw prediction chunks (with extras) overlapping [from, to), rows not trimmed to the range. */
  async readChunks(q: RangeQuery): Promise<PredictionChunk[]> {
    checkRange(q);
    const tx = this.c.open().transaction(['chunkIndex', 'chunks'], 'readonly');
    const bounds = await chunksInRange(tx.objectStore('chunkIndex'), q);
    const store = tx.objectStore('chunks');
    const chunks = await Promise.all(bounds.map((b) => store.get(b.key)));
    return chunks.filter((c): c is PredictionChunk => c !== undefined);
  }

  /** Labeled predictions of one model in [from, to) as typed columns, with coverage counts. */
  async readLabeled(q: LabeledQuery): Promise<LabeledColumns> {
    const minDelay = q.minFeedbackDelayMs ?? -Infinity;
    if (q.minFeedbackDelayMs !== undefined && !Number.isFinite(q.minFeedbackDelayMs)) {
      throw new InputError('INVALID_OPTION', 'minFeedbackDelayMs', 'expected a finite number of ms');
    }
    const j = await this.join(q, true);
    const n = j.id.length;
    const delay = new Float64Array(n);
    const keep = new Uint8Array(n);
    let labeled = 0;
    let eligible = 0;
    for (let i = 0; i < n; i++) {
      const r = j.labelRow[i]!;
      if (r < 0) continue;
      labeled++;
      const g = j.givenDelay[r]!;
      const d = g === g ? g : j.labeledAt[r]! - j.timestamp[i]!;
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
    return out;
  }

  /** Coverage (labeled / predictions) per window of `windowMs` from `from`. */
  async coverage(q: LabeledQuery & { windowMs: number }): Promise<CoverageWindows> {
    if (!(q.windowMs > 0)) throw new InputError('INVALID_OPTION', 'windowMs', 'expected a positive window length in ms');
    const minDelay = q.minFeedbackDelayMs ?? -Infinity;
    const j = await this.join(q);
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
      const g = j.givenDelay[r]!;
      const d = g === g ? g : j.labeledAt[r]! - j.timestamp[i]!;
      if (d >= minDelay) out.labeled[k]!++;
    }
    for (let k = 0; k < w; k++) out.ratio[k] = out.predictions[k] ? out.labeled[k]! / out.predictions[k]! : NaN;
    return out;
  }

  // Reads the prediction rows in range and the label chunks whose id ranges
  // meet theirs, in one readonly transaction, and matches each prediction to
  // its latest label.
  // With `scores`, class score vectors come along (see gatherRows).
  private async join(q: RangeQuery, scores = false): Promise<Joined> {
    checkRange(q);
    const tx = this.c.open().transaction(['chunkIndex', 'chunks', 'labelIndex', 'labelChunks'], 'readonly');
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
    const rows = gatherRows(chunks.filter((c): c is PredictionChunk => c !== undefined), q.from, q.to, scores);
    const l = concatLabels(labels.filter((c): c is LabelChunk => c !== undefined));
    // Only labels of predictions in range count as duplicates here.
    const inRange = matchLabelsAll(rows.id, l.id);
    const sub = subsetLabels(l, inRange);
    const winners = latestLabels(sub.id, sub.labeledAt);
    const labelRow = matchLabels(rows.id, sub.id, winners.rows);
    return { ...rows, labelRow, label: sub.label, labeledAt: sub.labeledAt, givenDelay: sub.feedbackDelayMs, duplicates: winners.duplicates };
  }

  // ------------------------------------------------------------- retention

  /**
   * Folds raw rows beyond retention (older than maxAgeMs, beyond maxRows, or
   * for reason 'quota' the oldest quotaCompactFraction of them) into summaries
   * through `fold`, then deletes them. Only one tab compacts at a time (Web
   * Locks); rows are deleted only after `fold` resolved.
   */
  compact(options: { now?: number; reason?: CompactReason } = {}): Promise<{ chunks: number; rows: number; labelChunks: number }> {
    const run = () => this.lock(() => this.compactNow(options.now ?? Date.now(), options.reason ?? 'retention'));
    const p = this.compaction.then(run, run);
    this.compaction = p.catch(() => undefined);
    return p;
  }

  private async lock<T>(fn: () => Promise<T>): Promise<T> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return fn();
    return locks.request(`modelwatch:${this.c.o.name}:compact`, fn);
  }

  private async compactNow(now: number, reason: CompactReason): Promise<{ chunks: number; rows: number; labelChunks: number }> {
    const fold = this.c.o.fold;
    if (!fold) {
      throw new StoreError('NO_FOLD', 'compaction needs a fold function: raw rows are never deleted unsummarized');
    }
    // On a full origin even fold's summaries cannot be written, so nothing
    // could ever be deleted: the reserve makes room for them first.
    if (reason === 'quota') await this.releaseReserve();
    await this.reconcileNow(now);
    const catalog = await this.c.open().getAll('chunkIndex');
    catalog.sort((a, b) => a.t1 - b.t1 || a.key - b.key);
    let total = 0;
    for (const c of catalog) total += c.rows;
    const cutoff = now - this.c.o.maxAgeMs;
    const keepRows = reason === 'quota' ? Math.floor(total * (1 - this.c.o.quotaCompactFraction)) : this.c.o.maxRows;
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
      const batch = await this.foldBatch(b);
      if (!batch) continue;
      await fold(batch);
      const tx = this.c.open().transaction(['chunks', 'chunkIndex'], 'readwrite', { durability: 'strict' });
      void tx.objectStore('chunks').delete(b.key);
      void tx.objectStore('chunkIndex').delete(b.key);
      await this.c.done(tx);
      rows += b.rows;
    }
    // Labels older than retention (plus the pending period) belong to
    // predictions that were folded above; orphans are kept as long.
    const labelCutoff = cutoff - this.c.o.pendingLabelMs;
    const oldLabels = (await this.c.open().getAll('labelIndex')).filter((l) => l.checked === 1 && l.maxLabeledAt < labelCutoff);
    if (oldLabels.length > 0) {
      const tx = this.c.open().transaction(['labelChunks', 'labelIndex'], 'readwrite', { durability: 'strict' });
      for (const l of oldLabels) {
        void tx.objectStore('labelChunks').delete(l.key);
        void tx.objectStore('labelIndex').delete(l.key);
      }
      await this.c.done(tx);
    }
    const oldOrphans = (await this.c.open().getAll('orphans')).filter((o) => o.reportedAt < cutoff);
    if (oldOrphans.length > 0) {
      const tx = this.c.open().transaction('orphans', 'readwrite');
      for (const o of oldOrphans) void tx.store.delete(o.key);
      await this.c.done(tx);
    }
    if (reason === 'quota') await this.restoreReserve();
    const result = { chunks: selected.length, rows, labelChunks: oldLabels.length };
    if (selected.length > 0 || oldLabels.length > 0) this.c.emit({ type: 'compacted', reason, ...result });
    return result;
  }

  /** @internal Puts the quota reserve back if it is missing; a full origin leaves it missing until space is freed. */
  async restoreReserve(): Promise<void> {
    const size = this.c.o.quotaReserveBytes;
    if (size === 0 || (await this.c.open().count('meta', QUOTA_RESERVE)) > 0) return;
    // Random bytes: Chromium compresses IndexedDB values, zeros would take no room.
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
    const tx = this.c.open().transaction('meta', 'readwrite', { durability: 'strict' });
    void tx.store.put(bytes, QUOTA_RESERVE);
    try {
      await this.c.done(tx);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
    }
  }

  private async releaseReserve(): Promise<void> {
    if ((await this.c.open().count('meta', QUOTA_RESERVE)) === 0) return;
    const tx = this.c.open().transaction('meta', 'readwrite', { durability: 'strict' });
    void tx.store.delete(QUOTA_RESERVE);
    await this.c.done(tx);
  }

  private async foldBatch(b: ChunkBounds): Promise<Parameters<FoldFn>[0] | undefined> {
    const tx = this.c.open().transaction(['chunks', 'labelIndex', 'labelChunks'], 'readonly');
    const [chunk, labelCatalog] = await Promise.all([tx.objectStore('chunks').get(b.key), tx.objectStore('labelIndex').getAll()]);
    if (!chunk) return undefined;
    const store = tx.objectStore('labelChunks');
    const labels = await Promise.all(overlapping(labelCatalog, [b]).map((l) => store.get(l.key)));
    const l = concatLabels(labels.filter((c): c is LabelChunk => c !== undefined));
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
      const g = l.feedbackDelayMs[r]!;
      feedbackDelayMs[i] = g === g ? g : l.labeledAt[r]! - chunk.timestamp[i]!;
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

  /**
   * Moves labels whose prediction id is still unknown `pendingLabelMs` after
   * they were written to the `orphans` store and reports them in an
   * 'orphan-labels' event. compact() runs this first.
   */
  reconcileLabels(options: { now?: number } = {}): Promise<{ orphans: number }> {
    return this.lock(() => this.reconcileNow(options.now ?? Date.now()));
  }

  private async reconcileNow(now: number): Promise<{ orphans: number }> {
    const db = this.c.open();
    const due = (await db.getAllFromIndex('labelIndex', 'byChecked', 0)).filter(
      (l) => l.createdAt <= now - this.c.o.pendingLabelMs,
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
      const tx = db.transaction(['labelChunks', 'labelIndex', 'orphans'], 'readwrite', { durability: 'strict' });
      if (kept < chunk.id.length) {
        const lost = pickRows(chunk, keep, 0);
        void tx.objectStore('orphans').put({
          key: chunk.key,
          id: lost.id,
          label: lost.label,
          labeledAt: lost.labeledAt,
          reason: 'unknown-id',
          reportedAt: now,
        });
        for (const id of lost.id) orphanIds.push(id);
      }
      if (kept === 0) {
        void tx.objectStore('labelChunks').delete(chunk.key);
        void tx.objectStore('labelIndex').delete(chunk.key);
      } else {
        const rest = kept < chunk.id.length ? pickRows(chunk, keep, 1) : chunk;
        if (rest !== chunk) void tx.objectStore('labelChunks').put(rest);
        void tx.objectStore('labelIndex').put({ ...labelBounds(rest, entry.createdAt), checked: 1 });
      }
      await this.c.done(tx);
    }
    if (orphanIds.length > 0) {
      this.c.emit({ type: 'orphan-labels', count: orphanIds.length, ids: Float64Array.from(orphanIds) });
    }
    return { orphans: orphanIds.length };
  }

  // -------------------------------------- summaries, alerts, outbox, meta, stats

  /** Writes (replaces) a window summary. */
  async putSummary(record: SummaryRecord): Promise<void> {
    const tx = this.c.open().transaction('summaries', 'readwrite', { durability: this.c.o.durability });
    void tx.store.put(record);
    await this.c.done(tx);
  }

  /** Window summaries of a model version starting in [from, to). */
  async summaries(q: { model: string; version: string; from?: number; to?: number }): Promise<SummaryRecord[]> {
    const range = IDBKeyRange.bound([q.model, q.version, q.from ?? -Infinity], [q.model, q.version, q.to ?? Infinity, []], false, true);
    return this.c.open().getAll('summaries', range);
  }

  /** Stores an alert; returns its sequence number. */
  async addAlert(alert: AlertRecord): Promise<number> {
    const tx = this.c.open().transaction('alerts', 'readwrite', { durability: this.c.o.durability });
    const key = await tx.store.add({ ...alert });
    await this.c.done(tx);
    return key;
  }

  /** Alerts raised in [from, to). */
  alerts(q: { from?: number; to?: number } = {}): Promise<AlertRecord[]> {
    return this.c.open().getAllFromIndex('alerts', 'byTime', IDBKeyRange.bound(q.from ?? -Infinity, q.to ?? Infinity, false, true));
  }

  /** Queues a payload to send; returns its sequence number. */
  async enqueue(record: NewOutboxRecord): Promise<number> {
    const [seq] = await this.commitOutbox({ add: [record] });
    return seq!;
  }

  /** The oldest queued payloads. */
  outbox(limit = 100): Promise<OutboxRecord[]> {
    return this.c.open().getAll('outbox', undefined, limit);
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
    const tx = this.c.open().transaction(names, 'readwrite', { durability: this.c.o.durability });
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
      throw this.c.wrap(e);
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
      throw this.c.wrap(failure ?? e);
    }
    return Promise.all(seqs);
  }

  /** The app's value stored under `key` by setMeta or commitOutbox, or undefined. */
  async getMeta(key: string): Promise<unknown> {
    checkMetaKey(key, 'key');
    return this.c.open().get('meta', APP_META + key);
  }

  /**
   * Stores a structured-cloneable value under `key` (undefined deletes it).
   * App keys live apart from the store's own bookkeeping and cannot clash with it.
   */
  async setMeta(key: string, value: unknown): Promise<void> {
    checkMetaKey(key, 'key');
    await this.commitOutbox({ meta: { [key]: value } });
  }

  /** Counts of what the store holds. */
  async stats(): Promise<{ chunks: number; rows: number; labelChunks: number; labels: number; pendingLabelChunks: number; orphans: number }> {
    const db = this.c.open();
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
}

// ------------------------------------------------------------------ helpers

function checkMetaKey(key: unknown, name: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InputError('INVALID_OPTION', name, `has the key ${JSON.stringify(key)}; use a non-empty string.`);
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

// Label chunks whose id range meets any of the chunks' id ranges.
function overlapping(labels: LabelBounds[], chunks: ChunkBounds[]): LabelBounds[] {
  if (chunks.length === 0) return [];
  const sorted = [...chunks].sort((a, b) => a.minId - b.minId);
  // Merge the chunks' id ranges into disjoint intervals.
  const lo: number[] = [];
  const hi: number[] = [];
  for (const c of sorted) {
    if (lo.length > 0 && c.minId <= hi[hi.length - 1]!) hi[hi.length - 1] = Math.max(hi[hi.length - 1]!, c.maxId);
    else {
      lo.push(c.minId);
      hi.push(c.maxId);
    }
  }
  return labels.filter((l) => {
    // First interval ending at or after l.minId.
    let a = 0;
    let b = hi.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (hi[m]! < l.minId) a = m + 1;
      else b = m;
    }
    return a < lo.length && lo[a]! <= l.maxId;
  });
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
): Omit<Joined, 'labelRow' | 'label' | 'labeledAt' | 'givenDelay' | 'duplicates'> {
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

interface LabelRows {
  id: Float64Array;
  label: Float64Array;
  labeledAt: Float64Array;
  feedbackDelayMs: Float64Array;
}

function concatLabels(chunks: LabelChunk[]): LabelRows {
  // Chunk key order is write order within a writer: ties of labeledAt go to
  // the later write.
  chunks.sort((a, b) => a.key - b.key);
  let n = 0;
  for (const c of chunks) n += c.id.length;
  const out: LabelRows = {
    id: new Float64Array(n),
    label: new Float64Array(n),
    labeledAt: new Float64Array(n),
    feedbackDelayMs: new Float64Array(n),
  };
  let k = 0;
  for (const c of chunks) {
    out.id.set(c.id, k);
    out.label.set(c.label, k);
    out.labeledAt.set(c.labeledAt, k);
    out.feedbackDelayMs.set(c.feedbackDelayMs, k);
    k += c.id.length;
  }
  return out;
}

// Marks label rows whose id is among the predictions' ids (1) or not (0).
function matchLabelsAll(predIds: Float64Array, labelIds: Float64Array): Uint8Array {
  const mark = new Uint8Array(labelIds.length);
  const p = argsortIds(predIds);
  const l = argsortIds(labelIds);
  let i = 0;
  for (let k = 0; k < l.length; k++) {
    const id = labelIds[l[k]!]!;
    while (i < p.length && predIds[p[i]!]! < id) i++;
    if (i < p.length && predIds[p[i]!] === id) mark[l[k]!] = 1;
  }
  return mark;
}

function subsetLabels(l: LabelRows, mark: Uint8Array): LabelRows {
  let n = 0;
  for (const m of mark) n += m;
  if (n === l.id.length) return l;
  const out: LabelRows = {
    id: new Float64Array(n),
    label: new Float64Array(n),
    labeledAt: new Float64Array(n),
    feedbackDelayMs: new Float64Array(n),
  };
  let k = 0;
  for (let i = 0; i < mark.length; i++) {
    if (!mark[i]) continue;
    out.id[k] = l.id[i]!;
    out.label[k] = l.label[i]!;
    out.labeledAt[k] = l.labeledAt[i]!;
    out.feedbackDelayMs[k] = l.feedbackDelayMs[i]!;
    k++;
  }
  return out;
}

function pickRows(c: LabelChunk, keep: Uint8Array, want: 0 | 1): LabelChunk {
  const n = keep.reduce((s, v) => s + (v === want ? 1 : 0), 0);
  const out: LabelChunk = {
    key: c.key,
    id: new Float64Array(n),
    label: new Float64Array(n),
    labeledAt: new Float64Array(n),
    feedbackDelayMs: new Float64Array(n),
  };
  let k = 0;
  for (let i = 0; i < keep.length; i++) {
    if (keep[i] !== want) continue;
    out.id[k] = c.id[i]!;
    out.label[k] = c.label[i]!;
    out.labeledAt[k] = c.labeledAt[i]!;
    out.feedbackDelayMs[k] = c.feedbackDelayMs[i]!;
    k++;
  }
  return out;
}
