// Input checks of the hot path (issue #10, item 6): NaN is not "missing".
// A score or latency that is NaN, null, a string or out of range throws an
// InputError naming it, and nothing of that call is logged; a missing value
// is an omitted one, and reports count the rows without a score.
import { describe, expect, it } from 'vitest';
import { createMonitor, InputError } from '../../../src/index.js';
import type { Monitor } from '../../../src/index.js';
import { drop, freshName } from '../store/helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 5, 1);

function rejects(call: () => unknown, code: string, argument: string): void {
  let thrown: unknown;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${argument} should throw ${code}`).toBeInstanceOf(InputError);
  expect((thrown as InputError).code).toBe(code);
  expect((thrown as InputError).argument).toBe(argument);
}

describe.each([true, false])('monitor input (worker: %s)', (worker) => {
  it('rejects a NaN, null, string or out-of-range score or latency with a typed InputError, positional and object form', async () => {
    const name = freshName('input');
    const m: Monitor = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker });
    const bad = <T>(v: unknown) => v as T;
    rejects(() => m.logPrediction(1, NaN, 5), 'NON_FINITE', 'score');
    rejects(() => m.logPrediction({ prediction: 1, score: NaN }), 'NON_FINITE', 'score');
    rejects(() => m.logPrediction(1, bad<number>(null)), 'NOT_NUMERIC', 'score');
    rejects(() => m.logPrediction({ prediction: 1, score: bad<number>('0.5') }), 'NOT_NUMERIC', 'score');
    rejects(() => m.logPrediction(1, 1.5), 'PROBABILITY_OUT_OF_RANGE', 'score');
    rejects(() => m.logPrediction(1, 0.5, NaN), 'NON_FINITE', 'latencyMs');
    rejects(() => m.logPrediction(1, 0.5, Infinity), 'NON_FINITE', 'latencyMs');
    rejects(() => m.logPrediction({ prediction: 1, latencyMs: NaN }), 'NON_FINITE', 'latencyMs');
    rejects(() => m.logPrediction({ prediction: 1, latencyMs: bad<number>(null) }), 'NOT_NUMERIC', 'latencyMs');
    rejects(() => m.logPrediction(1, 0.5, -1), 'NEGATIVE_VALUE', 'latencyMs');
    rejects(() => m.logPrediction(NaN, 0.5), 'NOT_BINARY', 'prediction');
    rejects(() => m.logPrediction({ prediction: 1, timestamp: NaN }), 'NON_FINITE', 'timestamp');
    // The message says how to log a row without a score.
    expect(() => m.logPrediction(1, NaN)).toThrow(/Leave it out/);

    // Omitted is missing: those rows are logged, and reports say how many have a score.
    const ids = [
      m.logPrediction({ prediction: 1, score: 0.9, latencyMs: 4, timestamp: T0 }),
      m.logPrediction({ prediction: 0, timestamp: T0 + 1 }),
      m.logPrediction({ prediction: 1, score: undefined, latencyMs: undefined, timestamp: T0 + 2 }),
    ];
    for (const id of ids) m.logLabel(id, 1, T0 + 10);
    const r = await m.report({ from: T0, to: T0 + DAY });
    // Only the three good rows were logged: every rejected call left nothing behind.
    expect(r.total).toBe(3);
    expect(r.labeled).toBe(3);
    expect(r.scoredRows).toBe(1);
    expect(r.latency?.count).toBe(1);
    await m.close();
    await drop(name);
  });

  it('rejects NaN in a multiclass probability vector and a NaN regression label', async () => {
    const names = [freshName('input-mc'), freshName('input-rg')];
    const mc = await createMonitor({ task: 'multiclass', model: 'mc', dbName: names[0]!, classes: 3, worker });
    rejects(() => mc.logPrediction({ prediction: 0, scores: [0.5, NaN, 0.5] }), 'NON_FINITE', 'scores[1]');
    rejects(() => mc.logPrediction({ prediction: 0, scores: [0.5, 0.5, 2] }), 'PROBABILITY_OUT_OF_RANGE', 'scores[2]');
    const rg = await createMonitor({ task: 'regression', model: 'rg', dbName: names[1]!, worker });
    const id = rg.logPrediction(2.5);
    rejects(() => rg.logLabel(id, NaN), 'NON_FINITE', 'truth');
    rejects(() => rg.logPrediction(NaN), 'NON_FINITE', 'prediction');
    await Promise.all([mc.close(), rg.close()]);
    await Promise.all(names.map(drop));
  });
});
