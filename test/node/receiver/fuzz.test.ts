// Fuzz of the receiver over real loopback HTTP with its default limits and a
// durable state directory: thousands of random and hostile bodies, one class
// per fault of issue #11 [fleet-trust] plus random bytes and random JSON,
// interleaved with honest deliveries. Must hold: no 5xx, no crash, every
// series still valid and at or above the minimum scale, the honest series
// exact, the state replayable, and time and memory per request bounded. The
// figures (largest body, time and memory per hostile request) are printed and
// quoted in the README.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSummary, idempotencyKey, init, mergeAll, packCounts, relativeErrorAtScale, summaryToJSON } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { createReceiver } from '../../../src/receiver/index.js';
import { deviceSummaries } from '../../shared/sync/fixtures.js';
import { rng } from '../../support/rng.js';
import { batchOf, http, post, serve } from './helpers.js';
import type { Answer } from './helpers.js';

// A forced collection before each measured large request, so its heap growth is its own.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
const LIMIT = 8 * MiB; // the default maxBodyBytes
let dir = '';

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), 'modelwatch-fuzz-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Loose = Record<string, unknown>;
type Body = { body: string | Buffer; headers?: Record<string, string> };
type Gen = (r: () => number, i: number) => Body;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const env = (device: string, entries: unknown[], rows?: unknown): string =>
  JSON.stringify({ format: 'modelwatch-batch', version: 1, device, entries, ...(rows === undefined ? {} : { rows }) });

/** Hostile replacements for one field of a summary. */
const HOSTILE: unknown[] = [1e308, -1e308, 1.5e308, -1, 0, 2 ** 53, 2 ** 53 + 2, -0, 5e-324, 0.5, 'x', '', null, true, [], {}, [1e308, 1e308], 'A'.repeat(300), 'AAAA'.repeat(10_000), -(2 ** 31), 2 ** 31];

/** Every path (array of keys) to a leaf or array in a JSON value. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    if (at.length > 0) out.push(at);
    for (const [k, x] of Object.entries(v as Loose)) paths(x, [...at, Array.isArray(v) ? Number(k) : k], out);
  } else out.push(at);
  return out;
}

/** Sets the value at path p, unless an earlier edit replaced a container on the way. */
function setAt(v: unknown, p: (string | number)[], x: unknown): void {
  let o = v as Loose;
  for (const k of p.slice(0, -1)) {
    o = o[k] as Loose;
    if (o === null || typeof o !== 'object') return;
  }
  o[p[p.length - 1]!] = x;
}

const pool: Summary[] = [];
const poolJson: Loose[] = [];

