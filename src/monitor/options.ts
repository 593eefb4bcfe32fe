// createMonitor's options: defaults and validation at construction, so a bad
// option fails at once with a message naming it, not later in the worker.

import type { Task } from '../columns/index.js';
import { InputError } from '../errors.js';
import { checkEndpoint } from '../sync/index.js';
import { DEFAULT_MAX_HOLD_MS, DEFAULT_MIN_ROWS_PER_WINDOW } from '../sync/index.js';
import type { SyncFormat, SyncOptions, SyncPrivacyOptions, SyncTuning } from '../sync/index.js';
import type { DegradationThresholds, EngineConfig, MetricValues, StatusRule, SyncConfig, WriteRetry } from '../worker/protocol.js';
import { resolveStatusRules, resolveThresholds } from './degradation.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FORMATS: readonly SyncFormat[] = ['otlp', 'prometheus', 'json'];

/**
 * Sync of closed-window summaries (see src/worker/sync.ts for when a window
 * closes and what happens to labels that arrive after it closed).
 */
export interface MonitorSyncOptions extends Pick<SyncOptions, 'endpoint' | 'format' | 'headers' | 'intervalMs'>, SyncTuning, SyncPrivacyOptions {
  /** Stable id of this device (default: a random id created once and kept in the database). */
  deviceId?: string;
  /** Length of a summary window in ms, aligned to multiples of it since the epoch (default 1 hour). */
  windowMs?: number;
  /**
   * A window closes (and is queued) once its end is this many ms in the past,
   * so rows still buffered and labels arriving soon after count in it (default
   * windowMs / 4, at most 5 minutes; at least flushIntervalMs). Labels later
   * than this are kept locally but not sent.
   */
  graceMs?: number;
  /** Start with sync switched off by the app, as after setOnline(false) (default true). */
  online?: boolean;
  /** Outbox name: monitors with different names keep separate queues and sync locks (default '<dbName>/<model>'). */
  name?: string;
}
const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression', 'ranking'];

/** Options of createMonitor. Only `task` and `model` are required. */
export interface MonitorOptions {
  task: Task;
  /** Model name. */
  model: string;
  /** Model version of rows that do not name one (default '1'). */
  version?: string;
  /** IndexedDB database name (default 'modelwatch'). */
  dbName?: string;
  /**
   * IndexedDB implementation. Injecting one (e.g. in Electron's main process
   * or Node) runs the engine in-thread: a factory cannot cross to a Worker.
   */
  indexedDB?: IDBFactory;
  /**
   * Where the engine runs: true (default where Worker exists) spawns the
   * bundled worker; a URL or string loads the worker script from there (for
   * bundlers that do not rewrite `new URL(..., import.meta.url)`); a Worker
   * uses one you created from modelwatch's worker.js; false runs in-thread.
   */
  worker?: boolean | string | URL | Worker;
  /** Rows per batch sent to the engine (default 4096). */
  batchSize?: number;
  /** Longest a logged row waits before it is sent (default 250 ms). */
  flushIntervalMs?: number;
  /** Raw rows older than this are folded into daily summaries and deleted (default 30 days). */
  retentionMs?: number;
  /** Latencies in the live sliding window (default 1000, as the spec chapter's LatencyMonitor). */
  latencyWindow?: number;
  /** Latency SLA targets in ms (default p50 50, p99 200). */
  sla?: { p50Ms?: number; p99Ms?: number };
  /** Relative degradation thresholds (default: the spec chapter's). */
  thresholds?: { lowerIsWorse?: Partial<DegradationThresholds['lowerIsWorse']>; higherIsWorse?: Partial<DegradationThresholds['higherIsWorse']> };
  /** Dashboard rules by metric, merged over the spec chapter's table. */
  status?: Record<string, Partial<StatusRule>>;
  /** Labeled rows a window needs before degradation is judged (default 100). */
  minHistory?: number;
  /** Significance level of trends (default 0.05). */
  alpha?: number;
  /** Ranking cut-off k of reports (default 10). */
  k?: number;
  /** Number of classes of multiclass probability vectors (`scores` of logPrediction). */
  classes?: number;
  /** Baseline metric values (else capture one with captureBaseline()). */
  baseline?: MetricValues;
  /** Ignore labels that arrived sooner than this after their prediction (ms). */
  minFeedbackDelayMs?: number;
  /** Run check() on the last day every this many ms (default 0: only when called). */
  checkIntervalMs?: number;
  /** Send summaries of closed windows to an endpoint (default: nothing leaves the device). */
  sync?: MonitorSyncOptions;
  /**
   * Retries of a batch the engine could not write (connection closed by
   * another tab or the browser, quota exhausted, transaction aborted) before
   * it is handed back in a 'write-failed' event: `attempts` in all (default 5),
   * `backoffMs` before the first retry, doubled for each further one (default
   * 200), `maxRows` kept for retry at most (default 16 batches).
   */
  writeRetry?: { attempts?: number; backoffMs?: number; maxRows?: number };
  /**
   * Ask the browser to keep this origin's storage under storage pressure
   * (navigator.storage.persist(), default true). The answer shows in
   * live().persisted; see README, Durability, for what each browser does.
   */
  persist?: boolean;
}

