// The sync engine in Chromium: the outbox in real IndexedDB across a
// re-open, online/offline transitions, Web Locks leader election between two
// engines, and the pagehide keepalive flush within the 64 KiB budget.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, openStore, SyncEngine } from '../../../src/index.js';
import type { SyncEvent } from '../../../src/index.js';
import { deviceSummaries } from '../../shared/sync/fixtures.js';

beforeAll(async () => {
  await init();
});

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function recorder(status = 200): { fetch: typeof fetch; calls: { url: string; init: RequestInit }[] } {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response('{"accepted":1}', { status });
  }) as typeof fetch;
  return { fetch: f, calls };
}

describe('SyncEngine in Chromium', () => {
  it('keeps the outbox in IndexedDB across a re-open, offline, and delivers it once online', async () => {
    const name = `sync-outbox-${crypto.randomUUID()}`;
    let online = false;
    const sums = Array.from({ length: 5 }, (_, w) => deviceSummaries(1, w, 50)).flat();
    const store1 = await openStore({ name });
    const rec1 = recorder();
    const e1 = new SyncEngine(store1, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd1', isOnline: () => online, fetch: rec1.fetch, events: window, name });
    e1.start();
    await e1.add(sums);
    expect(await e1.flush()).toMatchObject({ delivered: 0, stopped: 'offline' });
    await e1.stop();
    store1.close();
    expect(rec1.calls).toHaveLength(0);

    // "Reload": a new connection and a new engine find the same outbox.
    const store2 = await openStore({ name });
    expect((await store2.outbox(1000)).length).toBe(sums.length);
    const rec2 = recorder();
    const e2 = new SyncEngine(store2, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd1', isOnline: () => online, fetch: rec2.fetch, events: window, name, intervalMs: 60_000 });
    e2.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(rec2.calls).toHaveLength(0); // still offline
    online = true;
    window.dispatchEvent(new Event('online'));
    await until(() => rec2.calls.length > 0);
    await until(() => e2.pending === 0);
    const keys = rec2.calls.flatMap((c) => (JSON.parse(String(c.init.body)) as { entries: { key: string }[] }).entries.map((e) => e.key));
    expect(keys).toHaveLength(sums.length);
    expect(new Set(keys).size).toBe(sums.length);
    expect(await store2.outbox(1000)).toEqual([]);

    // Confirmed summaries are never sent again, not even after another re-open.
    await e2.stop();
    store2.close();
    const store3 = await openStore({ name });
    const rec3 = recorder();
    const e3 = new SyncEngine(store3, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd1', fetch: rec3.fetch, events: null, name });
    expect(await e3.flush()).toMatchObject({ delivered: 0, pending: 0 });
    expect(rec3.calls).toHaveLength(0);
    store3.close();
  });

  it('aborts a request when the device goes offline and retries it later', async () => {
    const name = `sync-offline-${crypto.randomUUID()}`;
    const store = await openStore({ name });
    let online = true;
    const calls: string[] = [];
    let first = true;
    const f = ((_u: string, init: RequestInit) => {
      calls.push('call');
      if (first) {
        first = false;
        // Hang until aborted, like a request cut by the network going away.
        return new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
      }
      return Promise.resolve(new Response('{}', { status: 200 }));
    }) as typeof fetch;
    const events: SyncEvent[] = [];
    const e = new SyncEngine(store, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd2', isOnline: () => online, fetch: f, events: window, name, backoffBaseMs: 10, backoffMaxMs: 20, onEvent: (x) => events.push(x) });
    e.start();
    await e.add(deviceSummaries(2, 0, 30));
    await until(() => calls.length === 1);
    online = false;
    window.dispatchEvent(new Event('offline'));
    await until(() => events.some((x) => x.type === 'failed'));
    expect(e.pending).toBe(2);
    online = true;
    window.dispatchEvent(new Event('online'));
    await until(() => e.pending === 0);
    expect(calls).toHaveLength(2);
    await e.stop();
    store.close();
  });

  it('lets one engine per name sync at a time (Web Locks) and hands over when it stops', async () => {
    const name = `sync-lock-${crypto.randomUUID()}`;
    const store = await openStore({ name });
    const a = new SyncEngine(store, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd3', fetch: recorder().fetch, events: null, name });
    const b = new SyncEngine(store, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd3', fetch: recorder().fetch, events: null, name });
    a.start();
    await until(() => a.isLeader);
    b.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(b.isLeader).toBe(false);
    expect(await b.flush()).toMatchObject({ stopped: 'not-leader' });
    await a.stop();
    await until(() => b.isLeader);
    await b.stop();
    store.close();
  });

  it('flushes with fetch keepalive on pagehide, within the 64 KiB budget, and keeps the entries', async () => {
    const name = `sync-pagehide-${crypto.randomUUID()}`;
    const store = await openStore({ name });
    // Many summaries: more than one keepalive budget's worth.
    const sums = Array.from({ length: 60 }, (_, w) => deviceSummaries(4, w, 40)).flat();
    const rec = recorder();
    const target = new EventTarget();
    const e = new SyncEngine(store, { endpoint: 'http://localhost:9/none', format: 'json', deviceId: 'd4', isOnline: () => false, fetch: rec.fetch, events: target, name, batchSize: 500 });
    e.start();
    await until(() => e.isLeader);
    await e.add(sums);
    // The real sendKeepalive uses the global fetch; route it through the recorder for this test.
    const saved = window.fetch;
    window.fetch = rec.fetch;
    try {
      target.dispatchEvent(new Event('pagehide'));
    } finally {
      window.fetch = saved;
    }
    expect(rec.calls.length).toBeGreaterThan(0);
    const bytes = rec.calls.reduce((s, c) => s + new TextEncoder().encode(String(c.init.body)).length, 0);
    expect(bytes).toBeLessThanOrEqual(60_000);
    expect(bytes).toBeGreaterThan(30_000); // it used the budget, not one tiny request
    for (const c of rec.calls) expect(c.init.keepalive).toBe(true);
    const sent = rec.calls.flatMap((c) => (JSON.parse(String(c.init.body)) as { entries: unknown[] }).entries).length;
    expect(sent).toBeLessThan(sums.length);
    expect(e.pending).toBe(sums.length); // nothing acknowledged: the next session re-sends, the receiver de-duplicates
    // A real keepalive request to a loopback endpoint is accepted by the browser (the budget check is the browser's).
    const real = e.beaconRequests();
    expect(() => void fetch(new URL('/__modelwatch_beacon', location.href), { method: 'POST', body: real[0]!.body, keepalive: true }).catch(() => undefined)).not.toThrow();
    await e.stop();
    store.close();
  });
});
