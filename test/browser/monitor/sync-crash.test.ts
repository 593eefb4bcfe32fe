// The crash window of a window close, in Chromium against the loopback
// receiver's Pushgateway and OTLP stand-ins (receiver.setup.ts): the page
// dies right after the closed window's summaries reach the IndexedDB outbox.
// 'prometheus' and 'otlp' send the device's cumulative totals, so a window
// queued again after the restart would be counted twice; the summaries and
// the cursor past them must have committed together. Also: the cursor and
// device id an earlier version kept as summary records are still honoured.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { init, openStore, summarize } from '../../../src/index.js';
import type { OutboxCommit, Store, Summary } from '../../../src/index.js';
import { startSync } from '../../../src/worker/sync.js';
import type { SyncConfig } from '../../../src/worker/protocol.js';
import { drop, freshName, predictions, rng } from '../store/helpers.js';
import type { Pushes } from './receiver.setup.js';

const base = inject('syncReceiver');
if (!base) throw new Error("no loopback receiver: the browser project needs globalSetup: ['test/browser/monitor/receiver.setup.ts'] in vite.config.ts");

/** One window spans the whole test run: the first cursor (the open window's start) lies before every row. */
const W = 1e12;
const N = 600;

beforeAll(async () => {
  await init();
});

/** The window summaries startSync asks for, built from the store's rows in [from, to). */
function summariesOf(store: Store, model: string) {
  return async (from: number, to: number): Promise<Summary[]> => {
    const chunks = await store.readChunks({ model, from, to });
    return chunks.flatMap((predictions) => summarize({ task: 'binary', predictions, window: { start: from, end: to } }));
  };
}

/**
 * Kills the "page" as soon as a transaction that queued outbox records has
 * committed: the connection closes, so nothing the sync code does after that
 * point reaches IndexedDB (a tab closed between two statements).
 */
function dieAfterQueueing(store: Store): void {
  const commit = store.commitOutbox.bind(store);
  store.commitOutbox = async (c: OutboxCommit) => {
    const seqs = await commit(c);
    if (c.add?.length) store.close();
    return seqs;
  };
}

/** predictions_total per segment in a Prometheus text body. */
function prometheusCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^modelwatch_predictions_total\{[^}]*segment="([^"]*)"[^}]*\} (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

interface OtlpBody {
  resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { attributes: { key: string; value: { stringValue?: string } }[]; asInt: string }[] } }[] }[] }[];
}

/** modelwatch.predictions per segment in an OTLP JSON body. */
function otlpCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const body = JSON.parse(text) as OtlpBody;
  for (const rm of body.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics.filter((x) => x.name === 'modelwatch.predictions')) {
        for (const p of m.sum!.dataPoints) {
          const seg = p.attributes.find((a) => a.key === 'modelwatch.segment')?.value.stringValue ?? '';
          out[seg] = (out[seg] ?? 0) + Number(p.asInt);
        }
      }
    }
  }
  return out;
}

