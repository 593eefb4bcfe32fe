// The degradation, trend and dashboard rules of the spec chapter, as pure functions.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlertLatch, dashboardStatus, detectDegradation, detectTrends, init, InputError, createMonitor } from '../../../src/index.js';

beforeAll(async () => {
  await init();
});

// The spec chapter's _check_degradation, transcribed as an oracle.
function specCheck(metric: string, current: number, baseline: number): 'warning' | 'critical' | undefined {
  const rel = (current - baseline) / (Math.abs(baseline) + 1e-10);
  const lower = ['accuracy', 'precision', 'recall', 'f1', 'auc_roc', 'r2_score'];
  const higher = ['mae', 'mse', 'rmse', 'mape', 'latency', 'error_rate'];
  if (lower.includes(metric) && rel < -0.05) return rel < -0.1 ? 'critical' : 'warning';
  if (higher.includes(metric) && rel > 0.1) return rel > 0.2 ? 'critical' : 'warning';
  return undefined;
}
const ALIASES: Record<string, string> = { accuracy: 'accuracy', precision: 'precision', f1Score: 'f1', aucRoc: 'auc_roc', r2Score: 'r2_score', mae: 'mae', rmse: 'rmse', mape: 'mape', errorRate: 'error_rate' };

describe('detectDegradation', () => {
  it('agrees with the spec chapter on random values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(ALIASES)), fc.double({ min: 0.01, max: 100, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), (metric, base, change) => {
        const current = base * (1 + change);
        const got = detectDegradation({ [metric]: current }, { [metric]: base });
        expect(got[0]?.severity).toBe(specCheck(ALIASES[metric]!, current, base));
      }),
    );
  });

  it('waits for minimum history, skips zero baselines and undirected metrics', () => {
    expect(detectDegradation({ accuracy: 0.5 }, { accuracy: 0.9 }, { history: 50, minHistory: 100 })).toEqual([]);
    expect(detectDegradation({ accuracy: 0.5 }, { accuracy: 0.9 }, { history: 100, minHistory: 100 })).toHaveLength(1);
    expect(detectDegradation({ accuracy: 0.5 }, { accuracy: 0 })).toEqual([]);
    expect(detectDegradation({ total: 5 }, { total: 100 })).toEqual([]);
    const [f] = detectDegradation({ latencyP99: 300 }, { latencyP99: 200 });
    expect(f).toMatchObject({ metric: 'latencyP99', direction: 'higher-is-worse', severity: 'critical' });
    expect(f!.changePct).toBeCloseTo(50, 6);
  });

  it('thresholds are configurable', () => {
    const t = { lowerIsWorse: { warning: 0.01, critical: 0.02 }, higherIsWorse: { warning: 0.5, critical: 1 } };
    expect(detectDegradation({ accuracy: 0.97 }, { accuracy: 1 }, { thresholds: t })[0]!.severity).toBe('critical');
    expect(detectDegradation({ mae: 1.4 }, { mae: 1 }, { thresholds: t })).toEqual([]);
  });
});

describe('dashboardStatus', () => {
  it('follows the spec table, coverage included', () => {
    const s = dashboardStatus({ coverage: 0.85, precision: 0.87, latencyP50: 120, latencyP99: 150, accuracy: 0.86 }, undefined, { accuracy: 0.9 });
    expect(s.rows['coverage']!.status).toBe('good');
    expect(s.rows['precision']!.status).toBe('warning');
    expect(s.rows['latencyP50']!.status).toBe('critical');
    expect(s.rows['latencyP99']!.status).toBe('good');
    expect(s.rows['accuracy']!.status).toBe('warning'); // -4.4 %
    expect(s.overall).toBe('critical');
    expect(dashboardStatus({ coverage: 0.6 }).rows['coverage']!.status).toBe('warning');
    expect(dashboardStatus({ coverage: 0.4 }).rows['coverage']!.status).toBe('critical');
    expect(dashboardStatus({ accuracy: 0.9 }).rows['accuracy']!.status).toBe('no_data');
  });
});

describe('detectTrends', () => {
  it('reports declining for a falling accuracy and a rising error, with p-values', () => {
    const acc = [0.9, 0.91, 0.9, 0.82, 0.76, 0.75, 0.74].map((v) => ({ accuracy: v, mae: 2 - v }));
    const t = detectTrends(acc);
    const a = t.find((x) => x.metric === 'accuracy')!;
    const m = t.find((x) => x.metric === 'mae')!;
    expect(a.health).toBe('declining');
    expect(m.health).toBe('declining');
    expect(m.slope).toBeGreaterThan(0);
    expect(a.significant).toBe(true);
    expect(detectTrends([{ accuracy: 1 }, { accuracy: 0.5 }])).toEqual([]);
  });
});

describe('AlertLatch', () => {
  it('raises once per metric and severity until it clears', () => {
    const l = new AlertLatch();
    expect(l.update(['accuracy:warning']).raised).toEqual(['accuracy:warning']);
    expect(l.update(['accuracy:warning']).raised).toEqual([]);
    expect(l.update(['accuracy:critical']).raised).toEqual(['accuracy:critical']);
    expect(l.update(['accuracy:critical']).raised).toEqual([]);
    expect(l.update([]).cleared.sort()).toEqual(['accuracy:critical', 'accuracy:warning']);
    expect(l.update(['accuracy:critical']).raised).toEqual(['accuracy:critical']);
  });
});

describe('createMonitor options', () => {
  it('rejects bad options before anything starts, naming the option', async () => {
    const bad: [object, RegExp][] = [
      [{ task: 'binary' }, /model/],
      [{ task: 'x', model: 'm' }, /task/],
      [{ task: 'binary', model: 'm', latencyWindow: 1.5 }, /latencyWindow/],
      [{ task: 'binary', model: 'm', classes: 3 }, /classes/],
      [{ task: 'binary', model: 'm', alpha: 2 }, /alpha/],
      [{ task: 'binary', model: 'm', baseline: { accuracy: NaN } }, /baseline.accuracy/],
      [{ task: 'binary', model: 'm', status: { precision: { good: 0.5, critical: 0.9 } } }, /status.precision/],
    ];
    for (const [o, re] of bad) {
      const e = await createMonitor(o as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).code).toBe('INVALID_OPTION');
      expect(String((e as Error).message)).toMatch(re);
    }
  });
});
