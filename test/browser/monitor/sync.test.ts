// Sync from a monitor to a real HTTP receiver (createReceiver on node:http,
// started by receiver.setup.ts) in Chromium, with the engine in a Worker and
// in-thread: the receiver counts exactly what was logged; offline, summaries
// wait in the IndexedDB outbox across close/reopen and drain once back online,
// with nothing counted twice; the page's pagehide flush delivers what the
// Worker prepared.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMonitor, init, InputError } from '../../../src/index.js';
import type { Monitor, MonitorOptions } from '../../../src/index.js';
import { drop, freshName, rng } from '../store/helpers.js';
import type { ReceiverState } from './receiver.setup.js';

const base = inject('syncReceiver');
if (!base) {
  throw new Error("no loopback receiver: the browser project needs globalSetup: ['test/browser/monitor/receiver.setup.ts'] in vite.config.ts");
}
const endpoint = `${base}/v1/summaries`;

async function state(): Promise<ReceiverState> {
  return (await fetch(`${base}/ctl/state`)).json() as Promise<ReceiverState>;
}

async function until<T>(what: string, f: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What was logged, per segment: predictions, labeled rows, predictions per class. */
interface Tally { count: number; labeled: number; classes: Map<number, number> }

/** Sums the receiver's aggregate per segment for one device's model. */
function bySegment(s: ReceiverState, model: string): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const x of s.series.filter((x) => x.model === model)) {
    const t = out.get(x.segment) ?? { count: 0, labeled: 0, classes: new Map<number, number>() };
    t.count += x.count;
    t.labeled += x.labeled;
    x.predicted?.classes.forEach((k, i) => t.classes.set(k, (t.classes.get(k) ?? 0) + x.predicted!.counts[i]!));
    out.set(x.segment, t);
  }
  return out;
}

function add(tally: Map<string, Tally>, seg: string, p: number, labeled: boolean): void {
  const t = tally.get(seg) ?? { count: 0, labeled: 0, classes: new Map<number, number>() };
  t.count++;
  if (labeled) t.labeled++;
  t.classes.set(p, (t.classes.get(p) ?? 0) + 1);
  tally.set(seg, t);
}

function plain(m: Map<string, Tally>): Record<string, { count: number; labeled: number; classes: Record<string, number> }> {
  return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, t]) => [k, { count: t.count, labeled: t.labeled, classes: Object.fromEntries([...t.classes].sort((a, b) => a[0] - b[0])) }]));
}

/** Logs n predictions (two segments), labels about 60 % of them at once; returns them tallied into `tally`. */
function logRows(m: Monitor, n: number, seed: number, tally: Map<string, Tally>): void {
  const r = rng(seed);
  for (let i = 0; i < n; i++) {
    const p = r() < 0.4 ? 1 : 0;
    const seg = i % 3 === 0 ? 'mobile' : '';
    const id = seg ? m.logPrediction({ prediction: p, score: p ? 0.5 + 0.5 * r() : 0.5 * r(), latencyMs: 3 + 10 * r(), segment: seg }) : m.logPrediction(p, p ? 0.5 + 0.5 * r() : 0.5 * r(), 3 + 10 * r());
    const labeled = r() < 0.6;
    if (labeled) m.logLabel(id, r() < 0.8 ? p : 1 - p);
    add(tally, seg, p, labeled);
  }
}

beforeAll(async () => {
  await init();
  await fetch(`${base}/ctl/reset`, { method: 'POST' });
});

