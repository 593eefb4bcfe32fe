// Fault injection over real loopback HTTP: 10 devices deliver 1,000 window
// summaries (batches of up to 4) to the fleet receiver (modelwatch/receiver,
// journaled to a temp dir) while 30% of attempts fail: retryable statuses
// (429 + Retry-After, 502, 503, 504), timeouts and connection resets after the
// batch was counted, going offline mid-request, refused connections, 413s, and
// 4xx/5xx of every other kind: 401/403/404 (delivery pauses until the "app"
// resumes it), 400/409/422/500 (the batch is cut until the refused entry is
// alone; it goes to quarantine and the "operator" re-queues it). Mid-run the
// receiver restarts for real (HTTP server closed, connections refused, the
// receiver closed, a new one opened on the same directory replays its
// journal) and the page reloads (engines replaced). Late labels arrive during
// the run: a quarter of each window's labels come after it was sent and
// travel as corrections (queued after the reload and while the receiver is
// down). At the end every summary and correction arrived exactly once and the
// fleet totals equal the devices' truth including late labels; the
// cumulative formats (otlp, prometheus) carry the corrected totals.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, MemoryOutbox, mergeAll, parseBatch, seriesKey, serializeSummary, SyncEngine } from '../../../src/index.js';
import type { OtlpMetricsRequest, Summary, SyncEvent } from '../../../src/index.js';
import { createReceiver } from '../../../src/receiver/index.js';
import type { Receiver } from '../../../src/receiver/index.js';
import { lateSummaries, rng } from '../../shared/sync/fixtures.js';

const DEVICES = 10;
const WINDOWS = 50; // x 2 segments = 100 summaries per device

/** Rows whose label arrives after their window was sent (about a quarter, varying by device and window). */
const late = (d: number, w: number) => (i: number): boolean => (i * 7 + d * 3 + w) % 4 === 0;
/** Device d's window w: at close, its corrections and the truth (all labels). */
const windowOf = (d: number, w: number): ReturnType<typeof lateSummaries> => lateSummaries(d, w, 20, late(d, w));
/** Cumulative formats: a window's late labels arrive this many windows after it was sent. */
const LATE_BY = 5;

const SERVER_FAULTS = ['503', '502', '504', '429', 'timeout', 'reset', 'offline', '413', '400', '409', '422', '500', '401', '403', '404'] as const;
type Fault = 'ok' | 'refused' | (typeof SERVER_FAULTS)[number];
const REFUSALS = new Set<Fault>(['413', '400', '409', '422', '500']);

const dir = mkdtempSync(join(tmpdir(), 'modelwatch-faults-'));
const sockets = new Set<Socket>();
let server: Server | undefined;

