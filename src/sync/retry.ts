// What an answer means for delivery: the "is this retryable" rule, kept apart
// from the transport and the delivery modes as OpenTelemetry JS does
// (packages/otlp-exporter-base: is-export-retryable.ts, retrying-transport.ts).

/**
 * - 'ok': delivered.
 * - 'retry': try the same request again later (429, 502, 503, 504, no answer):
 *   the receiver or a proxy is busy or gone for now.
 * - 'too-large': 413; cut the request and send the parts.
 * - 'pause': 401, 403, 404; the configuration is wrong (credentials, URL), so
 *   every request would fail the same way: stop and keep everything.
 * - 'refused': any other status; this content will never be taken. Cut the
 *   request until the refused entry is alone, then quarantine that entry.
 */
export type Verdict = 'ok' | 'retry' | 'too-large' | 'pause' | 'refused';

/** Statuses OpenTelemetry's exporters retry (with Retry-After where given). */
const RETRYABLE = new Set([429, 502, 503, 504]);
const PAUSE = new Set([401, 403, 404]);

/** The verdict on an HTTP status; `undefined` is a request that got no answer (network error, timeout, abort). */
export function verdict(status: number | undefined): Verdict {
  if (status === undefined || RETRYABLE.has(status)) return 'retry';
  if (status >= 200 && status < 300) return 'ok';
  if (status === 413) return 'too-large';
  if (PAUSE.has(status)) return 'pause';
  return 'refused';
}