describe('sync options are validated at creation', () => {
  const opts = (sync: unknown): MonitorOptions => ({ task: 'binary', model: 'm', dbName: freshName('sync-opts'), sync } as MonitorOptions);
  it.each([
    ['http://example.com/v1/summaries', 'INSECURE_ENDPOINT', 'sync.endpoint'],
    ['not a url', 'INVALID_OPTION', 'sync.endpoint'],
  ])('endpoint %s', async (url, code, argument) => {
    await expect(createMonitor(opts({ endpoint: url, format: 'json' }))).rejects.toMatchObject({ name: 'InputError', code, argument });
  });
  it('format, windowMs, graceMs, headers, online', async () => {
    const bad: [unknown, string][] = [
      [{ endpoint, format: 'xml' }, 'sync.format'],
      [{ endpoint, format: 'json', windowMs: 0 }, 'sync.windowMs'],
      [{ endpoint, format: 'json', graceMs: 10 }, 'sync.graceMs'], // below flushIntervalMs (250)
      [{ endpoint, format: 'json', headers: { a: 1 } }, 'sync.headers.a'],
      [{ endpoint, format: 'json', online: 'yes' }, 'sync.online'],
      [{ endpoint, format: 'json', deviceId: '' }, 'sync.deviceId'],
      [{ endpoint, format: 'otlp', serviceName: '' }, 'sync.serviceName'],
      [{ endpoint, format: 'otlp', resource: { 'service.version': 2 } }, 'sync.resource'],
      [{ endpoint, format: 'json', maxRequestBytes: 0 }, 'sync.maxRequestBytes'],
    ];
    for (const [sync, argument] of bad) {
      const e = await createMonitor(opts(sync)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect(e).toMatchObject({ code: 'INVALID_OPTION', argument });
    }
  });
  it('https endpoints are accepted; no sync means disabled', async () => {
    const name = freshName('sync-off');
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name });
    expect(await m.syncStatus()).toEqual({ state: 'disabled', outbox: 0, delivered: 0 });
    await expect(m.syncNow()).rejects.toMatchObject({ name: 'StateError' });
    await m.close();
    await drop(name);
  });
});

