// No loss on a failed write (issue #10, item 5), against a real IndexedDB, in a
// Worker and in-thread: a batch the engine cannot write is kept and retried
// (the connection reopened) or handed back to monitor.on in a 'write-failed'
// event with its rows, and flush() rejects instead of resolving; store events
// reach monitor.on as plain typed data. The retry policy itself is in
// kept-writes.test.ts.
import { deleteDB, openDB } from 'idb';
import { describe, expect, expectTypeOf, inject, it } from 'vitest';
import { SCHEMA_VERSION, StoreError, createMonitor } from '../../../src/index.js';
import type { MonitorEvent, StoreEvent } from '../../../src/index.js';
import { freshName } from '../store/helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 6, 1);
const HOUR = 3_600_000;

type Of<T extends MonitorEvent['type']> = Extract<MonitorEvent, { type: T }>;
const ofType = <T extends MonitorEvent['type']>(events: MonitorEvent[], type: T): Of<T>[] => events.filter((e): e is Of<T> => e.type === type);

describe('MonitorEvent', () => {
  it('covers every StoreEvent type, with the same fields, errors as plain { name, code, message } (checked by tsc)', () => {
    expectTypeOf<StoreEvent['type']>().toExtend<MonitorEvent['type']>();
    expectTypeOf<Extract<MonitorEvent, { type: 'reset' }>>().toEqualTypeOf<Extract<StoreEvent, { type: 'reset' }>>();
    expectTypeOf<Extract<MonitorEvent, { type: 'orphan-labels' }>>().toEqualTypeOf<Extract<StoreEvent, { type: 'orphan-labels' }>>();
    expectTypeOf<Extract<MonitorEvent, { type: 'quota-exceeded' }>['error']>().toEqualTypeOf<{ name: string; code?: StoreError['code']; message: string }>();
    // What the kill branch's wipe detection emits reaches monitor.on as it is.
    const reset: MonitorEvent = { type: 'reset', reason: 'wiped', expectedIdBlock: 9, foundIdBlock: 1, message: 'ids 9.. were issued before' };
    expect(reset.type).toBe('reset');
  });
});

