// A database that is gone (deleted, evicted, cleared, or dropped by Chromium
// as corrupt) is detected on open, reported as a 'reset' event, and never
// makes the store hand out an id twice: the id high-water mark survives in
// Cache Storage, and blocks never start below the clock's. Real IndexedDB and
// Cache Storage in Chromium; the kill loop (test/integration/kill.test.ts)
// drives the same path through real browser kills.
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { ID_BLOCK, IdAllocator, openStore } from '../../../src/index.js';
import type { Store, StoreEvent } from '../../../src/index.js';
import { clockBlock } from '../../../src/store/watermark.js';
import { drop, freshName, predictions, rng } from './helpers.js';

const T0 = Date.UTC(2026, 0, 5);
const open: Store[] = [];
const names: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  for (const n of names.splice(0)) await drop(n);
});

async function opened(name: string, events: StoreEvent[] = []): Promise<Store> {
  const s = await openStore({ name, onEvent: (e) => events.push(e) });
  open.push(s);
  return s;
}

/** Writes `n` predictions with fresh ids (and a label for each); returns the ids. */
async function logSome(s: Store, n: number): Promise<Float64Array> {
  const alloc = await IdAllocator.create(() => s.reserveIdBlock());
  const ids = alloc.fill(new Float64Array(n));
  await s.putPredictions(predictions(ids, (i) => T0 + i, rng(7)));
  await s.putLabels({ id: ids, label: new Float64Array(n).fill(1), labeledAt: new Float64Array(n).fill(T0 + 1000) });
  return ids;
}