describe.each([true, false])('monitor sync to a loopback receiver (worker: %s)', (worker) => {
  const dbName = freshName(`sync-${worker}`);
  const model = `sync-model-${worker ? 'worker' : 'thread'}`;
  const deviceId = `device-${worker ? 'w' : 't'}`;
  // One window spans every run of these tests (windows are aligned to the
  // epoch; the next boundary after 2001-09-09 is in 2033): the counts below
  // assume the rows of one syncNow fall in one window. With hourly windows a
  // run whose logging straddled the hour sent 4 summaries instead of 2.
  // Windows that end mid-test are the subject of the last test.
  const windowMs = 1e12;
  const tally = new Map<string, Tally>();
  let m: Monitor;
  const options = (extra: Partial<NonNullable<MonitorOptions['sync']>> = {}): MonitorOptions => ({
    task: 'binary', model, version: 'v1', dbName, worker,
    sync: { endpoint, format: 'json', deviceId, intervalMs: 60_000, windowMs, backoffBaseMs: 60_000, ...extra },
  });

  beforeAll(async () => {
    m = await createMonitor(options());
    expect(m.mode).toBe(worker ? 'worker' : 'in-thread');
  });

  afterAll(async () => {
    await m.close();
    await drop(dbName);
  });

  it('delivers exactly what was logged (syncNow)', async () => {
    logRows(m, 3000, 1, tally);
    const r = await m.syncNow();
    expect(r.enqueued).toBe(2); // one summary per segment: '' and 'mobile'
    expect(r.delivered).toBe(2);
    expect(r.pending).toBe(0);
    const s = await state();
    expect(plain(bySegment(s, model))).toEqual(plain(tally));
    expect((await m.syncStatus())).toMatchObject({ state: 'online', outbox: 0, delivered: 2 });
    // Nothing new: no new window, nothing sent again.
    const again = await m.syncNow();
    expect(again.enqueued).toBe(0);
    expect(plain(bySegment(await state(), model))).toEqual(plain(tally));
  });

  it('offline: summaries wait in the outbox across close/reopen, then drain once', async () => {
    await m.setOnline(false);
    const before = await state();
    logRows(m, 1000, 2, tally);
    const r1 = await m.syncNow();
    logRows(m, 500, 3, tally);
    const r2 = await m.syncNow();
    expect(r1).toMatchObject({ enqueued: 2, delivered: 0, pending: 2, stopped: 'offline' });
    expect(r2).toMatchObject({ enqueued: 2, delivered: 0, pending: 4, stopped: 'offline' });
    expect(await m.syncStatus()).toMatchObject({ state: 'offline', outbox: 4 });
    await m.close();

    // A new session of the same database, still switched off by the app.
    m = await createMonitor(options({ online: false }));
    await until('the outbox to be read', async () => (await m.syncStatus()).outbox === 4);
    expect((await m.syncStatus()).state).toBe('offline');
    // The reopened monitor does not enqueue the closed windows again.
    expect((await m.syncNow()).enqueued).toBe(0);
    const during = await state();
    expect(during.keys).toBe(before.keys);
    expect(during.posts).toBe(before.posts);

    await m.setOnline(true);
    await until('the outbox to drain', async () => (await m.syncStatus()).outbox === 0);
    const after = await state();
    expect(plain(bySegment(after, model))).toEqual(plain(tally));
    expect(after.duplicates).toBe(before.duplicates);
    expect((await m.syncStatus()).state).toBe('online');
  });

  it('the pagehide flush delivers what waits in the outbox; the later retry is not counted twice', async () => {
    logRows(m, 700, 4, tally);
    await fetch(`${base}/ctl/fail?count=1`, { method: 'POST' });
    const r = await m.syncNow(); // fails once with 503, then backs off for a minute
    expect(r).toMatchObject({ enqueued: 2, delivered: 0, stopped: 'failed' });
    const st = await m.syncStatus();
    expect(st).toMatchObject({ state: 'error', outbox: 2, lastError: 'HTTP 503' });
    const before = await state();
    // In worker mode the page sends the requests the worker prepared; in-thread the SyncEngine sends them itself.
    await m.syncStatus(); // refreshes the page's copy of the worker's requests
    // ...which has landed once a later call is answered: the Worker answers
    // calls in order, each at once (no fixed wait, which a loaded machine outlasts).
    await m.syncStatus();
    dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    await until('the keepalive batch to arrive', async () => (await state()).keys === before.keys + 2);
    expect(plain(bySegment(await state(), model))).toEqual(plain(tally));
    // The outbox still holds them (a keepalive answer is never read); the next
    // session's delivery is dropped by key.
    await m.close();
    m = await createMonitor(options());
    await until('the outbox to drain', async () => (await m.syncStatus()).outbox === 0);
    const after = await state();
    expect(after.duplicates).toBe(before.duplicates + 2);
    expect(plain(bySegment(after, model))).toEqual(plain(tally));
  });

  it('a headers function runs on the page before every request (in a Worker, through a comlink proxy)', async () => {
    const name = freshName(`sync-headers-${worker}`);
    let calls = 0;
    const h = await createMonitor({
      task: 'binary', model: `${model}-headers`, dbName: name, worker,
      sync: { endpoint, format: 'json', deviceId, intervalMs: 60_000, windowMs: 3_600_000, batchSize: 1, headers: async () => ({ authorization: `Bearer page-${++calls}` }) },
    });
    logRows(h, 300, 30, new Map());
    const r = await h.syncNow();
    expect(r).toMatchObject({ enqueued: 2, delivered: 2, pending: 0 });
    // Two requests (batchSize 1), each with a token made on the page just before it.
    expect(calls).toBe(2);
    expect((await state()).authorizations.slice(-2)).toEqual(['Bearer page-1', 'Bearer page-2']);
    await h.close();
    await drop(name);
  });

  it('windows close by themselves graceMs after their end, each once', async () => {
    const name = freshName(`sync-windows-${worker}`);
    const own = `${model}-windows`;
    const sent = new Map<string, Tally>();
    const w = await createMonitor({
      task: 'binary', model: own, dbName: name, worker, flushIntervalMs: 50,
      // No privacy floor: the last window's few 'mobile' rows would be held (test/browser/monitor/privacy.test.ts covers that).
      sync: { endpoint, format: 'json', deviceId, intervalMs: 200, windowMs: 400, graceMs: 100, minRowsPerWindow: 1 },
    });
    const t0 = Date.now();
    let seed = 10;
    // Windows that hold rows: each tick logs both segments, so each such window is 2 summaries.
    const touched = new Set<number>();
    const whole = new Set<number>(); // windows a tick fell in entirely
    while (Date.now() - t0 < 1500) {
      const k0 = Math.floor(Date.now() / 400);
      logRows(w, 50, seed++, sent);
      const k1 = Math.floor(Date.now() / 400);
      for (let k = k0; k <= k1; k++) touched.add(k);
      if (k0 === k1) whole.add(k0);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every window has ended by now; the last closes 100 ms after its end.
    await until('every window at the receiver', async () => plain(bySegment(await state(), own))['']?.count === sent.get('')!.count);
    // Nothing is left to close or deliver once syncNow closed the open window
    // and drained the outbox: anything queued twice has arrived by then.
    expect(await w.syncNow()).toMatchObject({ enqueued: 0, pending: 0 });
    const s = await state();
    expect(plain(bySegment(s, own))).toEqual(plain(sent));
    // Each window's summaries delivered once (a loaded machine may log in fewer windows than 1500 / 400).
    const { delivered } = await w.syncStatus();
    expect(delivered).toBeGreaterThanOrEqual(2 * whole.size);
    expect(delivered).toBeLessThanOrEqual(2 * touched.size);
    await w.close();
    await drop(name);
  });
});