/** The body classes: one per receiver fault of the issue, plus random noise. */
const CLASSES: Record<string, { count: number; gen: Gen }> = {
  'random bytes': { count: 400, gen: (r) => ({ body: Buffer.from(Array.from({ length: Math.floor(r() * 4096) }, () => Math.floor(r() * 256))) }) },
  'random JSON': {
    count: 400,
    gen: (r, i) => {
      const [v] = fc.sample(fc.jsonValue({ maxDepth: 6 }), { seed: i, numRuns: 1 });
      return { body: r() < 0.5 ? JSON.stringify(v) : env(`rj-${i}`, Array.isArray(v) ? v : [v], r() < 0.3 ? v : undefined) };
    },
  },
  // Fault class of parseSummary: impossible values in any field, including the 1e300 sums, negative sums of squares, overflow.
  'mutated summary': {
    count: 1200,
    gen: (r, i) => {
      const k = Math.floor(r() * pool.length);
      const o = structuredClone(poolJson[k]!);
      const ps = paths(o);
      for (let m = 0; m < 1 + Math.floor(r() * 3); m++) setAt(o, pick(r, ps), pick(r, HOSTILE));
      const device = `mut-${i % 97}`;
      return { body: env(device, [{ key: idempotencyKey(device, pool[k]!), summary: o }]) };
    },
  },
  // Fault (2): two or more summaries with latency.sum 1.5e308 (and their squares).
  'overflow sums': {
    count: 150,
    gen: (r, i) => {
      const device = `ovf-${i}`;
      const entries = [0, 1].map((w) => {
        const s = pool[(i + w) % pool.length]!;
        const o = structuredClone(poolJson[(i + w) % pool.length]!) as { latency: Loose };
        o.latency['sum'] = [pick(r, [1.5e308, 1e300, 9e307]), 0];
        o.latency['sumSq'] = [pick(r, [1.5e308, 0, -1]), 0];
        if (r() < 0.5) o.latency['max'] = 1.5e308;
        return { key: idempotencyKey(device, s), summary: o };
      });
      return { body: env(device, entries) };
    },
  },
  // Fault (1): raw-rows entries under other devices' summary keys, and rows of odd shapes.
  'key collisions': {
    count: 150,
    gen: (r, i) => {
      const s = pick(r, pool);
      const victim = `honest-${Math.floor(r() * 8)}`;
      const rows = [{ key: idempotencyKey(victim, s), rows: [i] }, { key: `${victim}|rows|x`, rows: [] }];
      return { body: env(`thief-${i % 13}`, [], r() < 0.2 ? [{ key: 1, rows: 'x' }] : rows) };
    },
  },
  // Fault (3): well-formed summaries with coarse sketches or tiny budgets.
  'coarse sketches': {
    count: 150,
    gen: (r, i) => {
      const s = pick(r, pool);
      const scale = -10 + Math.floor(r() * 13); // -10..2, all under the default minimum of 3
      const coarse = { ...s, latency: s.latency.atScale(Math.min(scale, s.latency.scale)) };
      return { body: batchOf(`coarse-${i}`, [coarse]) };
    },
  },
  // Fault (4): nesting, containers and values near and past the limits, up to just under 8 MiB.
  'deep or wide': {
    count: 24,
    gen: (r, i) => {
      const size = Math.floor((0.1 + 0.9 * r()) * (LIMIT - 256));
      switch (i % 6) {
        case 0: return { body: '['.repeat(size >> 1) + ']'.repeat(size >> 1) };
        case 1: return { body: '{"a":'.repeat(size / 10) + '1' + '}'.repeat(size / 10) };
        case 2: return { body: env(`wide-${i}`, [], [{ key: 'k', rows: new Array(Math.floor(size / 2) - 64).fill(0) }]) };
        case 3: return { body: env(`wide-${i}`, [], [{ key: 'k', rows: new Array(Math.floor(size / 3) - 64).fill({}) }]) };
        case 4: return { body: env(`wide-${i}`, [], [{ key: 'k', rows: ['x'.repeat(size - 200)] }]) };
        default: return { body: env(`wide-${i}`, new Array(Math.floor(size / 3) - 64).fill(0)) };
      }
    },
  },
  // Fault (5): bodies past maxBodyBytes, declared or streamed.
  'oversized': {
    count: 12,
    gen: (r, i) => {
      const body = Buffer.alloc(LIMIT + 1 + Math.floor(r() * 12 * MiB), 0x20);
      // Even: a declared Content-Length (refused unread); odd: streamed in chunks (refused once past the limit).
      const headers: Record<string, string> = i % 2 === 0 ? {} : { 'transfer-encoding': 'chunked' };
      return { body, headers };
    },
  },
  // Packed runs that expand 5,000-fold, and summaries hidden in strings (a second, unscanned document).
  'amplified': {
    count: 12,
    gen: (_r, i) => {
      const o = structuredClone(poolJson[0]!) as { latency: Loose; confidence: Loose };
      // 16,384 empty buckets in 4 characters: a packed run (see src/summary/codec.ts).
      const run = packCounts(new Float64Array(16384));
      expect(run).toHaveLength(4);
      for (const h of [o.latency, o.confidence]) {
        h['maxSize'] = 16384;
        h['negative'] = { offset: 0, counts: run };
      }
      const device = `amp-${i}`;
      if (i % 3 === 2) return { body: env(device, [{ key: idempotencyKey(device, pool[0]!), summary: '['.repeat(100_000) + ']'.repeat(100_000) }]) };
      return { body: env(device, new Array(500).fill({ key: idempotencyKey(device, pool[0]!), summary: o })) };
    },
  },
  // The costliest body an honest sender may send: maxEntries (500) valid summaries, all accepted and journaled.
  'largest valid': {
    count: 3,
    gen: (_r, i) => ({ body: batchOf(`big-${i}`, Array.from({ length: 250 }, (_, w) => deviceSummaries(50 + i, w, 40, 'big')).flat().slice(0, 500)) }),
  },
  // Fault (7): client-named devices and series, as many as a request can carry.
  'flood': {
    count: 300,
    gen: (r, i) => {
      const s = pick(r, pool);
      const segs = Array.from({ length: 20 }, (_, k) => ({ ...s, segment: `flood-${i}-${k}` }));
      return { body: batchOf(`flood-${i}-${Math.floor(r() * 1e9)}`, segs) };
    },
  },
};

interface Stat {
  n: number;
  /** Summaries accepted from this class (hostile ones that were still valid). */
  accepted: number;
  statuses: Record<number | string, number>;
  maxMs: number;
  maxHeapMB: number;
  maxBytes: number;
}

