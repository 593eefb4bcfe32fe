// The sketch is OpenTelemetry's exponential histogram: the same values give
// the same scale, offset and bucket counts as the OpenTelemetry JS SDK's own
// aggregator (@opentelemetry/sdk-metrics, installed with otlp-transformer).
import { beforeAll, describe, expect, it } from 'vitest';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ExpHistogram, init } from '../../../src/index.js';
import { sample } from '../../shared/summary/random.js';

beforeAll(async () => {
  await init();
});

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface OtelPoint {
  scale: number;
  zeroCount: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  positive: { offset: number; bucketCounts: number[] };
}

/** Records values through the SDK's histogram instrument and collects the data point. */
async function otel(values: ArrayLike<number>, maxSize: number): Promise<OtelPoint> {
  const reader = new Reader({ aggregationSelector: () => ({ type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } }) });
  const provider = new MeterProvider({ readers: [reader] });
  const h = provider.getMeter('modelwatch-test').createHistogram('latency');
  for (let i = 0; i < values.length; i++) h.record(values[i]!);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.value as unknown as OtelPoint;
}

/** Counts without leading/trailing empty buckets, with their first index. */
function trimmed(offset: number, counts: ArrayLike<number>): { offset: number; counts: number[] } {
  const c = Array.from(counts);
  let a = 0, b = c.length;
  while (a < b && c[a] === 0) a++;
  while (b > a && c[b - 1] === 0) b--;
  return { offset: offset + a, counts: c.slice(a, b) };
}

describe('OpenTelemetry compatibility', () => {
  it.each([
    ['lognormal', 160], ['pareto', 160], ['bimodal', 160], ['lognormal', 2048], ['constant', 160],
  ] as const)('%s at maxSize %i: same scale and buckets as the OpenTelemetry SDK', async (kind, maxSize) => {
    const values = sample(kind, 20_000, 31);
    values[5] = 0;
    values[6] = 0;
    const ours = new ExpHistogram({ maxSize }).insert(values);
    const theirs = await otel(values, maxSize);
    expect(ours.scale).toBe(theirs.scale);
    expect(ours.zeroCount).toBe(theirs.zeroCount);
    expect(ours.count).toBe(theirs.count);
    expect(ours.min).toBe(theirs.min);
    expect(ours.max).toBe(theirs.max);
    expect(ours.sum).toBeCloseTo(theirs.sum, 6);
    expect(trimmed(ours.positive.offset, ours.positive.counts)).toEqual(trimmed(theirs.positive.offset, theirs.positive.bucketCounts));
  });
});