/** Options after defaults. */
export interface Resolved {
  engine: EngineConfig;
  batchSize: number;
  flushIntervalMs: number;
  classes: number;
  checkIntervalMs: number;
  worker: boolean | string | URL | Worker;
  indexedDB: IDBFactory | undefined;
  /** sync.headers when it is a function: it cannot be cloned into the engine's config (see EngineApi.open). */
  syncHeaders?: Extract<SyncOptions['headers'], (...a: never[]) => unknown>;
  persist: boolean;
}

function num(value: unknown, name: string, fallback: number, check: (v: number) => boolean, want: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !check(value)) {
    throw new InputError('INVALID_OPTION', name, `is ${typeof value === 'string' ? JSON.stringify(value) : String(value)}; expected ${want}.`);
  }
  return value;
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InputError('INVALID_OPTION', name, `is ${String(value)}; expected true or false.`);
  return value;
}

const positive = (v: number) => Number.isFinite(v) && v > 0;
const positiveInt = (v: number) => Number.isInteger(v) && v > 0;

function resolveSync(o: MonitorSyncOptions, flushIntervalMs: number): SyncConfig {
  if (o === null || typeof o !== 'object') throw new InputError('INVALID_OPTION', 'sync', "pass { endpoint, format: 'otlp' | 'prometheus' | 'json', ... }.");
  try {
    checkEndpoint(o.endpoint);
  } catch (e) {
    // Same check as the SyncEngine's, under this option's name.
    if (e instanceof InputError) throw new InputError(e.code, 'sync.endpoint', e.message.slice(e.argument.length + 2));
    throw e;
  }
  if (!FORMATS.includes(o.format)) throw new InputError('INVALID_OPTION', 'sync.format', `is ${JSON.stringify(o.format)}; use 'otlp', 'prometheus' or 'json'.`);
  if (o.headers !== undefined && typeof o.headers !== 'function') {
    if (o.headers === null || typeof o.headers !== 'object') throw new InputError('INVALID_OPTION', 'sync.headers', 'expected { name: value } with string values.');
    for (const [k, v] of Object.entries(o.headers)) {
      if (typeof v !== 'string') throw new InputError('INVALID_OPTION', `sync.headers.${k}`, `is ${typeof v}; expected a string.`);
    }
  }
  for (const k of ['deviceId', 'name', 'job'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v === '' || v.length > 256)) {
      throw new InputError('INVALID_OPTION', `sync.${k}`, `is ${JSON.stringify(v)}; expected a non-empty string of at most 256 characters.`);
    }
  }
  if (o.online !== undefined && typeof o.online !== 'boolean') throw new InputError('INVALID_OPTION', 'sync.online', 'expected true or false.');
  const ms = (k: keyof MonitorSyncOptions, fallback: number): number => num(o[k], `sync.${k}`, fallback, positive, 'a positive number of ms');
  const windowMs = ms('windowMs', HOUR);
  const graceMs = num(o.graceMs, 'sync.graceMs', Math.max(flushIntervalMs, Math.min(300_000, windowMs / 4)), (v) => Number.isFinite(v) && v >= flushIntervalMs,
    `a number of ms >= flushIntervalMs (${flushIntervalMs}), so rows still buffered on the page count in their window`);
  const out: SyncConfig = {
    endpoint: o.endpoint,
    format: o.format,
    headers: typeof o.headers === 'function' ? {} : { ...(o.headers ?? {}) },
    intervalMs: ms('intervalMs', 60_000),
    windowMs,
    graceMs,
    online: o.online ?? true,
  };
  resolvePrivacy(o, windowMs, out);
  if (o.deviceId !== undefined) out.deviceId = o.deviceId;
  if (o.name !== undefined) out.name = o.name;
  if (o.job !== undefined) out.job = o.job;
  if (o.serviceName !== undefined && (typeof o.serviceName !== 'string' || o.serviceName === '')) {
    throw new InputError('INVALID_OPTION', 'sync.serviceName', `is ${JSON.stringify(o.serviceName)}; expected a non-empty string.`);
  }
  if (o.serviceName !== undefined) out.serviceName = o.serviceName;
  if (o.resource !== undefined) {
    if (o.resource === null || typeof o.resource !== 'object' || Object.values(o.resource).some((v) => typeof v !== 'string')) {
      throw new InputError('INVALID_OPTION', 'sync.resource', "expected { 'attribute.name': 'value' } with string values.");
    }
    out.resource = { ...o.resource };
  }
  for (const k of ['batchSize', 'maxEntries', 'maxRequestBytes'] as const) if (o[k] !== undefined) out[k] = num(o[k], `sync.${k}`, 0, positiveInt, 'a positive integer');
  for (const k of ['backoffBaseMs', 'backoffMaxMs', 'timeoutMs', 'beaconBytes'] as const) if (o[k] !== undefined) out[k] = ms(k, 0);
  return out;
}

