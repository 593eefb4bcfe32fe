// OTLP/HTTP JSON: our encoding must equal what OpenTelemetry JS's own
// serializer (@opentelemetry/otlp-transformer) writes for the same data, apart
// from OTLP JSON's int64-as-string rule, which that serializer leaves to the
// receiver's leniency; and the ExponentialHistogram points must be our sketch.
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ValueType } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOtlp, init, mergeAll } from '../../../src/index.js';
import type { OtlpAttribute, OtlpMetric, OtlpMetricsRequest } from '../../../src/index.js';
import { deviceSummaries } from '../../shared/sync/fixtures.js';

beforeAll(async () => {
  await init();
});

const hr = (nanos: string): [number, number] => {
  const n = BigInt(nanos);
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
};
const attrs = (a: OtlpAttribute[]): Record<string, string> => Object.fromEntries(a.map((x) => [x.key, (x.value as { stringValue: string }).stringValue]));

/** Our request in the SDK's data model, for the official serializer. */
function toSdk(req: OtlpMetricsRequest): ResourceMetrics[] {
  return req.resourceMetrics.map((rm) => ({
    resource: resourceFromAttributes(attrs(rm.resource.attributes)),
    scopeMetrics: rm.scopeMetrics.map((sm) => ({
      scope: sm.scope,
      metrics: sm.metrics.map((m: OtlpMetric): MetricData => {
        const descriptor = { name: m.name, description: m.description, unit: m.unit, valueType: ValueType.DOUBLE };
        if (m.sum) {
          return {
            descriptor: { ...descriptor, valueType: ValueType.INT },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.SUM,
            isMonotonic: m.sum.isMonotonic,
            dataPoints: m.sum.dataPoints.map((p) => ({ attributes: attrs(p.attributes), startTime: hr(p.startTimeUnixNano), endTime: hr(p.timeUnixNano), value: Number((p as { asInt: string }).asInt) })),
          };
        }
        if (m.gauge) {
          return {
            descriptor,
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.GAUGE,
            dataPoints: m.gauge.dataPoints.map((p) => ({ attributes: attrs(p.attributes), startTime: hr(p.startTimeUnixNano), endTime: hr(p.timeUnixNano), value: (p as { asDouble: number }).asDouble })),
          };
        }
        return {
          descriptor,
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
          dataPoints: m.exponentialHistogram!.dataPoints.map((p) => ({
            attributes: attrs(p.attributes),
            startTime: hr(p.startTimeUnixNano),
            endTime: hr(p.timeUnixNano),
            value: {
              count: Number(p.count),
              sum: p.sum,
              min: p.min,
              max: p.max,
              scale: p.scale,
              zeroCount: Number(p.zeroCount),
              positive: { offset: p.positive.offset, bucketCounts: p.positive.bucketCounts.map(Number) },
              negative: { offset: p.negative.offset, bucketCounts: p.negative.bucketCounts.map(Number) },
            },
          })),
        };
      }),
    })),
  }));
}

/** Counts as numbers: the official serializer writes them as numbers (timestamps as strings); the spec says strings for both. */
const INT64 = new Set(['asInt', 'count', 'zeroCount']);
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v), (k, x: unknown) => {
    if (INT64.has(k) && typeof x === 'string') return Number(x);
    if (k === 'bucketCounts' && Array.isArray(x)) return x.map(Number);
    return x;
  });
}

describe('OTLP/HTTP JSON', () => {
  const summaries = () => [...deviceSummaries(1, 0, 500), ...deviceSummaries(1, 0, 300, 'churn', 'v2')];

  it("matches @opentelemetry/otlp-transformer's JsonMetricsSerializer field for field", () => {
    const ours = encodeOtlp(summaries(), { deviceId: 'dev-1' });
    const official = JSON.parse(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(toSdk(ours)[0]!)));
    const second = JSON.parse(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(toSdk(ours)[1]!)));
    // The serializer adds droppedAttributesCount: 0 defaults that OTLP JSON may omit.
    const strip = (v: unknown): unknown => JSON.parse(JSON.stringify(v), (k, x: unknown) => (k === 'droppedAttributesCount' || k === 'flags' ? undefined : x));
    expect(normalize(ours)).toEqual(strip({ resourceMetrics: [...official.resourceMetrics, ...second.resourceMetrics] }));
  });

  it('follows the JSON encoding rules: int64 as decimal strings, enums as integers, camelCase', () => {
    const text = JSON.stringify(encodeOtlp(summaries(), { deviceId: 'dev-1' }));
    expect(text).toMatch(/"aggregationTemporality":2/);
    expect(text).toMatch(/"asInt":"\d+"/);
    expect(text).toMatch(/"timeUnixNano":"\d{19}"/);
    expect(text).not.toMatch(/_[a-z]+":/); // no snake_case field names
  });

  it('carries the latency sketch in seconds (unit s): counts exact, buckets within half a bucket', () => {
    const total = mergeAll(deviceSummaries(2, 0, 800).map((s) => ({ ...s, segment: '' })));
    const req = encodeOtlp([total], { deviceId: 'd' });
    const m = req.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((x) => x.name === 'modelwatch.latency')!;
    expect(m.unit).toBe('s');
    const p = m.exponentialHistogram!.dataPoints[0]!;
    const h = total.latency;
    expect(p.scale).toBe(h.scale);
    expect(Number(p.zeroCount)).toBe(h.zeroCount);
    // Same counts, each bucket moved by round(log_base 1000) indexes.
    expect(p.positive.offset).toBe(h.positive.offset - Math.round(Math.log2(1000) * 2 ** h.scale));
    expect(p.positive.bucketCounts.map(Number)).toEqual([...h.positive.counts]);
    expect(p.negative.bucketCounts).toEqual([]);
    expect(Number(p.count)).toBe(800);
    // OTLP: count = zeroCount + all bucket counts.
    expect(Number(p.zeroCount) + p.positive.bucketCounts.reduce((s, c) => s + Number(c), 0)).toBe(Number(p.count));
    expect(p.sum).toBeCloseTo(h.sum / 1000, 12);
    expect(p.min).toBe(h.min / 1000);
    expect(p.max).toBe(h.max / 1000);
    // OTLP bucket index i holds (base^i, base^(i+1)] seconds: the extremes lie in the first and last
    // buckets widened by half a bucket on each side (the stated placement error), and not exactly
    // in the ms sketch's bounds divided by 1000 unless 1000 were a power of the base.
    const base = 2 ** (2 ** -p.scale);
    const first = p.positive.offset;
    const last = first + p.positive.bucketCounts.length - 1;
    const half = Math.sqrt(base) * (1 + 1e-12);
    expect(p.min!).toBeGreaterThan(base ** first / half);
    expect(p.min!).toBeLessThanOrEqual(base ** (first + 1) * half);
    expect(p.max!).toBeGreaterThan(base ** last / half);
    expect(p.max!).toBeLessThanOrEqual(base ** (last + 1) * half);
  });
});
