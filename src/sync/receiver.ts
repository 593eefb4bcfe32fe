// A fleet receiver for Node: takes modelwatch JSON batches over HTTP,
// validates each summary (parseSummary), drops deliveries it has already
// counted (idempotency key), merges per (model, version, segment) and serves
// the fleet aggregate in Prometheus text on GET /metrics.
//
//   import { createServer } from 'node:http';
//   const receiver = createReceiver();
//   createServer(receiver.handler).listen(8080);
//
// Types only from node:http, so this module also loads in browsers (where
// `ingest` and `metrics` work without a server).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError } from '../errors.js';
import { mergeSummaries } from '../summary/index.js';
import type { Summary } from '../summary/index.js';
import { parseBatch } from './json.js';
import { seriesKey } from './key.js';
import { encodePrometheus, formatValue, PROMETHEUS_CONTENT_TYPE } from './prometheus.js';

/** Options of createReceiver. */
export interface ReceiverOptions {
  /** Path that takes POSTed batches (default '/v1/summaries'). */
  path?: string;
  /** Path of the Prometheus exposition (default '/metrics'). */
  metricsPath?: string;
  /** Largest accepted body in bytes (default 8 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /** Checks a request before its body is read (e.g. a bearer token); false answers 401. */
  authorize?: (req: IncomingMessage) => boolean;
  /** Called once per new summary (after de-duplication). */
  onSummary?: (device: string, key: string, summary: Summary) => void;
  /** Called once per new batch of raw rows (senders send rows only when allowed to). */
  onRows?: (device: string, key: string, rows: unknown[]) => void;
}

/** What one ingest did. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; argument: string; message: string }[];
}

/** A receiver: an HTTP handler plus direct access to its state. */
export interface Receiver {
  /** node:http request listener. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Ingests one batch body (text or parsed); throws InputError on a malformed envelope. */
  ingest(body: unknown): IngestResult;
  /** The fleet aggregate per series. */
  aggregate(): Summary[];
  /** Prometheus text of the fleet aggregate and the receiver's own counters. */
  metrics(): string;
  /** Distinct devices seen. */
  readonly devices: number;
  /** Keys counted so far. */
  readonly keys: number;
  /** Deliveries dropped as already counted. */
  readonly duplicates: number;
}

/**
 * Creates a receiver. Its de-duplication memory holds every key it has
 * counted (about 100 bytes each); a long-running receiver that must survive
 * restarts should persist keys and aggregates itself (onSummary).
 */
export function createReceiver(options: ReceiverOptions = {}): Receiver {
  const path = options.path ?? '/v1/summaries';
  const metricsPath = options.metricsPath ?? '/metrics';
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const seen = new Set<string>();
  const devices = new Set<string>();
  const series = new Map<string, Summary>();
  let duplicates = 0;
  let rejectedTotal = 0;

  function ingest(body: unknown): IngestResult {
    const batch = parseBatch(body);
    const out: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
    devices.add(batch.device);
    batch.entries.forEach((e, index) => {
      if (e.error || !e.summary) {
        const err = e.error ?? new InputError('INVALID_SUMMARY', `batch.entries[${index}]`, 'missing summary');
        out.rejected.push({ index, code: err.code, argument: err.argument, message: err.message });
        return;
      }
      if (seen.has(e.key)) {
        out.duplicates++;
        return;
      }
      const k = seriesKey(e.summary);
      const prev = series.get(k);
      let next: Summary;
      try {
        next = prev ? mergeSummaries(prev, e.summary) : e.summary;
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        out.rejected.push({ index, code: error.code, argument: error.argument, message: error.message });
        return;
      }
      series.set(k, next);
      seen.add(e.key);
      out.accepted++;
      options.onSummary?.(batch.device, e.key, e.summary);
    });
    for (const r of batch.rows) {
      if (seen.has(r.key)) continue;
      seen.add(r.key);
      options.onRows?.(batch.device, r.key, r.rows);
    }
    duplicates += out.duplicates;
    rejectedTotal += out.rejected.length;
    return out;
  }

  function metrics(): string {
    const own =
      '# HELP modelwatch_receiver_devices Devices that delivered at least one batch.\n# TYPE modelwatch_receiver_devices gauge\n' +
      `modelwatch_receiver_devices ${devices.size}\n` +
      '# HELP modelwatch_receiver_duplicates_total Deliveries dropped as already counted.\n# TYPE modelwatch_receiver_duplicates_total counter\n' +
      `modelwatch_receiver_duplicates_total ${formatValue(duplicates)}\n` +
      '# HELP modelwatch_receiver_rejected_total Summaries refused as invalid.\n# TYPE modelwatch_receiver_rejected_total counter\n' +
      `modelwatch_receiver_rejected_total ${formatValue(rejectedTotal)}\n`;
    return encodePrometheus([...series.values()]) + own;
  }

  function send(res: ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (req.method === 'GET' && url.pathname === metricsPath) return send(res, 200, PROMETHEUS_CONTENT_TYPE, metrics());
    if (url.pathname !== path) return send(res, 404, 'text/plain', 'not found\n');
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST a modelwatch batch\n');
    if (options.authorize && !options.authorize(req)) return send(res, 401, 'text/plain', 'unauthorized\n');
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return send(res, 413, 'text/plain', `body over ${maxBody} bytes\n`);
      try {
        const result = ingest(Buffer.concat(chunks).toString('utf8'));
        send(res, 200, 'application/json', JSON.stringify(result));
      } catch (error) {
        if (!(error instanceof InputError)) return send(res, 500, 'text/plain', 'internal error\n');
        send(res, 400, 'application/json', JSON.stringify({ code: error.code, argument: error.argument, message: error.message }));
      }
    });
    req.on('error', () => res.destroy());
  }

  return {
    handler,
    ingest,
    aggregate: () => [...series.values()],
    metrics,
    get devices() {
      return devices.size;
    },
    get keys() {
      return seen.size;
    },
    get duplicates() {
      return duplicates;
    },
  };
}
