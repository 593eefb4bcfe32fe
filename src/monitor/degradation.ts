// Degradation, trend and the dashboard status as pure functions of metric
// values: no store, no worker, so they run (and are tested) anywhere.
//
// The rules are the spec chapter's (PerformanceDegradationDetector and the
// "Dashboard Metrics Summary" table); every threshold is configurable.

import { InputError } from '../errors.js';
import { linearTrend } from '../metrics/trend.js';
import type {
  DegradationThresholds,
  Finding,
  MetricTrend,
  MetricValues,
  Severity,
  Status,
  StatusReport,
  StatusRule,
} from '../worker/protocol.js';

/** Metrics that hurt when they drop (the spec's `lower_is_worse`, plus the rest of ours). */
export const LOWER_IS_WORSE: readonly string[] = [
  'accuracy', 'precision', 'recall', 'f1Score', 'aucRoc', 'averagePrecision', 'r2Score',
  'precisionAtK', 'recallAtK', 'ndcgAtK', 'mrr', 'coverage',
];

/** Metrics that hurt when they rise (the spec's `higher_is_worse`, plus the rest of ours). */
export const HIGHER_IS_WORSE: readonly string[] = [
  'mae', 'mse', 'rmse', 'mape', 'maxError', 'medianError', 'latencyP50', 'latencyP99', 'latencyMean',
  'errorRate', 'falsePositiveRate', 'falseNegativeRate',
];

/** The spec chapter's relative thresholds. */
export const DEFAULT_THRESHOLDS: DegradationThresholds = {
  lowerIsWorse: { warning: 0.05, critical: 0.1 },
  higherIsWorse: { warning: 0.1, critical: 0.2 },
};

/**
 * The spec chapter's dashboard table. Accuracy is relative to the baseline
 * (good above -2 %, critical below -10 %); MAPE is in percent as
 * regressionMetrics reports it; latencies in ms; coverage a fraction.
 */
export const DEFAULT_STATUS: Readonly<Record<string, StatusRule>> = {
  accuracy: { better: 'higher', good: -0.02, critical: -0.1, relative: true },
  precision: { better: 'higher', good: 0.9, critical: 0.85 },
  recall: { better: 'higher', good: 0.85, critical: 0.8 },
  f1Score: { better: 'higher', good: 0.87, critical: 0.82 },
  aucRoc: { better: 'higher', good: 0.9, critical: 0.85 },
  mape: { better: 'lower', good: 5, critical: 10 },
  r2Score: { better: 'higher', good: 0.9, critical: 0.8 },
  latencyP50: { better: 'lower', good: 50, critical: 100 },
  latencyP99: { better: 'lower', good: 200, critical: 500 },
  coverage: { better: 'higher', good: 0.8, critical: 0.5 },
};

/** Which way a metric hurts, or undefined for metrics without a direction (counts). */
export function directionOf(metric: string): Finding['direction'] | undefined {
  if (LOWER_IS_WORSE.includes(metric)) return 'lower-is-worse';
  if (HIGHER_IS_WORSE.includes(metric)) return 'higher-is-worse';
  return undefined;
}

/** Checks and completes thresholds given by the user. */
export function resolveThresholds(t: Partial<DegradationThresholds> | undefined): DegradationThresholds {
  const out: DegradationThresholds = {
    lowerIsWorse: { ...DEFAULT_THRESHOLDS.lowerIsWorse, ...t?.lowerIsWorse },
    higherIsWorse: { ...DEFAULT_THRESHOLDS.higherIsWorse, ...t?.higherIsWorse },
  };
  for (const side of ['lowerIsWorse', 'higherIsWorse'] as const) {
    const { warning, critical } = out[side];
    if (!(typeof warning === 'number' && warning > 0 && typeof critical === 'number' && critical >= warning)) {
      throw new InputError(
        'INVALID_OPTION',
        `thresholds.${side}`,
        `is { warning: ${String(warning)}, critical: ${String(critical)} }; use fractions with 0 < warning <= critical (e.g. 0.05 and 0.1).`,
      );
    }
  }
  return out;
}

/** Checks and completes the dashboard rules given by the user (merged over DEFAULT_STATUS). */
export function resolveStatusRules(rules: Record<string, Partial<StatusRule>> | undefined): Record<string, StatusRule> {
  const out: Record<string, StatusRule> = { ...DEFAULT_STATUS };
  for (const [metric, r] of Object.entries(rules ?? {})) {
    const rule = { ...DEFAULT_STATUS[metric], ...r } as StatusRule;
    const ordered = rule.better === 'higher' ? rule.good >= rule.critical : rule.good <= rule.critical;
    if ((rule.better !== 'higher' && rule.better !== 'lower') || !Number.isFinite(rule.good) || !Number.isFinite(rule.critical) || !ordered) {
      throw new InputError(
        'INVALID_OPTION',
        `status.${metric}`,
        "needs better: 'higher' | 'lower' and finite good/critical with good on the better side of critical.",
      );
    }
    out[metric] = rule;
  }
  return out;
}

