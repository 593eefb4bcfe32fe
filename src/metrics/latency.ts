// Latency statistics and the SLA check of the spec chapter, exact percentiles
// by selection in WASM.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, column, describe, numbers, options, requireNonEmpty } from '../core/input.js';
import { withScope } from '../core/wasm.js';
import type { LatencyStats, SlaResult } from './types.js';

const STANDARD = [50, 75, 90, 95, 99];

/**
 * count, mean, population std, min, max and p50/p75/p90/p95/p99 with numpy's
 * default linear interpolation. Values must be finite and >= 0.
 */
export function latencyStats(values: Numbers): LatencyStats {
  const v = numbers(values, 'values');
  requireNonEmpty(v.length, 'values');
  return withScope((s) => {
    const ptr = column(s, v, Check.NonNegative, 'values');
    const q = s.f64(STANDARD.map((p) => p / 100));
    const stats = s.alloc(4 * 8);
    const qOut = s.alloc(STANDARD.length * 8);
    s.k.latency(ptr, v.length, q, STANDARD.length, stats, qOut);
    const [mean = NaN, std = NaN, min = NaN, max = NaN] = s.readF64(stats, 4);
    const [p50 = NaN, p75 = NaN, p90 = NaN, p95 = NaN, p99 = NaN] = s.readF64(qOut, STANDARD.length);
    return { count: v.length, mean, std, min, max, p50, p75, p90, p95, p99 };
  });
}

/**
 * numpy.percentile(values, percentiles) (linear interpolation) for any
 * percentiles in [0, 100], returned in the order given.
 */
export function percentiles(values: Numbers, percentilesToCompute: Numbers): Float64Array {
  const v = numbers(values, 'values');
  const ps = numbers(percentilesToCompute, 'percentiles');
  requireNonEmpty(v.length, 'values');
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (!(p >= 0 && p <= 100)) throw new InputError('INVALID_OPTION', `percentiles[${i}]`, `is ${p}; percentiles must lie in [0, 100].`);
  }
  // Selection proceeds left to right, so ask in ascending order and map back.
  const order = Array.from(ps, (_, i) => i).sort((a, b) => ps[a]! - ps[b]!);
  return withScope((s) => {
    const ptr = column(s, v, Check.Finite, 'values');
    const q = s.f64(order.map((i) => ps[i]! / 100));
    const out = s.alloc(ps.length * 8);
    s.k.quantiles(ptr, v.length, q, ps.length, out);
    const sorted = s.readF64(out, ps.length);
    const result = new Float64Array(ps.length);
    order.forEach((i, j) => { result[i] = sorted[j]!; });
    return result;
  });
}

export interface SlaTargets {
  /** p50 target in ms (default 50). */
  p50Ms?: number;
  /** p99 target in ms (default 200). */
  p99Ms?: number;
}

function target(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InputError('INVALID_OPTION', name, `is ${describe(value)}; an SLA target is a number of milliseconds > 0.`);
  }
  return value;
}

/**
 * Checks p50 and p99 of latencies (ms) against targets: 'ok' when both are
 * within (<=) their target, 'violation' otherwise, 'no_data' without values.
 */
export function latencySla(values: Numbers, targets?: SlaTargets): SlaResult {
  const t = options(targets, 'targets');
  const p50Sla = target(t.p50Ms, 50, 'targets.p50Ms');
  const p99Sla = target(t.p99Ms, 200, 'targets.p99Ms');
  const v = numbers(values, 'values');
  if (v.length === 0) {
    return { status: 'no_data', p50Sla, p99Sla, p50Actual: NaN, p99Actual: NaN, p50Ok: false, p99Ok: false };
  }
  const { p50, p99 } = latencyStats(v);
  const p50Ok = p50 <= p50Sla;
  const p99Ok = p99 <= p99Sla;
  return { status: p50Ok && p99Ok ? 'ok' : 'violation', p50Sla, p99Sla, p50Actual: p50, p99Actual: p99, p50Ok, p99Ok };
}
