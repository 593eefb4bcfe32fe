// Types of the sync engine: its options, the outbox it writes to, the
// requests it makes and the events it reports.
import type { OutboxCommit, OutboxRecord } from '../store/index.js';

/** Wire formats the engine can send. */
export type SyncFormat = 'otlp' | 'prometheus' | 'json';

/**
 * The part of the store the engine needs (Store satisfies it; MemoryOutbox
 * is an in-memory stand-in for Node). Every outbox change goes through
 * commitOutbox, which must apply all of a commit or none of it: that is what
 * keeps a crash from counting a summary twice or losing it.
 */
export interface OutboxStore {
  commitOutbox(commit: OutboxCommit): Promise<number[]>;
  outbox(limit?: number): Promise<OutboxRecord[]>;
}

/**
 * Request headers: fixed, or a function called before every request (sync or
 * async), e.g. to send a token that expires. Names are case-insensitive; the
 * engine sets `content-type` itself, after these. A pagehide flush cannot
 * wait, so it sends the headers the function last returned.
 */
export type SyncHeaders = Readonly<Record<string, string>> | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/** Options of a SyncEngine; only endpoint, format and deviceId are required. */
export interface SyncOptions {
  /**
   * Where to send: OTLP/HTTP metrics URL (…/v1/metrics), Pushgateway base URL
   * (http://host:9091), or a custom receiver's URL. https is required except
   * for localhost, 127.0.0.0/8 and [::1].
   */
  endpoint: string;
  format: SyncFormat;
  /** Stable id of this device (browser profile); part of every idempotency key. */
  deviceId: string;
  /** Extra request headers, e.g. { authorization: 'Bearer …' }, or a function returning them per request. */
  headers?: SyncHeaders;
  /** OTLP resource attribute `service.name` (default 'modelwatch'). */
  serviceName?: string;
  /** More OTLP resource attributes, e.g. { 'service.version': '2.1', 'deployment.environment.name': 'prod' }. */
  resource?: Readonly<Record<string, string>>;
  /** Time between sync rounds in ms (default 60 s). */
  intervalMs?: number;
  /** Outbox name: engines with different names keep separate queues and locks (default 'default'). */
  name?: string;
  /** Pushgateway job label (default 'modelwatch'). */
  job?: string;
  /** Most summaries per request (default 100; 'json'). */
  batchSize?: number;
  /**
   * Largest request body in bytes (default 1,000,000, under the 1 MiB that
   * nginx and many proxies accept). Larger requests are cut: 'json' into
   * smaller batches, 'otlp' into subsets of series, 'prometheus' one series
   * per push. A 413 cuts further and lowers this for the engine's lifetime.
   */
  maxRequestBytes?: number;
  /** Most pending summaries before the full-outbox policy applies (default 10,000). */
  maxEntries?: number;
  /** First retry delay in ms (default 1 s); doubles per failure, with jitter. */
  backoffBaseMs?: number;
  /** Longest retry delay in ms, also the cap on Retry-After (default 15 min). */
  backoffMaxMs?: number;
  /** A request not answered within this many ms is aborted and retried (default 30 s). */
  timeoutMs?: number;
  /** Bytes the pagehide flush may queue with keepalive/sendBeacon (default 60,000; browsers allow 64 KiB in flight). */
  beaconBytes?: number;
  /** Allow sendRows() to send raw prediction rows (default false: only summaries leave the device). */
  allowRawRows?: boolean;
  /** fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Whether the device is online (default navigator.onLine, else true). */
  isOnline?: () => boolean;
  /** Where online/offline/pagehide events fire (default globalThis when it has addEventListener). */
  events?: EventTarget | null;
  /** Web Locks used to elect one syncing tab (default navigator.locks; null = no election). */
  locks?: LockManager | null;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Random source in [0, 1) for jitter (default Math.random). */
  random?: () => number;
  /** Receives the engine's events. */
  onEvent?: (event: SyncEvent) => void;
}

/** The delivery settings that callers of the engine (the monitor) pass through unchanged. */
export type SyncTuning = Pick<SyncOptions, 'job' | 'batchSize' | 'maxEntries' | 'backoffBaseMs' | 'backoffMaxMs' | 'timeoutMs' | 'beaconBytes' | 'maxRequestBytes' | 'serviceName' | 'resource'>;

/** One HTTP request as the engine builds it. */
export interface SyncRequest {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string;
}

/** What a flush did. */
export interface FlushResult {
  /** Summaries confirmed by the endpoint in this flush. */
  delivered: number;
  /** Pending summaries left. */
  pending: number;
  /** Why the flush stopped before emptying the outbox, if it did. */
  stopped?: 'offline' | 'backoff' | 'not-leader' | 'failed' | 'stopped' | 'paused';
  /** When the next attempt may be made (ms), after a failure. */
  retryAt?: number;
}

/** Events reported through options.onEvent. */
export type SyncEvent =
  /** Summaries the endpoint confirmed (json: per request; otlp/prometheus: per round of pushes). */
  | { type: 'delivered'; count: number; status: number }
  /** A request got no answer or a retryable status (429, 502, 503, 504): retried after retryInMs. */
  | { type: 'failed'; status?: number; error?: unknown; retryInMs: number; attempt: number }
  /**
   * The endpoint refused these entries for good (a non-retryable status for a
   * request holding only them, a 413 for one that cannot be cut, or the
   * receiver's list of invalid entries): kept in quarantine, out of the queue
   * (see SyncEngine.quarantined, requeueQuarantined()). count may be 0 when a
   * push of stored totals alone was refused.
   */
  | { type: 'quarantined'; count: number; status?: number; reason: string; keys: string[] }
  /** 401, 403 or 404: the configuration (credentials, URL) is wrong; nothing is sent until resume(). */
  | { type: 'paused'; status: number; reason: string }
  | { type: 'resumed' }
  | { type: 'coalesced'; before: number; after: number }
  | { type: 'dropped'; count: number }
  | { type: 'leader'; leader: boolean }
  | { type: 'beacon'; requests: number; bytes: number; summaries: number };

/**
 * The privacy floor: what may leave the device, applied to a window's
 * summaries before they enter the outbox (src/sync/privacy.ts, used by the
 * monitor's window close in src/worker/sync.ts). The SyncEngine itself
 * sends whatever it is given.
 */
export interface SyncPrivacyOptions {
  /**
   * A series' window (one model version and segment) with fewer predictions
   * than this is held and merged into the same series' next window, until
   * the merge reaches it or `maxHoldMs` passes (default 20; 1 turns it off).
   */
  minRowsPerWindow?: number;
  /** A held series leaves once this many ms have passed since its first held window began, even below the floor (default 24 hours). */
  maxHoldMs?: number;
  /** Segment names that may leave the device; others go out merged as segment 'other' ('' is always allowed; default: all). */
  segmentAllowList?: readonly string[];
  /** Replace the generated device id with a new random one this often, in ms (default: never). Not with a given deviceId. */
  rotateDeviceIdMs?: number;
}
