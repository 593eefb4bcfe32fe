// A rejected call must leave nothing behind: no leaked WASM allocations and no
// state that changes the answer of the next valid call.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ModelwatchError, classificationMetrics, init, latencyStats, percentiles, rankingMetrics, regressionMetrics,
  regressionMetricsBySegment, rocCurve, thresholdMetrics,
} from '../../../src/index.js';
// Test-only window on linear memory, to see whether failing calls leak.
import { core } from '../../../src/core/wasm.js';
import * as o from '../../support/oracle.js';
import { close } from '../property/helpers.js';

beforeAll(() => init());

const N = 1000;
const ints = Array.from({ length: N }, (_, i) => i % 2);
const probs = Array.from({ length: N }, (_, i) => (i % 10) / 10);
const withLast = (xs: number[], v: number): number[] => [...xs.slice(0, -1), v];

/** Failing calls that fail late, after their inputs were copied into WASM memory. */
const failing: Array<() => unknown> = [
  () => classificationMetrics(ints, withLast(ints, NaN)),
  () => classificationMetrics(ints, withLast(ints, 0.5)),
  () => classificationMetrics(ints, ints, withLast(probs, 1.5)),
  () => classificationMetrics(ints, ints, withLast(probs, NaN)),
  () => classificationMetrics(Array.from({ length: 2000 }, (_, i) => i), Array.from({ length: 2000 }, (_, i) => i)),
  () => classificationMetrics(ints.map((x, i) => x + (i % 3)), ints, probs),
  () => thresholdMetrics(withLast(ints, 2), probs),
  () => thresholdMetrics(ints, probs, [0.5, NaN]),
  () => rocCurve(ints, withLast(probs, Infinity)),
  () => regressionMetrics(probs, withLast(probs, -Infinity)),
  () => regressionMetricsBySegment(probs, withLast(probs, NaN), ints),
  () => latencyStats(withLast(probs, -1)),
  () => percentiles(withLast(probs, NaN), [50]),
  () => rankingMetrics([{ relevant: [1], ranked: [1] }], 0),
];

function memoryBytes(): number {
  return core().memory.buffer.byteLength;
}

describe('after failing calls', () => {
  it('10,000 failing calls leak no WASM memory and later results stay right', () => {
    // Warm up: let the allocator reach its steady-state size for these shapes.
    for (const f of failing) expect(f).toThrow(ModelwatchError);
    const before = memoryBytes();
    for (let i = 0; i < 10_000; i++) {
      const f = failing[i % failing.length]!;
      try {
        f();
        expect.fail(`call ${i % failing.length} did not throw`);
      } catch (e) {
        if (!(e instanceof ModelwatchError)) throw e;
      }
    }
    // A leak of even one input column per call would be 10,000 x 8 KB = 80 MB.
    expect(memoryBytes() - before).toBeLessThanOrEqual(1 << 20);
    const r = classificationMetrics(ints, ints, probs);
    close(r.aucRoc, o.aucPairwise(ints, probs), 1e-12, 'aucRoc after failures');
    const v = Array.from({ length: 100_001 }, (_, i) => (i * 7919) % 1009);
    const e = o.latency(v);
    const s = latencyStats(v);
    expect([s.p50, s.p99, s.max]).toEqual([e.p[50], e.p[99], e.max]);
  });

  it('random interleavings of failing and valid calls always give the oracle\'s answer', () => {
    const valid = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 8 }).map((i) => i / 8)), { minLength: 1, maxLength: 30 });
    const step = fc.oneof(fc.integer({ min: 0, max: failing.length - 1 }).map((i) => ({ fail: i })), valid.map((rows) => ({ rows })));
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => {
      for (const st of steps) {
        if ('fail' in st) {
          expect(failing[st.fail]!).toThrow(ModelwatchError);
          continue;
        }
        const t = st.rows.map((r) => r[0]), p = st.rows.map((r) => r[1]), x = st.rows.map((r) => r[2]);
        expect(classificationMetrics(t, p).confusionMatrix).toEqual(o.classification(t, p).confusionMatrix);
        const reg = regressionMetrics(x, t);
        close(reg.mse, o.regression(x, t).mse, 1e-12, 'mse');
        expect(percentiles(x, [10, 50, 90])).toEqual(Float64Array.from([10, 50, 90].map((q) => o.percentile(x, q))));
      }
    }), { seed: 7, numRuns: 60 });
  });
});
