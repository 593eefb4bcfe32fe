// createMonitor: what an app writes code against. The main thread only
// appends to typed-array buffers and hands out ids it already holds; batches
// go to the engine (a module Worker via comlink, or in-thread where there is
// no Worker) as transferred ArrayBuffers, one message per batch.

import { proxy, releaseProxy, transfer, wrap } from 'comlink';
import type { Remote } from 'comlink';
import { InputError, ModelwatchError, StateError } from '../errors.js';
import { IdAllocator } from '../store/index.js';
import type { StoreEvent } from '../store/index.js';
import type { SlaResult } from '../metrics/types.js';
import { sendKeepalive } from '../sync/transport.js';
import type { SyncRequest } from '../sync/types.js';
import type {
  Alert,
  CheckResult,
  EngineApi,
  EngineEvent,
  EngineMode,
  LiveView,
  MetricValues,
  Report,
  ReportQuery,
  SeriesPoint,
  SyncNowResult,
  SyncStatus,
  WriteFailedEvent,
} from '../worker/protocol.js';
import { installErrorTransfer } from '../worker/errors.js';
import { LabelBuffer, PredictionBuffer } from './buffers.js';
import { resolveOptions } from './options.js';
import type { MonitorOptions, Resolved } from './options.js';

const DAY = 86_400_000;

/** One prediction in object form (the positional form logPrediction(prediction, score, latencyMs) is faster). */
export interface PredictionInput {
  /** Predicted class (binary: 0 or 1; multiclass: integer >= 0) or value (regression); omit for ranking. */
  prediction?: number;
  /** Probability of class 1 (binary) or of the predicted class (multiclass), in [0, 1]. */
  score?: number;
  /** Multiclass: the probability of every class (length = options.classes). */
  scores?: ArrayLike<number>;
  /** Ranking: item ids as ranked, best first. */
  ranked?: ArrayLike<number>;
  /** Latency of the model call in ms. */
  latencyMs?: number;
  /** Segment name (default ''). */
  segment?: string;
  /** Model version (default options.version). */
  version?: string;
  /** ms since the epoch (default Date.now()): for backfills and tests. */
  timestamp?: number;
}

/** A window: 'day' / 'week' ending with the UTC day of `at` (default now), or explicit bounds. */
export type WindowSpec = 'day' | 'week' | { from: number; to: number; version?: string };

/** A started latency measurement. */
export interface Timer {
  /** Elapsed ms so far. */
  elapsed(): number;
  /** Logs a prediction with the elapsed time as its latency; returns its id. */
  log(prediction: number | PredictionInput, score?: number): number;
}

/**
 * What monitor.on receives: alerts and checks; every store event as plain data
 * (quota-exceeded, compacted, orphan-labels, blocked, closed, reset; a
 * StoreError becomes { name, code, message }); 'write-failed' with the rows
 * of a batch that could not be written; 'error' for any other failure.
 */
export type MonitorEvent =
  | { type: 'alert'; alert: Alert }
  | { type: 'cleared'; key: string }
  | { type: 'check'; result: CheckResult }
  | { type: 'error'; error: unknown }
  | EngineEvent;

// Compile-time checks: every StoreEvent type reaches monitor.on, and none
// shadows one of the monitor's own (a new one that did fails to compile here).
type Expect<T extends true> = T;
/** @internal */
export type EveryStoreEventForwarded = Expect<[Exclude<StoreEvent['type'], MonitorEvent['type']>] extends [never] ? true : false>;
/** @internal */
export type NoStoreEventShadowed = Expect<[Extract<StoreEvent['type'], 'alert' | 'cleared' | 'check' | 'error' | 'write-failed'>] extends [never] ? true : false>;

/** Events raised before the first listener is added (e.g. while the store opens) wait for it, up to this many. */
const EARLY_EVENTS = 100;

// Listeners of one monitor. Created before the engine starts, so events the
// store raises while it opens (a reset, a blocked upgrade) are not lost: they
// wait for the first listener.
class Listeners {
  private readonly set = new Set<(e: MonitorEvent) => void>();
  private early: MonitorEvent[] | undefined = [];

  emit = (e: MonitorEvent): void => {
    if (this.early) {
      if (this.early.length < EARLY_EVENTS) this.early.push(e);
      return;
    }
    for (const l of this.set) {
      try {
        l(e);
      } catch {
        // A failing listener must not break logging.
      }
    }
  };

