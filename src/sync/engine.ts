// The sync engine: closed-window summaries go to the persistent outbox; one
// tab at a time delivers them when online, with a last keepalive flush on
// pagehide. Delivery is cut by concern, as in OpenTelemetry JS's exporters:
// - transport.ts: one HTTP request (timeout, abort, headers per request);
// - retry.ts: what a status means (retry, cut, pause, quarantine);
// - delta.ts ('json') and cumulative.ts ('otlp', 'prometheus'): what to
//   send and what an answer does to the outbox (outbox.ts), behind mode.ts.
// This file decides when to send: leadership, schedule, backoff, pause.
//
// Delivery rules (the same for every format):
// - a request is at most maxRequestBytes; larger ones are cut into parts
//   that together carry the same content; a 413 cuts further;
// - 429, 502, 503, 504 and no answer are retried with jittered exponential
//   backoff, at least Retry-After;
// - 401, 403, 404 pause delivery ('paused' event), keeping everything;
// - any other status cuts the request until the refused entry is alone and
//   quarantines it ('quarantined' event); the rest is delivered.
import { InputError, StateError } from '../errors.js';
import type { Summary } from '../summary/index.js';
import { serializeSummary } from '../summary/index.js';
import { backoffDelay, parseRetryAfter } from './backoff.js';
import { CumulativeMode, otlpFormat, prometheusFormat } from './cumulative.js';
import { DeltaMode } from './delta.js';
import { idempotencyKey } from './key.js';
import type { DeliveryMode, Part } from './mode.js';
import { Outbox } from './outbox.js';
import type { EntryPayload, RowsPayload } from './outbox.js';
import { verdict } from './retry.js';
import { checkHeaders, HttpTransport, sendKeepalive } from './transport.js';
import type { FlushResult, OutboxStore, SyncEvent, SyncOptions, SyncRequest } from './types.js';

const LOCALHOST = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Rejects non-https endpoints except loopback; returns the parsed URL. */
export function checkEndpoint(endpoint: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(endpoint));
  } catch {
    throw new InputError('INVALID_OPTION', 'options.endpoint', `is ${JSON.stringify(endpoint)}; pass an absolute http(s) URL.`);
  }
  const host = url.hostname;
  const loopback = LOCALHOST.has(host) || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError('INSECURE_ENDPOINT', 'options.endpoint', `is ${url.origin}; summaries leave the device only over https (http is accepted for localhost only).`);
  }
  return url;
}

function positive(v: number | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InputError('INVALID_OPTION', `options.${name}`, `is ${String(v)}; pass a positive number.`);
  return v;
}

function attributes(o: SyncOptions): Record<string, string> {
  if (o.serviceName !== undefined && (typeof o.serviceName !== 'string' || o.serviceName === '')) {
    throw new InputError('INVALID_OPTION', 'options.serviceName', `is ${JSON.stringify(o.serviceName)}; pass a non-empty string.`);
  }
  const r = o.resource ?? {};
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new InputError('INVALID_OPTION', 'options.resource', "pass { 'attribute.name': 'value' }.");
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== 'string') throw new InputError('INVALID_OPTION', `options.resource.${k}`, `is ${typeof v}; resource attribute values are strings.`);
  }
  return { ...r, ...(o.serviceName !== undefined ? { 'service.name': o.serviceName } : {}) };
}

type Resolved = Required<Omit<SyncOptions, 'onEvent' | 'headers' | 'events' | 'locks' | 'serviceName' | 'resource'>> & {
  headers: SyncOptions['headers'];
  resource: Record<string, string>;
  events: EventTarget | null;
  locks: LockManager | null;
  onEvent?: (e: SyncEvent) => void;
};

