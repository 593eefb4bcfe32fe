// Before init() every kernel-backed function throws a StateError; a failed
// load is a ModelwatchError that allows a retry. This file must not import
// anything that calls init() at load time: it relies on a fresh module per file.
import { describe, expect, it } from 'vitest';
import {
  ModelwatchError, StateError, classificationMetrics, init, isInitialized, latencySla, latencyStats, linearTrend,
  ndcgAtK, percentiles, precisionAtK, precisionRecallCurve, rankingMetrics, recallAtK, reciprocalRank,
  regressionMetrics, regressionMetricsBySegment, rocCurve, scoreMetrics, thresholdMetrics,
} from '../../../src/index.js';
import { expectError, stillCorrect } from './expect-error.js';

const calls: Array<[string, () => unknown]> = [
  ['classificationMetrics', () => classificationMetrics([0, 1], [0, 1])],
  ['scoreMetrics', () => scoreMetrics([0, 1], [0.2, 0.8])],
  ['thresholdMetrics', () => thresholdMetrics([0, 1], [0.2, 0.8])],
  ['rocCurve', () => rocCurve([0, 1], [0.2, 0.8])],
  ['precisionRecallCurve', () => precisionRecallCurve([0, 1], [0.2, 0.8])],
  ['regressionMetrics', () => regressionMetrics([1, 2], [1, 3])],
  ['regressionMetricsBySegment', () => regressionMetricsBySegment([1, 2], [1, 3], ['a', 'b'])],
  ['latencyStats', () => latencyStats([1, 2])],
  ['latencySla', () => latencySla([1, 2])],
  ['percentiles', () => percentiles([1, 2], [50])],
  ['linearTrend', () => linearTrend([1, 2, 4])],
  ['precisionAtK', () => precisionAtK([1], [1], 1)],
  ['recallAtK', () => recallAtK([1], [1], 1)],
  ['ndcgAtK', () => ndcgAtK([1], [1], 1)],
  ['reciprocalRank', () => reciprocalRank([1], [1])],
  ['rankingMetrics', () => rankingMetrics([{ relevant: [1], ranked: [1] }], 1)],
];

describe('before init()', () => {
  it('the module is not initialized in this file', () => {
    expect(isInitialized()).toBe(false);
  });

  it.each(calls)('%s throws StateError NOT_INITIALIZED', (_name, call) => {
    expectError(call, { cls: StateError, code: 'NOT_INITIALIZED', argument: 'init()', canary: false });
  });

  it('a failed load rejects with WASM_LOAD_FAILED and allows a retry', async () => {
    const error = await init(new Uint8Array([0, 1, 2, 3])).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModelwatchError);
    const e = error as ModelwatchError;
    expect(e.name).toBe('ModelwatchError');
    expect(e.code).toBe('WASM_LOAD_FAILED');
    expect(e.message).toMatch(/WebAssembly/);
    expect(JSON.parse(JSON.stringify({ name: e.name, code: e.code }))).toEqual({ name: 'ModelwatchError', code: 'WASM_LOAD_FAILED' });
    expect(isInitialized()).toBe(false);
    await init();
    expect(isInitialized()).toBe(true);
    stillCorrect();
    for (const [, call] of calls) expect(call).not.toThrow();
  });
});
