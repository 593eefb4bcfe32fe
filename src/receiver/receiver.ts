// createReceiver: the checks in the order of their cost. Bytes: size (http.ts)
// and shape (scan.ts) before JSON.parse; the device's request rate before the
// summaries are decoded (within a budget of counts); fleet limits, duplicates,
// sketch scale and merge validity before anything is stored (state.ts); the
// journal line on disk before the state changes and the 2xx goes out
// (journal.ts). Deliveries are planned and committed one at a time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError, StateError } from '../errors.js';
import type { Summary } from '../summary/index.js';
import { encodePrometheus, escapeLabelValue, formatValue, parseBatch } from '../sync/index.js';
import { LimitError } from './errors.js';
import type { Limit } from './errors.js';
import { createHandler } from './http.js';
import { Journal } from './journal.js';
import type { Recovery } from './journal.js';
import { RateLimiter } from './limits.js';
import { resolveOptions } from './options.js';
import type { ReceiverOptions } from './options.js';
import { scanJson } from './scan.js';
import { FleetState } from './state.js';
import type { IngestResult } from './state.js';

/** A receiver: an HTTP handler plus direct access to its state. */
export interface Receiver {
  /** node:http request listener (never throws; errors are answered with their status). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Ingests one batch body (JSON text, its UTF-8 bytes, or a parsed object),
   * resolving once what it accepted is durable. Rejects with InputError (bad
   * envelope; BODY_TOO_COMPLEX past the shape or decode limits), LimitError (a
   * fleet limit; nothing stored) or StateError (the journal failed; nothing stored).
   */
  ingest(body: unknown): Promise<IngestResult>;
  /** The fleet aggregate per series. */
  aggregate(): Summary[];
  /** Prometheus text of the fleet aggregate and the receiver's own counters. */
  metrics(): string;
  /** Writes a snapshot now and empties the journal (also done every compactEvery deliveries). */
  compact(): Promise<void>;
  /** Waits for deliveries in progress, writes a snapshot and closes the journal. */
  close(): Promise<void>;
  /** What the start found on disk (zeros in memory-only mode). */
  readonly recovery: Recovery;
  /** Devices remembered. */
  readonly devices: number;
  /** Series in the fleet aggregate. */
  readonly series: number;
  /** Idempotency keys remembered. */
  readonly keys: number;
  /** Deliveries dropped as already counted, since start. */
  readonly duplicates: number;
}

/** Counters since start, for GET /metrics. */
interface Counters {
  requests: Map<number, number>;
  accepted: number;
  duplicates: number;
  rejected: Map<string, number>;
  limited: Map<Limit, number>;
  tooLarge: number;
  compactionFailures: number;
}

function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/**
 * Creates a receiver and loads its state from `options.dir` (default
 * './modelwatch-receiver'; `dir: null` for memory only). Summaries are merged
 * with WASM kernels: call init() first.
 *
 *   const receiver = await createReceiver({ dir: '/var/lib/modelwatch', authorize });
 *   createServer(receiver.handler).listen(8080);
 */
