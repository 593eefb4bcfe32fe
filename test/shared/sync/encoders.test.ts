// Encoders and helpers that run the same in Node and Chromium.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  checkEndpoint,
  encodeBatch,
  encodePrometheus,
  idempotencyKey,
  init,
  InputError,
  LATENCY_BUCKETS_S,
  mergeAll,
  parseBatch,
  parseRetryAfter,
  pushgatewayUrl,
  serializeSummary,
  SyncEngine,
  MemoryOutbox,
} from '../../../src/index.js';
import { deviceRows, deviceSummaries } from './fixtures.js';

beforeAll(async () => {
  await init();
});

describe('idempotencyKey', () => {
  it('is stable for the same window and differs by device, model, version, segment and window', () => {
    const [s] = deviceSummaries(1, 0, 50);
    const k = idempotencyKey('dev-1', s!);
    expect(idempotencyKey('dev-1', structuredClone({ ...s!, latency: undefined }) as never)).toBe(k);
    for (const other of [
      idempotencyKey('dev-2', s!),
      idempotencyKey('dev-1', { ...s!, model: 'x' }),
      idempotencyKey('dev-1', { ...s!, modelVersion: 'v2' }),
      idempotencyKey('dev-1', { ...s!, segment: 'eu' }),
      idempotencyKey('dev-1', { ...s!, window: { start: s!.window.start, end: s!.window.end + 1 } }),
    ]) expect(other).not.toBe(k);
  });

  it('cannot be forged by a separator inside a part', () => {
    const [s] = deviceSummaries(1, 0, 10);
    expect(idempotencyKey('a|b', { ...s!, model: 'c' })).not.toBe(idempotencyKey('a', { ...s!, model: 'b|c' }));
  });
});