beforeAll(async () => {
  await init();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The fleet receiver of this test: journaled to `dir`, with the per-device
 * request rate lifted (10 devices retrying every few ms through faults would
 * otherwise be answered 429, which is tested in test/node/receiver/), and a
 * snapshot every 100 deliveries so the restart replays a snapshot plus a
 * journal tail.
 */
function openReceiver(dir: string): Promise<Receiver> {
  return createReceiver({ dir, ratePerSecond: 1e6, rateBurst: 1e6, compactEvery: 100 });
}

/** Port of a listening server. */
function portOf(s: Server): number {
  return (s.address() as AddressInfo).port;
}

// Port 0 cannot be connected to, so a connection there is refused for sure; a
// port that was merely free when looked up may meanwhile belong to another
// program (7 helpers run tests at once), which would then receive our data.
const REFUSED_ORIGIN = 'http://127.0.0.1:0';

/**
 * The fleet's address as the devices know it. Each start of the test's server
 * listens on port 0 (no look-up race), so the port changes across the
 * restart; like a load balancer in front of a restarted receiver, the test's
 * fetch maps this origin to the server that is up, or to REFUSED_ORIGIN
 * while none is. A '.localhost' name (RFC 6761) because the engine sends
 * over plain http to loopback names only.
 */
const FLEET_ORIGIN = 'http://fleet.localhost';

describe('delivery under faults', () => {
  it('1,000 summaries, 30% failed attempts of every kind, a receiver restart and a reload: all arrive once, fleet totals exact', async () => {
    const receiverDir = join(dir, 'json');
    let receiver = await openReceiver(receiverDir);
    expect(receiver.recovery).toEqual({ snapshotSeq: 0, replayed: 0, truncatedBytes: 0 });
    const random = rng(42);
    const faults = Object.fromEntries(['ok', 'refused', ...SERVER_FAULTS].map((f) => [f, 0])) as Record<Fault, number>;
    const devices = new Map<string, { online: boolean; events: EventTarget }>();
    // 30% of the requests that reach the server fail there (a little less: 413s pass single
    // summaries), and ~3% of all attempts are refused before (in fetch): about 30% of attempts fail.
    const pick = (entries: number): Fault => {
      const r = random();
      if (r >= 0.3) return 'ok';
      const f = SERVER_FAULTS[Math.floor((r / 0.3) * SERVER_FAULTS.length)]!;
      // A proxy's 413 is about size: the smallest body (one summary) always passes it.
      return f === '413' && entries < 2 ? 'ok' : f;
    };
    const handle = async (body: string, res: ServerResponse, fault: Fault): Promise<void> => {
      if (fault === 'ok') {
        receiver.handler(fakeReq(body) as never, res);
        return;
      }
      if (fault === '429') {
        res.writeHead(429, { 'retry-after': '0' }).end('slow down');
        return;
      }
      if (/^\d+$/.test(fault)) {
        res.writeHead(Number(fault)).end(`injected ${fault}`);
        return;
      }
      // The remaining faults count the batch first (durably: ingest resolves once it is in the
      // journal): the sender never learns it arrived and retries. If the receiver is closing
      // (restart), the batch was not counted: the connection is cut, and the sender retries too.
      try {
        await receiver.ingest(body);
      } catch {
        res.socket?.destroy();
        return;
      }
      if (fault === 'timeout') return; // never answered; the client's timeout aborts it
      if (fault === 'reset') {
        res.socket?.destroy();
        return;
      }
      // 'offline': the device loses the network while the answer is on its way.
      const dev = devices.get(parseBatch(body).device)!;
      dev.online = false;
      dev.events.dispatchEvent(new Event('offline'));
      setTimeout(() => {
        dev.online = true;
        dev.events.dispatchEvent(new Event('online'));
      }, 15);
      res.writeHead(200).end('{}');
    };
    let origin = REFUSED_ORIGIN;
    const listen = async (): Promise<void> => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const fault = pick(parseBatch(body).entries.length);
          faults[fault]++;
          void handle(body, res, fault);
        });
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      origin = `http://127.0.0.1:${portOf(server)}`;
    };
    await listen();
    const url = `${FLEET_ORIGIN}/v1/summaries`;
    const fetchRandom = rng(7);
    const faultyFetch = ((u: string, init: RequestInit) => {
      // Connection refused for ~3% of attempts: a real ECONNREFUSED on loopback.
      if (fetchRandom() < 0.03) {
        faults.refused++;
        return globalThis.fetch(u.replace(FLEET_ORIGIN, REFUSED_ORIGIN), init);
      }
      return globalThis.fetch(u.replace(FLEET_ORIGIN, origin), init);
    }) as typeof fetch;

    const stores = new Map<string, MemoryOutbox>();
    const engines = new Map<string, SyncEngine>();
    /** The devices' truth: every window with all its labels. */
    const all: Summary[] = [];
    let sent = 0;
    const events: SyncEvent[] = [];
    let requeued = 0;
    const makeEngine = (id: string): SyncEngine => {
      const dev = devices.get(id)!;
      const engine: SyncEngine = new SyncEngine(stores.get(id)!, {
        endpoint: url,
        format: 'json',
        deviceId: id,
        batchSize: 4,
        intervalMs: 20,
        timeoutMs: 60,
        backoffBaseMs: 2,
        backoffMaxMs: 40,
        fetch: faultyFetch,
        isOnline: () => dev.online,
        events: dev.events,
        locks: null,
        onEvent: (e) => {
          events.push(e);
          // The app fixes its configuration (a new token) and resumes; the operator re-queues what the
          // receiver refused once it is fixed. Both act on this engine only, and only while it runs.
          if (e.type === 'paused') setTimeout(() => engines.get(id) === engine && engine.resume(), 10);
          if (e.type === 'quarantined') {
            setTimeout(() => {
              if (engines.get(id) === engine) void engine.requeueQuarantined().then((n) => (requeued += n));
            }, 30);
          }
        },
      });
      engines.set(id, engine);
      return engine;
    };
    for (let d = 0; d < DEVICES; d++) {
      const id = `device-${d}`;
      devices.set(id, { online: true, events: new EventTarget() });
      stores.set(id, new MemoryOutbox());
      const windows = Array.from({ length: WINDOWS }, (_, w) => windowOf(d, w));
      all.push(...windows.flatMap((x) => x.all));
      const atClose = windows.flatMap((x) => x.atClose);
      sent += atClose.length;
      await makeEngine(id).add(atClose);
    }
    expect(all).toHaveLength(1000);
    expect(sent).toBe(1000);
    /** Late labels of windows [from, to) arrive on every device: each window's corrections are queued under the window's number. */
    const lateLabels = async (from: number, to: number): Promise<void> => {
      for (let d = 0; d < DEVICES; d++) {
        for (let w = from; w < to; w++) {
          const c = windowOf(d, w).corrections;
          sent += c.length;
          await engines.get(`device-${d}`)!.add(c, { correction: String(w) });
        }
      }
    };
    const t0 = performance.now();
    for (const e of engines.values()) e.start();
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 90_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    // "Page reload" once about 40% has arrived: engines vanish mid-flight, new ones read the same outboxes.
    await until(() => receiver.keys >= 400, '400 summaries');
    for (const e of engines.values()) await e.stop();
    const left = [...stores.values()].reduce((s, st) => s + st.size, 0);
    expect(left).toBeGreaterThan(0);
    for (const id of devices.keys()) {
      const e = makeEngine(id);
      e.start();
      // The quarantine is in the outbox: the new engine reads it; the operator re-queues it.
      void e.requeueQuarantined().then((n) => (requeued += n));
    }
    await lateLabels(0, 25);

    // Receiver restart at about 70%: the server goes away (connections cut, then refused), the
    // receiver closes (deliveries in progress finish first), and a new receiver on the same
    // directory replays its snapshot and journal: it must hold exactly what the old one acknowledged.
    await until(() => receiver.keys >= 700, '700 summaries');
    origin = REFUSED_ORIGIN;
    await new Promise((r) => {
      server!.close(r);
      for (const s of sockets) s.destroy();
    });
    await receiver.close();
    const counts = (r: Receiver): string[] => r.aggregate().map((a) => `${serializeSummary(a)}`).sort();
    const before = { keys: receiver.keys, counts: counts(receiver), duplicates: receiver.duplicates };
    const noAnswer = (): number => events.filter((e) => e.type === 'failed' && e.status === undefined).length;
    const down = noAnswer();
    await until(() => noAnswer() >= down + DEVICES, 'requests to the stopped receiver');
    await lateLabels(25, WINDOWS);
    receiver = await openReceiver(receiverDir);
    // A snapshot was written at close: nothing left to replay, everything restored.
    expect(receiver.recovery.snapshotSeq).toBeGreaterThan(0);
    expect(receiver.keys).toBe(before.keys);
    expect(counts(receiver)).toEqual(before.counts);
    await listen();

    await until(() => [...stores.values()].every((s) => s.size === 0), 'empty outboxes');
    const ms = performance.now() - t0;
    for (const e of engines.values()) await e.stop();
    await receiver.close();

    // Every summary arrived, none twice, none left in quarantine.
    expect([...engines.values()].map((e) => e.pending + e.quarantined)).toEqual(new Array(DEVICES).fill(0));
    expect(sent).toBeGreaterThan(1400);
    expect(receiver.keys).toBe(sent);
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
    const fleet = agg.reduce((t, a) => t + a.count, 0);
    expect(fleet).toBe(all.reduce((t, s) => t + s.count, 0));
    const labeled = agg.reduce((t, a) => t + a.labeled, 0);
    expect(labeled).toBe(all.reduce((t, s) => t + s.labeled, 0));
    // Late labels were part of it: the windows at close had fewer.
    const atCloseLabels = [...Array(DEVICES).keys()].flatMap((d) => [...Array(WINDOWS).keys()].flatMap((w) => windowOf(d, w).atClose)).reduce((t, s) => t + s.labeled, 0);
    expect(labeled).toBeGreaterThan(atCloseLabels);

    const attempts = Object.values(faults).reduce((s, x) => s + x, 0);
    const failed = attempts - faults.ok;
    expect(failed / attempts).toBeGreaterThan(0.25);
    for (const f of SERVER_FAULTS) expect(faults[f], f).toBeGreaterThan(0);
    // Retries of batches counted before their answer was lost were seen and dropped.
    const duplicates = before.duplicates + receiver.duplicates;
    expect(duplicates).toBeGreaterThan(0);
    const count = (t: SyncEvent['type']): number => events.filter((e) => e.type === t).length;
    // Every pause was reported and resumed; every quarantined entry was reported and came back.
    expect(count('paused')).toBeGreaterThan(0);
    expect(count('resumed')).toBe(count('paused'));
    const quarantined = events.reduce((t, e) => t + (e.type === 'quarantined' ? e.count : 0), 0);
    expect(quarantined).toBeGreaterThan(0);
    expect(requeued).toBe(quarantined);
    for (const e of events) if (e.type === 'quarantined') expect(e.keys).toHaveLength(e.count);
    // 401/403/404 never quarantine; a refusal quarantines single entries only (batches were cut first).
    // The receiver itself (a 200 listing refused entries) refuses only a correction that reached it
    // before its window (the window was in quarantine meanwhile); re-queued, it is taken.
    for (const e of events) {
      if (e.type !== 'quarantined') continue;
      if (e.status === 200) expect(e.reason).toMatch(/predictions it delivered/);
      else expect(e.count === 1 && ![401, 403, 404].includes(e.status!), JSON.stringify(e)).toBe(true);
    }
    expect(events.some((e) => e.type === 'failed' && e.status === 429)).toBe(true);
    const delivered = events.reduce((t, e) => t + (e.type === 'delivered' ? e.count : 0), 0);
    console.log(
      `[sync] delivery under faults: ${attempts} attempts (${faults.ok} ok, ${((100 * failed) / attempts).toFixed(1)}% failed) ${JSON.stringify(faults)}; ` +
        `${duplicates} duplicates dropped; ${count('paused')} pauses; ${quarantined} entries quarantined and re-queued; ` +
        `${delivered} delivery confirmations for 1000 summaries + ${sent - 1000} corrections; ${left} outbox records at reload; receiver restarted at ${before.keys}; ` +
        `fleet count ${fleet} = devices' ${fleet}, fleet labels ${labeled} = devices' ${labeled} (with late labels); ${ms.toFixed(0)} ms`,
    );
  });
});