describe.each(['prometheus', 'otlp'] as const)('a crash right after a window is queued (%s)', (format) => {
  const dbName = freshName(`sync-crash-${format}`);
  const model = `crash-${format}`;
  const deviceId = `crash-${format}-${Math.random().toString(36).slice(2)}`;
  const path = format === 'prometheus' ? `/metrics/job/modelwatch/device/${deviceId}` : `/otlp/${deviceId}/v1/metrics`;
  const config = (online: boolean): SyncConfig => ({
    endpoint: format === 'prometheus' ? base : `${base}${path}`,
    format, deviceId, headers: {}, intervalMs: 600_000, windowMs: W, graceMs: 60_000, online, backoffBaseMs: 600_000,
  });
  const pushed = async (): Promise<Pushes[string] | undefined> => {
    const all = (await (await fetch(`${base}/ctl/pushes`)).json()) as Pushes;
    if (format === 'otlp') return all[path];
    // One Pushgateway group per series under the device's path: their last bodies together are the device's state.
    const groups = Object.entries(all).filter(([p]) => p.startsWith(`${path}/`));
    return groups.length ? { requests: groups.reduce((t, [, g]) => t + g.requests, 0), last: groups.map(([, g]) => g.last).join('') } : undefined;
  };

  afterAll(async () => {
    await drop(dbName);
  });

  it('does not queue or count the window again after the restart', async () => {
    // Rows logged in the open window, segments '' / 'web' / 'mobile' at random.
    const now = Date.now();
    const batch = predictions(Array.from({ length: N }, (_, i) => i + 1), (i) => now - i, rng(7), model);
    const expected: Record<string, number> = {};
    for (let i = 0; i < N; i++) {
      const seg = batch.segments[batch.segment[i]!]!;
      expected[seg] = (expected[seg] ?? 0) + 1;
    }
    const upTo = now + 1;

    // Session 1, offline: the window closes and the page dies right after the outbox write.
    const s1 = await openStore({ name: dbName });
    await s1.putPredictions(batch);
    const b1 = await startSync(s1, { dbName, model }, config(false), summariesOf(s1, model));
    dieAfterQueueing(s1);
    await b1.close(upTo).catch(() => undefined); // whatever ran after the commit failed on the dead connection
    await b1.stop();
    expect(s1.isClosed).toBe(true);

    // Session 2, online: the window is in the outbox once and is not closed again.
    const s2 = await openStore({ name: dbName });
    const b2 = await startSync(s2, { dbName, model }, config(true), summariesOf(s2, model));
    const r = await b2.syncNow(upTo);
    expect(r.enqueued).toBe(0);
    expect(r).toMatchObject({ pending: 0 });
    expect(r.delivered).toBe(Object.keys(expected).length);
    const got = await pushed();
    expect(got?.requests).toBeGreaterThan(0);
    const counts = format === 'prometheus' ? prometheusCounts(got!.last) : otlpCounts(got!.last);
    expect(counts).toEqual(expected);

    // A later session pushes the same totals: nothing new, nothing twice.
    await b2.stop();
    s2.close();
    const s3 = await openStore({ name: dbName });
    const b3 = await startSync(s3, { dbName, model }, config(true), summariesOf(s3, model));
    expect(await b3.syncNow(upTo + 1000)).toMatchObject({ enqueued: 0, pending: 0 });
    await b3.stop();
    s3.close();
    expect(format === 'prometheus' ? prometheusCounts((await pushed())!.last) : otlpCounts((await pushed())!.last)).toEqual(expected);
  });
});

describe('sync state of a database of an earlier version', () => {
  it('resumes from the cursor and keeps the device id it stored as summary records', async () => {
    const dbName = freshName('sync-legacy');
    const model = 'legacy';
    const s = await openStore({ name: dbName });
    const cursor = Date.now() - 5 * 3_600_000;
    await s.putSummary({ model: `${model}\u0000sync`, version: '', windowStart: 0, windowMs: 0, data: { cursor } });
    await s.putSummary({ model: '\u0000modelwatch-device', version: '', windowStart: 0, windowMs: 0, data: { deviceId: 'old-device' } });
    const asked: [number, number][] = [];
    const sc: SyncConfig = { endpoint: base, format: 'prometheus', headers: {}, intervalMs: 600_000, windowMs: 3_600_000, graceMs: 60_000, online: false };
    const b = await startSync(s, { dbName, model }, sc, (from, to) => {
      asked.push([from, to]);
      return Promise.resolve([]);
    });
    expect(b.status().deviceId).toBe('old-device');
    const upTo = cursor + 3_600_000;
    await b.close(upTo);
    await b.close(upTo); // the cursor moved: nothing to close
    await b.stop();
    // The first close may also have come from the start-up tick; either way each window was asked for once.
    expect(asked.filter(([from]) => from === cursor)).toHaveLength(1);
    expect(asked.every(([from, to]) => from < to)).toBe(true);
    s.close();
    await drop(dbName);
  });
});