function resolve(o: SyncOptions): Resolved {
  if (o === null || typeof o !== 'object') throw new InputError('INVALID_OPTION', 'options', 'pass { endpoint, format, deviceId, ... }.');
  checkEndpoint(o.endpoint);
  if (!['otlp', 'prometheus', 'json'].includes(o.format)) throw new InputError('INVALID_OPTION', 'options.format', `is ${JSON.stringify(o.format)}; use 'otlp', 'prometheus' or 'json'.`);
  if (typeof o.deviceId !== 'string' || o.deviceId.length === 0 || o.deviceId.length > 256) {
    throw new InputError('INVALID_OPTION', 'options.deviceId', 'must be a non-empty string of at most 256 characters.');
  }
  if (o.allowRawRows && o.format !== 'json') throw new InputError('INVALID_OPTION', 'options.allowRawRows', `raw rows can only be sent with format 'json', not '${o.format}'.`);
  checkHeaders(o.headers);
  const nav = (globalThis as { navigator?: { onLine?: boolean; locks?: LockManager } }).navigator;
  const g = globalThis as unknown as Partial<EventTarget>;
  const fetchFn = o.fetch ?? (globalThis.fetch ? globalThis.fetch.bind(globalThis) : undefined);
  if (!fetchFn) throw new InputError('INVALID_OPTION', 'options.fetch', 'no fetch is available here; pass one.');
  return {
    endpoint: o.endpoint,
    format: o.format,
    deviceId: o.deviceId,
    headers: o.headers,
    resource: attributes(o),
    intervalMs: positive(o.intervalMs, 'intervalMs', 60_000),
    name: o.name ?? 'default',
    job: o.job ?? 'modelwatch',
    batchSize: Math.floor(positive(o.batchSize, 'batchSize', 100)),
    maxRequestBytes: Math.floor(positive(o.maxRequestBytes, 'maxRequestBytes', 1_000_000)),
    maxEntries: Math.max(2, Math.floor(positive(o.maxEntries, 'maxEntries', 10_000))),
    backoffBaseMs: positive(o.backoffBaseMs, 'backoffBaseMs', 1000),
    backoffMaxMs: positive(o.backoffMaxMs, 'backoffMaxMs', 15 * 60_000),
    timeoutMs: positive(o.timeoutMs, 'timeoutMs', 30_000),
    beaconBytes: positive(o.beaconBytes, 'beaconBytes', 60_000),
    allowRawRows: o.allowRawRows ?? false,
    fetch: fetchFn,
    isOnline: o.isOnline ?? (() => nav?.onLine ?? true),
    events: o.events === undefined ? (typeof g.addEventListener === 'function' ? (globalThis as unknown as EventTarget) : null) : o.events,
    locks: o.locks === undefined ? (nav?.locks ?? null) : o.locks,
    now: o.now ?? Date.now,
    random: o.random ?? Math.random,
    onEvent: o.onEvent,
  };
}

/** The delivery mode of a format (the one place that looks at it). */
function createMode(o: Resolved, outbox: Outbox, emit: (e: SyncEvent) => void): DeliveryMode {
  if (o.format === 'json') return new DeltaMode(outbox, o, emit);
  const format = o.format === 'otlp' ? otlpFormat(o) : prometheusFormat(o);
  return new CumulativeMode(outbox, format, o.now, emit);
}

/**
 * Delivers summaries from the outbox to one endpoint. Create one per
 * destination with the store (or a MemoryOutbox), call start(), feed closed
 * windows with add(); stop() on shutdown.
 */
export class SyncEngine {
  private readonly o: Resolved;
  private readonly outbox: Outbox;
  private readonly mode: DeliveryMode;
  private readonly transport: HttpTransport;
  /** Parts of the current plan not answered yet, and how to finish it; dropped when the outbox changes under it. */
  private round: { queue: Part[]; finish: () => Promise<number> } | undefined;
  private maxBytes: number;
  private failures = 0;
  private retryAt = 0;
  private paused: { status: number; reason: string } | undefined;
  private flushing: Promise<FlushResult> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private leader = false;
  private lockAbort: AbortController | undefined;
  private releaseLock: (() => void) | undefined;
  private readonly listeners: [string, EventListener][] = [];
  /** Serializes outbox writes of add() and flush() so their reads stay consistent. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(store: OutboxStore, options: SyncOptions) {
    this.o = resolve(options);
    this.outbox = new Outbox(store, `modelwatch-sync:${this.o.name}:${this.o.format}`, this.o.maxEntries * 2 + 1000, this.o.now);
    this.mode = createMode(this.o, this.outbox, (e) => this.emit(e));
    this.transport = new HttpTransport(this.o.fetch, this.o.timeoutMs, this.o.headers);
    this.maxBytes = this.o.maxRequestBytes;
  }

  /** Whether this engine holds the sync lock (always true without Web Locks once started). */
  get isLeader(): boolean {
    return this.leader;
  }