  add(listener: (event: MonitorEvent) => void): () => void {
    this.set.add(listener);
    const early = this.early;
    if (early) {
      this.early = undefined;
      // After on() returns, so the listener sees them as it sees any event.
      queueMicrotask(() => {
        for (const e of early) this.emit(e);
      });
    }
    return () => this.set.delete(listener);
  }
}

/** The monitor. Create with createMonitor(). */
export interface Monitor {
  readonly mode: EngineMode;
  readonly options: Readonly<Resolved['engine']>;
  /** Logs a prediction; returns its id at once. */
  logPrediction(prediction: number | PredictionInput, score?: number, latencyMs?: number): number;
  /** Logs ground truth for a prediction id: the true class / value, or the relevant items (ranking). */
  logLabel(id: number, truth: number | ArrayLike<number>, labeledAt?: number): void;
  /** Runs fn (sync or async), logs describe(result) with fn's latency; resolves to fn's result and the id. */
  time<T>(fn: () => T | Promise<T>, describe: (result: T) => number | PredictionInput): Promise<{ result: T; id: number }>;
  startTimer(): Timer;
  /**
   * Resolves when everything logged before it is durable in IndexedDB. A batch
   * that could not be written (after writeRetry) makes it reject with
   * StoreError WRITE_FAILED; its rows went to monitor.on in a 'write-failed' event.
   */
  flush(): Promise<void>;
  /**
   * Writes a batch handed back in a 'write-failed' event again, with its
   * original ids (labels logged for them still join); resolves when it is
   * durable, or rejects (WRITE_FAILED, with a new event) as flush() would.
   */
  resubmit(event: WriteFailedEvent): Promise<void>;
  report(window?: WindowSpec, at?: number): Promise<Report>;
  /** One point per day (default: the 7 days of the week ending with `at`). */
  dailySeries(window?: WindowSpec, at?: number): Promise<SeriesPoint[]>;
  captureBaseline(window: WindowSpec, at?: number): Promise<MetricValues>;
  setBaseline(values: MetricValues | undefined): Promise<void>;
  /** Report + degradation + trend + dashboard status of a window; emits and persists new alerts. */
  check(window?: WindowSpec, options?: { at?: number; periodMs?: number; periods?: number }): Promise<CheckResult>;
  live(): Promise<LiveView>;
  /** The live SLA check over the sliding latency window. */
  sla(): Promise<SlaResult>;
  alerts(q?: { from?: number; to?: number }): Promise<Alert[]>;
  /** Folds rows past retention into daily summaries and deletes them. */
  compact(now?: number): Promise<{ chunks: number; rows: number }>;
  /** Where sync stands: state, summaries waiting in the outbox, summaries delivered ('disabled' without the sync option). */
  syncStatus(): Promise<SyncStatus>;
  /**
   * The app's online switch, on top of navigator.onLine: false pauses sync
   * (summaries wait in the outbox), true resumes it when the network is up.
   */
  setOnline(online: boolean): Promise<void>;
  /** Closes the current window early (up to now) and delivers the outbox; needs the sync option. */
  syncNow(): Promise<SyncNowResult>;
  /** Adds a listener; returns a function that removes it. */
  on(listener: (event: MonitorEvent) => void): () => void;
  /** Flushes, closes the store and terminates the worker. Later logging throws StateError MONITOR_CLOSED. */
  close(): Promise<void>;
  readonly closed: boolean;
}

type Client = EngineApi | Remote<EngineApi>;

// A NaN score or latency is rejected, not stored as "missing": it is what a
// broken model produces (0/0 in a softmax, a timer read before it started),
// and storing it would hide that and shrink the rows the score metrics
// cover without a word. A missing value is an omitted one (undefined).
function badScore(argument: string, v: unknown): never {
  if (typeof v !== 'number') throw new InputError('NOT_NUMERIC', argument, `is ${v === null ? 'null' : typeof v}; expected a probability in [0, 1], or leave it out.`);
  if (v !== v) throw new InputError('NON_FINITE', argument, 'is NaN; expected a probability in [0, 1]. Leave it out (undefined) when the model gives none.');
  throw new InputError('PROBABILITY_OUT_OF_RANGE', argument, `is ${v}; expected a probability in [0, 1].`);
}

