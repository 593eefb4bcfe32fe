// Durability across a killed page, close(), errors across the worker, and the
// tasks beyond binary, in a Worker and in-thread (same API).
import { describe, expect, it } from 'vitest';
import { createMonitor, init, rankingMetrics, regressionMetrics, classificationMetrics, InputError, StateError } from '../../../src/index.js';
import { drop, freshName, rng } from '../store/helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 1);

describe('monitor lifecycle', () => {
  it('keeps everything logged before flush() resolved when the worker is killed, and reopens', async () => {
    const name = freshName('monitor-kill');
    const worker = new Worker(new URL('../../../src/worker/worker.ts', import.meta.url), { type: 'module' });
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker });
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) ids.push(m.logPrediction({ prediction: i % 2, score: 0.5, timestamp: T0 + i }));
    for (let i = 0; i < 100; i++) m.logLabel(ids[i]!, 1, T0 + 10_000);
    await m.flush();
    worker.terminate(); // the page is gone: no close(), no goodbye
    const again = await createMonitor({ task: 'binary', model: 'm', dbName: name });
    const r = await again.report({ from: T0, to: T0 + DAY });
    expect(r.total).toBe(5000);
    expect(r.labeled).toBe(100);
    // Ids after a reload never collide with the old ones.
    const id = again.logPrediction(1, 0.9, 3);
    expect(ids.includes(id)).toBe(false);
    await again.close();
    await drop(name);
  });

  it('close() flushes; logging after close throws a clear StateError', async () => {
    const name = freshName('monitor-close');
    const m = await createMonitor({ task: 'regression', model: 'm', dbName: name });
    m.logPrediction({ prediction: 2.5, timestamp: T0 });
    await m.close();
    expect(m.closed).toBe(true);
    expect(() => m.logPrediction(1)).toThrow(StateError);
    expect(() => m.logPrediction(1)).toThrow(/closed/);
    try {
      m.logLabel(1, 1);
    } catch (e) {
      expect((e as StateError).code).toBe('MONITOR_CLOSED');
    }
    await expect(m.flush()).rejects.toThrow(StateError);
    await m.close(); // idempotent
    const again = await createMonitor({ task: 'regression', model: 'm', dbName: name, worker: false });
    expect(again.mode).toBe('in-thread');
    expect((await again.report({ from: T0, to: T0 + 1 })).total).toBe(1);
    await again.close();
    await drop(name);
  });

  it('rejects bad rows on the main thread with typed errors; worker errors keep their code', async () => {
    const name = freshName('monitor-bad');
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name });
    expect(() => m.logPrediction(2)).toThrow(InputError);
    expect(() => m.logPrediction(1, 1.5)).toThrow(/score/);
    expect(() => m.logPrediction(1, 0.5, -1)).toThrow(/latencyMs/);
    expect(() => m.logLabel(1.5, 1)).toThrow(InputError);
    const err = await m.report({ from: 5, to: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const werr = await m.dailySeries({ from: 0, to: Number.MAX_VALUE }).catch((e: unknown) => e);
    expect(werr).toBeInstanceOf(Error);
    expect((werr as InputError).code).toBeTypeOf('string');
    await m.close();
    await drop(name);
  });

  it('validates options at creation', async () => {
    await expect(createMonitor({ task: 'clustering' as 'binary', model: 'm' })).rejects.toThrow(/task/);
    await expect(createMonitor({ task: 'binary', model: '' })).rejects.toThrow(/model/);
    await expect(createMonitor({ task: 'binary', model: 'm', sla: { p50Ms: -1 } })).rejects.toThrow(/sla.p50Ms/);
    await expect(createMonitor({ task: 'binary', model: 'm', thresholds: { lowerIsWorse: { warning: 0.2, critical: 0.1 } } })).rejects.toThrow(/thresholds/);
    await expect(createMonitor({ task: 'binary', model: 'm', batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  for (const worker of [true, false]) {
    it(`multiclass, regression and ranking reports equal [core] (${worker ? 'worker' : 'in-thread'})`, async () => {
      await init();
      const r = rng(11);
      const names = [freshName('mc'), freshName('rg'), freshName('rk')];
      const mc = await createMonitor({ task: 'multiclass', model: 'mc', dbName: names[0]!, classes: 3, worker });
      const rg = await createMonitor({ task: 'regression', model: 'rg', dbName: names[1]!, worker });
      const rk = await createMonitor({ task: 'ranking', model: 'rk', dbName: names[2]!, k: 3, worker });
      const yc: number[] = [], pc: number[] = [], yr: number[] = [], pr: number[] = [];
      const queries: { relevant: number[]; ranked: number[] }[] = [];
      for (let i = 0; i < 3000; i++) {
        const t = T0 + i * 1000;
        const y = Math.floor(r() * 3);
        const p = r() < 0.7 ? y : Math.floor(r() * 3);
        const scores = [0.2, 0.2, 0.2];
        scores[p] = 0.6;
        const id = mc.logPrediction({ prediction: p, scores, timestamp: t });
        if (i % 2 === 0) { mc.logLabel(id, y, t + 1); yc.push(y); pc.push(p); }
        const v = r() * 100 + 1;
        const e = v + (r() - 0.5) * 10;
        const id2 = rg.logPrediction({ prediction: e, timestamp: t, latencyMs: r() * 20 });
        if (i % 3 !== 0) { rg.logLabel(id2, v, t + 1); yr.push(v); pr.push(e); }
        if (i < 500) {
          const ranked = [1, 2, 3, 4, 5].sort(() => r() - 0.5);
          const id3 = rk.logPrediction({ ranked, timestamp: t });
          const relevant = [1, 2, 3, 4, 5, 6].filter(() => r() < 0.4);
          if (i % 2 === 1) { rk.logLabel(id3, relevant, t + 5); queries.push({ relevant, ranked }); }
        }
      }
      const q = { from: T0, to: T0 + DAY };
      const [a, b, c] = await Promise.all([mc.report(q), rg.report(q), rk.report(q)]);
      const wa = classificationMetrics(yc, pc);
      expect(a.labeled).toBe(yc.length);
      expect(a.classification!.f1Score).toBeCloseTo(wa.f1Score, 12);
      expect(a.classification!.confusionMatrix).toEqual(wa.confusionMatrix);
      const wb = regressionMetrics(yr, pr);
      for (const k of ['mae', 'rmse', 'r2Score', 'mape', 'medianError'] as const) expect(b.regression![k]).toBeCloseTo(wb[k], 9);
      const wc = rankingMetrics(queries, 3);
      expect(c.labeled).toBe(queries.length);
      for (const k of ['precisionAtK', 'recallAtK', 'ndcgAtK', 'mrr'] as const) expect(c.ranking![k]).toBeCloseTo(wc[k], 12);
      const live = await mc.live();
      expect(Object.values(live.counts['mc']!['1']!).reduce((x, y) => x + y, 0)).toBe(3000);
      await Promise.all([mc.close(), rg.close(), rk.close()]);
      await Promise.all(names.map(drop));
    });
  }
});