  /** Summaries (and row batches) waiting to be delivered, as of the last outbox read. */
  get pending(): number {
    return this.outbox.entries.length;
  }

  /** Entries the endpoint refused for good, kept out of the queue (see requeueQuarantined). */
  get quarantined(): number {
    return this.outbox.quarantined;
  }

  /** Why delivery is paused (a 401, 403 or 404), or undefined. */
  get pausedBy(): { status: number; reason: string } | undefined {
    return this.paused;
  }

  /**
   * Queues closed-window summaries for delivery; resolves once they are in
   * the outbox. `options.meta` values (e.g. the caller's cursor past these
   * windows) are written in the same transaction as the summaries, so a crash
   * leaves either both or neither: a restart never queues a window again.
   * Corrections (kind 'correction') need `options.correction`, an id this
   * device never uses again (see idempotencyKey), and at most one per series
   * and window in one call (merge them first).
   */
  add(summaries: Summary | readonly Summary[], options: { meta?: Readonly<Record<string, unknown>>; correction?: string } = {}): Promise<void> {
    const list = Array.isArray(summaries) ? (summaries as readonly Summary[]) : [summaries as Summary];
    // Serialize (and so validate) before touching the outbox: a bad summary is rejected, never queued.
    const payloads: EntryPayload[] = list.map((s) => ({ kind: 'summary', key: idempotencyKey(this.o.deviceId, s, options.correction), text: serializeSummary(s) }));
    const keys = new Set(payloads.map((p) => p.key));
    if (keys.size < payloads.length) {
      // Two entries under one key: the receiver would count only the first.
      return Promise.reject(new InputError('INVALID_OPTION', 'summaries', 'hold two summaries of one series and window (or two corrections of one); merge them first.'));
    }
    return this.serial(async () => {
      await this.outbox.load();
      await this.outbox.add(payloads, options.meta);
      if (this.outbox.entries.length > this.o.maxEntries) {
        this.round = undefined; // the plan's entries are being merged or folded
        await this.mode.shrink(this.o.maxEntries, (e) => this.emit(e));
      }
    }).then(() => this.kick());
  }

  /**
   * Queues raw rows under a caller-chosen key (the receiver de-duplicates by
   * it). Refused unless the engine was created with allowRawRows: true.
   */
  sendRows(key: string, rows: readonly unknown[]): Promise<void> {
    if (!this.o.allowRawRows) throw new StateError('RAW_NOT_ALLOWED', 'raw rows stay on the device unless the SyncEngine is created with allowRawRows: true');
    if (typeof key !== 'string' || key.length === 0) throw new InputError('INVALID_OPTION', 'key', 'pass a non-empty string that identifies this batch of rows.');
    const payload: RowsPayload = { kind: 'rows', key: `${encodeURIComponent(this.o.deviceId)}|rows|${encodeURIComponent(key)}`, rows: [...rows] };
    return this.serial(async () => {
      await this.outbox.load();
      await this.outbox.add([payload]);
    }).then(() => this.kick());
  }

  /**
   * Puts quarantined entries back in the queue (once the receiver or the
   * data was fixed); resolves to how many.
   */
  requeueQuarantined(): Promise<number> {
    return this.serial(async () => {
      await this.outbox.load();
      return this.outbox.requeue();
    }).then((n) => {
      this.kick();
      return n;
    });
  }

  /** Ends a pause (after fixing credentials or the URL) and delivers at once. */
  resume(): void {
    if (!this.paused) return;
    this.paused = undefined;
    this.retryAt = 0;
    this.emit({ type: 'resumed' });
    this.schedule(0);
  }

