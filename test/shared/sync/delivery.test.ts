// The delivery rules, per format: what each status does to the outbox
// (retry, cut, pause, quarantine), the size cap, headers, resource
// attributes and the Prometheus group layout. The endpoint here is a fetch
// function that answers by rule; test/node/sync/faults.test.ts runs the same
// rules over real HTTP under random faults.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, MemoryOutbox, serializeSummary, SyncEngine } from '../../../src/index.js';
import type { OtlpMetricsRequest, SyncEvent, SyncOptions } from '../../../src/index.js';
import { verdict } from '../../../src/sync/retry.js';
import { deviceSummaries } from './fixtures.js';

beforeAll(async () => {
  await init();
});

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records requests and answers with `answer` (status, body, headers). */
function endpoint(answer: (r: Sent, i: number) => number | [number, string?, Record<string, string>?]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const f = (async (url: string, init: RequestInit) => {
    const r: Sent = { url, method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>) }, body: typeof init.body === 'string' ? init.body : '' };
    sent.push(r);
    const a = answer(r, sent.length - 1);
    const [status, body, headers] = typeof a === 'number' ? [a] : a;
    return new Response(status === 204 ? null : (body ?? ''), { status, headers: headers ?? {} });
  }) as typeof fetch;
  return { fetch: f, sent };
}

function engine(store: MemoryOutbox, o: Partial<SyncOptions> & Pick<SyncOptions, 'format' | 'fetch'>, events: SyncEvent[] = []): SyncEngine {
  const endpointUrl = o.format === 'otlp' ? 'https://x.example/v1/metrics' : o.format === 'prometheus' ? 'https://x.example' : 'https://x.example/v1/summaries';
  return new SyncEngine(store, { endpoint: endpointUrl, deviceId: 'd', events: null, locks: null, onEvent: (e) => events.push(e), ...o });
}

const keysOf = (body: string): string[] => (JSON.parse(body) as { entries: { key: string }[] }).entries.map((e) => e.key);
const windows = (n: number, device = 1): ReturnType<typeof deviceSummaries> => Array.from({ length: n }, (_, w) => deviceSummaries(device, w, 30)).flat();

