// The browser half of test/integration/quota.test.ts: drives the real store in
// a Chromium whose profile sits on a small tmpfs, and reports what it saw as
// plain data for the Node side to judge. It keeps its own copy of every batch
// it hands to the store (the oracle), so nothing here trusts the store's
// account of what it was given.
import { IdAllocator, init, openStore, parseSummary, serializeSummary, summarize } from '../../../src/index.js';
import type { FoldBatch, LabelBatch, PredictionBatch, Store, StoreEvent } from '../../../src/index.js';
import { openDB } from 'idb';
import { predictions, rng } from '../../browser/store/helpers.js';

// Recent rows (1 ms apart, ~2 h of them at most), so that age-based retention
// (30 days) selects none and only the quota share is folded.
const T0 = Date.now() - 2 * 3_600_000;
const LABEL_DELAY_MS = 60_000;
// Labels of folded predictions are only dropped by age-based retention, not by
// a quota compaction, so a high label rate would fill the disk with labels no
// compaction frees; one row in ten keeps them a small share.
const LABEL_EVERY = 10;

/** A platform or store error as data. */
export interface ErrorInfo {
  name: string;
  code?: string;
  message: string;
  cause?: { name: string; isDomException: boolean };
}

export interface WriteOutcome {
  key: number;
  rows: number;
  ok: boolean;
  error?: ErrorInfo;
  /** The labels written after an accepted batch: undefined if they went in. */
  labelError?: ErrorInfo;
  /** navigator.storage.estimate() usage just before the write. */
  usageBefore: number;
}

export interface EventInfo {
  type: StoreEvent['type'];
  error?: ErrorInfo;
  reason?: string;
  chunks?: number;
  rows?: number;
  /** Key of the batch being written when the event fired, and which of its writes. */
  during?: { key: number; write: 'predictions' | 'labels' };
}

/** What the store holds, checked against what the caller handed it. */
export interface Accounting {
  sent: { key: number; rows: number; labeled: number; ok: boolean }[];
  /** Raw chunks read back; `identical` = every column equals the batch sent under that key. */
  raw: { key: number; rows: number; identical: boolean }[];
  /** Labeled rows of the raw chunks as readLabeled sees them. */
  rawLabeled: number;
  /** Persisted summary records: the chunks each covers and the counts its summaries hold. */
  summaries: { chunkKeys: number[]; count: number; labeled: number; segmentCountsMatch: boolean }[];
  /** Batches the store rejected: still with the caller, intact. */
  held: { key: number; rows: number; intact: boolean }[];
  folds: number;
}

interface Sent {
  batch: PredictionBatch;
  /** Copy of the columns, to tell whether anyone touched the caller's arrays. */
  copy: Float64Array[];
  labeled: number;
  ok: boolean;
}

let store: Store | undefined;
let alloc: IdAllocator | undefined;
const random = rng(7);
const sent = new Map<number, Sent>();
const events: EventInfo[] = [];
let rowsSoFar = 0;
let folds = 0;
let during: EventInfo['during'];

function errorInfo(e: unknown): ErrorInfo {
  const x = e as { name?: string; code?: string; message?: string; cause?: unknown };
  const info: ErrorInfo = { name: String(x?.name), message: String(x?.message) };
  if (typeof x?.code === 'string') info.code = x.code;
  if (x?.cause !== undefined) {
    info.cause = { name: String((x.cause as { name?: string }).name), isDomException: x.cause instanceof DOMException };
  }
  return info;
}

// The owner's fold: real mergeable summaries (src/summary) of the folded rows
// with their labels, persisted in the store's summaries store before it
// resolves. One record per folded chunk, keyed by the chunk's key, so a fold
// that is retried overwrites its record instead of counting rows twice.
async function fold(b: FoldBatch): Promise<void> {
  const p = b.predictions;
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of p.timestamp) {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const sums = summarize({ task: 'binary', predictions: p, labels: b.label, labelDelayMs: b.feedbackDelayMs, window: { start: lo, end: hi + 1 } });
  await store!.putSummary({
    model: p.model,
    version: p.version,
    windowStart: b.chunkKeys[0]!,
    windowMs: 0,
    data: { chunkKeys: b.chunkKeys, summaries: sums.map(serializeSummary) },
  });
  folds++;
}

async function usage(): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? NaN;
}

