// OTLP/HTTP JSON metrics (ExportMetricsServiceRequest) from summaries.
//
// Encoding rules of OTLP/HTTP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// lowerCamelCase field names, 64-bit integers as decimal strings, enums as
// integers. One resource per (device, model, version); one data point per
// segment. Counts are Sums and the latency / confidence sketches are
// ExponentialHistograms, both CUMULATIVE since the series' first window: the
// sketch is already OpenTelemetry's exponential histogram (same scale, offset
// and bucket indexing), so its counts go over unchanged, and re-sending the
// same cumulative state (a retry, a pagehide beacon) cannot double-count.
// Latency is in seconds (unit 's'), as OpenTelemetry's semantic conventions
// ask for durations and as the Prometheus encoder writes it (see inSeconds).
import { summaryMetrics } from '../summary/index.js';
import type { ExpHistogram, Summary } from '../summary/index.js';

/** OTLP AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE. */
export const CUMULATIVE = 2;

/** An OTLP AnyValue-typed attribute as JSON. */
export interface OtlpAttribute {
  key: string;
  value: { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
}

/** ExponentialHistogramDataPoint.Buckets as JSON. */
export interface OtlpBuckets {
  offset: number;
  bucketCounts: string[];
}

interface PointBase {
  attributes: OtlpAttribute[];
  startTimeUnixNano: string;
  timeUnixNano: string;
}

/** NumberDataPoint as JSON. */
export type OtlpNumberPoint = PointBase & ({ asInt: string } | { asDouble: number });

/** ExponentialHistogramDataPoint as JSON. */
export interface OtlpExpPoint extends PointBase {
  count: string;
  sum?: number;
  scale: number;
  zeroCount: string;
  positive: OtlpBuckets;
  negative: OtlpBuckets;
  min?: number;
  max?: number;
}

/** Metric as JSON (one of sum, gauge, exponentialHistogram). */
export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  sum?: { dataPoints: OtlpNumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  gauge?: { dataPoints: OtlpNumberPoint[] };
  exponentialHistogram?: { dataPoints: OtlpExpPoint[]; aggregationTemporality: number };
}

/** ExportMetricsServiceRequest as JSON. */
export interface OtlpMetricsRequest {
  resourceMetrics: {
    resource: { attributes: OtlpAttribute[] };
    scopeMetrics: { scope: { name: string; version: string }; metrics: OtlpMetric[] }[];
  }[];
}

/** Options of encodeOtlp. */
export interface OtlpOptions {
  deviceId: string;
  /** Start of the cumulative series in ms (default: the earliest window start). */
  startMs?: number;
  /** Time of the points in ms (default: the latest window end). */
  timeMs?: number;
  /** More resource attributes (e.g. { 'service.name': 'my-app' }). */
  resource?: Record<string, string>;
}

/** Library version reported as the instrumentation scope's version. */
export const SCOPE = { name: 'modelwatch', version: '0.1.0' } as const;

const str = (key: string, v: string): OtlpAttribute => ({ key, value: { stringValue: v } });

/** ms since the epoch as OTLP's fixed64 nanoseconds, a decimal string. */
export function unixNano(ms: number): string {
  // Summaries of "all time" use huge negative starts; OTLP times are unsigned.
  const whole = Math.max(0, Math.round(ms));
  return (BigInt(whole) * 1_000_000n).toString();
}

/** The OTLP buckets of one sign of an ExpHistogram. */
export function otlpBuckets(b: ExpHistogram['positive']): OtlpBuckets {
  return { offset: b.counts.length ? b.offset : 0, bucketCounts: Array.from(b.counts, (c) => String(c)) };
}

/** ExponentialHistogramDataPoint of a sketch, in the sketch's own unit. */
export function expPoint(h: ExpHistogram, base: PointBase): OtlpExpPoint {
  const p: OtlpExpPoint = {
    ...base,
    count: String(h.count),
    sum: h.sum,
    scale: h.scale,
    zeroCount: String(h.zeroCount),
    positive: otlpBuckets(h.positive),
    negative: otlpBuckets(h.negative),
  };
  if (h.count > 0) {
    p.min = h.min;
    p.max = h.max;
  }
  return p;
}

/**
 * A sketch of milliseconds as an ExponentialHistogramDataPoint in seconds.
 * Counts, zero count, sum, min and max are exact. 1000 is not a power of the
 * bucket base, so no rebucketing is exact: each bucket keeps its count and
 * moves by round(log_base 1000) indexes, which places it within half a
 * bucket of its true bounds. A quantile read from the point is then within a
 * relative base − 1 (1.1% at scale 6) instead of the sketch's own
 * (base − 1) / (base + 1); the exact bucket counts stay in the Prometheus
 * encoding, whose `le` grid is the sketch's own bounds written in seconds.
 */
export function inSeconds(h: ExpHistogram, base: PointBase): OtlpExpPoint {
  const shift = Math.round(Math.log2(1000) * 2 ** h.scale);
  const p = expPoint(h, base);
  if (p.positive.bucketCounts.length) p.positive.offset -= shift;
  if (p.negative.bucketCounts.length) p.negative.offset -= shift;
  p.sum = h.sum / 1000;
  if (h.count > 0) {
    p.min = h.min / 1000;
    p.max = h.max / 1000;
  }
  return p;
}

/**
 * ExportMetricsServiceRequest (OTLP/HTTP JSON) of summaries holding the
 * cumulative totals of their series. Needs init() (gauges use summaryMetrics).
 */
export function encodeOtlp(summaries: readonly Summary[], options: OtlpOptions): OtlpMetricsRequest {
  const groups = new Map<string, Summary[]>();
  for (const s of summaries) {
    const k = JSON.stringify([s.model, s.modelVersion]);
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  const start = unixNano(options.startMs ?? Math.min(...summaries.map((s) => s.window.start)));
  const time = unixNano(options.timeMs ?? Math.max(...summaries.map((s) => s.window.end)));
  const resourceMetrics: OtlpMetricsRequest['resourceMetrics'] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const metrics = new Map<string, OtlpMetric>();
    const metric = (name: string, unit: string, description: string, kind: 'sum' | 'gauge' | 'exponentialHistogram'): OtlpMetric => {
      let m = metrics.get(name);
      if (!m) {
        m = { name, description, unit };
        if (kind === 'sum') m.sum = { dataPoints: [], aggregationTemporality: CUMULATIVE, isMonotonic: true };
        else if (kind === 'gauge') m.gauge = { dataPoints: [] };
        else m.exponentialHistogram = { dataPoints: [], aggregationTemporality: CUMULATIVE };
        metrics.set(name, m);
      }
      return m;
    };
    for (const s of group) {
      const attributes = [str('modelwatch.segment', s.segment)];
      const base = (extra: OtlpAttribute[] = []): PointBase => ({ attributes: [...attributes, ...extra], startTimeUnixNano: start, timeUnixNano: time });
      const count = (name: string, unit: string, description: string, v: number, extra?: OtlpAttribute[]): void => {
        metric(name, unit, description, 'sum').sum!.dataPoints.push({ ...base(extra), asInt: String(v) });
      };
      const gauge = (name: string, description: string, v: number): void => {
        if (Number.isFinite(v)) metric(name, '1', description, 'gauge').gauge!.dataPoints.push({ ...base(), asDouble: v });
      };
      count('modelwatch.predictions', '{prediction}', 'Predictions made.', s.count);
      count('modelwatch.labeled', '{prediction}', 'Predictions with ground truth.', s.labeled);
      s.predicted?.classes.forEach((c, i) => {
        count('modelwatch.predicted_class', '{prediction}', 'Predictions by predicted class.', s.predicted!.counts[i]!, [str('modelwatch.class', String(c))]);
      });
      if (s.confusion) {
        const k = s.confusion.classes.length;
        let correct = 0;
        for (let i = 0; i < k; i++) correct += s.confusion.cells[i * k + i]!;
        count('modelwatch.correct', '{prediction}', 'Labeled predictions equal to their label.', correct);
      }
      metric('modelwatch.latency', 's', 'Model call latency.', 'exponentialHistogram').exponentialHistogram!.dataPoints.push(inSeconds(s.latency, base()));
      metric('modelwatch.confidence', '1', 'Prediction scores.', 'exponentialHistogram').exponentialHistogram!.dataPoints.push(expPoint(s.confidence, base()));
      const m = summaryMetrics(s);
      gauge('modelwatch.label_coverage', 'Share of predictions with ground truth.', m.coverage);
      if (m.classificationMetrics) {
        gauge('modelwatch.accuracy', 'Accuracy of labeled predictions.', m.classificationMetrics.accuracy);
        gauge('modelwatch.f1_score', 'Support-weighted F1 score.', m.classificationMetrics.f1Score);
      }
      if (m.regressionMetrics) {
        gauge('modelwatch.mae', 'Mean absolute error.', m.regressionMetrics.mae);
        gauge('modelwatch.rmse', 'Root mean squared error.', m.regressionMetrics.rmse);
      }
    }
    const resource = [
      str('service.name', options.resource?.['service.name'] ?? 'modelwatch'),
      str('device.id', options.deviceId),
      str('modelwatch.model.name', first.model),
      str('modelwatch.model.version', first.modelVersion),
      ...Object.entries(options.resource ?? {}).filter(([k]) => k !== 'service.name').map(([k, v]) => str(k, v)),
    ];
    resourceMetrics.push({ resource: { attributes: resource }, scopeMetrics: [{ scope: { ...SCOPE }, metrics: [...metrics.values()] }] });
  }
  return { resourceMetrics };
}
