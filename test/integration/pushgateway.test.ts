// 20 simulated devices push their summaries through SyncEngine to a real
// Pushgateway; a real Prometheus scrapes it; PromQL must give the fleet's
// totals exactly and latency quantiles within the stated bounds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, LATENCY_BUCKETS_S, MemoryOutbox, mergeAll, percentiles, SyncEngine } from '../../src/index.js';
import type { Summary } from '../../src/index.js';
import { deviceRows, deviceSummaries } from '../shared/sync/fixtures.js';
import { promQuery, startServers } from './support/servers.js';
import type { Servers } from './support/servers.js';

const DEVICES = 20;
const WINDOWS = 3;
let servers: Servers;

beforeAll(async () => {
  await init();
  servers = await startServers();
}, 60_000);

afterAll(async () => {
  await servers?.stop();
});

/** Polls a query until it returns a single value equal to `want` (Prometheus scrapes every second). */
async function waitFor(query: string, want: number, timeoutMs = 30_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let last = NaN;
  while (Date.now() < until) {
    const r = await promQuery(servers.prometheus, query);
    last = r.length === 1 ? r[0]!.value : NaN;
    if (last === want) return last;
    await new Promise((res) => setTimeout(res, 250));
  }
  return last;
}

/** histogram_quantile's linear interpolation over classic buckets, from raw values (the bucket-width bound's reference). */
function classicQuantile(values: number[], bounds: readonly number[], q: number): number {
  const counts = bounds.map((b) => values.filter((v) => v <= b).length);
  const n = values.length;
  const rank = q * n;
  const i = counts.findIndex((c) => c >= rank);
  if (i < 0) return bounds[bounds.length - 1]!; // in +Inf: Prometheus answers the top finite bound
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : counts[i - 1]!;
  return lower + ((bounds[i]! - lower) * (rank - below)) / (counts[i]! - below);
}

describe('Pushgateway + Prometheus, 20 devices', () => {
  it('PromQL returns the fleet totals exactly and latency quantiles within the bounds', async () => {
    const all: Summary[] = [];
    const latencies: number[] = [];
    let predictions = 0;
    let labeled = 0;
    let correct = 0;
    let pushes = 0;
    for (let d = 0; d < DEVICES; d++) {
      const engine = new SyncEngine(new MemoryOutbox(), {
        endpoint: servers.pushgateway,
        format: 'prometheus',
        deviceId: `device-${String(d).padStart(2, '0')}`,
        events: null,
        locks: null,
        onEvent: (e) => {
          if (e.type === 'delivered') pushes++;
        },
      });
      for (let w = 0; w < WINDOWS; w++) {
        const n = 150 + 37 * d + 11 * w;
        const rows = deviceRows(d, w, n);
        const sums = deviceSummaries(d, w, n);
        all.push(...sums);
        predictions += n;
        latencies.push(...rows.latencyMs);
        rows.label.forEach((y, i) => {
          if (Number.isNaN(y)) return;
          labeled++;
          if (y === rows.prediction[i]) correct++;
        });
        await engine.add(sums);
        // Every device pushes after each window: each push carries its cumulative state.
        const r = await engine.flush();
        expect(r).toMatchObject({ pending: 0 });
      }
    }
    expect(pushes).toBe(DEVICES * WINDOWS);

    expect(await waitFor('count(count by (device) (modelwatch_predictions_total{job="modelwatch"}))', DEVICES)).toBe(DEVICES);
    expect(await waitFor('sum(modelwatch_predictions_total)', predictions)).toBe(predictions);
    expect(await waitFor('sum(modelwatch_labeled_total)', labeled)).toBe(labeled);
    expect(await waitFor('sum(modelwatch_correct_total)', correct)).toBe(correct);
    expect(await waitFor('sum(modelwatch_latency_seconds_count)', latencies.length)).toBe(latencies.length);

    const sketch = mergeAll(all.map((s) => ({ ...s, segment: '' }))).latency;
    const exact = percentiles(Float64Array.from(latencies), [50, 90, 99]);
    const seconds = latencies.map((v) => v / 1000);
    for (const [i, q] of [0.5, 0.9, 0.99].entries()) {
      const [r] = await promQuery(servers.prometheus, `histogram_quantile(${q}, sum by (le) (modelwatch_latency_seconds_bucket))`);
      const promValue = r!.value;
      const truth = exact[i]! / 1000;
      // Classic buckets: Prometheus interpolates linearly inside the bucket holding the quantile,
      // so the error is bounded by that bucket's width (the bucket counts themselves are exact).
      const b = LATENCY_BUCKETS_S.findIndex((x) => x >= truth);
      const lo = b <= 0 ? 0 : LATENCY_BUCKETS_S[b - 1]!;
      const hi = LATENCY_BUCKETS_S[b]!;
      expect(promValue).toBeGreaterThanOrEqual(lo);
      expect(promValue).toBeLessThanOrEqual(hi);
      expect(Math.abs(promValue - truth)).toBeLessThanOrEqual(hi - lo);
      // And it is exactly histogram_quantile's interpolation over the raw counts: nothing lost in transit.
      expect(promValue).toBeCloseTo(classicQuantile(seconds, LATENCY_BUCKETS_S, q), 12);
      // The fleet sketch (what OTLP exports) is within its relative error of the exact quantile.
      const est = sketch.quantile(q);
      expect(Math.abs(est - exact[i]!) / exact[i]!).toBeLessThanOrEqual(sketch.relativeError);
      console.log(
        `[sync] p${q * 100}: exact ${(truth * 1000).toFixed(3)} ms, PromQL ${(promValue * 1000).toFixed(3)} ms (bucket ${lo}-${hi} s), sketch ${est.toFixed(3)} ms (bound ${(100 * sketch.relativeError).toFixed(2)}%)`,
      );
    }
    console.log(`[sync] ${DEVICES} devices, ${predictions} predictions, ${pushes} pushes; fleet accuracy ${(correct / labeled).toFixed(4)}`);
  });
});
