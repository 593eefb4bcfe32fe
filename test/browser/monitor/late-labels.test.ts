// Late labels from a real monitor (IndexedDB, Worker and in-thread) to the
// loopback receiver (receiver.setup.ts): predictions are logged and their
// window is sent with the labels known then; labels arriving afterwards
// travel as corrections at the next syncNow, so the receiver's totals equal
// the device's own report. A label that replaces one already sent is kept
// locally and counted (lateLabels.superseded), never sent; nothing is sent
// twice.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMonitor, init, openStore, summarize } from '../../../src/index.js';
import type { Monitor, OtlpMetricsRequest, OutboxCommit, PredictionBatch, Store, Summary } from '../../../src/index.js';
import { startSync } from '../../../src/worker/sync.js';
import type { SyncBridge } from '../../../src/worker/sync.js';
import type { SyncConfig } from '../../../src/worker/protocol.js';
import { drop, freshName, rng } from '../store/helpers.js';
import type { Pushes, ReceiverState } from './receiver.setup.js';

const base = inject('syncReceiver');
if (!base) throw new Error("no loopback receiver: the browser project needs globalSetup: ['test/browser/monitor/receiver.setup.ts'] in vite.config.ts");

async function state(): Promise<ReceiverState> {
  return (await fetch(`${base}/ctl/state`)).json() as Promise<ReceiverState>;
}

/** The receiver's totals for one model: predictions, labels, correct ones. */
async function fleet(model: string): Promise<{ count: number; labeled: number; correct: number }> {
  const out = { count: 0, labeled: 0, correct: 0 };
  for (const s of (await state()).series.filter((x) => x.model === model)) {
    out.count += s.count;
    out.labeled += s.labeled;
    const c = s.confusion!;
    c.classes.forEach((_, i) => (out.correct += c.cells[i * c.classes.length + i]!));
  }
  return out;
}

beforeAll(async () => {
  await init();
});

describe.each([true, false])('late labels reach the fleet as corrections (worker: %s)', (worker) => {
  const dbName = freshName(`late-${worker}`);
  const model = `late-model-${worker ? 'worker' : 'thread'}`;
  let m: Monitor;

  beforeAll(async () => {
    // One window for the whole test (windows are aligned to the epoch; see sync.test.ts).
    m = await createMonitor({ task: 'binary', model, version: 'v1', dbName, worker, sync: { endpoint: `${base}/v1/summaries`, format: 'json', deviceId: `late-${worker}-${dbName}`, intervalMs: 60_000, windowMs: 1e12 } });
  });

  afterAll(async () => {
    await m.close();
    await drop(dbName);
  });

  it('labels that arrive after their window was sent are corrected at the next sync; replacing ones are counted, not sent', async () => {
    const r = rng(5);
    const rows: { id: number; p: number; first?: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const p = r() < 0.4 ? 1 : 0;
      const id = i % 3 === 0 ? m.logPrediction({ prediction: p, score: p ? 0.5 + 0.5 * r() : 0.5 * r(), latencyMs: 5, segment: 'mobile' }) : m.logPrediction(p, p ? 0.5 + 0.5 * r() : 0.5 * r(), 5);
      const row: { id: number; p: number; first?: number } = { id, p };
      if (i % 2 === 0) {
        row.first = r() < 0.8 ? p : 1 - p;
        m.logLabel(id, row.first);
      }
      rows.push(row);
    }
    const first = await m.syncNow();
    expect(first.enqueued).toBe(2); // the window, per segment
    expect(first.delivered).toBe(2);
    const atClose = await fleet(model);
    expect(atClose).toMatchObject({ count: 400, labeled: 200 });

    // After the window was sent: 120 first labels, and 30 labels replacing ones the fleet has.
    const unlabeled = rows.filter((x) => x.first === undefined).slice(0, 120);
    for (const x of unlabeled) {
      x.first = r() < 0.7 ? x.p : 1 - x.p;
      m.logLabel(x.id, x.first);
    }
    const replaced = rows.filter((x) => x.first !== undefined && !unlabeled.includes(x)).slice(0, 30);
    for (const x of replaced) m.logLabel(x.id, 1 - x.first!);
    await m.flush();
    // Not sent until the next sync: the fleet still has the labels at close.
    expect(await fleet(model)).toEqual(atClose);

    const second = await m.syncNow();
    expect(second.enqueued).toBe(2); // one correction per segment
    expect(second.pending).toBe(0);
    const status = await m.syncStatus();
    expect(status.lateLabels).toEqual({ corrected: 120, superseded: 30, notSent: 0 });

    // The fleet now has every prediction's first label: the device's own totals.
    const report = await m.report({ from: 0, to: Date.now() + 1 });
    const now = await fleet(model);
    expect(now.count).toBe(report.total);
    expect(now.labeled).toBe(report.labeled);
    expect(now.labeled).toBe(320);
    expect(now.correct).toBe(rows.filter((x) => x.first === x.p).length);
    // The device's report uses the replacing labels: the 30 are its only difference from the fleet.
    const localCorrect = rows.reduce((t, x) => t + (x.first === undefined ? 0 : (replaced.includes(x) ? 1 - x.first : x.first) === x.p ? 1 : 0), 0);
    expect(Math.round(report.classification!.accuracy * report.labeled)).toBe(localCorrect);

    // Nothing more to send, and nothing sent twice.
    const third = await m.syncNow();
    expect(third.enqueued).toBe(0);
    expect(await fleet(model)).toEqual(now);
  });

  it('a prediction logged into a window already sent (a backfill) is not sent, and neither is its label', async () => {
    const before = await fleet(model);
    const id = m.logPrediction({ prediction: 1, score: 0.9, latencyMs: 5, timestamp: Date.now() - 60_000 });
    await m.flush();
    m.logLabel(id, 1);
    const r = await m.syncNow();
    expect(r.enqueued).toBe(0);
    expect((await m.syncStatus()).lateLabels).toEqual({ corrected: 120, superseded: 30, notSent: 1 });
    expect(await fleet(model)).toEqual(before);
  });
});

