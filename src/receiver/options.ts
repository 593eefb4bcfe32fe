// Options of createReceiver, validated once at construction: every limit has a
// default that bounds memory and cost, and a wrong value names itself.
import type { IncomingMessage } from 'node:http';
import { InputError } from '../errors.js';
import { describe } from '../core/input.js';
import type { Summary } from '../summary/index.js';
import type { PrometheusOptions } from '../sync/index.js';

/** Options of createReceiver. */
export interface ReceiverOptions {
  /**
   * Directory of the fleet state (a journal of accepted deliveries plus a
   * snapshot, replayed on start). Default './modelwatch-receiver' (relative to
   * the working directory); `null` keeps the state in memory only, and a
   * restart then loses the fleet view.
   */
  dir?: string | null;
  /** Path that takes POSTed batches (default '/v1/summaries'). */
  path?: string;
  /** Path of the Prometheus exposition (default '/metrics'). */
  metricsPath?: string;
  /**
   * Checks every request to `path` and `metricsPath` before its body is read
   * (e.g. a bearer token); false answers 401. CORS preflights are answered
   * without it: browsers never send credentials on a preflight (Fetch
   * standard, "CORS-preflight request").
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * Origins allowed to deliver from a browser page ('*' for any). A request
   * whose Origin is neither listed nor the receiver's own host gets 403.
   * Default: none (same-host pages and non-browser clients only).
   */
  allowedOrigins?: readonly string[] | '*';
  /** Largest accepted body in bytes (default 8 MiB); a larger body gets 413 as soon as it passes the limit. */
  maxBodyBytes?: number;
  /** Deepest nesting of a body's JSON (default 32); checked before parsing. */
  maxDepth?: number;
  /** Most objects and arrays in a body (default 250,000); checked before parsing. */
  maxContainers?: number;
  /** Most values (scalars and containers) in a body (default 1,000,000); checked before parsing. */
  maxValues?: number;
  /**
   * Most bucket counts decoded from one body's packed summaries (default
   * 2,000,000, 16 MB): a binary summary decodes about 2,300 (its score
   * histograms hold 2,000), so a full batch of maxEntries fits; past it, 413.
   */
  maxDecodedCounts?: number;
  /** Most summaries in one batch (default 500; the sender's default batch is 100). */
  maxEntries?: number;
  /** Most devices remembered (default 10,000); a new device past it gets 429. */
  maxDevices?: number;
  /** Most series (task, model, version, segment) in the fleet (default 500); a batch creating one more gets 429. */
  maxSeries?: number;
  /** Most series one device may create (default 50). */
  maxSeriesPerDevice?: number;
  /** Idempotency keys remembered per device (default 2,000; the oldest are forgotten first). */
  maxKeysPerDevice?: number;
  /** Idempotency keys remembered in all (default 1,000,000; past it, new deliveries get 429). */
  maxKeys?: number;
  /** How long an idempotency key is remembered, in ms (default 7 days). */
  keyTtlMs?: number;
  /** Sustained requests per second per device (default 5). */
  ratePerSecond?: number;
  /** Requests a device may send at once before the rate applies (default 60). */
  rateBurst?: number;
  /**
   * Finest-detail floor: a summary whose sketches (latency, confidence, label
   * delay, absolute error) sit below this scale, or whose merge into the fleet
   * would, is refused (SCALE_TOO_LOW), so no device widens the fleet's error
   * bound past relativeErrorAtScale(minScale). Default 3 (4.3%).
   */
  minScale?: number;
  /** Smallest sketch bucket budget (maxSize) accepted (default 160, OpenTelemetry's default); a merge keeps the smaller budget. */
  minSketchSize?: number;
  /** Deliveries between two snapshots of the journal (default 1,000). */
  compactEvery?: number;
  /** Options of the Prometheus text on `metricsPath`. */
  prometheus?: PrometheusOptions;
  /** Called once per accepted summary (after de-duplication), once it is durable. */
  onSummary?: (device: string, key: string, summary: Summary) => void;
  /** Called once per accepted batch of raw rows (senders send rows only when allowed to). */
  onRows?: (device: string, key: string, rows: unknown[]) => void;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<ReceiverOptions, 'authorize' | 'onSummary' | 'onRows' | 'prometheus'>> &
  Pick<ReceiverOptions, 'authorize' | 'onSummary' | 'onRows' | 'prometheus'>;

function int(value: unknown, fallback: number, lo: number, hi: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new InputError('INVALID_OPTION', `options.${name}`, `is ${describe(value)}; pass an integer in [${lo}, ${hi}].`);
  }
  return value;
}

