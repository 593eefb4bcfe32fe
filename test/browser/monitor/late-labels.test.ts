// Late labels from a real monitor (IndexedDB, Worker and in-thread) to the
// loopback receiver (receiver.setup.ts): predictions are logged and their
// window is sent with the labels known then; labels arriving afterwards
// travel as corrections at the next syncNow, so the receiver's totals equal
// the device's own report. A label that replaces one already sent is kept
// locally and counted (lateLabels.superseded), never sent; nothing is sent
// twice.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMonitor, init } from '../../../src/index.js';
import type { Monitor, OtlpMetricsRequest } from '../../../src/index.js';
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