describe('reset detection and ids that are never reused', () => {
  it('reports a wiped database on open, and continues above every id handed out before', async () => {
    const name = freshName('reset');
    names.push(name);
    const first = await opened(name);
    const before = await logSome(first, 100);
    const mark = (await first.stats()).idMark!;
    expect(mark).toBeGreaterThan(Math.max(...before) / ID_BLOCK);
    first.close();

    // What Chromium does to a corrupt backing store, an eviction, or the user deleting the database.
    await drop(name);
    const events: StoreEvent[] = [];
    const again = await opened(name, events);
    const resets = events.filter((e) => e.type === 'reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ type: 'reset', reason: 'wiped', expectedIdBlock: mark, foundIdBlock: 0 });
    expect(resets[0]!.message).toContain('deleted, evicted or cleared');
    const st = await again.stats();
    expect(st.rows).toBe(0);
    expect(st.resets.map((r) => r.event)).toEqual(resets);

    // New ids lie above the old ones, so a label logged late for an old id joins nothing...
    const after = await logSome(again, 100);
    expect(Math.min(...after)).toBeGreaterThan(Math.max(...before));
    await again.putLabels({ id: before.subarray(0, 10), label: new Float64Array(10).fill(0), labeledAt: new Float64Array(10).fill(T0 + 2000) });
    const joined = await again.readLabeled({ model: 'm', from: T0, to: T0 + 1000 });
    expect(joined.coverage).toEqual({ predictions: 100, labeled: 100, eligible: 100 });
    expect([...joined.label].every((l) => l === 1)).toBe(true);
    // ...and becomes an orphan once its pending period is over.
    const { orphans } = await again.reconcileLabels({ now: Date.now() + 3_600_001 });
    expect(orphans).toBe(10);
    again.close();

    // Reported once: the next open finds the counter above the mark.
    const events2: StoreEvent[] = [];
    const third = await opened(name, events2);
    expect(events2.filter((e) => e.type === 'reset')).toEqual([]);
    expect((await third.stats()).resets).toHaveLength(1);
  });

  it('reports nothing on an ordinary reopen and keeps the mark in step with the counter', async () => {
    const name = freshName('reset');
    names.push(name);
    const s = await opened(name);
    const ids = await logSome(s, 10);
    s.close();
    const events: StoreEvent[] = [];
    const again = await opened(name, events);
    expect(events).toEqual([]);
    const st = await again.stats();
    expect(st.rows).toBe(10);
    expect(st.resets).toEqual([]);
    const next = await again.reserveIdBlock();
    expect(next * ID_BLOCK).toBeGreaterThan(Math.max(...ids));
    expect((await again.stats()).idMark).toBe(next + 1);
  });

  it('tells a counter behind the mark in the same database (raised silently) from a database created anew (a reset)', async () => {
    const name = freshName('reset');
    names.push(name);
    const first = await opened(name);
    const before = await logSome(first, 10);
    const mark = (await first.stats()).idMark!;
    first.close();
    // The same database with its counter two reservations behind the mark,
    // as a kill can leave meta and Cache Storage (watermark.ts): nothing is lost.
    const raw = await openDB(name);
    const incarnation = (await raw.get('meta', 'incarnation')) as string;
    expect(incarnation).toMatch(/^[0-9a-f]{32}$/);
    await raw.put('meta', mark - 2, 'nextBlock');
    raw.close();
    const events: StoreEvent[] = [];
    const same = await opened(name, events);
    expect(events).toEqual([]);
    const st = await same.stats();
    expect(st.resets).toEqual([]);
    expect(st.rows).toBe(10);
    // Raised past the mark, so no id is handed out twice.
    const block = await same.reserveIdBlock();
    expect(block).toBeGreaterThanOrEqual(mark);
    expect(block * ID_BLOCK).toBeGreaterThan(Math.max(...before));
    same.close();
    const again = await openDB(name);
    expect(await again.get('meta', 'incarnation')).toBe(incarnation);
    // Recorded as evidence (the kill loop counts these), not as a reset.
    expect(await again.get('meta', 'idRaises')).toMatchObject([{ from: mark - 2, to: mark }]);
    again.close();

    // The database deleted and created anew: a new incarnation, and a reset,
    // even though the new database's counter is not compared with anything.
    await drop(name);
    const events2: StoreEvent[] = [];
    const fresh = await opened(name, events2);
    expect(events2).toMatchObject([{ type: 'reset', reason: 'wiped', expectedIdBlock: block + 1, foundIdBlock: 0 }]);
    expect((await fresh.reserveIdBlock()) * ID_BLOCK).toBeGreaterThan(block * ID_BLOCK);
    fresh.close();
    const recreated = await openDB(name);
    expect(await recreated.get('meta', 'incarnation')).not.toBe(incarnation);
    recreated.close();
  });

  it("reports the engine's data loss (Chromium's dataLoss on upgrade) even when the counter looks intact", async () => {
    const name = freshName('reset');
    names.push(name);
    const s = await opened(name);
    const events: StoreEvent[] = [];
    s.subscribe((e) => events.push(e));
    const mark = (await s.stats()).idMark!;
    const reset = await s.guard({ kind: 'total', message: 'Corruption: checksum mismatch' });
    expect(reset).toMatchObject({ type: 'reset', reason: 'data-loss', expectedIdBlock: mark });
    expect(reset!.message).toContain('Corruption: checksum mismatch');
    expect((await s.stats()).resets.map((r) => r.event)).toEqual([reset]);
  });

  it('never hands out a block below the clock, so a database cleared with its mark starts above its predecessor', async () => {
    const name = freshName('reset');
    names.push(name);
    const s = await opened(name);
    const lowest = clockBlock();
    const ids = await logSome(s, 10);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(lowest * ID_BLOCK);
    const last = await s.reserveIdBlock();
    s.close();
    // The user clears all site data: the database and the mark.
    await drop(name);
    await caches.delete('modelwatch-id-marks');
    // The predecessor reserved a few blocks ahead of the clock within this second;
    // wait (on the clock, not a fixed time) until it has passed them.
    await expect.poll(() => clockBlock(), { timeout: 15_000, interval: 100 }).toBeGreaterThan(last);
    const events: StoreEvent[] = [];
    const again = await opened(name, events);
    expect(events).toEqual([]); // nothing to compare with: a new database, as far as anyone can tell
    const fresh = await logSome(again, 10);
    expect(Math.min(...fresh)).toBeGreaterThan(Math.max(...ids));
  });

  it("reports in stats whether the origin's storage is persistent, as the browser answers it", async () => {
    const name = freshName('reset');
    names.push(name);
    const s = await opened(name);
    // WebKitGTK's MiniBrowser has no StorageManager (navigator.storage is undefined): unknown, not false.
    const answer = typeof navigator.storage?.persisted === 'function' ? await navigator.storage.persisted() : undefined;
    expect((await s.stats()).persisted).toBe(answer);
  });
});
