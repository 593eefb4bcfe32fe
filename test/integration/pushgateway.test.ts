// 20 simulated devices push their summaries through SyncEngine to a real
// Pushgateway; a real Prometheus scrapes it; PromQL must give the fleet's
// totals exactly, the fleet's latency bucket counts exactly, and latency
// quantiles within the encoder's stated bound of the exact quantiles.
// Always with a stranger's data in the gateway binary's default persistence
// file (12 devices another program pushed, as on the machine where this test
// once counted 32 devices): the test's gateway must see only its own pushes.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EXPONENTIAL_SCALE, init, LATENCY_BUCKETS_S, MemoryOutbox, mergeAll, percentiles, SyncEngine } from '../../src/index.js';
import type { Summary } from '../../src/index.js';
import { countAtMost, deviceRows, deviceSummaries } from '../shared/sync/fixtures.js';
import { defaultPersistenceFile, promQuery, startServers, withGateway } from './support/servers.js';
import type { Servers } from './support/servers.js';

const DEVICES = 20;
const WINDOWS = 3;
const STRANGERS = 12;
let servers: Servers;
let strangerDir: string;

beforeAll(async () => {
  await init();
  // Another program's gateway state: 12 modelwatch devices it pushed earlier.
  strangerDir = mkdtempSync(join(tmpdir(), 'modelwatch-stranger-'));
  const stranger = await withGateway(strangerDir, async (base) => {
    for (let d = 0; d < STRANGERS; d++) {
      const engine = new SyncEngine(new MemoryOutbox(), { endpoint: base, format: 'prometheus', deviceId: `stranger-${d}`, events: null, locks: null });
      const sums = deviceSummaries(100 + d, 0, 100);
      await engine.add(sums);
      expect(await engine.flush()).toMatchObject({ delivered: sums.length, pending: 0 });
    }
  });
  expect(statSync(stranger).size).toBeGreaterThan(0);
  servers = await startServers({ strangerInDefaultFile: stranger });
}, 60_000);