function badLatency(v: unknown): never {
  if (typeof v !== 'number') throw new InputError('NOT_NUMERIC', 'latencyMs', `is ${v === null ? 'null' : typeof v}; expected a number of ms >= 0, or leave it out.`);
  if (!Number.isFinite(v)) throw new InputError('NON_FINITE', 'latencyMs', `is ${v}; expected a finite number of ms >= 0. Leave it out (undefined) when it was not measured.`);
  throw new InputError('NEGATIVE_VALUE', 'latencyMs', `is ${v}; expected a finite number of ms >= 0.`);
}

function resolveWindow(w: WindowSpec, at: number): ReportQuery {
  const day = Math.floor(at / DAY) * DAY;
  if (w === 'day') return { from: day, to: day + DAY };
  if (w === 'week') return { from: day - 6 * DAY, to: day + DAY };
  if (w === null || typeof w !== 'object' || !Number.isFinite(w.from) || !Number.isFinite(w.to) || !(w.to > w.from)) {
    throw new InputError('INVALID_OPTION', 'window', "expected 'day', 'week' or { from, to } in ms with to > from.");
  }
  return { from: w.from, to: w.to, ...(w.version !== undefined ? { version: w.version } : {}) };
}

async function startEngine(r: Resolved, onEvent: (e: EngineEvent) => void): Promise<{ client: Client; mode: EngineMode; worker?: Worker }> {
  if (r.worker === false) {
    const { createEngine } = await import('../worker/engine.js');
    const engine = createEngine();
    await engine.open(r.engine, r.indexedDB, onEvent, r.syncHeaders);
    return { client: engine, mode: 'in-thread' };
  }
  installErrorTransfer();
  const w = r.worker;
  const worker =
    w instanceof Worker
      ? w
      : typeof w === 'string' || w instanceof URL
        ? new Worker(w, { type: 'module' })
        : // A literal, so bundlers (Vite, webpack 5) emit the worker chunk; in
          // the compiled package it is the sibling dist/worker/worker.js.
          new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' });
  const client = wrap<EngineApi>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new ModelwatchError('WORKER_FAILED', `the monitor worker failed to start: ${e.message ?? 'script error'}`)), { once: true });
  });
  try {
    // The worker calls onEvent and the app's headers function (which stays on
    // this thread) through comlink proxies (MessagePorts); worker.ts releases them on close.
    await Promise.race([client.open(r.engine, undefined, proxy(onEvent), r.syncHeaders ? proxy(r.syncHeaders) : undefined), failed]);
  } catch (e) {
    client[releaseProxy]();
    worker.terminate();
    throw e;
  }
  failed.catch(() => undefined);
  return { client, mode: 'worker', worker };
}

/**
 * Asks the browser to keep the origin's storage under storage pressure. Only
 * a window may ask (StorageManager.persist() is not exposed to workers); the
 * answer is not awaited because Firefox asks the user and settles only when
 * they answer. The worker reads the outcome with persisted() (live()).
 */
function requestPersistence(): void {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (typeof document === 'undefined' || typeof storage?.persist !== 'function') return;
  storage.persist().catch(() => undefined); // a refusal is an answer too: live().persisted stays false
}

/**
 * Creates a monitor: validates options (InputError INVALID_OPTION naming the
 * option), starts the engine (a module Worker, or in-thread where no Worker
 * exists or an IDBFactory is injected), opens the store and reserves ids.
 */
export async function createMonitor(options: MonitorOptions): Promise<Monitor> {
  const r = resolveOptions(options);
  if (r.persist) requestPersistence();
  const listeners = new Listeners();
  const { client, mode, worker } = await startEngine(r, listeners.emit);
  let ids: IdAllocator;
  try {
    ids = await IdAllocator.create(() => client.reserveIdBlock());
  } catch (e) {
    await client.close().catch(() => undefined);
    worker?.terminate();
    throw e;
  }
  return new MonitorImpl(r, client, mode, ids, worker, listeners);
}