function resolveWriteRetry(o: MonitorOptions['writeRetry'], batchSize: number): WriteRetry {
  if (o !== undefined && (o === null || typeof o !== 'object')) throw new InputError('INVALID_OPTION', 'writeRetry', 'expected { attempts, backoffMs, maxRows }.');
  return {
    attempts: num(o?.attempts, 'writeRetry.attempts', 5, (v) => Number.isInteger(v) && v >= 1 && v <= 100, 'an integer in [1, 100] (1: no retry)'),
    backoffMs: num(o?.backoffMs, 'writeRetry.backoffMs', 200, (v) => Number.isFinite(v) && v >= 0, 'a number of ms >= 0'),
    maxRows: num(o?.maxRows, 'writeRetry.maxRows', 16 * batchSize, (v) => Number.isInteger(v) && v >= 0, 'an integer number of rows >= 0'),
  };
}

/** The privacy floor's options (see src/sync/privacy.ts), into `out`. */
function resolvePrivacy(o: MonitorSyncOptions, windowMs: number, out: SyncConfig): void {
  out.minRowsPerWindow = num(o.minRowsPerWindow, 'sync.minRowsPerWindow', DEFAULT_MIN_ROWS_PER_WINDOW, positiveInt, 'a positive integer (1 turns the floor off)');
  out.maxHoldMs = num(o.maxHoldMs, 'sync.maxHoldMs', Math.max(DEFAULT_MAX_HOLD_MS, windowMs), (v) => Number.isFinite(v) && v >= windowMs, `a finite number of ms >= windowMs (${windowMs}): a held window must be able to merge with the next, and must leave`);
  if (o.segmentAllowList !== undefined) {
    const list: unknown = o.segmentAllowList;
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v.length > 256)) {
      throw new InputError('INVALID_OPTION', 'sync.segmentAllowList', 'expected an array of segment names (strings of at most 256 characters).');
    }
    out.segmentAllowList = [...(list as string[])];
  }
  if (o.rotateDeviceIdMs !== undefined) {
    if (o.deviceId !== undefined) throw new InputError('INVALID_OPTION', 'sync.rotateDeviceIdMs', 'cannot rotate a deviceId the app gave; drop one of sync.deviceId and sync.rotateDeviceIdMs.');
    out.rotateDeviceIdMs = num(o.rotateDeviceIdMs, 'sync.rotateDeviceIdMs', 0, (v) => Number.isFinite(v) && v >= windowMs, `a number of ms >= windowMs (${windowMs})`);
  }
}