describe.each([true, false])('failed writes and store events (worker: %s)', (worker) => {
  it('a newer schema in another tab: the rows come back in write-failed events, flush() rejects, resubmit() writes them with their ids', async () => {
    const name = freshName('wf-newer');
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker, writeRetry: { attempts: 3, backoffMs: 5 } });
    const events: MonitorEvent[] = [];
    m.on((e) => events.push(e));
    const before = m.logPrediction({ prediction: 1, score: 0.8, timestamp: T0 });
    await m.flush();

    // Another tab (here: this page) upgrades the database past our schema.
    const newer = await openDB(name, SCHEMA_VERSION + 1);
    newer.close();
    await expect.poll(() => ofType(events, 'closed')).toEqual([{ type: 'closed', reason: 'versionchange' }]);

    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(m.logPrediction({ prediction: i % 2, score: 0.3, timestamp: T0 + 1 + i }));
    m.logLabel(ids[0]!, 1, T0 + 100);
    m.logLabel(ids[1]!, 0, T0 + 100);
    const err = await m.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('WRITE_FAILED');

    // Every row is handed back, with its ids; none of this is an 'error' event.
    const failed = ofType(events, 'write-failed');
    const predictions = failed.filter((e) => e.kind === 'predictions');
    const labels = failed.filter((e) => e.kind === 'labels');
    expect(predictions.flatMap((e) => Array.from(e.batch.id))).toEqual(ids);
    expect(labels.flatMap((e) => Array.from(e.batch.id))).toEqual([ids[0], ids[1]]);
    expect(labels.flatMap((e) => (e.kind === 'labels' ? Array.from(e.batch.label) : []))).toEqual([1, 0]);
    // No retry can reopen a database with a newer schema: handed back at once.
    for (const e of failed) expect(e).toMatchObject({ attempts: 1, error: { name: 'StoreError', code: 'VERSION_BLOCKED' } });
    expect(ofType(events, 'error')).toEqual([]);
    // The failure was reported once: the next flush has nothing left to report.
    await m.flush();

    // The app resolves the cause (here: the newer database goes away) and resubmits.
    await deleteDB(name);
    for (const e of failed) await m.resubmit(e);
    await m.flush();
    const r = await m.report({ from: T0, to: T0 + DAY });
    expect(r.total).toBe(5); // the 5 resubmitted; `before` went with the deleted database
    expect(r.labeled).toBe(2);
    expect(ids.includes(before)).toBe(false);
    await m.close();
    await deleteDB(name);
  });

  it('a database deleted under the monitor: the connection is reopened and nothing logged after it is lost', async () => {
    const name = freshName('wf-deleted');
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker, writeRetry: { attempts: 3, backoffMs: 5 } });
    const events: MonitorEvent[] = [];
    m.on((e) => events.push(e));
    m.logPrediction({ prediction: 1, timestamp: T0 });
    await m.flush();
    await deleteDB(name); // another tab, or the user clearing site data
    await expect.poll(() => ofType(events, 'closed')).toEqual([{ type: 'closed', reason: 'versionchange' }]);
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(m.logPrediction({ prediction: 0, score: 0.2, timestamp: T0 + 10 + i }));
    for (const id of ids.slice(0, 3)) m.logLabel(id, 0, T0 + 50);
    await m.flush();
    const r = await m.report({ from: T0, to: T0 + DAY });
    expect(r.total).toBe(7);
    expect(r.labeled).toBe(3);
    expect(ofType(events, 'write-failed')).toEqual([]);
    expect(ofType(events, 'error')).toEqual([]);
    await m.close();
    await deleteDB(name);
  });

  it('sync moves to the reopened connection: syncNow() closes windows into the new database', async () => {
    const name = freshName('wf-sync');
    // Offline, so nothing reaches the shared receiver: summaries wait in the outbox.
    const sync = { endpoint: `${inject('syncReceiver')}/v1/summaries`, format: 'json' as const, deviceId: 'wf-sync', online: false, intervalMs: 60_000 };
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker, sync });
    const events: MonitorEvent[] = [];
    m.on((e) => events.push(e));
    m.logPrediction(1, 0.7);
    await m.flush();
    await deleteDB(name);
    await expect.poll(() => ofType(events, 'closed')).toEqual([{ type: 'closed', reason: 'versionchange' }]);
    for (let i = 0; i < 20; i++) m.logPrediction(i % 2, 0.4);
    const r = await m.syncNow();
    expect(r.enqueued).toBeGreaterThan(0);
    expect(r.delivered).toBe(0);
    expect(r.pending).toBe(r.enqueued);
    expect(await m.syncStatus()).toMatchObject({ state: 'offline', outbox: r.pending });
    await m.close();
    await deleteDB(name);
  });

  it('forwards orphan-labels and compacted with typed payloads, and closed on close()', async () => {
    const name = freshName('wf-events');
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker });
    const events: MonitorEvent[] = [];
    m.on((e) => events.push(e));
    const id = m.logPrediction(1, 0.9);
    m.logLabel(id, 1);
    m.logLabel(123_456_789, 0); // an id no prediction has
    await m.flush();
    // pendingLabelMs (1 hour) later the unknown id's label is an orphan.
    await m.compact(Date.now() + 2 * HOUR);
    const orphans = ofType(events, 'orphan-labels');
    expect(orphans).toHaveLength(1);
    expect(orphans[0]!.count).toBe(1);
    expect(orphans[0]!.ids).toBeInstanceOf(Float64Array);
    expect(Array.from(orphans[0]!.ids)).toEqual([123_456_789]);
    await m.compact(Date.now() + 40 * DAY); // past retention: the row is folded away
    await expect.poll(() => ofType(events, 'compacted').find((e) => e.rows > 0)).toMatchObject({ type: 'compacted', reason: 'retention', rows: 1 });
    await m.close();
    await expect.poll(() => ofType(events, 'closed')).toEqual([{ type: 'closed', reason: 'close' }]);
    await deleteDB(name);
  });

  it('keeps events raised while the store opened for the first listener (blocked upgrade)', async () => {
    const name = freshName('wf-early');
    // An old tab on schema v1 that lets the upgrade through only after a while.
    const old = await openDB(name, 1, {
      upgrade: (db) => {
        db.createObjectStore('chunks', { keyPath: 'key' });
        db.createObjectStore('labels', { keyPath: 'id' });
        db.createObjectStore('meta');
      },
      blocking: () => setTimeout(() => old.close(), 200),
    });
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker });
    const events: MonitorEvent[] = [];
    m.on((e) => events.push(e));
    await expect.poll(() => events).toContainEqual({ type: 'blocked' });
    await m.close();
    await deleteDB(name);
  });

  it('validates writeRetry', async () => {
    await expect(createMonitor({ task: 'binary', model: 'm', worker, writeRetry: { attempts: 0 } })).rejects.toThrow(/writeRetry.attempts/);
    await expect(createMonitor({ task: 'binary', model: 'm', worker, writeRetry: { backoffMs: NaN } })).rejects.toThrow(/writeRetry.backoffMs/);
    await expect(createMonitor({ task: 'binary', model: 'm', worker, writeRetry: { maxRows: -1 } })).rejects.toThrow(/writeRetry.maxRows/);
  });
});
