// Sync: summaries of closed windows leave the device through a persistent
// outbox, to the backends people run.
//
//   const sync = new SyncEngine(store, { endpoint: 'https://otel.example/v1/metrics', format: 'otlp', deviceId });
//   sync.start();                       // one tab per origin syncs (Web Locks)
//   await sync.add(closedWindowSummaries);
//
// Formats: 'otlp' (OTLP/HTTP JSON metrics), 'prometheus' (Pushgateway text,
// one group job/device/model/version/segment per series), 'json' (modelwatch
// batches for createReceiver() of 'modelwatch/receiver', src/receiver/).
// Delivery rules (retry, cut, pause, quarantine) are at the top of engine.ts.
// Only summaries leave the device unless allowRawRows is set.
export { SyncEngine, checkEndpoint } from './engine.js';
export { sendKeepalive } from './transport.js';
export { MemoryOutbox } from './memory.js';
export { idempotencyKey, seriesKey } from './key.js';
export { backoffDelay, parseRetryAfter } from './backoff.js';
export { encodeOtlp, expPoint, inSeconds, otlpBuckets, unixNano, CUMULATIVE } from './otlp.js';
export type { OtlpMetricsRequest, OtlpMetric, OtlpExpPoint, OtlpNumberPoint, OtlpBuckets, OtlpAttribute, OtlpOptions } from './otlp.js';
export { encodePrometheus, pushgatewayUrl, escapeLabelValue, formatValue, PROMETHEUS_CONTENT_TYPE, DEFAULT_EXPONENTIAL_SCALE, DEFAULT_EXPONENTIAL_RANGE_S } from './prometheus.js';
export type { PrometheusOptions } from './prometheus.js';
export { encodeBatch, parseBatch, BATCH_FORMAT, BATCH_VERSION } from './json.js';
export type { Batch, BatchEntry } from './json.js';
export type * from './types.js';
// The floor's functions stay internal (src/worker/sync.ts imports them); its defaults are public.
export { DEFAULT_MIN_ROWS_PER_WINDOW, DEFAULT_MAX_HOLD_MS, OTHER_SEGMENT } from './privacy.js';