/** (current - baseline) / |baseline|, guarded as in the spec (|baseline| + 1e-10). */
export function relativeChange(current: number, baseline: number): number {
  return (current - baseline) / (Math.abs(baseline) + 1e-10);
}

/**
 * Metrics of `current` that moved beyond a threshold relative to `baseline`
 * (the spec's _check_degradation), or none while `history` (labeled rows
 * behind the current values) is below `minHistory`. A baseline of 0 or NaN
 * is skipped, as the spec's `if baseline_value:` does.
 */
export function detectDegradation(
  current: MetricValues,
  baseline: MetricValues,
  options: { thresholds?: DegradationThresholds; history?: number; minHistory?: number } = {},
): Finding[] {
  const t = options.thresholds ?? DEFAULT_THRESHOLDS;
  if ((options.history ?? Infinity) < (options.minHistory ?? 0)) return [];
  const out: Finding[] = [];
  for (const [metric, value] of Object.entries(current)) {
    const base = baseline[metric];
    const direction = directionOf(metric);
    if (direction === undefined || base === undefined || !base || !Number.isFinite(value)) continue;
    const change = relativeChange(value, base);
    let severity: Severity | undefined;
    if (direction === 'lower-is-worse') {
      if (change < -t.lowerIsWorse.critical) severity = 'critical';
      else if (change < -t.lowerIsWorse.warning) severity = 'warning';
    } else if (change > t.higherIsWorse.critical) severity = 'critical';
    else if (change > t.higherIsWorse.warning) severity = 'warning';
    if (severity) out.push({ metric, direction, baseline: base, current: value, changePct: change * 100, severity });
  }
  return out;
}

/**
 * Trend of each metric over a series of periods (scipy.stats.linregress
 * via [core]'s linearTrend). Needs at least 3 finite values for a p-value;
 * metrics with fewer are left out. `health` turns the slope into better or
 * worse using the metric's direction.
 */
export function detectTrends(series: readonly MetricValues[], options: { alpha?: number; metrics?: readonly string[] } = {}): MetricTrend[] {
  const names = options.metrics ?? [...new Set(series.flatMap((s) => Object.keys(s)))];
  const out: MetricTrend[] = [];
  for (const metric of names) {
    const x: number[] = [];
    const y: number[] = [];
    series.forEach((s, i) => {
      const v = s[metric];
      if (v !== undefined && Number.isFinite(v)) {
        x.push(i);
        y.push(v);
      }
    });
    if (y.length < 3) continue;
    const t = linearTrend(y, { x, ...(options.alpha !== undefined ? { alpha: options.alpha } : {}) });
    const worse = directionOf(metric) === 'higher-is-worse' ? t.slope > 0 : t.slope < 0;
    const health = t.slope === 0 ? 'stable' : worse ? 'declining' : 'improving';
    out.push({ ...t, metric, health });
  }
  return out;
}

/** good / warning / critical of one value under one rule (`baseline` for relative rules). */
export function statusOf(value: number, rule: StatusRule, baseline?: number): Status {
  let v = value;
  if (rule.relative) {
    if (baseline === undefined || !baseline) return 'no_data';
    v = relativeChange(value, baseline);
  }
  if (!Number.isFinite(v)) return 'no_data';
  if (rule.better === 'higher') return v > rule.good ? 'good' : v < rule.critical ? 'critical' : 'warning';
  return v < rule.good ? 'good' : v > rule.critical ? 'critical' : 'warning';
}

const RANK: Record<Status, number> = { no_data: 0, good: 1, warning: 2, critical: 3 };

/** The dashboard table for the metrics present in `values`; overall is the worst row. */
export function dashboardStatus(values: MetricValues, rules: Record<string, StatusRule> = DEFAULT_STATUS, baseline?: MetricValues): StatusReport {
  const rows: StatusReport['rows'] = {};
  let overall: Status = 'no_data';
  for (const [metric, rule] of Object.entries(rules)) {
    const value = values[metric];
    if (value === undefined) continue;
    const status = statusOf(value, rule, baseline?.[metric]);
    rows[metric] = { value, status, rule };
    if (RANK[status] > RANK[overall]) overall = status;
  }
  return { overall, rows };
}

/**
 * De-duplication of alerts: one per metric and severity until it clears.
 * `update` takes the keys (metric:severity) firing now and returns which are
 * new and which cleared; a critical finding also keeps its warning key quiet
 * (a metric that goes warning -> critical raises both once; one that starts
 * critical raises only critical).
 */
export class AlertLatch {
  private readonly active = new Set<string>();

  constructor(active: Iterable<string> = []) {
    for (const k of active) this.active.add(k);
  }

  /** Keys currently raised. */
  get keys(): string[] {
    return [...this.active];
  }

  update(firing: Iterable<string>): { raised: string[]; cleared: string[] } {
    const now = new Set(firing);
    const raised = [...now].filter((k) => !this.active.has(k));
    const cleared = [...this.active].filter((k) => !now.has(k) && !now.has(k.replace(/:warning$/, ':critical')));
    for (const k of raised) this.active.add(k);
    for (const k of cleared) this.active.delete(k);
    return { raised, cleared };
  }
}