afterAll(async () => {
  await servers?.stop();
  if (strangerDir) rmSync(strangerDir, { recursive: true, force: true });
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

/**
 * Prometheus 2.x histogram_quantile over classic buckets (ascending finite
 * bounds, then +Inf), with cumulative counts taken from the raw values: the
 * reference for "nothing was lost between the rows and PromQL".
 */
function classicQuantile(sorted: Float64Array, bounds: readonly number[], q: number): number {
  const counts = bounds.map((b) => countAtMost(sorted, b));
  const rank = q * sorted.length;
  const i = counts.findIndex((c) => c >= rank);
  if (i < 0) return bounds[bounds.length - 1]!; // in +Inf: Prometheus answers the top finite bound
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : counts[i - 1]!;
  return lower + ((bounds[i]! - lower) * (rank - below)) / (counts[i]! - below);
}

describe('Pushgateway + Prometheus, 20 devices', () => {
  it('the gateway keeps its state in its own temp dir and starts empty, though the default file holds a stranger\'s data', async () => {
    const status = (await (await fetch(`${servers.pushgateway}/api/v1/status`)).json()) as { data: { flags: Record<string, string> } };
    expect(status.data.flags['persistence.file']).toBe(servers.persistenceFile);
    expect(servers.persistenceFile.startsWith(tmpdir())).toBe(true);
    expect(servers.persistenceFile).not.toBe(defaultPersistenceFile());
    const groups = (await (await fetch(`${servers.pushgateway}/api/v1/metrics`)).json()) as { data: unknown[] };
    expect(groups.data).toEqual([]);
  });

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
    expect(await promQuery(servers.prometheus, 'modelwatch_predictions_total{device=~"stranger-.*"}')).toEqual([]);
    expect(await waitFor('sum(modelwatch_predictions_total)', predictions)).toBe(predictions);
    expect(await waitFor('sum(modelwatch_labeled_total)', labeled)).toBe(labeled);
    expect(await waitFor('sum(modelwatch_correct_total)', correct)).toBe(correct);
    expect(await waitFor('sum(modelwatch_latency_seconds_count)', latencies.length)).toBe(latencies.length);

    // The fleet's cumulative count at every le PromQL sees equals the count of raw rows <= le:
    // the same bound is spelled the same on every device, and every device writes every le
    // at and above its lowest latency, so `sum by (le)` misses no one.
    const seconds = Float64Array.from(latencies, (v) => v / 1000).sort();
    const fleet = await promQuery(servers.prometheus, 'sum by (le) (modelwatch_latency_seconds_bucket)');
    const bounds = fleet.map((r) => ({ text: r.metric.le!, le: r.metric.le === '+Inf' ? Infinity : Number(r.metric.le), count: r.value })).sort((a, b) => a.le - b.le);
    expect(bounds[bounds.length - 1]).toMatchObject({ text: '+Inf', count: latencies.length });
    for (const b of bounds) expect(b.count, `le=${b.text}`).toBe(countAtMost(seconds, b.le));
    const finite = bounds.filter((b) => b.le < Infinity).map((b) => b.le);
    // One spelling per bound: no two le strings name (nearly) the same value; the grid's step is the scale's base.
    const base = 2 ** (2 ** -DEFAULT_EXPONENTIAL_SCALE);
    const grid = finite.filter((le) => !(LATENCY_BUCKETS_S as readonly number[]).includes(le));
    for (let i = 1; i < grid.length; i++) expect(grid[i]! / grid[i - 1]!).toBeCloseTo(base, 12);
    for (const le of LATENCY_BUCKETS_S) expect(finite).toContain(le);

    const sketch = mergeAll(all.map((s) => ({ ...s, segment: '' }))).latency;
    const exact = percentiles(Float64Array.from(latencies), [50, 90, 99]);
    // histogram_quantile interpolates linearly inside an exact bucket (a, a·base]: within base − 1.
    const bound = base - 1;
    for (const [i, q] of [0.5, 0.9, 0.99].entries()) {
      const [r] = await promQuery(servers.prometheus, `histogram_quantile(${q}, sum by (le) (modelwatch_latency_seconds_bucket))`);
      const promValue = r!.value;
      const truth = exact[i]! / 1000;
      const err = Math.abs(promValue - truth) / truth;
      expect(err).toBeLessThanOrEqual(bound);
      // And it is exactly histogram_quantile's interpolation over the raw counts: nothing lost in transit.
      expect(promValue).toBeCloseTo(classicQuantile(seconds, finite, q), 12);
      // The spec's buckets alone would only promise the width of the bucket holding the quantile.
      const b = LATENCY_BUCKETS_S.findIndex((x) => x >= truth);
      const specWidth = (LATENCY_BUCKETS_S[b]! - (b <= 0 ? 0 : LATENCY_BUCKETS_S[b - 1]!)) / truth;
      const specOnly = classicQuantile(seconds, LATENCY_BUCKETS_S, q);
      // The fleet sketch (what OTLP exports) is within its relative error of the exact quantile.
      const est = sketch.quantile(q);
      expect(Math.abs(est - exact[i]!) / exact[i]!).toBeLessThanOrEqual(sketch.relativeError);
      console.log(
        `[sync] p${q * 100}: exact ${(truth * 1000).toFixed(3)} ms, PromQL ${(promValue * 1000).toFixed(3)} ms (error ${(100 * err).toFixed(3)}%, bound ${(100 * bound).toFixed(2)}%), ` +
          `spec buckets only ${(specOnly * 1000).toFixed(3)} ms (error ${((100 * Math.abs(specOnly - truth)) / truth).toFixed(2)}%, bound ${(100 * specWidth).toFixed(0)}%), ` +
          `sketch ${est.toFixed(3)} ms (error ${((100 * Math.abs(est - exact[i]!)) / exact[i]!).toFixed(3)}%, bound ${(100 * sketch.relativeError).toFixed(2)}%)`,
      );
    }
    console.log(`[sync] ${fleet.length} le values in the fleet histogram`);
    console.log(`[sync] ${DEVICES} devices, ${predictions} predictions, ${pushes} pushes; fleet accuracy ${(correct / labeled).toFixed(4)}`);
  });
});