class MonitorImpl implements Monitor {
  private isClosed = false;
  private readonly cur: PredictionBuffer;
  private readonly byVersion = new Map<string, PredictionBuffer>();
  private readonly labels: LabelBuffer;
  private readonly segmentIndex = new Map<string, number>([['', 0]]);
  private readonly segments: string[] = [''];
  private readonly pending = new Set<Promise<unknown>>();
  private failures: unknown[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly onHide: (() => void) | undefined;
  private readonly onPageHide: (() => void) | undefined;
  /** The worker's latest pagehide requests: the page sends them, since a Worker never sees pagehide. */
  private beacon: SyncRequest[] = [];
  private readonly binary: boolean;
  private readonly integerClasses: boolean;

  constructor(
    private readonly r: Resolved,
    private readonly client: Client,
    readonly mode: EngineMode,
    private readonly ids: IdAllocator,
    private readonly worker: Worker | undefined,
    private readonly listeners: Listeners,
  ) {
    const e = r.engine;
    this.cur = new PredictionBuffer(e.version, r.batchSize, r.classes);
    this.byVersion.set(e.version, this.cur);
    this.labels = new LabelBuffer(r.batchSize);
    this.binary = e.task === 'binary';
    this.integerClasses = e.task === 'multiclass';
    const tick = setInterval(() => this.send(), r.flushIntervalMs);
    this.timers.push(tick);
    if (r.checkIntervalMs > 0) {
      this.timers.push(setInterval(() => void this.check().catch((error: unknown) => this.emit({ type: 'error', error })), r.checkIntervalMs));
    }
    const sync = e.sync;
    if (sync && mode === 'worker') {
      this.timers.push(setInterval(() => this.refreshBeacon(), Math.min(sync.intervalMs, 5000)));
    }
    // Node: do not keep the process alive for the timers.
    for (const t of this.timers) (t as { unref?: () => void }).unref?.();
    // The page may go away at any moment after these: hand everything over now.
    // (A Worker's pending IndexedDB writes still complete only if the browser
    // lets them; flush() is the durability guarantee.)
    if (typeof addEventListener === 'function' && typeof document !== 'undefined') {
      this.onHide = () => {
        if (document.visibilityState === 'hidden' || !document.visibilityState) this.send();
      };
      addEventListener('pagehide', this.onHide);
      document.addEventListener('visibilitychange', this.onHide);
      if (sync && mode === 'worker') {
        this.onPageHide = () => {
          if (this.beacon.length > 0) sendKeepalive(this.beacon);
        };
        addEventListener('pagehide', this.onPageHide);
      }
    }
  }

  get options(): Readonly<Resolved['engine']> {
    return this.r.engine;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private fail(): never {
    throw new StateError('MONITOR_CLOSED', 'the monitor was closed; create a new one with createMonitor() to log again');
  }

  logPrediction(prediction: number | PredictionInput, score?: number, latencyMs?: number): number {
    if (this.isClosed) this.fail();
    if (typeof prediction !== 'number') return this.logObject(prediction, latencyMs);
    // Hot path: checks are comparisons only; NaN fails every one of them.
    if (this.binary ? prediction !== 0 && prediction !== 1 : this.integerClasses ? !(prediction >= 0 && Math.floor(prediction) === prediction) : !Number.isFinite(prediction)) {
      this.badPrediction(prediction);
    }
    // Absent (undefined) is the only "missing"; NaN is rejected (see badScore).
    if (score !== undefined && (typeof score !== 'number' || !(score >= 0 && score <= 1))) badScore('score', score);
    if (latencyMs !== undefined && (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs < Infinity))) badLatency(latencyMs);
    const b = this.cur;
    const id = this.ids.next();
    const i = b.n++;
    b.id[i] = id;
    b.timestamp[i] = Date.now();
    b.prediction[i] = prediction;
    b.score[i] = score === undefined ? NaN : score;
    b.latencyMs[i] = latencyMs === undefined ? NaN : latencyMs;
    b.segment[i] = 0;
    if (b.n === b.capacity) this.sendPredictions(b);
    return id;
  }

  private badPrediction(p: unknown): never {
    const t = this.r.engine.task;
    const want = t === 'binary' ? '0 or 1' : t === 'multiclass' ? 'an integer class >= 0' : 'a finite number';
    throw new InputError(t === 'binary' ? 'NOT_BINARY' : t === 'multiclass' ? 'NON_INTEGER_LABEL' : 'NON_FINITE', 'prediction', `is ${String(p)}; a ${t} prediction is ${want}.`);
  }

  private logObject(p: PredictionInput, latencyArg: number | undefined): number {
    if (p === null || typeof p !== 'object') throw new InputError('NOT_NUMERIC', 'prediction', 'expected a number or { prediction, score, latencyMs, ... }.');
    const task = this.r.engine.task;
    let prediction = p.prediction;
    if (task === 'ranking') {
      if (!p.ranked || typeof p.ranked.length !== 'number') throw new InputError('INVALID_OPTION', 'ranked', 'a ranking prediction needs ranked: item ids, best first.');
      for (let k = 0; k < p.ranked.length; k++) {
        if (!Number.isFinite(p.ranked[k])) throw new InputError('NOT_NUMERIC', `ranked[${k}]`, 'item ids must be finite numbers.');
      }
      prediction = NaN;
    } else if (typeof prediction !== 'number') this.badPrediction(prediction);
    else if (this.binary ? prediction !== 0 && prediction !== 1 : this.integerClasses ? !(prediction >= 0 && Number.isInteger(prediction)) : !Number.isFinite(prediction)) {
      this.badPrediction(prediction);
    }
    let score = p.score;
    const classes = this.r.classes;
    if (p.scores !== undefined) {
      if (task !== 'multiclass' || p.scores.length !== classes) {
        throw new InputError('SHAPE_MISMATCH', 'scores', `expected ${classes} class probabilities (options.classes) for a multiclass model.`);
      }
      for (let k = 0; k < classes; k++) {
        const v = p.scores[k]!;
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) badScore(`scores[${k}]`, v);
      }
      if (score === undefined) score = p.scores[prediction!];
    }
    if (score !== undefined && (typeof score !== 'number' || !(score >= 0 && score <= 1))) badScore('score', score);
    const s = score === undefined ? NaN : score;
    const l = p.latencyMs === undefined ? latencyArg : p.latencyMs;
    if (l !== undefined && (typeof l !== 'number' || !(l >= 0 && l < Infinity))) badLatency(l);
    const t = p.timestamp ?? Date.now();
    if (!Number.isFinite(t)) throw new InputError('NON_FINITE', 'timestamp', `is ${t}; expected ms since the epoch.`);
    let seg = 0;
    if (p.segment !== undefined && p.segment !== '') {
      if (typeof p.segment !== 'string') throw new InputError('INVALID_OPTION', 'segment', 'expected a string.');
      let k = this.segmentIndex.get(p.segment);
      if (k === undefined) {
        if (this.segments.length >= 65535) throw new InputError('INVALID_OPTION', 'segment', 'more than 65,535 distinct segments.');
        k = this.segments.push(p.segment) - 1;
        this.segmentIndex.set(p.segment, k);
      }
      seg = k;
    }
    let b = this.cur;
    if (p.version !== undefined && p.version !== b.version) {
      if (typeof p.version !== 'string' || p.version === '' || p.version.includes('\u0000')) throw new InputError('INVALID_OPTION', 'version', 'expected a non-empty string.');
      let v = this.byVersion.get(p.version);
      if (!v) this.byVersion.set(p.version, (v = new PredictionBuffer(p.version, this.r.batchSize, classes)));
      b = v;
    }
    const id = this.ids.next();
    const i = b.n++;
    b.id[i] = id;
    b.timestamp[i] = t;
    b.prediction[i] = prediction!;
    b.score[i] = s;
    b.latencyMs[i] = l === undefined ? NaN : l;
    b.segment[i] = seg;
    if (p.scores && b.classScores) {
      for (let k = 0; k < classes; k++) b.classScores[i * classes + k] = p.scores[k]!;
      b.hasClassScores = true;
    }
    if (p.ranked) b.setRanked(i, p.ranked);
    if (b.n === b.capacity) this.sendPredictions(b);
    return id;
  }

