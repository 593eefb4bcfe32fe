// OTLP against the official protobuf definitions: @opentelemetry/otlp-transformer
// 0.57 ships a protobufjs root generated from opentelemetry-proto (later
// versions dropped it; the package is installed under the alias otlp-proto-0.57).
// Our JSON must load into ExportMetricsServiceRequest with every field known
// (protobufjs drops unknown or misnamed fields silently, so the binary round
// trip would lose them), verify, and come back from the wire unchanged.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOtlp, init } from '../../../src/index.js';
import { deviceSummaries } from '../../shared/sync/fixtures.js';

interface ProtoType {
  verify(o: unknown): string | null;
  fromObject(o: unknown): unknown;
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  toObject(m: unknown, o: Record<string, unknown>): unknown;
}

const require = createRequire(import.meta.url);
const pkg = dirname(require.resolve('otlp-proto-0.57/package.json'));
const root = require(join(pkg, 'build/src/generated/root.js')) as {
  opentelemetry: { proto: { collector: { metrics: { v1: { ExportMetricsServiceRequest: ProtoType } } } } };
};
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/** Drops what proto3 JSON may omit (defaults) so two encodings compare by content. */
function canonical(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v), (_k, x: unknown) => {
    if (x === 0 || x === '0' || x === false || x === '') return undefined;
    if (Array.isArray(x) && x.length === 0) return undefined;
    if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0) return undefined;
    return x;
  });
}

beforeAll(async () => {
  await init();
});

describe('OTLP/HTTP JSON against the official protobuf definitions', () => {
  const request = (): unknown => JSON.parse(JSON.stringify(encodeOtlp(
    [...deviceSummaries(1, 0, 500), ...deviceSummaries(1, 0, 300, 'churn', 'v2'), ...deviceSummaries(2, 1, 200, 'fraud', '7')],
    { deviceId: 'dev-1' },
  )));

  it('loads into a valid ExportMetricsServiceRequest', () => {
    // fromObject parses the proto3 JSON forms (int64 as strings); verify then
    // checks every field's type in the message it built.
    expect(Request.verify(Request.fromObject(request()))).toBeNull();
  });

  it('survives the binary round trip with every field intact', () => {
    const ours = request();
    const wire = Request.encode(Request.fromObject(ours)).finish();
    expect(wire.length).toBeGreaterThan(1000);
    const back = Request.toObject(Request.decode(wire), { longs: String, enums: Number, bytes: String, defaults: false, arrays: true });
    expect(canonical(back)).toEqual(canonical(ours));
    // Latency crosses the wire in seconds, as the semantic conventions ask.
    const metrics = (back as { resourceMetrics: { scopeMetrics: { metrics: { name: string; unit: string }[] }[] }[] }).resourceMetrics.flatMap((r) => r.scopeMetrics[0]!.metrics);
    expect(new Set(metrics.filter((m) => m.name === 'modelwatch.latency').map((m) => m.unit))).toEqual(new Set(['s']));
  });

  it('would catch a misnamed field', () => {
    const ours = request() as { resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[] };
    const metric = ours.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
    metric['descripton'] = metric['description'];
    delete metric['description'];
    const back = Request.toObject(Request.decode(Request.encode(Request.fromObject(ours)).finish()), { longs: String, enums: Number, defaults: false, arrays: true });
    expect(canonical(back)).not.toEqual(canonical(ours));
  });
});