export async function createReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const o = resolveOptions(options);
  const state = new FleetState(o);
  let journal: Journal | undefined;
  let recovery: Recovery = { snapshotSeq: 0, replayed: 0, truncatedBytes: 0 };
  if (o.dir !== null) ({ journal, recovery } = await Journal.open(o.dir, state));
  const limiter = new RateLimiter(o.ratePerSecond, o.rateBurst, o.maxDevices);
  const counters: Counters = { requests: new Map(), accepted: 0, duplicates: 0, rejected: new Map(), limited: new Map(), tooLarge: 0, compactionFailures: 0 };
  let queue: Promise<unknown> = Promise.resolve();
  let metricsText: string | undefined;
  let closed = false;

  /** Runs `task` after every earlier one: plans read the state the last commit left. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  function decode(body: unknown): unknown {
    let bytes: Uint8Array | undefined;
    if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
    else if (body instanceof Uint8Array) bytes = body;
    if (!bytes) return body;
    if (bytes.length > o.maxBodyBytes) throw new InputError('BODY_TOO_LARGE', 'body', `is ${bytes.length} bytes, over ${o.maxBodyBytes}; send fewer summaries per request.`);
    scanJson(bytes, o);
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (e) {
      throw new InputError('INVALID_SUMMARY', 'batch', `is not valid JSON (${(e as Error).message}).`);
    }
  }

  async function ingest(body: unknown): Promise<IngestResult> {
    if (closed) throw new StateError('RECEIVER_CLOSED', 'modelwatch receiver: close() was called; deliveries are no longer taken.');
    try {
      const value = decode(body);
      // The rate is judged on the claimed device before its summaries are decoded.
      const claimed = (value as { device?: unknown } | null)?.device;
      if (typeof claimed === 'string' && claimed.length > 0 && claimed.length <= 256) {
        const wait = limiter.take(claimed, o.now());
        if (wait > 0) throw new LimitError('rate', `device ${JSON.stringify(claimed)} sends more than ${o.ratePerSecond} requests per second (burst ${o.rateBurst}).`, wait);
      }
      const batch = parseBatch(value, o.maxEntries, { counts: o.maxDecodedCounts });
      const over = batch.entries.find((e) => e.error?.code === 'BODY_TOO_COMPLEX');
      if (over?.error) throw over.error;
      return await serial(async () => {
        const plan = state.plan(batch, o.now());
        if (plan.delivery) {
          await journal?.append(plan.delivery);
          state.commit(plan.delivery, plan.merged);
          metricsText = undefined;
          for (const s of plan.delivery.summaries) o.onSummary?.(batch.device, s.key, s.summary);
          for (const r of plan.rows) o.onRows?.(batch.device, r.key, r.rows);
          // The delivery is durable in the journal already: a failed snapshot
          // is counted and retried at the next delivery, never answered as a failure.
          if (journal?.due(o.compactEvery)) await journal.compact(state).catch(() => counters.compactionFailures++);
        }
        counters.accepted += plan.result.accepted;
        counters.duplicates += plan.result.duplicates;
        for (const r of plan.result.rejected) bump(counters.rejected, r.code);
        return plan.result;
      });
    } catch (error) {
      if (error instanceof LimitError) bump(counters.limited, error.limit);
      else if (error instanceof InputError && (error.code === 'BODY_TOO_LARGE' || error.code === 'BODY_TOO_COMPLEX')) counters.tooLarge++;
      else if (error instanceof InputError) bump(counters.rejected, error.code);
      throw error;
    }
  }

  function own(): string {
    const lines: string[] = [];
    const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void => {
      lines.push(`# HELP modelwatch_receiver_${name} ${help}`, `# TYPE modelwatch_receiver_${name} ${type}`);
      for (const [labels, v] of samples) lines.push(`modelwatch_receiver_${name}${labels} ${formatValue(v)}`);
    };
    const labelled = <K>(label: string, m: Map<K, number>): [string, number][] => [...m].map(([k, v]) => [`{${label}="${escapeLabelValue(String(k))}"}`, v]);
    family('devices', 'gauge', 'Devices remembered (delivered within the key time to live).', [['', state.devices.size]]);
    family('series', 'gauge', 'Series in the fleet aggregate.', [['', state.series.size]]);
    family('keys', 'gauge', 'Idempotency keys remembered.', [['', state.totalKeys]]);
    family('accepted_total', 'counter', 'Summaries accepted and merged.', [['', counters.accepted]]);
    family('duplicates_total', 'counter', 'Deliveries dropped as already counted.', [['', counters.duplicates]]);
    family('rejected_total', 'counter', 'Summaries or batches refused as invalid, by error code.', labelled('code', counters.rejected));
    family('limited_total', 'counter', 'Requests answered 429, by limit.', labelled('limit', counters.limited));
    family('too_large_total', 'counter', 'Requests answered 413 (over the size, shape or decode limits).', [['', counters.tooLarge]]);
    family('requests_total', 'counter', 'HTTP requests answered, by status.', labelled('status', counters.requests));
    family('compaction_failures_total', 'counter', 'Snapshots that could not be written (the journal keeps every delivery meanwhile).', [['', counters.compactionFailures]]);
    family('journal_truncated_bytes', 'gauge', 'Bytes of a partial last journal line cut off at start (a crash mid-write).', [['', recovery.truncatedBytes]]);
    return lines.join('\n') + '\n';
  }

  function metrics(): string {
    // The aggregate's text changes only when a delivery commits: scrapes reuse it.
    metricsText ??= encodePrometheus([...state.series.values()].map((x) => x.summary), o.prometheus);
    return metricsText + own();
  }

  const handler = createHandler(o, {
    ingest,
    metrics,
    count: (status) => bump(counters.requests, status),
  });

  return {
    handler,
    ingest,
    aggregate: () => [...state.series.values()].map((x) => x.summary),
    metrics,
    compact: () => serial(async () => journal?.compact(state)),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        if (journal) {
          await journal.compact(state);
          await journal.close();
        }
      }),
    recovery,
    get devices() {
      return state.devices.size;
    },
    get series() {
      return state.series.size;
    },
    get keys() {
      return state.totalKeys;
    },
    get duplicates() {
      return counters.duplicates;
    },
  };
}
