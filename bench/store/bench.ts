// Store benchmarks, run in Chromium by bench/store/run.js. Same page, same
// data for every contender; a warm-up round, then ROUNDS measured rounds, each
// on a fresh database.
import { deleteDB, openDB } from 'idb';
import Dexie from 'dexie';
import { openStore } from '../../src/store/index.js';
import type { PredictionBatch } from '../../src/store/index.js';

const BATCH = 4096;
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

function data(n: number, seed = 1): PredictionBatch {
  let a = seed;
  const r = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
  const b: PredictionBatch = {
    model: 'm', version: 'v1',
    id: new Float64Array(n), timestamp: new Float64Array(n), prediction: new Float64Array(n),
    score: new Float64Array(n), latencyMs: new Float64Array(n), segment: new Uint16Array(n), segments: ['', 'web', 'mobile'],
  };
  for (let i = 0; i < n; i++) {
    b.id[i] = 2 ** 22 + i;
    b.timestamp[i] = T0 + Math.floor((i / n) * DAY);
    b.score[i] = r();
    b.prediction[i] = b.score[i]! >= 0.5 ? 1 : 0;
    b.latencyMs[i] = 1 + 20 * r();
    b.segment[i] = Math.floor(r() * 3);
  }
  return b;
}

function slice(b: PredictionBatch, s: number, e: number): PredictionBatch {
  return {
    model: b.model, version: b.version, segments: b.segments,
    id: b.id.slice(s, e), timestamp: b.timestamp.slice(s, e), prediction: b.prediction.slice(s, e),
    score: b.score.slice(s, e), latencyMs: b.latencyMs.slice(s, e), segment: b.segment.slice(s, e),
  };
}

function objects(b: PredictionBatch, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: b.id[i]!, model: b.model, version: b.version, timestamp: b.timestamp[i]!, prediction: b.prediction[i]!,
    score: b.score[i]!, latencyMs: b.latencyMs[i]!, segment: b.segments[b.segment[i]!]!,
  }));
}

// `awaitEach`: flush() after every batch before the next (an app awaiting
// each flush, as the kill loop does); else all batches in flight, one flush.
async function modelwatchIngest(b: PredictionBatch, n: number, durability: IDBTransactionDurability = 'strict', awaitEach = false, batch = BATCH): Promise<number> {
  await deleteDB('bench-mw');
  const s = await openStore({ name: 'bench-mw', durability });
  const batches: PredictionBatch[] = [];
  for (let i = 0; i < n; i += batch) batches.push(slice(b, i, Math.min(n, i + batch)));
  const t = performance.now();
  for (const x of batches) {
    void s.putPredictions(x);
    if (awaitEach) await s.flush();
  }
  await s.flush();
  const ms = performance.now() - t;
  s.close();
  return (n / ms) * 1000;
}

async function idbPerPrediction(b: PredictionBatch, n: number): Promise<number> {
  await deleteDB('bench-idb');
  const db = await openDB('bench-idb', 1, { upgrade: (d) => d.createObjectStore('p', { keyPath: 'id' }) });
  const rows = objects(b, n);
  const t = performance.now();
  const done: Promise<void>[] = [];
  for (const row of rows) {
    const tx = db.transaction('p', 'readwrite');
    void tx.store.put(row);
    done.push(tx.done);
  }
  await Promise.all(done);
  const ms = performance.now() - t;
  db.close();
  return (n / ms) * 1000;
}

async function dexieBulkAdd(b: PredictionBatch, n: number): Promise<number> {
  await Dexie.delete('bench-dexie');
  const db = new Dexie('bench-dexie');
  db.version(1).stores({ p: 'id' });
  await db.open();
  const rows = objects(b, n);
  const t = performance.now();
  const done: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += BATCH) done.push(db.table('p').bulkAdd(rows.slice(i, i + BATCH)));
  await Promise.all(done);
  const ms = performance.now() - t;
  db.close();
  return (n / ms) * 1000;
}