  logLabel(id: number, truth: number | ArrayLike<number>, labeledAt?: number): void {
    if (this.isClosed) this.fail();
    if (!Number.isInteger(id) || id < 0) throw new InputError('INVALID_ID', 'id', `is ${id}; pass an id returned by logPrediction.`);
    const task = this.r.engine.task;
    let y: number;
    if (task === 'ranking') {
      if (typeof truth !== 'object' || truth === null || typeof truth.length !== 'number') {
        throw new InputError('INVALID_OPTION', 'truth', 'a ranking label is the list of relevant item ids.');
      }
      for (let k = 0; k < truth.length; k++) if (!Number.isFinite(truth[k])) throw new InputError('NOT_NUMERIC', `truth[${k}]`, 'item ids must be finite numbers.');
      y = truth.length;
    } else {
      if (typeof truth !== 'number') throw new InputError('NOT_NUMERIC', 'truth', `is ${typeof truth}; expected a number.`);
      y = truth;
      if (this.binary ? y !== 0 && y !== 1 : this.integerClasses ? !(y >= 0 && Number.isInteger(y)) : !Number.isFinite(y)) {
        throw new InputError(this.binary ? 'NOT_BINARY' : this.integerClasses ? 'NON_INTEGER_LABEL' : 'NON_FINITE', 'truth', `is ${y}; not a valid ${task} label.`);
      }
    }
    const at = labeledAt ?? Date.now();
    if (!Number.isFinite(at)) throw new InputError('NON_FINITE', 'labeledAt', 'expected ms since the epoch.');
    const b = this.labels;
    const i = b.n++;
    b.id[i] = id;
    b.label[i] = y;
    b.labeledAt[i] = at;
    if (task === 'ranking') b.setRelevant(truth as ArrayLike<number>);
    if (b.n === b.capacity) this.sendLabels();
  }

