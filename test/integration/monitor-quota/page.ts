// The browser half of test/integration/monitor-quota.test.ts: a monitor (its
// engine in a Worker) in a Chromium whose profile sits on a small tmpfs. It
// logs rows until the origin's quota stops the writes and reports, as plain
// data, what reached monitor.on, what flush() said, and where every logged row
// ended up (raw, folded into a summary, or handed back).
import { deleteDB, openDB } from 'idb';
import { createMonitor, openStore, parseSummary } from '../../../src/index.js';
import type { Monitor, MonitorEvent } from '../../../src/index.js';

/** Recent rows, so age-based retention folds none: only the quota does. */
const T0 = Date.now() - 2 * 3_600_000;
/** Rows per batch, and classes of the model (a row with its probability vector stores 48 doubles more). */
export const BATCH = 16_384;
const CLASSES = 48;

export interface EventInfo {
  type: MonitorEvent['type'];
  kind?: string;
  rows?: number;
  attempts?: number;
  reason?: string;
  error?: { name: string; code?: string; message: string };
  /** write-failed: the batch's ids. */
  ids?: number[];
}

export interface Outcome {
  ok: boolean;
  error?: { name: string; code?: string; message: string };
}

export interface Accounting {
  logged: number;
  raw: number;
  /** Raw rows whose id was logged once (no row twice, none unknown). */
  rawDistinctLogged: number;
  summarized: number;
}

let m: Monitor | undefined;
let dbName = '';
const events: MonitorEvent[] = [];
const logged: number[] = [];
let t = 0;

const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    () => ({ ok: true }),
    (e: { name?: string; code?: string; message?: string }) => ({ ok: false, error: { name: String(e?.name), ...(e?.code ? { code: e.code } : {}), message: String(e?.message) } }),
  );

const api = {
  async open(name: string, attempts: number): Promise<void> {
    dbName = name;
    m = await createMonitor({
      task: 'multiclass', model: 'm', classes: CLASSES, dbName: name, batchSize: BATCH, flushIntervalMs: 3_600_000, writeRetry: { attempts, backoffMs: 20 },
    });
    m.on((e) => events.push(e));
  },

  /**
   * Logs `rows` predictions, with random probability vectors if `vectors`
   * (about 6.3 MB a batch, incompressible); a full buffer goes to the Worker at once.
   */
  log(rows: number, vectors = false): number {
    const scores = new Float64Array(CLASSES);
    for (let i = 0; i < rows; i++) {
      const prediction = Math.floor(Math.random() * CLASSES);
      const row = { prediction, latencyMs: Math.random() * 20, timestamp: T0 + t++ };
      if (vectors) for (let k = 0; k < CLASSES; k++) scores[k] = Math.random();
      logged.push(m!.logPrediction(vectors ? { ...row, scores } : row));
    }
    return logged.length;
  },

  flush: (): Promise<Outcome> => outcome(m!.flush()),

  /** Fills what is left of the quota, to the last KB, with the app's other data (a database the store cannot free). */
  async fillOrigin(): Promise<number> {
    const db = await openDB('filler', 1, { upgrade: (d) => d.createObjectStore('blobs') });
    let bytes = 0;
    let key = 0;
    for (let size = 1 << 20; size >= 1024; size >>= 2) {
      for (;;) {
        const value = new Uint8Array(size);
        for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(value.subarray(i, i + 65_536));
        try {
          await db.put('blobs', value, key++);
        } catch (e) {
          if ((e as Error).name !== 'QuotaExceededError') throw e;
          break;
        }
        bytes += size;
      }
    }
    db.close();
    return bytes;
  },

  freeOrigin: (): Promise<void> => deleteDB('filler'),

  events(): EventInfo[] {
    return events.map((e) => {
      const info: EventInfo = { type: e.type };
      if (e.type === 'write-failed') Object.assign(info, { kind: e.kind, rows: e.rows, attempts: e.attempts, error: e.error, ids: Array.from(e.batch.id) });
      if (e.type === 'quota-exceeded') info.error = e.error;
      if (e.type === 'compacted') Object.assign(info, { reason: e.reason, rows: e.rows });
      if (e.type === 'closed') info.reason = e.reason;
      return info;
    });
  },

  /** Resubmits every batch handed back so far; resolves to the flush after them. */
  async resubmit(): Promise<{ resubmitted: number; flush: Outcome }> {
    const failed = events.filter((e): e is Extract<MonitorEvent, { type: 'write-failed' }> => e.type === 'write-failed');
    events.length = 0;
    for (const e of failed) await m!.resubmit(e);
    return { resubmitted: failed.reduce((n, e) => n + e.rows, 0), flush: await outcome(m!.flush()) };
  },

  /** Closes the monitor and counts where the logged rows are: raw chunks, or summaries of folded ones. */
  async account(): Promise<Accounting> {
    await m!.close();
    const s = await openStore({ name: dbName });
    try {
      const chunks = await s.readChunks({ model: 'm', from: -8.64e15, to: 8.64e15 });
      const want = new Set(logged);
      const seen = new Set<number>();
      let raw = 0;
      for (const c of chunks) {
        raw += c.rows;
        for (const id of c.id) if (want.has(id)) seen.add(id);
      }
      let summarized = 0;
      for (const r of await s.summaries({ model: 'm', version: '1' })) {
        for (const text of (r.data as { summaries: string[] }).summaries) summarized += parseSummary(text).count;
      }
      return { logged: logged.length, raw, rawDistinctLogged: seen.size, summarized };
    } finally {
      s.close();
    }
  },
};

declare global {
  interface Window {
    mq: typeof api;
    mqReady: boolean;
  }
}
window.mq = api;
window.mqReady = true;