const api = {
  async open(name: string, options: { quotaCompactFraction?: number; quotaReserveBytes?: number } = {}): Promise<void> {
    await init();
    store = await openStore({
      name,
      fold,
      ...options,
      onEvent: (e) => {
        const info: EventInfo = { type: e.type };
        if (during) info.during = { ...during };
        if (e.type === 'quota-exceeded') info.error = errorInfo(e.error);
        if (e.type === 'compacted') Object.assign(info, { reason: e.reason, chunks: e.chunks, rows: e.rows });
        events.push(info);
      },
    });
    alloc = await IdAllocator.create(() => store!.reserveIdBlock());
  },

  /**
   * Writes `count` batches of `rows` predictions one after the other, each
   * followed by labels for every LABEL_EVERY-th row; stops at the first
   * rejected prediction batch if `stopOnReject`.
   */
  async write(count: number, rows: number, stopOnReject = false): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    for (let k = 0; k < count; k++) {
      const start = rowsSoFar;
      const batch = predictions(alloc!.fill(new Float64Array(rows)), (i) => T0 + start + i, random);
      rowsSoFar += rows;
      const key = batch.id[0]!;
      const entry: Sent = {
        batch,
        copy: [batch.id, batch.timestamp, batch.score, batch.prediction, batch.latencyMs].map((a) => a.slice()),
        labeled: 0,
        ok: false,
      };
      sent.set(key, entry);
      const usageBefore = await usage();
      during = { key, write: 'predictions' };
      try {
        await store!.putPredictions(batch);
        entry.ok = true;
      } catch (e) {
        out.push({ key, rows, ok: false, error: errorInfo(e), usageBefore });
        if (stopOnReject) break;
        continue;
      }
      const outcome: WriteOutcome = { key, rows, ok: true, usageBefore };
      out.push(outcome);
      const m = Math.ceil(rows / LABEL_EVERY);
      const labels: LabelBatch = { id: new Float64Array(m), label: new Float64Array(m), labeledAt: new Float64Array(m) };
      for (let i = 0; i < m; i++) {
        labels.id[i] = batch.id[LABEL_EVERY * i]!;
        labels.label[i] = random() < 0.5 ? 0 : 1;
        labels.labeledAt[i] = batch.timestamp[LABEL_EVERY * i]! + LABEL_DELAY_MS;
      }
      during = { key, write: 'labels' };
      try {
        await store!.putLabels(labels);
        entry.labeled = m;
      } catch (e) {
        outcome.labelError = errorInfo(e);
      }
    }
    during = undefined;
    return out;
  },

  /**
   * Fills what is left of the origin's quota, to the last KB, with the app's
   * other data (a database the store does not own and cannot free): random
   * records of shrinking size until each size is refused.
   */
  async fillOrigin(): Promise<{ bytes: number; usage: number }> {
    let db;
    try {
      db = await openDB('filler', 1, { upgrade: (d) => d.createObjectStore('blobs') });
    } catch (e) {
      // Firefox: the origin is already too full to create one more database.
      if ((e as Error).name !== 'QuotaExceededError') throw e;
      return { bytes: 0, usage: await usage() };
    }
    let bytes = 0;
    let key = 0;
    let refused = false;
    for (let size = 1 << 20; size >= 1024; size >>= 2) {
      for (;;) {
        const value = new Uint8Array(size);
        for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(value.subarray(i, i + 65_536));
        try {
          await db.put('blobs', value, key++);
        } catch (e) {
          // Firefox refuses the first write transaction after a quota error
          // with an InvalidStateError (see src/store/connection.ts): that
          // refusal is not the answer for this size, so try it again.
          if ((e as Error).name === 'InvalidStateError' && !refused) {
            refused = true;
            continue;
          }
          if ((e as Error).name !== 'QuotaExceededError') throw e;
          // The quota error makes the next size's first put a refused one again.
          refused = false;
          break;
        }
        refused = false;
        bytes += size;
      }
    }
    db.close();
    return { bytes, usage: await usage() };
  },

  events(): EventInfo[] {
    return events.slice();
  },

  usage,

  async account(): Promise<Accounting> {
    const s = store!;
    const range = { model: 'm', from: -8.64e15, to: 8.64e15 };
    const raw = (await s.readChunks(range)).map((c) => {
      const mine = sent.get(c.key);
      const cols = [c.id, c.timestamp, c.score, c.prediction, c.latencyMs];
      const identical =
        mine !== undefined &&
        mine.copy.every((a, j) => a.length === cols[j]!.length && a.every((v, i) => Object.is(v, cols[j]![i]))) &&
        mine.batch.segment.every((v, i) => c.segment[i] === v);
      return { key: c.key, rows: c.rows, identical };
    });
    const rawLabeled = (await s.readLabeled(range)).coverage.labeled;
    const summaries = (await s.summaries({ model: 'm', version: 'v1' })).map((r) => {
      const data = r.data as { chunkKeys: number[]; summaries: string[] };
      const parsed = data.summaries.map(parseSummary);
      // Per-segment counts from the oracle's copy of the folded batches.
      const want = new Map<string, number>();
      for (const k of data.chunkKeys) {
        const b = sent.get(k)?.batch;
        if (!b) continue;
        for (const g of b.segment) want.set(b.segments[g]!, (want.get(b.segments[g]!) ?? 0) + 1);
      }
      const segmentCountsMatch = parsed.length === want.size && parsed.every((x) => want.get(x.segment) === x.count);
      return {
        chunkKeys: data.chunkKeys,
        count: parsed.reduce((a, x) => a + x.count, 0),
        labeled: parsed.reduce((a, x) => a + x.labeled, 0),
        segmentCountsMatch,
      };
    });
    const held = [...sent.entries()]
      .filter(([, e]) => !e.ok)
      .map(([key, e]) => {
        const cols = [e.batch.id, e.batch.timestamp, e.batch.score, e.batch.prediction, e.batch.latencyMs];
        const intact = e.copy.every((a, j) => a.every((v, i) => Object.is(v, cols[j]![i])));
        return { key, rows: e.batch.id.length, intact };
      });
    return {
      sent: [...sent.entries()].map(([key, e]) => ({ key, rows: e.batch.id.length, labeled: e.labeled, ok: e.ok })),
      raw,
      rawLabeled,
      summaries,
      held,
      folds,
    };
  },

  close(): void {
    store?.close();
  },
};

export type QuotaPage = typeof api;

declare global {
  interface Window {
    quota: QuotaPage;
    quotaReady: boolean;
  }
}

window.quota = api;
window.quotaReady = true;
