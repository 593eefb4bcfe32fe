// Node (e.g. Electron's main process): no Worker, an injected IDBFactory;
// the same API runs in-thread.
import * as fake from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { classificationMetrics, createMonitor, init, StateError } from '../../../src/index.js';

const { IDBFactory } = fake;
// idb (under the store) checks `instanceof IDBRequest` etc. against globals,
// so Node needs the IDB interface classes as globals; the factory itself is
// injected (no global indexedDB is installed).
for (const k of ['IDBKeyRange', 'IDBRequest', 'IDBOpenDBRequest', 'IDBTransaction', 'IDBDatabase', 'IDBObjectStore', 'IDBIndex', 'IDBCursor', 'IDBCursorWithValue'] as const) {
  (globalThis as Record<string, unknown>)[k] ??= fake[k];
}

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 5, 1);

describe('createMonitor in Node with an injected IDBFactory', () => {
  it('logs, reports, alerts, survives a reopen and refuses use after close', async () => {
    await init();
    const factory = new IDBFactory();
    const m = await createMonitor({ task: 'binary', model: 'm', indexedDB: factory, baseline: { accuracy: 0.95 }, minHistory: 10 });
    expect(m.mode).toBe('in-thread');
    const y: number[] = [], p: number[] = [];
    const fired: string[] = [];
    m.on((e) => { if (e.type === 'alert') fired.push(`${e.alert.metric}:${e.alert.severity}`); });
    for (let i = 0; i < 1000; i++) {
      const pred = i % 4 === 0 ? 1 : 0;
      const id = m.logPrediction({ prediction: pred, score: pred ? 0.8 : 0.2, latencyMs: 3, timestamp: T0 + i * 1000 });
      if (i % 2 === 0) { const label = i % 8 === 0 ? 0 : pred; m.logLabel(id, label, T0 + i * 1000 + 10); y.push(label); p.push(pred); }
    }
    await m.flush();
    const r = await m.report('day', T0);
    expect(r.total).toBe(1000);
    expect(r.labeled).toBe(500);
    expect(r.classification!.accuracy).toBeCloseTo(classificationMetrics(y, p).accuracy, 12);
    const c1 = await m.check('day', { at: T0 });
    const c2 = await m.check('day', { at: T0 });
    expect(c1.alerts.map((a) => `${a.metric}:${a.severity}`)).toContain('accuracy:critical');
    expect(c2.alerts).toEqual([]);
    expect(fired.filter((k) => k === 'accuracy:critical')).toHaveLength(1);
    expect(c1.status.rows['coverage']!.status).toBe('warning');
    await m.close();
    expect(() => m.logPrediction(0)).toThrow(StateError);
    // Reopened: rows and the de-duplication state are still there.
    const again = await createMonitor({ task: 'binary', model: 'm', indexedDB: factory, baseline: { accuracy: 0.95 }, minHistory: 10 });
    expect((await again.report({ from: T0, to: T0 + DAY })).total).toBe(1000);
    expect((await again.check('day', { at: T0 })).alerts).toEqual([]);
    expect((await again.alerts()).filter((a) => a.metric === 'accuracy' && a.severity === 'critical')).toHaveLength(1);
    await again.close();
  });

  it('folds rows past retention into daily summaries', async () => {
    const factory = new IDBFactory();
    const m = await createMonitor({ task: 'regression', model: 'r', indexedDB: factory, retentionMs: DAY });
    for (let i = 0; i < 100; i++) {
      const id = m.logPrediction({ prediction: i, timestamp: T0 + i });
      m.logLabel(id, i + 1, T0 + i + 1);
    }
    const done = await m.compact(T0 + 3 * DAY);
    expect(done.rows).toBe(100);
    expect((await m.report({ from: T0, to: T0 + DAY })).total).toBe(0);
    await m.close();
  });
});
