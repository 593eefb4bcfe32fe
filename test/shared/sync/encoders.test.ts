// Encoders and helpers that run the same in Node and Chromium.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  checkEndpoint,
  encodeBatch,
  encodePrometheus,
  ExpHistogram,
  idempotencyKey,
  init,
  InputError,
  LATENCY_BUCKETS_S,
  mergeAll,
  parseBatch,
  parseRetryAfter,
  pushgatewayUrl,
  serializeSummary,
  summarize,
  SyncEngine,
  MemoryOutbox,
} from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { countAtMost, deviceRows, deviceSummaries, SEGMENTS } from './fixtures.js';

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

  // The exponential grid: independent of the encoder, from the definition base^k ms, base = 2^(2^-scale).
  const gridK = (le: number, scale: number): number => Math.round(Math.log2(le * 1000) * 2 ** scale);
  const isSpec = (le: number): boolean => (LATENCY_BUCKETS_S as readonly number[]).includes(le);

  it('adds exponential bounds of the latency sketch: exact cumulative counts, monotone, on the fixed scale-5 grid', () => {
    const rows = deviceRows(5, 0, 400);
    const total = mergeAll(deviceSummaries(5, 0, 400).map((s) => ({ ...s, segment: '' })));
    expect(total.latency.scale).toBeGreaterThan(5); // downscaled on export
    const [series, ...others] = latencySeries(encodePrometheus([total]));
    expect(others).toEqual([]);
    const sorted = Float64Array.from(rows.latencyMs, (v) => v / 1000).sort();
    const finite = series!.filter((b) => b.le < Infinity);
    expect(series![series!.length - 1]).toEqual({ text: '+Inf', le: Infinity, count: 400 });
    for (const b of series!) expect(b.count, `le=${b.text}`).toBe(countAtMost(sorted, b.le));
    for (let i = 1; i < series!.length; i++) {
      expect(series![i]!.le).toBeGreaterThan(series![i - 1]!.le);
      expect(series![i]!.count).toBeGreaterThanOrEqual(series![i - 1]!.count);
    }
    for (const le of LATENCY_BUCKETS_S) expect(finite.map((b) => b.le)).toContain(le);
    const grid = finite.filter((b) => !isSpec(b.le));
    // Every grid bound is base^k ms for an integer k, consecutive k, spelled as the shortest round-trip decimal.
    const ks = grid.map((b) => gridK(b.le, 5));
    grid.forEach((b, i) => {
      expect(Math.abs(b.le / (2 ** (ks[i]! / 32) / 1000) - 1)).toBeLessThan(1e-14);
      expect(String(Number(b.text))).toBe(b.text);
      if (i > 0) expect(ks[i]).toBe(ks[i - 1]! + 1);
    });
    // From the lower edge of the lowest non-empty bucket up to the range's top (10 s), and no further.
    const min = sorted[0]!;
    expect(grid[0]!.le).toBeLessThan(min);
    expect(grid[1]!.le).toBeGreaterThanOrEqual(min);
    expect(grid[grid.length - 1]!.le).toBeGreaterThanOrEqual(10);
    expect(grid[grid.length - 2]!.le).toBeLessThan(10);
  });

  it('spells each bound alike on every device, so sum by (le) over devices is the fleet count at every le', () => {
    const rows: number[] = [];
    const series: Bucket[][] = [];
    for (let d = 0; d < 8; d++) {
      const sums = [0, 1].flatMap((w) => deviceSummaries(d, w, 60 + 90 * d));
      [0, 1].forEach((w) => rows.push(...deviceRows(d, w, 60 + 90 * d).latencyMs));
      // What a device pushes: its cumulative state per series, encoded on its own.
      const perSegment = SEGMENTS.map((g) => mergeAll(sums.filter((s) => s.segment === g)));
      series.push(...latencySeries(encodePrometheus(perSegment, { labels: { device: `d${d}` } })));
    }
    const fleet = new Map<string, number>();
    for (const b of series.flat()) fleet.set(b.text, (fleet.get(b.text) ?? 0) + b.count);
    const sorted = Float64Array.from(rows, (v) => v / 1000).sort();
    for (const [text, count] of fleet) expect(count, `le=${text}`).toBe(countAtMost(sorted, text === '+Inf' ? Infinity : Number(text)));
    // One spelling per bound: distinct le strings are distinct grid points (no near-duplicates).
    const les = [...fleet.keys()].filter((t) => t !== '+Inf').map(Number).filter((le) => !isSpec(le)).sort((a, b) => a - b);
    for (let i = 1; i < les.length; i++) expect(gridK(les[i]!, 5)).toBe(gridK(les[i - 1]!, 5) + 1);
    // Series start at different bounds (their lowest latency) and all end at the same top.
    expect(new Set(series.map((s) => s[0]!.text)).size).toBeGreaterThan(1);
    expect(new Set(series.map((s) => s[s.length - 2]!.text)).size).toBe(1);
  });

  it('exports a finer sketch exactly at any scale up to its own, and a coarser one with lower bounds exact at shared bounds', () => {
    const rows = deviceRows(7, 0, 500);
    const sorted = Float64Array.from(rows.latencyMs, (v) => v / 1000).sort();
    const base = mergeAll(deviceSummaries(7, 0, 500).map((s) => ({ ...s, segment: '' })));
    const fine = { ...base, latency: new ExpHistogram({ maxScale: 8 }).insert(rows.latencyMs) };
    expect(fine.latency.scale).toBe(8);
    for (const scale of [0, 3, 5, 6, 8]) {
      const [series] = latencySeries(encodePrometheus([fine], { exponentialScale: scale }));
      for (const b of series!) expect(b.count, `scale ${scale}, le=${b.text}`).toBe(countAtMost(sorted, b.le));
      const grid = series!.filter((b) => b.le < Infinity && !isSpec(b.le));
      for (let i = 1; i < grid.length; i++) expect(gridK(grid[i]!.le, scale)).toBe(gridK(grid[i - 1]!.le, scale) + 1);
    }
    // A scale-3 sketch on the scale-5 grid: exact at every 4th bound (its own) and at the spec's;
    // in between, its bucket is counted at the bucket's upper edge: never above the truth, never below the last exact bound.
    const coarse: Summary = { ...base, latency: base.latency.atScale(3) };
    const [series] = latencySeries(encodePrometheus([coarse]));
    let lastExact = 0;
    let inexact = 0;
    for (let i = 0; i < series!.length; i++) {
      const b = series![i]!;
      const truth = countAtMost(sorted, b.le);
      if (i > 0) expect(b.count).toBeGreaterThanOrEqual(series![i - 1]!.count);
      if (b.le === Infinity || isSpec(b.le) || gridK(b.le, 5) % 4 === 0) {
        expect(b.count, `le=${b.text}`).toBe(truth);
        lastExact = truth;
      } else {
        expect(b.count).toBeLessThanOrEqual(truth);
        expect(b.count).toBeGreaterThanOrEqual(lastExact);
        if (b.count < truth) inexact++;
      }
    }
    expect(inexact).toBeGreaterThan(0); // the coarse case is really exercised
  });

  it('counts zero latencies below every bound, honours exponentialRange and writes only the spec bounds with exponentialScale: null', () => {
    const n = 300;
    const rows = deviceRows(2, 0, n);
    const latencyMs = rows.latencyMs.map((v, i) => (i % 10 === 0 ? 0 : v * 10)); // zeros and a tail beyond 1 s
    const [s] = summarize({
      task: 'binary',
      predictions: { model: 'm', version: 'v', id: Float64Array.from({ length: n }, (_, i) => i), timestamp: rows.timestamp, prediction: rows.prediction, score: rows.score, latencyMs, segment: new Uint16Array(n), segments: [''] },
      labels: rows.label,
      window: { start: rows.timestamp[0]!, end: rows.timestamp[0]! + 60_000 },
    });
    const sorted = Float64Array.from(latencyMs, (v) => v / 1000).sort();
    const [series] = latencySeries(encodePrometheus([s!], { exponentialRange: [0.005, 2] }));
    for (const b of series!) expect(b.count, `le=${b.text}`).toBe(countAtMost(sorted, b.le));
    const grid = series!.filter((b) => b.le < Infinity && !isSpec(b.le));
    // Zeros sit below every bound, so the grid starts at the range's bottom (not at the lowest positive bucket).
    expect(grid[0]!.le).toBeLessThanOrEqual(0.005);
    expect(grid[1]!.le).toBeGreaterThan(0.005);
    expect(grid[0]!.count).toBe(n / 10);
    expect(grid[grid.length - 1]!.le).toBeGreaterThanOrEqual(2);
    expect(grid[grid.length - 2]!.le).toBeLessThan(2);
    expect(sorted[n - 1]).toBeGreaterThan(2); // some latencies only reach +Inf
    const [spec] = latencySeries(encodePrometheus([s!], { exponentialScale: null }));
    expect(spec!.map((b) => b.le)).toEqual([...LATENCY_BUCKETS_S, Infinity]);
  });

  it('rejects a bad exponentialScale or exponentialRange with typed errors', () => {
    const [s] = deviceSummaries(1, 0, 30);
    for (const bad of [-1, 9, 2.5, '5', NaN]) {
      expect(() => encodePrometheus([s!], { exponentialScale: bad as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'options.exponentialScale' }));
    }
    for (const bad of [[0, 1], [2, 1], [1], [1, Infinity], [1e-300, 1e300], 'x', [NaN, 1]]) {
      expect(() => encodePrometheus([s!], { exponentialRange: bad as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'options.exponentialRange' }));
    }
  });
});

interface Bucket {
  text: string;
  le: number;
  count: number;
}

/** The latency histogram series of a Prometheus text: cumulative buckets in written order, one list per label set. */
function latencySeries(text: string): Bucket[][] {
  const out = new Map<string, Bucket[]>();
  for (const line of text.split('\n')) {
    const m = /^modelwatch_latency_seconds_bucket\{(.*),le="([^"]+)"\} (\S+)$/.exec(line);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    out.set(m[1]!, list);
    list.push({ text: m[2]!, le: m[2] === '+Inf' ? Infinity : Number(m[2]), count: Number(m[3]) });
  }
  return [...out.values()];
}