async function prepareRead(b: PredictionBatch): Promise<void> {
  await deleteDB('bench-read');
  const s = await openStore({ name: 'bench-read' });
  const n = b.id.length;
  for (let i = 0; i < n; i += BATCH) void s.putPredictions(slice(b, i, Math.min(n, i + BATCH)));
  // 70 % labeled, labels arriving in batches roughly in prediction order, 5 % twice.
  const ids: number[] = [];
  for (let i = 0; i < n; i++) if (i % 10 < 7) ids.push(b.id[i]!);
  for (let i = 0; i < n; i += 20) ids.push(b.id[i]!);
  for (let i = 0; i < ids.length; i += BATCH) {
    const part = ids.slice(i, i + BATCH);
    void s.putLabels({
      id: Float64Array.from(part),
      label: Float64Array.from(part, (id) => id % 2),
      labeledAt: Float64Array.from(part, (id) => b.timestamp[id - 2 ** 22]! + 60_000 + (i % 7)),
    });
  }
  await s.flush();
  s.close();
}

async function readDay(): Promise<{ ms: number; rows: number; predictions: number }> {
  const s = await openStore({ name: 'bench-read' });
  const t = performance.now();
  const got = await s.readLabeled({ model: 'm', version: 'v1', from: T0, to: T0 + DAY });
  const ms = performance.now() - t;
  s.close();
  return { ms, rows: got.id.length, predictions: got.coverage.predictions };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function run(rounds: number, nIngest: number, nIdb: number, nRead: number, nDexie: number) {
  const b = data(Math.max(nIngest, nRead));
  const res: Record<string, number[]> = { modelwatch: [], relaxed: [], strictEach: [], relaxedEach: [], strictSmall: [], relaxedSmall: [], idb: [], dexie: [], read: [] };
  for (let r = 0; r <= rounds; r++) {
    // Round 0 is the warm-up; contenders alternate within each round.
    const mw = await modelwatchIngest(b, nIngest);
    const relaxed = await modelwatchIngest(b, nIngest, 'relaxed');
    const strictEach = await modelwatchIngest(b, nIngest / 4, 'strict', true);
    const relaxedEach = await modelwatchIngest(b, nIngest / 4, 'relaxed', true);
    // 100 flushes of 64 rows: the per-transaction cost of syncing shows.
    const strictSmall = await modelwatchIngest(b, 6400, 'strict', true, 64);
    const relaxedSmall = await modelwatchIngest(b, 6400, 'relaxed', true, 64);
    const idb = await idbPerPrediction(b, nIdb);
    const dx = await dexieBulkAdd(b, nDexie);
    if (r > 0) {
      res.modelwatch!.push(mw);
      res.relaxed!.push(relaxed);
      res.strictEach!.push(strictEach);
      res.relaxedEach!.push(relaxedEach);
      res.strictSmall!.push(strictSmall);
      res.relaxedSmall!.push(relaxedSmall);
      res.idb!.push(idb);
      res.dexie!.push(dx);
    }
  }
  await Promise.all([deleteDB('bench-mw'), deleteDB('bench-idb'), Dexie.delete('bench-dexie')]);
  await prepareRead(b);
  let shape = { rows: 0, predictions: 0 };
  for (let r = 0; r <= rounds; r++) {
    const x = await readDay();
    shape = x;
    if (r > 0) res.read!.push(x.ms);
  }
  await deleteDB('bench-read');
  return {
    rounds, nIngest, nIdb, nRead, batch: BATCH, userAgent: navigator.userAgent,
    ingest: median(res.modelwatch!), relaxed: median(res.relaxed!), strictEach: median(res.strictEach!), relaxedEach: median(res.relaxedEach!), strictSmall: median(res.strictSmall!), relaxedSmall: median(res.relaxedSmall!), idb: median(res.idb!), dexie: median(res.dexie!), readMs: median(res.read!),
    readRows: shape.rows, readPredictions: shape.predictions, raw: res,
  };
}

(window as unknown as { runBench: typeof run }).runBench = run;
(window as unknown as { benchReady: boolean }).benchReady = true;