describe.each([true, false])('late labels in cumulative pushes (otlp, worker: %s)', (worker) => {
  const dbName = freshName(`late-otlp-${worker}`);
  const path = `/late-otlp-${worker}-${dbName}/v1/metrics`;
  let m: Monitor;

  beforeAll(async () => {
    m = await createMonitor({ task: 'binary', model: 'late-otlp', version: 'v1', dbName, worker, sync: { endpoint: `${base}${path}`, format: 'otlp', deviceId: `late-otlp-${worker}`, intervalMs: 60_000, windowMs: 1e12 } });
  });

  afterAll(async () => {
    await m.close();
    await drop(dbName);
  });

  /** The last push's cumulative totals of one metric, summed over segments. */
  async function pushed(metric: string): Promise<number> {
    const last = ((await (await fetch(`${base}/ctl/pushes`)).json()) as Pushes)[path]!.last;
    const points = (JSON.parse(last) as OtlpMetricsRequest).resourceMetrics.flatMap((rm) => rm.scopeMetrics[0]!.metrics.filter((x) => x.name === metric).flatMap((x) => x.sum!.dataPoints));
    return points.reduce((t, p) => t + Number((p as { asInt: string }).asInt), 0);
  }

  it('the next push after late labels carries the corrected totals', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) {
      ids.push(m.logPrediction(i % 2, i % 2 ? 0.8 : 0.2, 4));
      if (i < 100) m.logLabel(ids[i]!, i % 2);
    }
    await m.syncNow();
    expect([await pushed('modelwatch.predictions'), await pushed('modelwatch.labeled')]).toEqual([200, 100]);
    // 50 labels after the window was pushed; half of them say the prediction was wrong.
    for (let i = 100; i < 150; i++) m.logLabel(ids[i]!, i % 4 < 2 ? i % 2 : 1 - (i % 2));
    await m.syncNow();
    const report = await m.report({ from: 0, to: Date.now() + 1 });
    expect([await pushed('modelwatch.predictions'), await pushed('modelwatch.labeled')]).toEqual([report.total, report.labeled]);
    expect(report.labeled).toBe(150);
    expect(await pushed('modelwatch.correct')).toBe(Math.round(report.classification!.accuracy * 150));
    expect((await m.syncStatus()).lateLabels).toEqual({ corrected: 50, superseded: 0, notSent: 0 });
  });
});

