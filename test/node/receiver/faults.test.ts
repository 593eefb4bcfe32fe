// The eight receiver faults of issue #11 [fleet-trust], one test each, over a
// real node:http server on 127.0.0.1: each test fails on the receiver that
// src/sync/receiver.ts was before the move to src/receiver/.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkSummary, ExpHistogram, idempotencyKey, relativeErrorAtScale, summaryToJSON } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { createReceiver } from '../../../src/receiver/index.js';
import type { Receiver } from '../../../src/receiver/index.js';
import { deviceSummaries } from '../../shared/sync/fixtures.js';
import { batchOf, http, post, receiverSuite, serve } from './helpers.js';

const tempDir = receiverSuite('receiver');

/** A summary body with one field of its JSON form replaced. */
function edited(device: string, s: Summary, edit: (o: Record<string, any>) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const o = JSON.parse(JSON.stringify(summaryToJSON(s))) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  edit(o);
  return JSON.stringify({ format: 'modelwatch-batch', version: 1, device, entries: [{ key: idempotencyKey(device, s), summary: o }] });
}

describe('receiver faults of issue #11', () => {
  it('(1) a raw-rows entry carrying another device\'s summary key does not shadow that summary', async () => {
    const r = await createReceiver({ dir: null });
    const a = deviceSummaries(0, 0, 40)[0]!;
    const keyOfA = idempotencyKey('device-a', a);
    // Device b sends rows under device a's summary key, and device a sends rows under its own.
    expect((await r.ingest(batchOf('device-b', [], [{ key: keyOfA, rows: [1] }]))).accepted).toBe(0);
    expect(r.keys).toBe(1);
    const res = await r.ingest(batchOf('device-a', [a], [{ key: keyOfA, rows: [2] }]));
    expect(res).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(r.aggregate()[0]!.count).toBe(a.count);
    // A real repeat is still a duplicate.
    expect((await r.ingest(batchOf('device-a', [a]))).duplicates).toBe(1);
  });

  it('(2) summaries claiming latency.sum 1.5e308 are refused; nothing merges to Infinity; GET /metrics stays 200', async () => {
    const r = await createReceiver({ dir: null });
    const srv = await serve(r.handler);
    try {
      const good = deviceSummaries(1, 0, 40)[0]!;
      expect((await post(srv.url, batchOf('d1', [good]))).status).toBe(200);
      for (const [i, device] of ['d2', 'd3'].entries()) {
        const s = deviceSummaries(2 + i, 0, 40)[0]!;
        const res = await post(srv.url, edited(device, s, (o) => {
          o['latency'].sum = [1.5e308, 0];
          o['latency'].max = 1.5e308;
        }));
        expect(res.status).toBe(200);
        const body = JSON.parse(res.body) as { accepted: number; rejected: { code: string; argument: string }[] };
        expect(body.accepted).toBe(0);
        expect(body.rejected[0]).toMatchObject({ code: 'INVALID_SUMMARY', argument: 'summary.latency.sumSq' });
      }
      const agg = r.aggregate();
      expect(agg).toHaveLength(1);
      expect(Number.isFinite(agg[0]!.latency.sum)).toBe(true);
      const metrics = await http(`${srv.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/modelwatch_receiver_rejected_total\{code="INVALID_SUMMARY"\} 2/);
    } finally {
      await srv.close();
    }
  });

  it('(3) a well-formed summary at sketch scale -10 (or with a 2-bucket budget) is refused: the fleet keeps its 0.54% bound', async () => {
    const r = await createReceiver({ dir: null });
    const [a, b, c] = [0, 1, 2].map((d) => deviceSummaries(d, 0, 60)[0]!);
    await r.ingest(batchOf('d0', [a!]));
    const before = r.aggregate()[0]!.latency.relativeError;
    expect(before).toBeCloseTo(relativeErrorAtScale(6), 12);
    const coarse = { ...b!, latency: b!.latency.atScale(-10) };
    checkSummary(coarse); // well-formed
    const res = await r.ingest(batchOf('d1', [coarse]));
    expect(res.accepted).toBe(0);
    expect(res.rejected[0]).toMatchObject({ code: 'SCALE_TOO_LOW', argument: 'batch.entries[0].summary.latency.scale' });
    // An empty label-delay sketch with a budget of 2 buckets: valid, but any merge would keep 2.
    expect(c!.feedbackDelay.count).toBe(0);
    const tiny = { ...c!, feedbackDelay: new ExpHistogram({ maxSize: 2, maxScale: 5 }) };
    expect((await r.ingest(batchOf('d2', [tiny]))).rejected[0]).toMatchObject({ code: 'SCALE_TOO_LOW', argument: 'batch.entries[0].summary.feedbackDelay.maxSize' });
    // Fine on its own, too far from the fleet: latencies of 1e-100 ms at scale 6 would drag the merge to scale 2.
    const n = c!.latency.count;
    const far = { ...c!, latency: new ExpHistogram({ maxSize: 2048, maxScale: 6 }).insert(new Array<number>(n).fill(1e-100)), latencyBuckets: [n, 0, 0, 0, 0, 0, 0, 0] };
    checkSummary(far);
    expect(far.latency.scale).toBe(6);
    const widened = (await r.ingest(batchOf('d3', [far]))).rejected[0]!;
    expect(widened).toMatchObject({ code: 'SCALE_TOO_LOW', argument: 'batch.entries[0].summary.latency.scale' });
    expect(widened.message).toMatch(/merged into the fleet at scale 2/);
    expect(r.aggregate()[0]!.latency.relativeError).toBe(before);
    expect(r.aggregate()[0]!.count).toBe(a!.count);
  });

  it('(4) a deeply nested body just under 8 MiB is refused before parsing, in milliseconds', async () => {
    const r = await createReceiver({ dir: null });
    const srv = await serve(r.handler);
    try {
      const depth = (8 * 1024 * 1024 - 64) >> 1;
      const body = '['.repeat(depth) + ']'.repeat(depth);
      expect(body.length).toBeLessThan(8 * 1024 * 1024);
      const heap0 = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      const res = await post(srv.url, body);
      const ms = performance.now() - t0;
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'BODY_TOO_COMPLEX' });
      // Before: 2.5-6 s and ~425 MB. The scan is one pass over the bytes.
      expect(ms).toBeLessThan(1000);
      console.log(`[receiver] 8 MiB nested body: 413 in ${ms.toFixed(0)} ms, heap +${((process.memoryUsage().heapUsed - heap0) / 2 ** 20).toFixed(1)} MB`);
    } finally {
      await srv.close();
    }
  });

  it('(5) a body over maxBodyBytes is answered 413 as soon as it passes the limit; the rest is never read', async () => {
    const r = await createReceiver({ dir: null, maxBodyBytes: 1024 * 1024 });
    let bytesRead = -1;
    const srv = await serve((req, res) => {
      res.once('finish', () => { bytesRead = req.socket.bytesRead; });
      r.handler(req, res);
    });
    try {
      // Chunked (no Content-Length): the receiver must count as it reads. 20 MB offered.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${srv.url}/v1/summaries`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < 20 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      expect(status).toBe(413);
      await expect.poll(() => bytesRead).toBeGreaterThan(0);
      // The limit, plus at most one socket read of headers and chunk framing.
      expect(bytesRead).toBeLessThan(1024 * 1024 + 128 * 1024);
      // A declared Content-Length over the limit is refused before any of it is read.
      const declared = await http(`${srv.url}/v1/summaries`, { method: 'POST', headers: { 'content-length': String(5 * 1024 * 1024) } }).catch((e: Error) => e);
      expect(declared instanceof Error ? declared.message : String(declared.status)).toMatch(/413|socket hang up|ECONNRESET|EPIPE/);
    } finally {
      await srv.close();
    }
  });

  it('(6) authorize guards GET /metrics too; CORS preflight and allowed origins let a page on another origin deliver', async () => {
    const r = await createReceiver({ dir: null, authorize: (req) => req.headers.authorization === 'Bearer t', allowedOrigins: ['https://app.example'] });
    const srv = await serve(r.handler);
    try {
      expect((await http(`${srv.url}/metrics`)).status).toBe(401);
      expect((await http(`${srv.url}/metrics`, { headers: { authorization: 'Bearer t' } })).status).toBe(200);
      // Preflight: no credentials (Fetch standard), allowed origin only.
      const pre = await http(`${srv.url}/v1/summaries`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(pre.headers['access-control-allow-headers']).toMatch(/authorization/);
      const evil = await http(`${srv.url}/v1/summaries`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(evil.status).toBe(403);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      const body = batchOf('d0', deviceSummaries(0, 0, 30));
      const ok = await post(srv.url, body, { origin: 'https://app.example', authorization: 'Bearer t' });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(ok.headers['access-control-expose-headers']).toMatch(/retry-after/);
      expect((await post(srv.url, body, { origin: 'https://app.example' })).status).toBe(401);
      expect((await post(srv.url, body, { origin: 'https://evil.example', authorization: 'Bearer t' })).status).toBe(403);
    } finally {
      await srv.close();
    }
  });

  it('(7) devices, series, keys and request rate are bounded, with 429 + Retry-After and counters; /metrics stays small', async () => {
    let now = 1_700_000_000_000;
    const r = await createReceiver({ dir: null, maxDevices: 3, maxSeries: 4, maxSeriesPerDevice: 2, maxKeysPerDevice: 5, keyTtlMs: 60_000, ratePerSecond: 1, rateBurst: 3, now: () => now });
    const srv = await serve(r.handler);
    try {
      const one = (d: number, w: number, segment = ''): Summary => ({ ...deviceSummaries(d, w, 20)[0]!, segment });
      // Rate: a burst of 3, then 429 with Retry-After until a token refills.
      for (let w = 0; w < 3; w++) expect((await post(srv.url, batchOf('d0', [one(0, w)]))).status).toBe(200);
      const limited = await post(srv.url, batchOf('d0', [one(0, 3)]));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      now += 1000;
      expect((await post(srv.url, batchOf('d0', [one(0, 3)]))).status).toBe(200);
      // Series per device: d1 may create 2, the third waits (nothing of the batch is stored).
      now += 10_000;
      expect((await post(srv.url, batchOf('d1', [one(1, 0, 's1'), one(1, 0, 's2')]))).status).toBe(200);
      const third = await post(srv.url, batchOf('d1', [one(1, 1, 's1'), one(1, 1, 's3')]));
      expect(third.status).toBe(429);
      expect(JSON.parse(third.body)).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'series' });
      expect(r.aggregate().find((s) => s.segment === 's1')!.count).toBe(one(1, 0, 's1').count);
      // Fleet series: 3 so far ('' , s1, s2); d2 adds one, then the fleet is full.
      expect((await post(srv.url, batchOf('d2', [one(2, 0, 's4')]))).status).toBe(200);
      expect((await post(srv.url, batchOf('d2', [one(2, 1, 's5')]))).status).toBe(429);
      expect(r.series).toBe(4);
      // Devices: 3 remembered; a fourth waits.
      expect((await post(srv.url, batchOf('d3', [one(3, 0)]))).status).toBe(429);
      expect(r.devices).toBe(3);
      // Keys per device: the oldest are forgotten past 5; after the time to live, all are.
      now += 10_000;
      for (let w = 4; w < 9; w++) {
        now += 1000;
        expect((await post(srv.url, batchOf('d0', [one(0, w)]))).status).toBe(200);
      }
      expect(r.keys).toBeLessThanOrEqual(5 + 2 + 1);
      now += 120_000;
      expect((await post(srv.url, batchOf('d0', [one(0, 9)]))).status).toBe(200);
      expect(r.keys).toBe(1 + 2 + 1);
      const m = await http(`${srv.url}/metrics`);
      expect(m.body).toMatch(/modelwatch_receiver_limited_total\{limit="rate"\} 1/);
      expect(m.body).toMatch(/modelwatch_receiver_limited_total\{limit="series"\} 2/);
      expect(m.body).toMatch(/modelwatch_receiver_limited_total\{limit="devices"\} 1/);
      expect(m.body).toMatch(/modelwatch_receiver_requests_total\{status="429"\} 4/);
    } finally {
      await srv.close();
    }
  });

  it('(7) 2,000 client-named series: the default limit stops at 500, and /metrics with it', async () => {
    const r = await createReceiver({ dir: null, maxSeriesPerDevice: 10_000, ratePerSecond: 1e6, rateBurst: 1e6 });
    const base = deviceSummaries(0, 0, 20)[0]!;
    let limited = 0;
    for (let i = 0; i < 2000; i += 50) {
      const batch = Array.from({ length: 50 }, (_, k) => ({ ...base, segment: `seg-${i + k}` }));
      await r.ingest(batchOf('d0', batch)).catch((e: Error) => {
        expect(e.name).toBe('LimitError');
        limited++;
      });
    }
    expect(r.series).toBe(500);
    expect(limited).toBe(30);
    const page = Buffer.byteLength(r.metrics());
    console.log(`[receiver] /metrics with 500 series: ${(page / 2 ** 20).toFixed(1)} MB`);
    expect(page).toBeLessThan(40 * 2 ** 20);
  });

  it('(8) the fleet state survives a restart: acknowledged deliveries are replayed from the journal and snapshot', async () => {
    const dir = tempDir();
    const sums = [0, 1, 2].flatMap((d) => [0, 1].flatMap((w) => deviceSummaries(d, w, 30)));
    const first = await createReceiver({ dir, compactEvery: 4 });
    for (let d = 0; d < 3; d++) await first.ingest(batchOf(`d${d}`, sums.filter((_, i) => Math.floor(i / 4) === d)));
    await first.ingest(batchOf('d0', [sums[0]!]));
    const before = first.aggregate().map((s) => JSON.stringify(summaryToJSON(s))).sort();
    // No close(): a kill. The next process reads the same directory.
    const second = await createReceiver({ dir, compactEvery: 4 });
    expect(second.aggregate().map((s) => JSON.stringify(summaryToJSON(s))).sort()).toEqual(before);
    expect(second.keys).toBe(first.keys);
    expect(second.devices).toBe(3);
    // Keys survive too: a retry of an acknowledged summary is still a duplicate.
    expect((await second.ingest(batchOf('d0', [sums[0]!]))).duplicates).toBe(1);
    await second.close();
    const third = await createReceiver({ dir });
    expect(third.recovery).toMatchObject({ replayed: 0, truncatedBytes: 0 });
    expect(third.aggregate().map((s) => JSON.stringify(summaryToJSON(s))).sort()).toEqual(before);
    await third.close();
  });
});

describe('receiver handler', () => {
  it('never throws: a failing authorize is a 500, a closed receiver a 503 with Retry-After, and the server keeps serving', async () => {
    let calls = 0;
    const r = await createReceiver({
      dir: tempDir(),
      authorize: () => {
        if (++calls === 1) throw new Error('token service down');
        return true;
      },
    });
    const srv = await serve(r.handler);
    try {
      const body = batchOf('d0', deviceSummaries(0, 0, 30));
      expect((await post(srv.url, body)).status).toBe(500);
      expect((await post(srv.url, body)).status).toBe(200);
      await r.close();
      const closed = await post(srv.url, body);
      expect(closed.status).toBe(503);
      expect(closed.headers['retry-after']).toBe('30');
      expect(JSON.parse(closed.body)).toMatchObject({ code: 'RECEIVER_CLOSED' });
      expect((await http(`${srv.url}/nowhere`)).status).toBe(404);
      expect((await http(`${srv.url}/v1/summaries`)).status).toBe(405);
    } finally {
      await srv.close();
    }
  });
});

export type { Receiver };