  async time<T>(fn: () => T | Promise<T>, describe: (result: T) => number | PredictionInput): Promise<{ result: T; id: number }> {
    if (this.isClosed) this.fail();
    const t0 = performance.now();
    const result = await fn();
    const latencyMs = performance.now() - t0;
    const d = describe(result);
    const id = typeof d === 'number' ? this.logPrediction(d, undefined, latencyMs) : this.logObject({ ...d, latencyMs }, undefined);
    return { result, id };
  }

  startTimer(): Timer {
    if (this.isClosed) this.fail();
    const t0 = performance.now();
    return {
      elapsed: () => performance.now() - t0,
      log: (prediction, score) => {
        const latencyMs = performance.now() - t0;
        return typeof prediction === 'number'
          ? this.logPrediction(prediction, score, latencyMs)
          : this.logObject({ ...prediction, latencyMs }, undefined);
      },
    };
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    p.then(
      () => this.pending.delete(p),
      (error: unknown) => {
        this.pending.delete(p);
        this.failures.push(error);
        // A batch handed back was already reported, rows and all, in its 'write-failed' event.
        if ((error as { code?: unknown } | null)?.code !== 'WRITE_FAILED') this.emit({ type: 'error', error });
      },
    );
  }

  private sendPredictions(b: PredictionBuffer): void {
    if (b.n === 0) return;
    const { batch, transfer: buffers } = b.take(this.segments);
    this.track(this.client.ingest(this.mode === 'worker' ? transfer(batch, buffers) : batch));
  }

  private sendLabels(): void {
    if (this.labels.n === 0) return;
    const { batch, transfer: buffers } = this.labels.take();
    this.track(this.client.ingestLabels(this.mode === 'worker' ? transfer(batch, buffers) : batch));
  }

  /** Hands every buffered row to the engine (predictions before labels). */
  private send(): void {
    if (this.isClosed) return;
    for (const b of this.byVersion.values()) this.sendPredictions(b);
    this.sendLabels();
  }

  async flush(): Promise<void> {
    if (this.isClosed) this.fail();
    this.send();
    await Promise.allSettled([...this.pending]);
    // The engine's answer covers every batch since the last flush (several
    // handed back make one WRITE_FAILED); failures seen here are then stale.
    let engineFailure: unknown;
    try {
      await this.client.flush();
    } catch (e) {
      engineFailure = e ?? new Error('flush failed');
    }
    const failures = this.failures;
    this.failures = [];
    if (engineFailure !== undefined) throw engineFailure;
    if (failures.length > 0) throw failures[0];
  }

  async resubmit(event: WriteFailedEvent): Promise<void> {
    if (this.isClosed) this.fail();
    if (event === null || typeof event !== 'object' || event.type !== 'write-failed' || !event.batch || !(event.batch.id instanceof Float64Array)) {
      throw new InputError('INVALID_OPTION', 'event', "expected a 'write-failed' event from monitor.on.");
    }
    // The event's arrays may be listened to elsewhere: send copies, not the event's own buffers.
    const p =
      event.kind === 'predictions'
        ? this.client.ingest(structuredClone(event.batch))
        : this.client.ingestLabels(structuredClone(event.batch));
    await p;
  }

  private query(w: WindowSpec | undefined, at: number | undefined, fallback: WindowSpec): ReportQuery {
    if (this.isClosed) this.fail();
    return resolveWindow(w ?? fallback, at ?? Date.now());
  }

  async report(window?: WindowSpec, at?: number): Promise<Report> {
    const q = this.query(window, at, 'day');
    this.send();
    return this.client.report(q);
  }

