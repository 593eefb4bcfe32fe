// The browser half of test/integration/wipe.test.ts. step=setup: the store
// writes and flushes a few predictions, then two readwrite transactions of the
// same database are left uncommitted with their undo logs in LevelDB (a read
// after a write puts Chromium's transaction there; chained reads keep it
// open), as the monitor's concurrent predictions and labels transactions were
// before the store's write lock. step=check: the store is opened again after
// the kill and reports what it found. tx=1 leaves one such transaction (the
// control: Chromium reverts it and keeps the data).
import { openDB } from 'idb';
import { IdAllocator, openStore } from '../../../src/index.js';
import type { StoreEvent } from '../../../src/index.js';

const DB = 'wipe';
const params = new URLSearchParams(location.search);

async function report(body: unknown): Promise<void> {
  await fetch('./wipe-report', { method: 'POST', body: JSON.stringify(body) });
}

async function setup(): Promise<void> {
  const store = await openStore({ name: DB });
  const alloc = await IdAllocator.create(() => store.reserveIdBlock());
  const n = 10;
  const id = alloc.fill(new Float64Array(n));
  await store.putPredictions({
    model: 'm', version: 'v1', id, timestamp: new Float64Array(n).fill(Date.now()), prediction: new Float64Array(n),
    score: new Float64Array(n).fill(0.5), latencyMs: new Float64Array(n).fill(1), segment: new Uint16Array(n), segments: [''],
  });
  await store.flush();
  const { idMark, rows } = await store.stats();
  const raw = await openDB(DB);
  const spinning: Promise<void>[] = [];
  const pairs = [['chunks', 'chunkIndex'], ['labelChunks', 'labelIndex']] as const;
  for (const [data, index] of pairs.slice(0, Number(params.get('tx') ?? 2))) {
    const tx = raw.transaction([data, index], 'readwrite');
    await tx.objectStore(data).put({ key: -1 } as never);
    await tx.objectStore(index).put({ key: -1, model: 'x', version: 'x', t0: 0, checked: 0 } as never);
    const store = tx.objectStore(data);
    // Reads chained forever: the transaction never commits (the kill ends it).
    spinning.push((async () => {
      for (;;) await store.get(-1);
    })());
  }
  await report({ step: 'setup', ids: [...id], idMark, rows });
  await Promise.all(spinning);
}

async function check(): Promise<void> {
  const events: StoreEvent[] = [];
  const store = await openStore({ name: DB, onEvent: (e) => events.push(e) });
  const { rows, resets } = await store.stats();
  const block = await store.reserveIdBlock();
  store.close();
  await report({ step: 'check', events, rows, resets: resets.length, block });
}

const step = params.get('step');
(step === 'setup' ? setup() : check()).catch((e: unknown) => report({ step, error: String(e) }));