  /**
   * Starts syncing: elects one tab per origin with Web Locks (others wait for
   * the lock), flushes every intervalMs and when the device comes online,
   * aborts requests when it goes offline, and flushes with keepalive on
   * pagehide.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    const on = (type: string, fn: () => void): void => {
      if (!this.o.events) return;
      const l = (): void => fn();
      this.o.events.addEventListener(type, l);
      this.listeners.push([type, l]);
    };
    on('online', () => {
      this.retryAt = 0;
      this.schedule(0);
    });
    on('offline', () => this.transport.abortAll('offline'));
    on('pagehide', () => {
      if (this.leader) this.flushKeepalive();
    });
    if (this.o.locks) {
      this.lockAbort = new AbortController();
      this.o.locks
        .request(`modelwatch-sync:${this.o.name}`, { signal: this.lockAbort.signal }, () => {
          if (!this.running) return undefined;
          this.setLeader(true);
          return new Promise<void>((release) => (this.releaseLock = release));
        })
        .catch(() => undefined); // aborted by stop() while waiting
    } else {
      this.setLeader(true);
    }
  }

  /** Stops syncing, aborts requests in flight (they stay in the outbox) and releases the lock. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    for (const [type, l] of this.listeners) this.o.events?.removeEventListener(type, l);
    this.listeners.length = 0;
    this.transport.abortAll('stopped');
    this.lockAbort?.abort();
    await this.flushing?.catch(() => undefined);
    this.releaseLock?.();
    this.releaseLock = undefined;
    this.setLeader(false);
  }

  /**
   * Delivers what the outbox holds now, until it is empty or a request fails.
   * Only the leader sends; a non-started engine sends only if it can take the
   * lock at once. Concurrent calls share one flush.
   */
  flush(): Promise<FlushResult> {
    if (this.flushing) return this.flushing;
    const run = async (): Promise<FlushResult> => {
      // Offline there is nothing to do, leader or not: say so before asking
      // for the lock (a started engine's own lock request may still be queued).
      if (!this.o.isOnline()) {
        await this.outbox.load();
        return { delivered: 0, pending: this.pending, stopped: 'offline' };
      }
      if (this.leader || !this.o.locks) return this.serial(() => this.deliver());
      let result: FlushResult | undefined;
      await this.o.locks.request(`modelwatch-sync:${this.o.name}`, { ifAvailable: true }, async (lock) => {
        if (lock) result = await this.serial(() => this.deliver());
      });
      return result ?? { delivered: 0, pending: this.pending, stopped: 'not-leader' };
    };
    this.flushing = run().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * The requests a pagehide flush would send now, within beaconBytes in total
   * (browsers allow 64 KiB of keepalive bodies in flight), in their smallest
   * form (Prometheus: the spec chapter's buckets only, same exact totals).
   * Entries stay in the outbox: the next session re-sends them and the
   * receiver drops them by key (json) or receives the same totals.
   */
  beaconRequests(): SyncRequest[] {
    if (this.pending === 0 || this.paused) return [];
    const out: SyncRequest[] = [];
    let budget = this.o.beaconBytes;
    const queue = this.mode.plan({ batchSize: this.o.batchSize, compact: true }).parts;
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (part.bytes > Math.min(budget, this.maxBytes)) {
        const cut = part.split();
        if (cut) queue.unshift(...cut);
        // Parts go in outbox order: stop at the first that cannot fit, so a later part never overtakes it.
        if (cut) continue;
        break;
      }
      out.push(this.transport.complete(part.request));
      budget -= part.bytes;
    }
    return out;
  }

  /** Sends beaconRequests() with fetch keepalive (what the pagehide listener does). */
  flushKeepalive(env?: Parameters<typeof sendKeepalive>[1]): number {
    const reqs = this.beaconRequests();
    const sent = sendKeepalive(reqs, env);
    const bytes = reqs.reduce((s, r) => s + new TextEncoder().encode(r.body).length, 0);
    this.emit({ type: 'beacon', requests: sent, bytes, summaries: this.pending });
    return sent;
  }

  // ---------------------------------------------------------------- internals

  private emit(e: SyncEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A listener's bug must not stop delivery.
    }
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.emit({ type: 'leader', leader });
    if (leader) {
      // Another tab may have delivered part of the outbox while we waited.
      this.outbox.reset();
      this.round = undefined;
      this.schedule(0);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private kick(): void {
    if (this.running && this.leader && this.retryAt <= this.o.now()) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (!this.running || !this.leader) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, delay));
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async tick(): Promise<void> {
    let r: FlushResult;
    try {
      r = await this.flush();
    } catch {
      r = { delivered: 0, pending: this.pending, stopped: 'failed', retryAt: this.o.now() + this.o.backoffBaseMs };
    }
    if (!this.running) return;
    if (r.stopped === 'failed' || r.stopped === 'backoff') this.schedule((r.retryAt ?? this.retryAt) - this.o.now());
    else this.schedule(this.o.intervalMs);
  }

  private fail(status: number | undefined, error: unknown, retryAfter: string | null): FlushResult {
    this.failures++;
    const asked = parseRetryAfter(retryAfter, this.o.now()) ?? 0;
    const wait = Math.min(this.o.backoffMaxMs, Math.max(backoffDelay(this.failures, this.o.backoffBaseMs, this.o.backoffMaxMs, this.o.random), asked));
    this.retryAt = this.o.now() + wait;
    this.emit({ type: 'failed', status, error, retryInMs: wait, attempt: this.failures });
    return { delivered: 0, pending: this.pending, stopped: 'failed', retryAt: this.retryAt };
  }

  /** Why delivery cannot go on now, if it cannot. */
  private blocked(): FlushResult | undefined {
    const pending = this.pending;
    if (this.paused) return { delivered: 0, pending, stopped: 'paused' };
    if (!this.o.isOnline()) return { delivered: 0, pending, stopped: 'offline' };
    if (this.retryAt > this.o.now()) return { delivered: 0, pending, stopped: 'backoff', retryAt: this.retryAt };
    if (this.o.locks && this.running && !this.leader) return { delivered: 0, pending, stopped: 'not-leader' };
    return undefined;
  }

  private async deliver(): Promise<FlushResult> {
    await this.outbox.load();
    let delivered = 0;
    const done = (r: FlushResult): FlushResult => ({ ...r, delivered: delivered + r.delivered });
    for (;;) {
      if (!this.round) {
        if (this.pending === 0) return done({ delivered: 0, pending: 0 });
        const plan = this.mode.plan({ batchSize: this.o.batchSize });
        this.round = { queue: [...plan.parts], finish: plan.finish };
      }
      const { queue } = this.round;
      while (queue.length > 0) {
        const stop = this.blocked();
        if (stop) return done(stop);
        const part = queue[0]!;
        const cut = (): boolean => {
          const parts = part.split();
          if (parts) queue.splice(0, 1, ...parts);
          return parts !== null;
        };
        if (part.bytes > this.maxBytes && cut()) continue;
        // A part over the cap that cannot be cut goes anyway: only the endpoint's 413 is proof it is too large.
        let status: number | undefined;
        let body = '';
        let retryAfter: string | null = null;
        let error: unknown;
        try {
          ({ status, body, retryAfter } = await this.transport.send(part.request));
        } catch (e) {
          error = e;
        }
        switch (verdict(status)) {
          case 'ok': {
            queue.shift();
            this.failures = 0;
            const n = await part.accept(status!, body);
            delivered += n;
            if (n > 0) this.emit({ type: 'delivered', count: n, status: status! });
            continue;
          }
          case 'retry':
            return done(this.fail(status, error, retryAfter));
          case 'pause':
            this.paused = { status: status!, reason: body.slice(0, 500) };
            this.emit({ type: 'paused', ...this.paused });
            return done({ delivered: 0, pending: this.pending, stopped: 'paused' });
          case 'too-large':
            // Learn the real limit (a proxy's below ours), then cut.
            if (part.bytes <= this.maxBytes) this.maxBytes = Math.max(1024, part.bytes - 1);
            if (cut()) continue;
            break;
          case 'refused':
            if (cut()) continue;
            break;
        }
        queue.shift();
        await part.refuse(status, `HTTP ${status}: ${body.slice(0, 500)}`);
      }
      const n = await this.round.finish();
      this.round = undefined;
      delivered += n;
      if (n > 0) this.emit({ type: 'delivered', count: n, status: 200 });
    }
  }
}