  async dailySeries(window?: WindowSpec, at?: number): Promise<SeriesPoint[]> {
    const q = this.query(window, at, 'week');
    this.send();
    return this.client.series({ ...q, periodMs: DAY });
  }

  async captureBaseline(window: WindowSpec, at?: number): Promise<MetricValues> {
    const q = this.query(window, at, 'week');
    this.send();
    return this.client.captureBaseline(q);
  }

  async setBaseline(values: MetricValues | undefined): Promise<void> {
    if (this.isClosed) this.fail();
    if (values !== undefined) {
      for (const [k, v] of Object.entries(values)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('INVALID_OPTION', `baseline.${k}`, `is ${String(v)}; expected a finite number.`);
      }
    }
    return this.client.setBaseline(values);
  }

  async check(window?: WindowSpec, options: { at?: number; periodMs?: number; periods?: number } = {}): Promise<CheckResult> {
    const q = this.query(window, options.at, 'day');
    const periodMs = options.periodMs ?? DAY;
    const periods = options.periods ?? 7;
    if (!(periodMs > 0) || !(Number.isInteger(periods) && periods >= 3)) {
      throw new InputError('INVALID_OPTION', 'options.periods', 'a trend needs periodMs > 0 and an integer periods >= 3.');
    }
    this.send();
    const result = await this.client.check({ ...q, periodMs, periods });
    for (const key of result.cleared) this.emit({ type: 'cleared', key });
    for (const alert of result.alerts) this.emit({ type: 'alert', alert });
    this.emit({ type: 'check', result });
    return result;
  }

  async live(): Promise<LiveView> {
    if (this.isClosed) this.fail();
    this.send();
    return this.client.live();
  }

  async sla(): Promise<SlaResult> {
    return (await this.live()).sla;
  }

  async alerts(q: { from?: number; to?: number } = {}): Promise<Alert[]> {
    if (this.isClosed) this.fail();
    return this.client.alerts(q);
  }

  async compact(now?: number): Promise<{ chunks: number; rows: number }> {
    if (this.isClosed) this.fail();
    await this.flush();
    return this.client.compact(now);
  }

  private refreshBeacon(): void {
    if (this.isClosed || this.mode !== 'worker' || !this.r.engine.sync) return;
    this.client.syncBeacon().then(
      (requests) => (this.beacon = requests),
      () => undefined, // closed meanwhile; the next refresh or close() settles it
    );
  }

  async syncStatus(): Promise<SyncStatus> {
    if (this.isClosed) this.fail();
    const status = await this.client.syncStatus();
    this.refreshBeacon();
    return status;
  }

  async setOnline(online: boolean): Promise<void> {
    if (this.isClosed) this.fail();
    if (typeof online !== 'boolean') throw new InputError('INVALID_OPTION', 'online', `is ${String(online)}; expected true or false.`);
    await this.client.setOnline(online);
  }

  async syncNow(): Promise<SyncNowResult> {
    if (this.isClosed) this.fail();
    if (!this.r.engine.sync) throw new StateError('INVALID_OPTION', 'the monitor has no sync option: pass sync: { endpoint, format } to createMonitor');
    // The window closed is [.., at). Every row logged before this call has a
    // timestamp < at; waiting until the clock reaches `at` before handing the
    // buffers over means every row left behind has a timestamp >= at, so it
    // falls into the next window: nothing is left out, nothing is sent twice.
    const at = Date.now() + 1;
    while (Date.now() < at) await new Promise((resolve) => setTimeout(resolve, 1));
    await this.flush();
    const result = await this.client.syncNow(at);
    this.refreshBeacon();
    return result;
  }

  on(listener: (event: MonitorEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  private emit(e: MonitorEvent): void {
    this.listeners.emit(e);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    let failure: unknown;
    try {
      await this.flush();
    } catch (e) {
      failure = e;
    }
    this.isClosed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.onHide) {
      removeEventListener('pagehide', this.onHide);
      document.removeEventListener('visibilitychange', this.onHide);
    }
    if (this.onPageHide) removeEventListener('pagehide', this.onPageHide);
    try {
      await this.client.close();
    } finally {
      if (this.worker) {
        (this.client as Remote<EngineApi>)[releaseProxy]();
        this.worker.terminate();
      }
    }
    if (failure !== undefined) throw failure;
  }
}
