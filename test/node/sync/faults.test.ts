// Fault injection over real loopback HTTP: 10 devices deliver 1,000 window
// summaries (one per request) to a createReceiver() server that fails 30% of
// requests with 500s, 429 + Retry-After, timeouts (after counting the batch),
// connections reset after counting, going offline mid-request, and refused
// connections. Every summary must arrive exactly once in the aggregate, and
// the outbox must survive a "page reload" (engines replaced mid-run).
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, MemoryOutbox, mergeAll, parseBatch, seriesKey, serializeSummary, SyncEngine } from '../../../src/index.js';
import type { Summary, SyncEvent } from '../../../src/index.js';
import { createReceiver } from '../../../src/receiver/index.js';
import { deviceSummaries, rng } from '../../shared/sync/fixtures.js';

const DEVICES = 10;
const WINDOWS = 50; // x 2 segments = 100 summaries per device

type Fault = 'ok' | '500' | '429' | 'timeout' | 'reset' | 'offline' | 'refused';

let server: Server;
let url = '';
let refusedUrl = '';
const sockets = new Set<Socket>();

beforeAll(async () => {
  await init();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server?.close(r));
});

describe('delivery under faults', () => {
  it('1,000 summaries, 30% failed requests: all arrive once; the outbox survives a reload', async () => {
    // In memory, and no rate limit: this test is about the sender's faults.
    const receiver = await createReceiver({ dir: null, ratePerSecond: 1e6, rateBurst: 1e6 });
    const random = rng(42);
    const faults: Record<Fault, number> = { ok: 0, '500': 0, '429': 0, timeout: 0, reset: 0, offline: 0, refused: 0 };
    const devices = new Map<string, { online: boolean; events: EventTarget }>();
    // 25% of the requests that reach the server fail there, and 5% of all attempts are refused
    // before (in fetch): about 30% of attempts fail.
    const pick = (): Fault => {
      const r = random();
      if (r >= 0.25) return 'ok';
      return (['500', '429', 'timeout', 'reset', 'offline'] as const)[Math.floor((r / 0.25) * 5)]!;
    };
    const handle = (body: string, res: ServerResponse, fault: Fault): void => {
      if (fault === '500') {
        res.writeHead(500).end('injected');
        return;
      }
      if (fault === '429') {
        res.writeHead(429, { 'retry-after': '0' }).end('slow down');
        return;
      }
      if (fault === 'ok') {
        receiver.handler(fakeReq(body) as never, res);
        return;
      }
      // The remaining faults count the batch first: the sender never learns it arrived and retries.
      void receiver.ingest(body).then(() => faulty(body, res, fault));
    };
    const faulty = (body: string, res: ServerResponse, fault: Fault): void => {
      if (fault === 'timeout') return; // never answered; the client's timeout aborts it
      if (fault === 'reset') {
        res.socket?.destroy();
        return;
      }
      if (fault === 'offline') {
        const dev = devices.get(parseBatch(body).device)!;
        dev.online = false;
        dev.events.dispatchEvent(new Event('offline'));
        setTimeout(() => {
          dev.online = true;
          dev.events.dispatchEvent(new Event('online'));
        }, 15);
      }
    };
    // A real listener for the HTTP traffic; the receiver's handler is fed the buffered body.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const fault = pick();
        faults[fault]++;
        handle(body, res, fault);
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/summaries`;
    // Port 0 cannot be listened on, so connecting is refused for sure; a port
    // that was merely free when looked up may meanwhile belong to another
    // program, which would then receive our summaries.
    refusedUrl = 'http://127.0.0.1:0/v1/summaries';
    const fetchRandom = rng(7);
    const faultyFetch = ((u: string, init: RequestInit) => {
      // Connection refused for ~5% of attempts: a real ECONNREFUSED on loopback.
      if (fetchRandom() < 0.05) {
        faults.refused++;
        return globalThis.fetch(refusedUrl, init);
      }
      return globalThis.fetch(u, init);
    }) as typeof fetch;

    const stores = new Map<string, MemoryOutbox>();
    const all: Summary[] = [];
    const events: SyncEvent[] = [];
    const makeEngine = (id: string): SyncEngine => {
      const dev = devices.get(id)!;
      return new SyncEngine(stores.get(id)!, {
        endpoint: url,
        format: 'json',
        deviceId: id,
        batchSize: 1,
        intervalMs: 20,
        timeoutMs: 60,
        backoffBaseMs: 2,
        backoffMaxMs: 40,
        fetch: faultyFetch,
        isOnline: () => dev.online,
        events: dev.events,
        locks: null,
        onEvent: (e) => events.push(e),
      });
    };
    let engines: SyncEngine[] = [];
    for (let d = 0; d < DEVICES; d++) {
      const id = `device-${d}`;
      devices.set(id, { online: true, events: new EventTarget() });
      stores.set(id, new MemoryOutbox());
      const sums = Array.from({ length: WINDOWS }, (_, w) => deviceSummaries(d, w, 20)).flat();
      all.push(...sums);
      const e = makeEngine(id);
      await e.add(sums);
      engines.push(e);
    }
    expect(all).toHaveLength(1000);
    const t0 = performance.now();
    for (const e of engines) e.start();

    // "Page reload" once about 40% has arrived: engines vanish mid-flight, new ones read the same outboxes.
    while (receiver.keys < 400) await new Promise((r) => setTimeout(r, 5));
    for (const e of engines) await e.stop();
    const left = [...stores.values()].reduce((s, st) => s + st.size, 0);
    expect(left).toBeGreaterThan(0);
    engines = [...devices.keys()].map(makeEngine);
    for (const e of engines) e.start();

    const deadline = Date.now() + 90_000;
    while ([...stores.values()].some((s) => s.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t0;
    for (const e of engines) await e.stop();

    // Every summary arrived, none twice.
    expect([...stores.values()].map((s) => s.size)).toEqual(new Array(DEVICES).fill(0));
    expect(receiver.keys).toBe(1000);
    const bySeries = new Map<string, Summary[]>();
    for (const s of all) bySeries.set(seriesKey(s), [...(bySeries.get(seriesKey(s)) ?? []), s]);
    const agg = receiver.aggregate();
    expect(agg).toHaveLength(bySeries.size);
    for (const a of agg) {
      const expected = mergeAll(bySeries.get(seriesKey(a))!);
      expect(a.count).toBe(expected.count);
      expect(a.labeled).toBe(expected.labeled);
      expect(a.latencyBuckets).toEqual(expected.latencyBuckets);
      expect(a.confusion).toEqual(expected.confusion);
      // Everything else is exact too, except float sums, whose merge order differs (a few ulp).
      const strip = (x: Summary): unknown => JSON.parse(serializeSummary(x), (k, v: unknown) => (k === 'sum' || k === 'sumSq' ? undefined : v));
      expect(strip(a)).toEqual(strip(expected));
      expect(a.latency.sum).toBeCloseTo(expected.latency.sum, 6);
    }
    const requests = Object.values(faults).reduce((s, x) => s + x, 0);
    const failed = requests - faults.ok;
    expect(failed / requests).toBeGreaterThan(0.25);
    // Retries of batches counted before their answer was lost were seen and dropped.
    expect(receiver.duplicates).toBeGreaterThan(0);
    // Each duplicate needs a lost answer: a failed attempt, or a request cut by the reload.
    const failedAttempts = events.filter((e) => e.type === 'failed').length;
    expect(receiver.duplicates).toBeLessThanOrEqual(failedAttempts + DEVICES);
    expect(events.some((e) => e.type === 'failed' && e.status === 429)).toBe(true);
    console.log(
      `[sync] faults: ${requests} requests (${faults.ok} ok), ${JSON.stringify(faults)}; ${receiver.duplicates} duplicates dropped; ${left} left at reload; ${ms.toFixed(0)} ms`,
    );
  });
});

/** A minimal IncomingMessage carrying a buffered body, for feeding the receiver's handler. */
function fakeReq(body: string): unknown {
  const listeners: Record<string, ((x?: unknown) => void)[]> = {};
  const req = {
    method: 'POST',
    url: '/v1/summaries',
    headers: {},
    on(ev: string, fn: (x?: unknown) => void) {
      (listeners[ev] ??= []).push(fn);
      if (ev === 'end') {
        queueMicrotask(() => {
          for (const f of listeners['data'] ?? []) f(Buffer.from(body));
          for (const f of listeners['end'] ?? []) f();
        });
      }
      return req;
    },
  };
  return req;
}