function positive(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value < Infinity)) throw new InputError('INVALID_OPTION', `options.${name}`, `is ${describe(value)}; pass a positive number.`);
  return value;
}

function routePath(value: unknown, fallback: string, name: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !value.startsWith('/')) throw new InputError('INVALID_OPTION', `options.${name}`, `is ${describe(value)}; pass a path starting with '/'.`);
  return value;
}

/** Fills in defaults and rejects a bad option with INVALID_OPTION naming it. */
export function resolveOptions(o: ReceiverOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new InputError('INVALID_OPTION', 'options', `is ${describe(o)}; pass an options object.`);
  const dir = o.dir === undefined ? './modelwatch-receiver' : o.dir;
  if (dir !== null && (typeof dir !== 'string' || dir.length === 0)) throw new InputError('INVALID_OPTION', 'options.dir', `is ${describe(dir)}; pass a directory path, or null for memory only.`);
  const origins = o.allowedOrigins ?? [];
  if (origins !== '*' && (!Array.isArray(origins) || origins.some((x) => typeof x !== 'string'))) {
    throw new InputError('INVALID_OPTION', 'options.allowedOrigins', `is ${describe(origins)}; pass '*' or an array of origins such as 'https://app.example'.`);
  }
  for (const k of ['authorize', 'onSummary', 'onRows', 'now'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new InputError('INVALID_OPTION', `options.${k}`, `is ${describe(o[k])}; pass a function.`);
  }
  const path = routePath(o.path, '/v1/summaries', 'path');
  const metricsPath = routePath(o.metricsPath, '/metrics', 'metricsPath');
  if (path === metricsPath) throw new InputError('INVALID_OPTION', 'options.metricsPath', `is the same as options.path (${path}); pick two paths.`);
  return {
    dir,
    path,
    metricsPath,
    authorize: o.authorize,
    allowedOrigins: origins === '*' ? '*' : [...origins],
    maxBodyBytes: int(o.maxBodyBytes, 8 * 1024 * 1024, 1024, 512 * 1024 * 1024, 'maxBodyBytes'),
    maxDepth: int(o.maxDepth, 32, 4, 1000, 'maxDepth'),
    maxContainers: int(o.maxContainers, 250_000, 1, 1e8, 'maxContainers'),
    maxValues: int(o.maxValues, 1_000_000, 1, 1e9, 'maxValues'),
    maxDecodedCounts: int(o.maxDecodedCounts, 2_000_000, 1, 1e9, 'maxDecodedCounts'),
    maxEntries: int(o.maxEntries, 500, 1, 100_000, 'maxEntries'),
    maxDevices: int(o.maxDevices, 10_000, 1, 1e8, 'maxDevices'),
    maxSeries: int(o.maxSeries, 500, 1, 1e7, 'maxSeries'),
    maxSeriesPerDevice: int(o.maxSeriesPerDevice, 50, 1, 1e7, 'maxSeriesPerDevice'),
    maxKeysPerDevice: int(o.maxKeysPerDevice, 2_000, 1, 1e8, 'maxKeysPerDevice'),
    maxKeys: int(o.maxKeys, 1_000_000, 1, 1e9, 'maxKeys'),
    keyTtlMs: positive(o.keyTtlMs, 7 * 24 * 3600_000, 'keyTtlMs'),
    ratePerSecond: positive(o.ratePerSecond, 5, 'ratePerSecond'),
    rateBurst: positive(o.rateBurst, 60, 'rateBurst'),
    minScale: int(o.minScale, 3, -10, 20, 'minScale'),
    minSketchSize: int(o.minSketchSize, 160, 2, 16384, 'minSketchSize'),
    compactEvery: int(o.compactEvery, 1_000, 1, 1e9, 'compactEvery'),
    prometheus: o.prometheus,
    onSummary: o.onSummary,
    onRows: o.onRows,
    now: o.now ?? Date.now,
  };
}