/**
 * What the fleet sees of cumulative pushes: OTLP keeps the last point per
 * (device, model, version, segment); a Pushgateway keeps the last PUT per
 * group (an empty one empties it). Both record a series that goes back
 * (a double count undone, or a partial state) and a series held by two
 * Pushgateway groups at once (summed twice by Prometheus).
 */
class FleetView {
  private readonly otlp = new Map<string, number>();
  private readonly groups = new Map<string, Map<string, number>>();
  private readonly last = new Map<string, number>();
  readonly violations: string[] = [];

  private readonly taken = new Set<string>();

  /** Predictions, labeled predictions and correct ones per series in a push ('<series>|<metric>'). */
  private samples(method: string, url: string, body: string): Map<string, number> {
    const out = new Map<string, number>();
    if (method === 'PUT') {
      for (const line of body.split('\n')) {
        const m = /^modelwatch_(predictions|labeled|correct)_total\{model="([^"]*)",version="([^"]*)",segment="([^"]*)"\} (\S+)$/.exec(line);
        if (m) out.set(`${/device\/([^/]+)/.exec(url)![1]}|${m[2]}|${m[3]}|${m[4]}|${m[1]}`, Number(m[5]));
      }
      return out;
    }
    for (const rm of (JSON.parse(body) as OtlpMetricsRequest).resourceMetrics) {
      const attr = (k: string): string => (rm.resource.attributes.find((a) => a.key === k)?.value as { stringValue: string }).stringValue;
      if (attr('service.name') !== 'fleet-test') this.violations.push(`service.name ${attr('service.name')}`);
      for (const name of ['predictions', 'labeled', 'correct']) {
        const metric = rm.scopeMetrics[0]!.metrics.find((m) => m.name === `modelwatch.${name}`)!;
        for (const p of metric.sum!.dataPoints) {
          const seg = (p.attributes.find((a) => a.key === 'modelwatch.segment')!.value as { stringValue: string }).stringValue;
          out.set(`${attr('device.id')}|${attr('modelwatch.model.name')}|${attr('modelwatch.model.version')}|${seg}|${name}`, Number((p as { asInt: string }).asInt));
        }
      }
    }
    return out;
  }

  /** Whether the fleet already took every series of this push at these totals (a re-send, whole or cut). */
  seen(method: string, url: string, body: string): boolean {
    const s = this.samples(method, url, body);
    return s.size > 0 && [...s].every(([k, v]) => this.taken.has(`${k} ${v}`));
  }

  apply(method: string, url: string, body: string): void {
    const samples = this.samples(method, url, body);
    if (method === 'PUT') this.groups.set(url, samples);
    for (const [k, v] of samples) {
      if (method !== 'PUT') this.otlp.set(k, v);
      this.taken.add(`${k} ${v}`);
      this.check(k, v);
    }
  }

  private check(k: string, v: number): void {
    const prev = this.last.get(k) ?? 0;
    if (v < prev) this.violations.push(`${k} went back from ${prev} to ${v}`);
    this.last.set(k, v);
  }

  /** Totals per series and metric as the fleet's queries would sum them. */
  series(): Map<string, number> {
    const out = new Map(this.otlp);
    for (const g of this.groups.values()) for (const [k, v] of g) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  }

  /** Series present in more than one Pushgateway group. */
  doubled(): string[] {
    const seen = new Map<string, number>();
    for (const g of this.groups.values()) for (const k of g.keys()) seen.set(k, (seen.get(k) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  }
}

describe.each(['otlp', 'prometheus'] as const)('cumulative delivery (%s) under faults', (format) => {
  it('50 windows x 10 devices pushed through 30% faults, a restart and a reload: the fleet sees the devices\' totals, never a partial or double one', async () => {
    const fleet = new FleetView();
    const random = rng(format === 'otlp' ? 11 : 12);
    const faults = Object.fromEntries(['ok', 'refused', ...SERVER_FAULTS].map((f) => [f, 0])) as Record<Fault, number>;
    const devices = new Map<string, { online: boolean; events: EventTarget }>();
    /** Series in a request: a proxy's 413 needs more than the smallest body (one series, compact). */
    const units = (method: string, body: string): number =>
      method === 'PUT' ? (body.split('\n').filter((l) => l.startsWith('modelwatch_latency_seconds_bucket')).length > 20 ? 2 : 1)
        : (JSON.parse(body) as OtlpMetricsRequest).resourceMetrics.reduce((t, rm) => t + rm.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints.length, 0);
    const pick = (n: number): Fault => {
      const r = random();
      if (r >= 0.3) return 'ok';
      const f = SERVER_FAULTS[Math.floor((r / 0.3) * SERVER_FAULTS.length)]!;
      return f === '413' && n < 2 ? 'ok' : f;
    };
    const listen = async (): Promise<void> => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const method = req.method!;
          let fault = pick(units(method, body));
          // A refusal is about content: a receiver that took these series at these totals (its answer
          // lost, the push re-sent whole or cut in parts) takes them again.
          if (REFUSALS.has(fault) && fleet.seen(method, req.url!, body)) fault = 'ok';
          faults[fault]++;
          if (fault === '429') return void res.writeHead(429, { 'retry-after': '0' }).end('slow down');
          if (/^\d+$/.test(fault)) return void res.writeHead(Number(fault)).end(`injected ${fault}`);
          // 'ok' and the faults that lose the answer after the push was applied.
          fleet.apply(method, req.url!, body);
          if (fault === 'timeout') return;
          if (fault === 'reset') return void res.socket?.destroy();
          if (fault === 'offline') {
            const id = decodeURIComponent(/device\/([^/]+)/.exec(req.url!)?.[1] ?? '') || (JSON.parse(body) as OtlpMetricsRequest).resourceMetrics[0]!.resource.attributes.find((a) => a.key === 'device.id')!.value;
            const dev = devices.get(typeof id === 'string' ? id : (id as { stringValue: string }).stringValue)!;
            dev.online = false;
            dev.events.dispatchEvent(new Event('offline'));
            setTimeout(() => {
              dev.online = true;
              dev.events.dispatchEvent(new Event('online'));
            }, 15);
          }
          res.writeHead(200).end('{}');
        });
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      origin = `http://127.0.0.1:${portOf(server)}`;
    };
    let origin = REFUSED_ORIGIN;
    await listen();
    const endpoint = format === 'otlp' ? `${FLEET_ORIGIN}/v1/metrics` : FLEET_ORIGIN;
    const fetchRandom = rng(8);
    const faultyFetch = ((u: string, init: RequestInit) => {
      if (fetchRandom() < 0.03) {
        faults.refused++;
        return globalThis.fetch(u.replace(FLEET_ORIGIN, REFUSED_ORIGIN), init);
      }
      return globalThis.fetch(u.replace(FLEET_ORIGIN, origin), init);
    }) as typeof fetch;

    const stores = new Map<string, MemoryOutbox>();
    const engines = new Map<string, SyncEngine>();
    const events: SyncEvent[] = [];
    let requeued = 0;
    const makeEngine = (id: string): SyncEngine => {
      const dev = devices.get(id)!;
      const engine: SyncEngine = new SyncEngine(stores.get(id)!, {
        endpoint,
        format,
        deviceId: id,
        serviceName: 'fleet-test',
        intervalMs: 20,
        timeoutMs: 60,
        backoffBaseMs: 2,
        backoffMaxMs: 40,
        fetch: faultyFetch,
        isOnline: () => dev.online,
        events: dev.events,
        locks: null,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'paused') setTimeout(() => engines.get(id) === engine && engine.resume(), 10);
          if (e.type === 'quarantined' && e.count > 0) {
            setTimeout(() => {
              if (engines.get(id) === engine) void engine.requeueQuarantined().then((n) => (requeued += n));
            }, 30);
          }
        },
      });
      engines.set(id, engine);
      engine.start();
      return engine;
    };
    /** What the devices sent so far, per series and metric (windows at close plus corrections). */
    const truth = new Map<string, number>();
    const tally = (into: Map<string, number>, d: number, sums: readonly Summary[]): void => {
      for (const s of sums) {
        const k = `device-${d}|${s.model}|${s.modelVersion}|${s.segment}`;
        const c = s.confusion!;
        const correct = c.classes.reduce((t, _, i) => t + c.cells[i * c.classes.length + i]!, 0);
        for (const [metric, v] of [['predictions', s.count], ['labeled', s.labeled], ['correct', correct]] as const) into.set(`${k}|${metric}`, (into.get(`${k}|${metric}`) ?? 0) + v);
      }
    };
    let labeledAtClose = 0;
    const send = async (d: number, sums: Summary[], correction?: string): Promise<void> => {
      tally(truth, d, sums);
      if (correction === undefined) labeledAtClose += sums.reduce((t, s) => t + s.labeled, 0);
      await engines.get(`device-${d}`)!.add(sums, correction === undefined ? {} : { correction });
    };
    for (let d = 0; d < DEVICES; d++) {
      const id = `device-${d}`;
      devices.set(id, { online: true, events: new EventTarget() });
      stores.set(id, new MemoryOutbox());
      makeEngine(id);
    }
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 90_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const settled = (): boolean => [...engines.values()].every((e) => e.pending === 0 && e.quarantined === 0);
    const t0 = performance.now();
    let downAt = -1;
    for (let w = 0; w < WINDOWS; w++) {
      if (w === 20) {
        // "Page reload": engines vanish, new ones read the same outboxes (and any quarantine).
        for (const e of engines.values()) await e.stop();
        for (const id of devices.keys()) void makeEngine(id).requeueQuarantined().then((n) => (requeued += n));
      }
      if (w === 35) {
        // Receiver restart: the server goes away with this window's pushes pending, then comes back
        // around the same state.
        origin = REFUSED_ORIGIN;
        await new Promise((r) => {
          server!.close(r);
          for (const s of sockets) s.destroy();
        });
        downAt = events.filter((e) => e.type === 'failed' && e.status === undefined).length;
      }
      for (let d = 0; d < DEVICES; d++) {
        await send(d, windowOf(d, w).atClose);
        // The late labels of the window closed 5 rounds ago arrive now.
        if (w >= LATE_BY) await send(d, windowOf(d, w - LATE_BY).corrections, String(w - LATE_BY));
      }
      if (w === 35) {
        await until(() => events.filter((e) => e.type === 'failed' && e.status === undefined).length >= downAt + DEVICES, 'pushes to the stopped receiver');
        await listen();
      }
      await until(settled, `window ${w} delivered`);
      // Between rounds the fleet never sees more than the devices have (no double count).
      for (const [k, v] of fleet.series()) if (v > truth.get(k)!) fleet.violations.push(`${k}: ${v} > ${truth.get(k)!}`);
    }
    // The last windows' late labels.
    for (let w = WINDOWS - LATE_BY; w < WINDOWS; w++) for (let d = 0; d < DEVICES; d++) await send(d, windowOf(d, w).corrections, String(w));
    await until(settled, 'the last corrections delivered');
    const ms = performance.now() - t0;
    for (const e of engines.values()) await e.stop();

    expect(fleet.violations.join('\n')).toBe('');
    expect(fleet.doubled()).toEqual([]);
    // What the devices sent adds up to their truth: every window with all its labels.
    const full = new Map<string, number>();
    for (let d = 0; d < DEVICES; d++) for (let w = 0; w < WINDOWS; w++) tally(full, d, windowOf(d, w).all);
    expect(Object.fromEntries(truth)).toEqual(Object.fromEntries(full));
    expect(Object.fromEntries(fleet.series())).toEqual(Object.fromEntries(truth));
    const sum = (m: Map<string, number>, metric: string): number => [...m].reduce((t, [k, v]) => t + (k.endsWith(`|${metric}`) ? v : 0), 0);
    const total = sum(truth, 'predictions');
    const labels = sum(truth, 'labeled');
    expect(sum(fleet.series(), 'predictions')).toBe(total);
    expect(sum(fleet.series(), 'labeled')).toBe(labels);
    expect(sum(fleet.series(), 'correct')).toBe(sum(truth, 'correct'));
    // Late labels were part of it: without the corrections the fleet would have fewer.
    expect(labels).toBeGreaterThan(labeledAtClose);
    // The outbox holds the state record alone.
    expect([...stores.values()].map((s) => s.size)).toEqual(new Array(DEVICES).fill(1));

    const attempts = Object.values(faults).reduce((t, x) => t + x, 0);
    const failed = attempts - faults.ok;
    expect(failed / attempts).toBeGreaterThan(0.25);
    expect(attempts).toBeGreaterThan(1000);
    for (const f of SERVER_FAULTS) expect(faults[f], f).toBeGreaterThan(0);
    const count = (t: SyncEvent['type']): number => events.filter((e) => e.type === t).length;
    expect(count('paused')).toBeGreaterThan(0);
    const quarantined = events.reduce((t, e) => t + (e.type === 'quarantined' ? e.count : 0), 0);
    expect(quarantined).toBeGreaterThan(0);
    expect(requeued).toBe(quarantined);
    console.log(
      `[sync] ${format} delivery under faults: ${attempts} attempts (${faults.ok} ok, ${((100 * failed) / attempts).toFixed(1)}% failed) ${JSON.stringify(faults)}; ` +
        `${count('paused')} pauses; ${quarantined} entries quarantined and re-queued; fleet predictions ${total} = devices' ${total}; ` +
        `fleet labels ${labels} = devices' ${labels} (${labels - labeledAtClose} late); ${ms.toFixed(0)} ms`,
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