describe('late labels survive crashes (the bridge on a real IndexedDB store)', () => {
  /** One window spans the test (see sync.test.ts). */
  const W = 1e12;
  const config = (online: boolean, deviceId: string): SyncConfig => ({
    endpoint: `${base}/v1/summaries`, format: 'json', deviceId, headers: {}, intervalMs: 600_000, windowMs: W, graceMs: 60_000, online, backoffBaseMs: 600_000,
  });
  function predictions(model: string, n: number, at: number): PredictionBatch {
    return {
      model, version: 'v1', segments: [''], id: Float64Array.from({ length: n }, (_, i) => i + 1), timestamp: new Float64Array(n).fill(at),
      prediction: Float64Array.from({ length: n }, (_, i) => i % 2), score: Float64Array.from({ length: n }, (_, i) => (i % 2 ? 0.9 : 0.1)),
      latencyMs: new Float64Array(n).fill(4), segment: new Uint16Array(n),
    };
  }
  /** Window summaries with the labels stored by now (as the engine builds them). */
  function summariesOf(store: () => Store, model: string) {
    return async (from: number, to: number): Promise<Summary[]> => {
      const lab = await store().readLabeled({ model, from, to, withChunks: true });
      const byId = new Map(Array.from(lab.id, (id, i) => [id, i]));
      return lab.chunks!.flatMap((ch) => {
        const labels = Float64Array.from(ch.id, (id) => (byId.has(id) ? lab.label[byId.get(id)!]! : NaN));
        return summarize({ task: 'binary', predictions: ch, labels, window: { start: from, end: to } });
      });
    };
  }
  const labels = (ids: number[], at: number): { id: Float64Array; label: Float64Array; labeledAt: Float64Array } =>
    ({ id: Float64Array.from(ids), label: Float64Array.from(ids, (id) => id % 3 === 0 ? 1 : 0), labeledAt: new Float64Array(ids.length).fill(at) });
  /** Writes a label batch through the bridge, as the engine does: intent, then the labels. */
  const logLabels = (b: SyncBridge, s: Store, batch: ReturnType<typeof labels>, write = true): Promise<void> =>
    b.labels(batch, async (intent) => {
      await intent();
      if (write) await s.putLabels(batch);
    });

  it("a crash between a label's intent and its write, and a crash right after the close that queued the correction: each late label counted once", async () => {
    const dbName = freshName('late-crash');
    const model = `late-crash-${Math.random().toString(36).slice(2)}`;
    const deviceId = `${model}-device`;
    const now = Date.now();
    const upTo = now + 1;

    // Session 1, offline: 40 predictions, 10 labeled; the window closes (queued, not sent).
    let s1 = await openStore({ name: dbName });
    await s1.putPredictions(predictions(model, 40, now - 10));
    await s1.putLabels(labels([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], now));
    const b1 = await startSync(s1, { dbName, model, task: 'binary', retentionMs: 30 * 86_400_000 }, config(false, deviceId), summariesOf(() => s1, model));
    expect(await b1.close(upTo)).toBe(1);
    // Late: 6 first labels written; 3 more recorded whose write never happened (the page died
    // between the two): they must not be sent; one replacing label of an id labeled at close.
    await logLabels(b1, s1, labels([11, 12, 13, 14, 15, 16], now + 5));
    await logLabels(b1, s1, labels([17, 18, 19], now + 6), false);
    await logLabels(b1, s1, { ...labels([2], now + 7), label: Float64Array.of(1) });
    // The close that queues the correction commits, and the page dies right after.
    const commit = s1.commitOutbox.bind(s1);
    let crashed = false;
    s1.commitOutbox = async (c: OutboxCommit) => {
      const seqs = await commit(c);
      if (c.meta && Object.keys(c.meta).some((k) => k.includes('syncLate'))) {
        crashed = true;
        s1.close();
      }
      return seqs;
    };
    await b1.close(upTo + 1).catch(() => undefined);
    await b1.stop();
    expect(crashed).toBe(true);
    const lateStats = (b1.status().lateLabels);
    expect(lateStats).toEqual({ corrected: 6, superseded: 1, notSent: 0 });

    // Session 2, online: the window and its correction are in the outbox once; nothing is resolved again.
    s1 = await openStore({ name: dbName });
    const b2 = await startSync(s1, { dbName, model, task: 'binary', retentionMs: 30 * 86_400_000 }, config(true, deviceId), summariesOf(() => s1, model));
    expect(b2.status().lateLabels).toEqual(lateStats);
    const r = await b2.syncNow(upTo + 2);
    expect(r).toMatchObject({ enqueued: 0, pending: 0 });
    const series = (await state()).series.filter((x) => x.model === model);
    expect(series.map((x) => [x.count, x.labeled])).toEqual([[40, 16]]);
    // The intents were cleared with the commit: another close sends nothing.
    expect((await b2.syncNow(upTo + 3)).enqueued).toBe(0);
    expect(b2.status().lateLabels).toEqual(lateStats);
    await b2.stop();
    s1.close();
    await drop(dbName);
  });

  it('a crash before the close: the recorded late labels are corrected by the next session', async () => {
    const dbName = freshName('late-crash2');
    const model = `late-crash2-${Math.random().toString(36).slice(2)}`;
    const deviceId = `${model}-device`;
    const now = Date.now();
    let s = await openStore({ name: dbName });
    await s.putPredictions(predictions(model, 30, now - 10));
    const b1 = await startSync(s, { dbName, model, task: 'binary', retentionMs: 30 * 86_400_000 }, config(true, deviceId), summariesOf(() => s, model));
    expect((await b1.syncNow(now + 1)).delivered).toBe(1);
    await logLabels(b1, s, labels([3, 4, 5, 6], now + 5));
    // The page dies before any close.
    await b1.stop();
    s.close();
    s = await openStore({ name: dbName });
    const b2 = await startSync(s, { dbName, model, task: 'binary', retentionMs: 30 * 86_400_000 }, config(true, deviceId), summariesOf(() => s, model));
    // The new session's first close (its start-up tick, or this syncNow: whichever takes the lock first) corrects.
    const r = await b2.syncNow(now + 2);
    expect(r.pending).toBe(0);
    expect((await state()).series.filter((x) => x.model === model).map((x) => [x.count, x.labeled])).toEqual([[30, 4]]);
    expect(b2.status().lateLabels).toEqual({ corrected: 4, superseded: 0, notSent: 0 });
    await b2.stop();
    s.close();
    await drop(dbName);
  });
});