describe('the retry rule (as OpenTelemetry JS)', () => {
  it.each([
    [200, 'ok'], [204, 'ok'], [undefined, 'retry'], [429, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [413, 'too-large'], [401, 'pause'], [403, 'pause'], [404, 'pause'],
    [400, 'refused'], [405, 'refused'], [409, 'refused'], [422, 'refused'], [500, 'refused'], [501, 'refused'],
  ] as const)('%s -> %s', (status, want) => {
    expect(verdict(status)).toBe(want);
  });
});

describe('retries', () => {
  it('429 / 503 keep everything and wait at least Retry-After', async () => {
    const store = new MemoryOutbox();
    const events: SyncEvent[] = [];
    const { fetch, sent } = endpoint(() => [503, 'busy', { 'retry-after': '7' }]);
    const e = engine(store, { format: 'json', fetch, backoffMaxMs: 60_000 }, events);
    await e.add(windows(2));
    const r = await e.flush();
    expect(r).toMatchObject({ delivered: 0, pending: 4, stopped: 'failed' });
    expect(sent).toHaveLength(1);
    expect(events.find((x) => x.type === 'failed')).toMatchObject({ status: 503, attempt: 1 });
    expect((events.find((x) => x.type === 'failed') as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(7000);
    expect(await e.flush()).toMatchObject({ stopped: 'backoff' });
    expect(sent).toHaveLength(1);
    expect(store.size).toBe(4);
  });
});

describe('401 / 403 / 404 pause delivery', () => {
  it.each(['json', 'otlp', 'prometheus'] as const)('%s: a paused event, nothing sent or lost until resume()', async (format) => {
    const store = new MemoryOutbox();
    const events: SyncEvent[] = [];
    let status = 401;
    const { fetch, sent } = endpoint(() => status);
    const e = engine(store, { format, fetch }, events);
    await e.add(windows(2));
    expect(await e.flush()).toMatchObject({ delivered: 0, pending: 4, stopped: 'paused' });
    expect(events.filter((x) => x.type === 'paused')).toEqual([{ type: 'paused', status: 401, reason: '' }]);
    expect(e.pausedBy).toEqual({ status: 401, reason: '' });
    const n = sent.length;
    expect(await e.flush()).toMatchObject({ stopped: 'paused' });
    expect(sent).toHaveLength(n);
    expect(store.size).toBe(4);
    expect(e.beaconRequests()).toEqual([]);
    status = 200;
    e.resume();
    expect(events.at(-1)).toEqual({ type: 'resumed' });
    expect(await e.flush()).toMatchObject({ delivered: 4, pending: 0 });
    expect(e.pausedBy).toBeUndefined();
  });
});

describe("'json': refusals and size", () => {
  it('a refused batch is cut until the refused entry is alone; only it goes to quarantine, kept and re-queueable', async () => {
    const store = new MemoryOutbox();
    const events: SyncEvent[] = [];
    const sums = windows(4);
    let bad: string | undefined;
    const { fetch, sent } = endpoint((r) => (bad && keysOf(r.body).includes(bad) ? [422, 'unprocessable'] : 200));
    const e = engine(store, { format: 'json', fetch }, events);
    await e.add(sums);
    bad = (await store.outbox()).map((x) => (x.payload as { key: string }).key)[5];
    expect(await e.flush()).toMatchObject({ delivered: 7, pending: 0 });
    // 8 -> 4 + 4 -> 2 + 2 -> 1 + 1: the batch holding the entry was cut three times.
    expect(sent.filter((r) => keysOf(r.body).length === 1)).toHaveLength(2);
    expect(events.filter((x) => x.type === 'quarantined')).toEqual([{ type: 'quarantined', count: 1, status: 422, reason: 'HTTP 422: unprocessable', keys: [bad] }]);
    expect(e.quarantined).toBe(1);
    expect(store.size).toBe(1);
    // Fixed receiver: the operator re-queues, and it arrives.
    bad = undefined;
    expect(await e.requeueQuarantined()).toBe(1);
    expect(await e.flush()).toMatchObject({ delivered: 1, pending: 0 });
    expect(keysOf(sent.at(-1)!.body)).toHaveLength(1);
    expect(store.size).toBe(0);
  });

  it('entries the receiver lists as invalid in a 2xx answer go to quarantine, not away', async () => {
    const store = new MemoryOutbox();
    const events: SyncEvent[] = [];
    const { fetch } = endpoint(() => [200, JSON.stringify({ accepted: 3, duplicates: 0, rejected: [{ index: 1, code: 'INVALID_SUMMARY', argument: 'x', message: 'bad x' }] })]);
    const e = engine(store, { format: 'json', fetch }, events);
    await e.add(windows(2));
    expect(await e.flush()).toMatchObject({ delivered: 3, pending: 0 });
    expect(events.find((x) => x.type === 'quarantined')).toMatchObject({ count: 1, status: 200, reason: 'bad x' });
    expect(e.quarantined).toBe(1);
  });

  it('requests stay within maxRequestBytes; a 413 cuts further and lowers the cap; one entry that is still too large is quarantined', async () => {
    const store = new MemoryOutbox();
    const events: SyncEvent[] = [];
    const limit = { bytes: Infinity };
    const { fetch, sent } = endpoint((r) => (new TextEncoder().encode(r.body).length > limit.bytes ? 413 : 200));
    const sums = windows(10);
    const one = new TextEncoder().encode(serializeSummary(sums[0]!)).length;
    const e = engine(store, { format: 'json', fetch, maxRequestBytes: one * 5 }, events);
    await e.add(sums);
    expect(await e.flush()).toMatchObject({ delivered: 20, pending: 0 });
    const sizes = sent.map((r) => new TextEncoder().encode(r.body).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(one * 5);
    expect(sent.length).toBeGreaterThan(4);
    // A proxy below our cap: 413s cut batches in halves, and later requests respect what was learned.
    limit.bytes = one * 2.5;
    sent.length = 0;
    await e.add(windows(10, 2));
    expect(await e.flush()).toMatchObject({ delivered: 20, pending: 0 });
    const firstOk = sent.findIndex((r) => new TextEncoder().encode(r.body).length <= limit.bytes);
    expect(sent.slice(firstOk + 1).filter((r) => new TextEncoder().encode(r.body).length > limit.bytes).length).toBeLessThanOrEqual(1);
    // Nothing fits any more: the single entries are quarantined with their 413, not dropped.
    limit.bytes = 100;
    await e.add(windows(1, 3));
    expect(await e.flush()).toMatchObject({ delivered: 0, pending: 0 });
    expect(events.filter((x) => x.type === 'quarantined').map((x) => (x as { status: number }).status)).toEqual([413, 413]);
    expect(e.quarantined).toBe(2);
  });
});

describe('headers', () => {
  it('a headers function runs before every request; the content type is applied last; the pagehide flush uses its last value', async () => {
    const store = new MemoryOutbox();
    let token = 0;
    const { fetch, sent } = endpoint(() => 200);
    const e = engine(store, {
      format: 'json',
      fetch,
      batchSize: 2,
      headers: async () => ({ Authorization: `Bearer t${++token}`, 'Content-Type': 'text/plain' }),
    });
    await e.add(windows(2));
    await e.flush();
    expect(sent.map((r) => r.headers['authorization'])).toEqual(['Bearer t1', 'Bearer t2']);
    expect(sent.every((r) => r.headers['content-type'] === 'application/json' && !('Content-Type' in r.headers))).toBe(true);
    await e.add(windows(1, 2));
    expect(e.beaconRequests()[0]!.headers).toEqual({ authorization: 'Bearer t2', 'content-type': 'application/json' });
  });

  it('fixed headers cannot replace the content type either; bad headers are refused with the argument named', async () => {
    const { fetch, sent } = endpoint(() => 200);
    const store = new MemoryOutbox();
    const e = engine(store, { format: 'prometheus', fetch, headers: { 'CONTENT-TYPE': 'application/json', 'x-team': 'a' } });
    await e.add(windows(1));
    await e.flush();
    expect(sent.filter((r) => r.method === 'PUT').every((r) => r.headers['content-type']!.startsWith('text/plain; version=0.0.4') && r.headers['x-team'] === 'a')).toBe(true);
    expect(() => engine(store, { format: 'json', fetch, headers: { a: 1 } as never })).toThrow(expect.objectContaining({ name: 'InputError', argument: 'options.headers.a' }));
    // A function that returns garbage: no request goes out; the failure is reported and retried.
    const events: SyncEvent[] = [];
    const bad = engine(new MemoryOutbox(), { format: 'json', fetch, headers: () => null as never }, events);
    await bad.add(windows(1));
    expect(await bad.flush()).toMatchObject({ stopped: 'failed', pending: 2 });
    expect((events.find((x) => x.type === 'failed') as { error: Error }).error).toMatchObject({ name: 'InputError', argument: 'options.headers()' });
    // A function that never settles times out like a request: the outbox is not stalled.
    const hung = engine(new MemoryOutbox(), { format: 'json', fetch, timeoutMs: 20, headers: () => new Promise<Record<string, string>>(() => undefined) }, events);
    await hung.add(windows(1));
    expect(await hung.flush()).toMatchObject({ stopped: 'failed', pending: 2 });
    expect((events.at(-1) as { error: Error }).error).toMatchObject({ name: 'TimeoutError' });
    await hung.add(windows(1, 2));
    expect(hung.pending).toBe(4);
  });
});

describe("'otlp': cumulative pushes cut by series", () => {
  it('service.name and resource attributes; requests within the cap; each series once; the state moves once every part was taken', async () => {
    const store = new MemoryOutbox();
    const { fetch, sent } = endpoint(() => 200);
    const sums = [...windows(2), ...deviceSummaries(1, 0, 30, 'fraud', '3'), ...deviceSummaries(1, 0, 30, 'churn', 'v9')];
    const e = engine(store, { format: 'otlp', fetch, serviceName: 'checkout', resource: { 'deployment.environment.name': 'prod' }, maxRequestBytes: 12_000 });
    await e.add(sums);
    expect(await e.flush()).toMatchObject({ delivered: sums.length, pending: 0 });
    expect(sent.length).toBeGreaterThan(1);
    const series: string[] = [];
    for (const r of sent) {
      expect(new TextEncoder().encode(r.body).length).toBeLessThanOrEqual(12_000);
      for (const rm of (JSON.parse(r.body) as OtlpMetricsRequest).resourceMetrics) {
        const attrs = Object.fromEntries(rm.resource.attributes.map((a) => [a.key, (a.value as { stringValue: string }).stringValue]));
        expect(attrs).toMatchObject({ 'service.name': 'checkout', 'deployment.environment.name': 'prod', 'device.id': 'd' });
        const m = rm.scopeMetrics[0]!.metrics.find((x) => x.name === 'modelwatch.predictions')!;
        for (const p of m.sum!.dataPoints) series.push(`${attrs['modelwatch.model.name']}|${attrs['modelwatch.model.version']}|${(p.attributes[0]!.value as { stringValue: string }).stringValue}`);
        expect(rm.scopeMetrics[0]!.metrics.find((x) => x.name === 'modelwatch.latency')!.unit).toBe('s');
      }
    }
    expect(series.sort()).toEqual(['churn|v1|', 'churn|v1|eu', 'churn|v9|', 'churn|v9|eu', 'fraud|3|', 'fraud|3|eu']);
    expect((await store.outbox()).map((r) => (r.payload as { kind: string }).kind)).toEqual(['state']);
  });

  it('a round cut short by a failure commits nothing; a refused series quarantines its own entries only', async () => {
    const store = new MemoryOutbox();
    const events: SyncEvent[] = [];
    let answer = (_body: string): number => 200;
    const { fetch } = endpoint((r) => answer(r.body));
    const e = engine(store, { format: 'otlp', fetch, maxRequestBytes: 9_000 }, events);
    const sums = [...windows(1), ...deviceSummaries(1, 0, 30, 'fraud', '3')];
    await e.add(sums);
    let n = 0;
    answer = () => (++n === 2 ? 503 : 200);
    expect(await e.flush()).toMatchObject({ stopped: 'failed', pending: 4 });
    expect((await store.outbox()).some((r) => (r.payload as { kind: string }).kind === 'state')).toBe(false);
    // Fraud is refused for good: churn is folded into the state, fraud's entries wait in quarantine.
    answer = (body) => (body.includes('"fraud"') ? 400 : 200);
    const later = engine(store, { format: 'otlp', fetch, maxRequestBytes: 9_000 }, events);
    expect(await later.flush()).toMatchObject({ delivered: 2, pending: 0 });
    expect(later.quarantined).toBe(2);
    // One event per refused series (each went alone), each naming its entries.
    const q = events.filter((x): x is Extract<SyncEvent, { type: 'quarantined' }> => x.type === 'quarantined');
    expect(q.map((x) => [x.count, x.status])).toEqual([[1, 400], [1, 400]]);
    expect(q.flatMap((x) => x.keys).every((k) => k.includes('fraud'))).toBe(true);
    const state = (await store.outbox()).find((r) => (r.payload as { kind: string }).kind === 'state')!.payload as { texts: string[] };
    expect(state.texts.map((t) => (JSON.parse(t) as { model: string }).model)).toEqual(['churn', 'churn']);
    answer = () => 200;
    await later.requeueQuarantined();
    expect(await later.flush()).toMatchObject({ delivered: 2, pending: 0 });
    expect(later.quarantined).toBe(0);
  });
});

describe("'prometheus': one Pushgateway group per series", () => {
  it('PUT per (model, version, segment); the per-device group of the earlier layout is emptied once; a 413 sends the compact form', async () => {
    const store = new MemoryOutbox();
    const { fetch, sent } = endpoint((r) => (r.body.length > 30_000 ? 413 : 200));
    const e = engine(store, { format: 'prometheus', fetch });
    await e.add(deviceSummaries(1, 0, 3000));
    expect(await e.flush()).toMatchObject({ delivered: 2, pending: 0 });
    expect(sent[0]).toMatchObject({ method: 'PUT', url: 'https://x.example/metrics/job/modelwatch/device/d', body: '' });
    const puts = sent.slice(1);
    const ok = puts.filter((r) => r.body.length <= 30_000);
    expect(new Set(ok.map((r) => r.url))).toEqual(new Set([
      'https://x.example/metrics/job/modelwatch/device/d/model/churn/version/v1/segment@base64/=',
      'https://x.example/metrics/job/modelwatch/device/d/model/churn/version/v1/segment/eu',
    ]));
    expect(puts.length).toBe(4); // each series: full (413), then compact
    // Series keep their names and labels: the group's labels are the ones they carry.
    expect(ok[0]!.body).toMatch(/^modelwatch_predictions_total\{model="churn",version="v1",segment="(eu)?"\} \d+$/m);
    sent.length = 0;
    await e.add(deviceSummaries(1, 1, 30));
    await e.flush();
    expect(sent.map((r) => r.method)).toEqual(['PUT', 'PUT']);
  });
});

describe('options', () => {
  it.each([
    [{ maxRequestBytes: 0 }, 'options.maxRequestBytes'],
    [{ serviceName: '' }, 'options.serviceName'],
    [{ resource: { 'service.version': 2 } }, 'options.resource.service.version'],
    [{ headers: 'token' }, 'options.headers'],
  ])('%j is refused naming %s', (extra, argument) => {
    const { fetch } = endpoint(() => 200);
    expect(() => engine(new MemoryOutbox(), { format: 'otlp', fetch, ...(extra as object) })).toThrow(expect.objectContaining({ name: 'InputError', code: 'INVALID_OPTION', argument }));
  });
});