/** Validates options and fills in defaults; throws InputError INVALID_OPTION naming the option. */
export function resolveOptions(o: MonitorOptions): Resolved {
  if (o === null || typeof o !== 'object') throw new InputError('INVALID_OPTION', 'options', 'pass { task, model, ... }.');
  if (!TASKS.includes(o.task)) {
    throw new InputError('INVALID_OPTION', 'task', `is ${JSON.stringify(o.task)}; use one of ${TASKS.join(', ')}.`);
  }
  for (const k of ['model', 'version', 'dbName'] as const) {
    const v = o[k];
    if ((k === 'model' || v !== undefined) && (typeof v !== 'string' || v === '' || v.length > 256 || v.includes('\u0000'))) {
      throw new InputError('INVALID_OPTION', k, `is ${JSON.stringify(v)}; expected a non-empty string (at most 256 characters, no NUL).`);
    }
  }
  const w = o.worker;
  const workerOk = w === undefined || typeof w === 'boolean' || typeof w === 'string' || w instanceof URL || (typeof Worker !== 'undefined' && w instanceof Worker);
  if (!workerOk) throw new InputError('INVALID_OPTION', 'worker', 'expected true, false, a URL of worker.js, or a Worker.');
  if (o.indexedDB !== undefined && (o.indexedDB === null || typeof o.indexedDB.open !== 'function')) {
    throw new InputError('INVALID_OPTION', 'indexedDB', 'expected an IDBFactory (with open()).');
  }
  if (o.indexedDB !== undefined && w !== undefined && w !== false) {
    throw new InputError('INVALID_OPTION', 'worker', 'an injected indexedDB runs the engine in-thread; leave worker unset or false.');
  }
  if (o.baseline !== undefined) {
    if (o.baseline === null || typeof o.baseline !== 'object') throw new InputError('INVALID_OPTION', 'baseline', 'expected { metric: value }.');
    for (const [k, v] of Object.entries(o.baseline)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('INVALID_OPTION', `baseline.${k}`, `is ${String(v)}; expected a finite number.`);
    }
  }
  const batchSize = num(o.batchSize, 'batchSize', 4096, (v) => positiveInt(v) && v <= 65536, 'an integer in [1, 65536]');
  const classes = num(o.classes, 'classes', 0, (v) => Number.isInteger(v) && v >= 2 && v <= 1024, 'an integer number of classes in [2, 1024]');
  if (o.classes !== undefined && o.task !== 'multiclass') throw new InputError('INVALID_OPTION', 'classes', 'only applies to task multiclass.');
  const engine: EngineConfig = {
    task: o.task,
    model: o.model,
    version: o.version ?? '1',
    dbName: o.dbName ?? 'modelwatch',
    retentionMs: num(o.retentionMs, 'retentionMs', 30 * DAY, positive, 'a positive number of ms'),
    latencyWindow: num(o.latencyWindow, 'latencyWindow', 1000, positiveInt, 'a positive integer number of rows'),
    sla: {
      p50Ms: num(o.sla?.p50Ms, 'sla.p50Ms', 50, positive, 'a number of ms > 0'),
      p99Ms: num(o.sla?.p99Ms, 'sla.p99Ms', 200, positive, 'a number of ms > 0'),
    },
    thresholds: resolveThresholds(o.thresholds as Partial<DegradationThresholds> | undefined),
    status: resolveStatusRules(o.status),
    minHistory: num(o.minHistory, 'minHistory', 100, (v) => Number.isInteger(v) && v >= 0, 'an integer number of labeled rows >= 0'),
    alpha: num(o.alpha, 'alpha', 0.05, (v) => v > 0 && v < 1, 'a significance level in (0, 1)'),
    k: num(o.k, 'k', 10, positiveInt, 'a positive integer'),
    writeRetry: resolveWriteRetry(o.writeRetry, batchSize),
  };
  if (o.baseline) engine.baseline = { ...o.baseline };
  if (o.minFeedbackDelayMs !== undefined) {
    engine.minFeedbackDelayMs = num(o.minFeedbackDelayMs, 'minFeedbackDelayMs', 0, Number.isFinite, 'a finite number of ms');
  }
  const flushIntervalMs = num(o.flushIntervalMs, 'flushIntervalMs', 250, positive, 'a positive number of ms');
  if (o.sync !== undefined) engine.sync = resolveSync(o.sync, flushIntervalMs);
  return {
    engine,
    batchSize,
    flushIntervalMs,
    classes,
    checkIntervalMs: num(o.checkIntervalMs, 'checkIntervalMs', 0, (v) => Number.isFinite(v) && v >= 0, 'a number of ms >= 0 (0 = off)'),
    worker: o.indexedDB ? false : (w ?? typeof Worker !== 'undefined'),
    indexedDB: o.indexedDB,
    ...(typeof o.sync?.headers === 'function' ? { syncHeaders: o.sync.headers } : {}),
    persist: bool(o.persist, 'persist', true),
  };
}