describe('backoff and Retry-After', () => {
  it('doubles up to the cap, with jitter between half and all of it', () => {
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, 60_000, () => 0.999999)).toBeCloseTo(1000, 2);
    expect(backoffDelay(4, 1000, 60_000, () => 0)).toBe(4000);
    expect(backoffDelay(40, 1000, 60_000, () => 0.5)).toBe(45_000);
  });

  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.UTC(2024, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('endpoint and option checks', () => {
  it('requires https except for loopback', () => {
    expect(() => checkEndpoint('http://collector.example.com/v1/metrics')).toThrow(expect.objectContaining({ code: 'INSECURE_ENDPOINT', argument: 'options.endpoint' }));
    expect(() => checkEndpoint('not a url')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    for (const ok of ['https://collector.example.com/v1/metrics', 'http://localhost:4318/v1/metrics', 'http://127.0.0.1:9091', 'http://[::1]:8080/x']) {
      expect(checkEndpoint(ok).href).toBeTruthy();
    }
  });

  it('rejects bad options with typed errors naming the option', () => {
    const store = new MemoryOutbox();
    const base = { endpoint: 'https://x.example', format: 'json', deviceId: 'd' } as const;
    expect(() => new SyncEngine(store, { ...base, format: 'xml' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'options.format' }));
    expect(() => new SyncEngine(store, { ...base, deviceId: '' })).toThrow(expect.objectContaining({ argument: 'options.deviceId' }));
    expect(() => new SyncEngine(store, { ...base, intervalMs: -1 })).toThrow(expect.objectContaining({ argument: 'options.intervalMs' }));
    expect(() => new SyncEngine(store, { ...base, format: 'otlp', allowRawRows: true })).toThrow(expect.objectContaining({ argument: 'options.allowRawRows' }));
  });

  it('keeps raw rows on the device unless allowRawRows is set', async () => {
    const engine = new SyncEngine(new MemoryOutbox(), { endpoint: 'https://x.example', format: 'json', deviceId: 'd', events: null, locks: null });
    expect(() => engine.sendRows('b1', [{ x: 1 }])).toThrow(expect.objectContaining({ code: 'RAW_NOT_ALLOWED', name: 'StateError' }));
    const bodies: string[] = [];
    const fetch = (async (_u: string, init: RequestInit) => {
      bodies.push(String(init.body));
      return new Response('{}', { status: 200 });
    }) as typeof globalThis.fetch;
    const sums = deviceSummaries(3, 0, 200);
    const e2 = new SyncEngine(new MemoryOutbox(), { endpoint: 'https://x.example', format: 'json', deviceId: 'd', events: null, locks: null, fetch });
    await e2.add(sums);
    await e2.flush();
    // Only summaries went out: no raw latency of any row appears in the body (sketch min/max excepted).
    const rows = deviceRows(3, 0, 200);
    const body = bodies.join('');
    const leaked = [...rows.latencyMs].filter((v) => body.includes(String(v)));
    const allowed = new Set(sums.flatMap((s) => [s.latency.min, s.latency.max]));
    expect(leaked.filter((v) => !allowed.has(v))).toEqual([]);
    expect(JSON.parse(body).rows).toBeUndefined();
  });
});

describe('JSON batches', () => {
  it('round-trip through parseBatch with keys checked', () => {
    const sums = deviceSummaries(2, 1, 100);
    const body = encodeBatch('dev-2', sums.map((s) => ({ key: idempotencyKey('dev-2', s), text: serializeSummary(s) })));
    const batch = parseBatch(body);
    expect(batch.device).toBe('dev-2');
    expect(batch.entries.map((e) => serializeSummary(e.summary!))).toEqual(sums.map(serializeSummary));
  });

  it('reports a bad or mis-keyed summary on its entry and a bad envelope as a whole', () => {
    const [s] = deviceSummaries(2, 1, 100);
    const good = { key: idempotencyKey('d', s!), text: serializeSummary(s!) };
    const wrongKey = { key: 'forged', text: serializeSummary(s!) };
    const corrupt = { key: good.key, text: serializeSummary(s!).replace('"count":', '"count":-') };
    const batch = parseBatch(encodeBatch('d', [good, wrongKey, corrupt]));
    expect(batch.entries[0]!.summary).toBeDefined();
    expect(batch.entries[1]!.error).toMatchObject({ code: 'INVALID_SUMMARY', argument: 'batch.entries[1].key' });
    expect(batch.entries[2]!.error).toBeInstanceOf(InputError);
    expect(() => parseBatch('{"format":"x"}')).toThrow(expect.objectContaining({ argument: 'batch.format' }));
    expect(() => parseBatch('{')).toThrow(expect.objectContaining({ code: 'INVALID_SUMMARY' }));
    expect(() => parseBatch({ format: 'modelwatch-batch', version: 9 })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
  });
});

describe('Prometheus text', () => {
  it('writes cumulative classic buckets equal to counting the raw rows', () => {
    const rows = deviceRows(5, 0, 400);
    const sums = deviceSummaries(5, 0, 400);
    const total = mergeAll(sums.map((s) => ({ ...s, segment: '' })));
    const text = encodePrometheus([total]);
    for (const le of [...LATENCY_BUCKETS_S, Infinity]) {
      const expected = [...rows.latencyMs].filter((v) => v / 1000 <= le).length;
      const leText = le === Infinity ? '+Inf' : String(le);
      expect(text).toContain(`modelwatch_latency_seconds_bucket{model="churn",version="v1",segment="",le="${leText}"} ${expected}\n`);
    }
    expect(text).toContain(`modelwatch_predictions_total{model="churn",version="v1",segment=""} 400\n`);
    const labeled = [...rows.label].filter((v) => !Number.isNaN(v)).length;
    expect(text).toContain(`modelwatch_labeled_total{model="churn",version="v1",segment=""} ${labeled}\n`);
    let correct = 0;
    rows.label.forEach((y, i) => { if (!Number.isNaN(y) && y === rows.prediction[i]) correct++; });
    expect(text).toContain(`modelwatch_correct_total{model="churn",version="v1",segment=""} ${correct}\n`);
    // One HELP/TYPE per family, each family's samples together.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE'));
    expect(new Set(types).size).toBe(types.length);
  });

  it('escapes label values and builds Pushgateway URLs', () => {
    const [s] = deviceSummaries(5, 0, 20, 'a"b\\c\nd');
    expect(encodePrometheus([s!])).toContain('model="a\\"b\\\\c\\nd"');
    expect(pushgatewayUrl('http://127.0.0.1:9091/', 'modelwatch', 'dev-7')).toBe('http://127.0.0.1:9091/metrics/job/modelwatch/device/dev-7');
    expect(pushgatewayUrl('http://h:9091', 'modelwatch', 'a/b')).toBe('http://h:9091/metrics/job/modelwatch/device@base64/YS9i');
    expect(() => encodePrometheus([s!], { labels: { 'bad-name': 'x' } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