describe('receiver fuzz', () => {
  it('thousands of random and hostile bodies: no 5xx, no crash, the fleet stays valid, cost per request bounded', async () => {
    for (let d = 0; d < 6; d++) for (let w = 0; w < 4; w++) pool.push(...deviceSummaries(d, w, 40));
    poolJson.push(...pool.map((s) => JSON.parse(JSON.stringify(summaryToJSON(s))) as Loose));

    const receiver = await createReceiver({ dir });
    // Heap growth from the request's arrival to its answer (after a forced GC for the large ones).
    const heapAt = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    let lastHeapMB = 0;
    const srv = await serve((req, res) => {
      const h0 = heapAt();
      res.once('finish', () => { lastHeapMB = Math.max(0, heapAt() - h0) / MiB; });
      receiver.handler(req, res);
    });
    const rss0 = process.resourceUsage().maxRSS;
    const honest: Summary[] = [];
    const honestBatch = async (k: number): Promise<void> => {
      const sums = deviceSummaries(100 + k, 0, 50, 'honest');
      honest.push(...sums);
      const res = await post(srv.url, batchOf(`honest-${k}`, sums));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ accepted: sums.length, rejected: [] });
    };
    for (let k = 0; k < 8; k++) await honestBatch(k);

    const stats: Record<string, Stat> = {};
    const r = rng(20261129);
    let total = 0;
    const t0 = performance.now();
    for (const [name, c] of Object.entries(CLASSES)) {
      const st: Stat = (stats[name] = { n: 0, accepted: 0, statuses: {}, maxMs: 0, maxHeapMB: 0, maxBytes: 0 });
      for (let i = 0; i < c.count; i++) {
        const { body, headers } = c.gen(r, i);
        const bytes = Buffer.byteLength(body);
        const large = bytes > MiB / 4;
        if (large) gc();
        lastHeapMB = 0;
        const t = performance.now();
        let answer: Answer | Error;
        try {
          answer = await post(srv.url, body, headers);
        } catch (e) {
          answer = e as Error;
        }
        const ms = performance.now() - t;
        const status = answer instanceof Error ? (answer as NodeJS.ErrnoException).code ?? answer.message : answer.status;
        st.statuses[status] = (st.statuses[status] ?? 0) + 1;
        if (answer instanceof Error) {
          // Only a body past the limit may see its connection closed before it finished sending.
          expect(name, `${name} #${i}: ${answer.message}`).toBe('oversized');
        } else {
          expect(answer.status, `${name} #${i}: ${answer.body.slice(0, 300)}`).toBeLessThan(500);
          if (answer.status === 200) st.accepted += (JSON.parse(answer.body) as { accepted: number }).accepted;
        }
        st.n++;
        st.maxMs = Math.max(st.maxMs, ms);
        if (large) st.maxHeapMB = Math.max(st.maxHeapMB, lastHeapMB);
        st.maxBytes = Math.max(st.maxBytes, bytes);
        total++;
        // Honest deliveries keep arriving between hostile ones.
        if (total % 500 === 0) await honestBatch(8 + total / 500);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const rssMB = (process.resourceUsage().maxRSS - rss0) / 1024;

    // Alive, and the fleet is valid: every series checks, no sketch below the minimum scale.
    const metrics = await http(`${srv.url}/metrics`);
    expect(metrics.status).toBe(200);
    for (const s of receiver.aggregate()) {
      checkSummary(s);
      for (const h of [s.latency, s.confidence, s.feedbackDelay]) expect(h.relativeError).toBeLessThanOrEqual(relativeErrorAtScale(3));
    }
    // The honest devices' series are exactly the merge of what they sent.
    const mine = receiver.aggregate().filter((s) => s.model === 'honest');
    for (const a of mine) {
      const expected = mergeAll(honest.filter((s) => s.segment === a.segment));
      expect([a.count, a.labeled, a.confusion]).toEqual([expected.count, expected.labeled, expected.confusion]);
    }
    expect(mine.length).toBeGreaterThan(0);
    // Every 4xx class was reached.
    const seen = new Set(Object.values(stats).flatMap((s) => Object.keys(s.statuses)));
    for (const s of ['200', '400', '413', '429']) expect(seen).toContain(s);
    expect(stats['largest valid']!.accepted).toBe(3 * 500);
    for (const [name, st] of Object.entries(stats)) {
      expect(st.maxMs, name).toBeLessThan(5000);
      expect(st.maxHeapMB, name).toBeLessThan(300);
    }
    await srv.close();

    // What was acknowledged survives a restart.
    const before = receiver.aggregate().map((s) => JSON.stringify(summaryToJSON(s))).sort();
    const again = await createReceiver({ dir });
    expect(again.aggregate().map((s) => JSON.stringify(summaryToJSON(s))).sort()).toEqual(before);

    const rows = Object.entries(stats).map(([name, s]) =>
      `  ${name.padEnd(16)} ${String(s.n).padStart(5)}  max ${(s.maxBytes / MiB).toFixed(2).padStart(6)} MiB  max ${s.maxMs.toFixed(0).padStart(5)} ms  max heap +${s.maxHeapMB.toFixed(0).padStart(4)} MB  ${JSON.stringify(s.statuses)} accepted ${s.accepted}`);
    console.log(`[receiver] fuzz: ${total} bodies in ${seconds.toFixed(1)} s, peak RSS +${rssMB.toFixed(0)} MB, ${receiver.series} series, ${receiver.devices} devices\n${rows.join('\n')}`);
  });
});
