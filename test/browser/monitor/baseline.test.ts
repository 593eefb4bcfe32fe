// The monitor's baseline persists in the store's meta values, across a
// reopen, in a Worker and in-thread; a database of an earlier version, which
// kept it as a summary record of the pseudo-model '<model>\0baseline', keeps
// its baseline; a cleared baseline stays cleared.
import { beforeAll, describe, expect, it } from 'vitest';
import { createMonitor, init, openStore } from '../../../src/index.js';
import type { Monitor } from '../../../src/index.js';
import { drop, freshName, rng } from '../store/helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 1);
const window = { from: T0, to: T0 + DAY };

beforeAll(async () => {
  await init();
});

/** 400 labeled binary predictions on day T0, about 80 % right. */
async function logDay(m: Monitor): Promise<void> {
  const r = rng(11);
  for (let i = 0; i < 400; i++) {
    const p = r() < 0.5 ? 1 : 0;
    const id = m.logPrediction({ prediction: p, score: p ? 0.5 + 0.5 * r() : 0.5 * r(), latencyMs: 5, timestamp: T0 + i * 1000 });
    m.logLabel(id, r() < 0.8 ? p : 1 - p, T0 + i * 1000 + 10);
  }
  await m.flush();
}

describe.each([true, false])('baseline persistence (worker: %s)', (worker) => {
  it('captureBaseline survives a reopen; setBaseline(undefined) clears it for good', async () => {
    const dbName = freshName(`baseline-${worker}`);
    const open = (): Promise<Monitor> => createMonitor({ task: 'binary', model: 'm', version: 'v1', dbName, worker });
    let m = await open();
    await logDay(m);
    const captured = await m.captureBaseline(window);
    expect(captured.accuracy).toBe((await m.report(window)).values.accuracy);
    await m.close();

    m = await open();
    expect((await m.check(window)).baseline).toEqual(captured);
    await m.setBaseline(undefined);
    await m.close();

    m = await open();
    expect((await m.check(window)).baseline).toBeUndefined();
    await m.setBaseline({ accuracy: 0.5 });
    await m.close();

    m = await open();
    expect((await m.check(window)).baseline).toEqual({ accuracy: 0.5 });
    await m.close();
    await drop(dbName);
  });

  it('reads the baseline an earlier version stored as a summary record, and it stays cleared once cleared', async () => {
    const dbName = freshName(`baseline-legacy-${worker}`);
    const legacy = { accuracy: 0.93, f1Score: 0.9 };
    const s = await openStore({ name: dbName });
    await s.putSummary({ model: 'm\u0000baseline', version: 'v1', windowStart: 0, windowMs: 0, data: legacy });
    s.close();

    const open = (): Promise<Monitor> => createMonitor({ task: 'binary', model: 'm', version: 'v1', dbName, worker });
    let m = await open();
    await logDay(m);
    const r = await m.check(window);
    expect(r.baseline).toEqual(legacy);
    // The old record drives degradation as before: accuracy ~0.8 vs 0.93.
    expect(r.findings.map((f) => f.metric)).toContain('accuracy');
    await m.setBaseline(undefined);
    await m.close();

    m = await open();
    expect((await m.check(window)).baseline).toBeUndefined();
    await m.close();
    await drop(dbName);
  });
});
