// The sync engine: closed-window summaries go to the persistent outbox; a
// sender delivers them when online, one tab at a time, with backoff, and a
// last keepalive flush on pagehide.
//
// Two delivery models, by format:
// - 'json' sends each window's summary once, as a delta, under its
//   idempotency key; receivers de-duplicate retries by key.
// - 'otlp' and 'prometheus' send the device's cumulative state per series
//   (a Pushgateway keeps only the last push per group; OTLP CUMULATIVE points
//   are states too). The outbox keeps that state as one record, together with
//   the highest outbox sequence number folded into it, so a retried or
//   repeated push carries the same totals and nothing is counted twice.
//
// Every outbox change is one commitOutbox transaction: a new state replaces
// the old one and the entries folded into it at once, merged entries replace
// their parts at once, and add() can move the caller's cursor (a meta value)
// with the summaries it queues. No crash leaves a summary both queued and
// folded, or queued twice.
//
// Outbox bound (maxEntries pending summaries): for 'otlp'/'prometheus' the
// oldest half is folded into the state record, losing nothing that is sent.
// For 'json' the oldest half is merged per series (mergeSummaries: exact for
// counts, the window spans both), losing only window resolution; if that
// cannot get below the bound (all distinct series), the oldest are dropped
// and reported with a 'dropped' event.
import { InputError, StateError } from '../errors.js';
import type { OutboxRecord } from '../store/index.js';
import { mergeSummaries, parseSummary, serializeSummary } from '../summary/index.js';
import type { Summary } from '../summary/index.js';
import { backoffDelay, parseRetryAfter } from './backoff.js';
import { encodeBatch } from './json.js';
import { idempotencyKey, seriesKey } from './key.js';
import { encodeOtlp } from './otlp.js';
import { encodePrometheus, PROMETHEUS_CONTENT_TYPE, pushgatewayUrl } from './prometheus.js';
import type { PrometheusOptions } from './prometheus.js';
import type { FlushResult, OutboxStore, SyncEvent, SyncOptions, SyncRequest } from './types.js';

/** Payload of a summary waiting in the outbox. */
interface EntryPayload {
  kind: 'summary';
  key: string;
  /** serializeSummary text. */
  text: string;
}

/** Payload of raw rows waiting in the outbox (only with allowRawRows). */
interface RowsPayload {
  kind: 'rows';
  key: string;
  rows: unknown[];
}

/** Payload of the cumulative state ('otlp', 'prometheus'). */
interface StatePayload {
  kind: 'state';
  /** Every summary entry with seq <= upTo is included. */
  upTo: number;
  startMs: number;
  texts: string[];
}

interface Entry {
  seq: number;
  payload: EntryPayload | RowsPayload;
}

interface State {
  seqs: number[];
  upTo: number;
  startMs: number;
  texts: string[];
}

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

type Resolved = Required<Omit<SyncOptions, 'onEvent' | 'headers' | 'events' | 'locks'>> & {
  headers: Record<string, string>;
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
  const nav = (globalThis as { navigator?: { onLine?: boolean; locks?: LockManager } }).navigator;
  const g = globalThis as unknown as Partial<EventTarget>;
  const fetchFn = o.fetch ?? (globalThis.fetch ? globalThis.fetch.bind(globalThis) : undefined);
  if (!fetchFn) throw new InputError('INVALID_OPTION', 'options.fetch', 'no fetch is available here; pass one.');
  return {
    endpoint: o.endpoint,
    format: o.format,
    deviceId: o.deviceId,
    headers: { ...(o.headers ?? {}) },
    intervalMs: positive(o.intervalMs, 'intervalMs', 60_000),
    name: o.name ?? 'default',
    job: o.job ?? 'modelwatch',
    batchSize: Math.floor(positive(o.batchSize, 'batchSize', 100)),
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

const utf8 = new TextEncoder();

/**
 * Sends a pagehide flush: fetch with keepalive (keeps headers and PUT), else
 * navigator.sendBeacon. Returns how many requests were handed to the browser.
 * Callable on the main thread with requests a worker prepared (beaconRequests()).
 */
export function sendKeepalive(requests: readonly SyncRequest[], env: { fetch?: typeof fetch; sendBeacon?: (url: string, data: BodyInit) => boolean } = {}): number {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  const f = env.fetch ?? globalThis.fetch?.bind(globalThis);
  const beacon = env.sendBeacon ?? (nav?.sendBeacon ? nav.sendBeacon.bind(nav) : undefined);
  let sent = 0;
  for (const r of requests) {
    try {
      if (!f) throw new Error('no fetch');
      f(r.url, { method: r.method, headers: r.headers, body: r.body, keepalive: true, credentials: 'omit' }).catch(() => undefined);
      sent++;
    } catch {
      // fetch refused synchronously (e.g. over the keepalive quota): try a beacon, which is POST-only and header-less.
      if (beacon && r.method === 'POST' && beacon(r.url, new Blob([r.body], { type: r.headers['content-type'] ?? 'text/plain' }))) sent++;
    }
  }
  return sent;
}

/**
 * Delivers summaries from the outbox to one endpoint. Create one per
 * destination with the store (or a MemoryOutbox), call start(), feed closed
 * windows with add(); stop() on shutdown.
 */
export class SyncEngine {
  private readonly o: Resolved;
  private readonly destination: string;
  private readonly stateDestination: string;
  private entries: Entry[] = [];
  private state: State | undefined;
  private loaded: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private batchLimit: number;
  private flushing: Promise<FlushResult> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private leader = false;
  private lockAbort: AbortController | undefined;
  private releaseLock: (() => void) | undefined;
  private readonly inflight = new Set<AbortController>();
  private readonly listeners: [string, EventListener][] = [];
  /** Serializes outbox writes of add() and flush() so their reads stay consistent. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: OutboxStore,
    options: SyncOptions,
  ) {
    this.o = resolve(options);
    this.destination = `modelwatch-sync:${this.o.name}:${this.o.format}`;
    this.stateDestination = `${this.destination}#state`;
    this.batchLimit = this.o.batchSize;
  }

  /** Whether this engine holds the sync lock (always true without Web Locks once started). */
  get isLeader(): boolean {
    return this.leader;
  }

  /** Summaries (and row batches) waiting to be delivered, as of the last outbox read. */
  get pending(): number {
    return this.entries.length;
  }

  /**
   * Queues closed-window summaries for delivery; resolves once they are in
   * the outbox. `options.meta` values (e.g. the caller's cursor past these
   * windows) are written in the same transaction as the summaries, so a crash
   * leaves either both or neither: a restart never queues a window again.
   */
  add(summaries: Summary | readonly Summary[], options: { meta?: Readonly<Record<string, unknown>> } = {}): Promise<void> {
    const list = Array.isArray(summaries) ? (summaries as readonly Summary[]) : [summaries as Summary];
    // Serialize (and so validate) before touching the outbox: a bad summary is rejected, never queued.
    const payloads: EntryPayload[] = list.map((s) => ({ kind: 'summary', key: idempotencyKey(this.o.deviceId, s), text: serializeSummary(s) }));
    return this.serial(async () => {
      await this.load();
      const createdAt = this.o.now();
      const seqs = await this.store.commitOutbox({
        add: payloads.map((payload) => ({ createdAt, destination: this.destination, payload })),
        ...(options.meta ? { meta: options.meta } : {}),
      });
      payloads.forEach((payload, i) => this.entries.push({ seq: seqs[i]!, payload }));
      if (this.entries.length > this.o.maxEntries) await this.shrink();
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
      await this.load();
      const [seq] = await this.store.commitOutbox({ add: [{ createdAt: this.o.now(), destination: this.destination, payload }] });
      this.entries.push({ seq: seq!, payload });
    }).then(() => this.kick());
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
    on('offline', () => this.abortInflight());
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
    this.abortInflight();
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
        await this.load();
        return { delivered: 0, pending: this.entries.length, stopped: 'offline' };
      }
      if (this.leader || !this.o.locks) return this.serial(() => this.deliver());
      let result: FlushResult | undefined;
      await this.o.locks.request(`modelwatch-sync:${this.o.name}`, { ifAvailable: true }, async (lock) => {
        if (lock) result = await this.serial(() => this.deliver());
      });
      return result ?? { delivered: 0, pending: this.entries.length, stopped: 'not-leader' };
    };
    this.flushing = run().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * The requests a pagehide flush would send now, within beaconBytes in total
   * (browsers allow 64 KiB of keepalive bodies in flight). Entries stay in the
   * outbox: the next session re-sends them and the receiver drops them by key
   * (json) or receives the same totals (otlp, prometheus).
   */
  beaconRequests(): SyncRequest[] {
    if (this.o.format !== 'json') {
      if (this.entries.length === 0) return [];
      const summaries = this.entries.filter((e) => e.payload.kind === 'summary');
      const fits = (r: SyncRequest): boolean => utf8.encode(r.body).length <= this.o.beaconBytes;
      const full = this.stateRequest(summaries).request;
      if (fits(full)) return [full];
      // The exponential latency grid makes a Prometheus push ~80 KB; the last
      // flush carries the spec chapter's buckets only (same exact totals), and
      // the next session's push brings the grid back.
      if (this.o.format !== 'prometheus') return [];
      const compact = this.stateRequest(summaries, { exponentialScale: null }).request;
      return fits(compact) ? [compact] : [];
    }
    const out: SyncRequest[] = [];
    let budget = this.o.beaconBytes;
    let i = 0;
    while (i < this.entries.length) {
      let take = Math.min(this.batchLimit, this.entries.length - i);
      let req = this.jsonRequest(this.entries.slice(i, i + take));
      let bytes = utf8.encode(req.body).length;
      while (bytes > budget && take > 1) {
        take = Math.floor(take / 2);
        req = this.jsonRequest(this.entries.slice(i, i + take));
        bytes = utf8.encode(req.body).length;
      }
      if (bytes > budget) break;
      out.push(req);
      budget -= bytes;
      i += take;
    }
    return out;
  }

  /** Sends beaconRequests() with fetch keepalive / sendBeacon (what the pagehide listener does). */
  flushKeepalive(env?: Parameters<typeof sendKeepalive>[1]): number {
    const reqs = this.beaconRequests();
    const sent = sendKeepalive(reqs, env);
    const bytes = reqs.reduce((s, r) => s + utf8.encode(r.body).length, 0);
    this.emit({ type: 'beacon', requests: sent, bytes, summaries: this.entries.length });
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
      this.loaded = undefined;
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
      r = { delivered: 0, pending: this.entries.length, stopped: 'failed', retryAt: this.o.now() + this.o.backoffBaseMs };
    }
    if (!this.running) return;
    if (r.stopped === 'failed' || r.stopped === 'backoff') this.schedule((r.retryAt ?? this.retryAt) - this.o.now());
    else this.schedule(this.o.intervalMs);
  }

  private abortInflight(): void {
    for (const c of this.inflight) c.abort(new DOMException('offline or stopped', 'AbortError'));
  }

  /** Reads this destination's records from the outbox (once, and again after a takeover). */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const records: OutboxRecord[] = await this.store.outbox(this.o.maxEntries * 2 + 1000);
      const entries: Entry[] = [];
      let state: State | undefined;
      const staleStates: number[] = [];
      for (const r of records) {
        if (r.seq === undefined) continue;
        if (r.destination === this.destination) entries.push({ seq: r.seq, payload: r.payload as Entry['payload'] });
        else if (r.destination === this.stateDestination) {
          const p = r.payload as StatePayload;
          if (state) staleStates.push(...state.seqs);
          state = { seqs: [r.seq], upTo: p.upTo, startMs: p.startMs, texts: p.texts };
        }
      }
      entries.sort((a, b) => a.seq - b.seq);
      // Entries at or below the state's upTo were folded in before a crash cut the clean-up short
      // (outboxes written before state and clean-up became one transaction).
      const folded = state ? entries.filter((e) => e.seq <= state.upTo).map((e) => e.seq) : [];
      if (folded.length || staleStates.length) await this.store.commitOutbox({ remove: [...folded, ...staleStates] });
      this.entries = state ? entries.filter((e) => e.seq > state.upTo) : entries;
      this.state = state;
    })().catch((e: unknown) => {
      this.loaded = undefined;
      throw e;
    });
    return this.loaded;
  }

  private jsonRequest(entries: readonly Entry[]): SyncRequest {
    const sums: { key: string; text: string }[] = [];
    const rows: { key: string; rows: unknown[] }[] = [];
    for (const e of entries) {
      if (e.payload.kind === 'summary') sums.push({ key: e.payload.key, text: e.payload.text });
      else rows.push({ key: e.payload.key, rows: e.payload.rows });
    }
    return {
      url: this.o.endpoint,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.o.headers },
      body: encodeBatch(this.o.deviceId, sums, rows),
    };
  }

  /** The cumulative state after folding `entries` into the stored state, and its request. */
  private stateRequest(entries: readonly Entry[], prometheus: PrometheusOptions = {}): { request: SyncRequest; texts: string[]; startMs: number } {
    const bySeries = new Map<string, Summary>();
    let startMs = this.state?.startMs ?? Infinity;
    const add = (s: Summary): void => {
      const k = seriesKey(s);
      const prev = bySeries.get(k);
      bySeries.set(k, prev ? mergeSummaries(prev, s) : s);
    };
    for (const t of this.state?.texts ?? []) add(parseSummary(t));
    for (const e of entries) {
      if (e.payload.kind !== 'summary') continue;
      const s = parseSummary(e.payload.text);
      startMs = Math.min(startMs, s.window.start);
      add(s);
    }
    const all = [...bySeries.values()];
    const texts = all.map(serializeSummary);
    const timeMs = Math.max(this.o.now(), ...all.map((s) => s.window.end));
    let request: SyncRequest;
    if (this.o.format === 'prometheus') {
      request = {
        url: pushgatewayUrl(this.o.endpoint, this.o.job, this.o.deviceId),
        // PUT replaces the device's whole group: series that vanished do not linger.
        method: 'PUT',
        headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, ...this.o.headers },
        body: encodePrometheus(all, prometheus),
      };
    } else {
      request = {
        url: this.o.endpoint,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.o.headers },
        body: JSON.stringify(encodeOtlp(all, { deviceId: this.o.deviceId, startMs, timeMs })),
      };
    }
    return { request, texts, startMs };
  }

  /** Writes a new state that includes entries up to `upTo` and removes what it replaces, in one transaction. */
  private async commitState(texts: string[], startMs: number, folded: readonly Entry[]): Promise<void> {
    if (folded.length === 0) return;
    const upTo = folded[folded.length - 1]!.seq;
    const payload: StatePayload = { kind: 'state', upTo, startMs, texts };
    const old = this.state?.seqs ?? [];
    const [seq] = await this.store.commitOutbox({
      add: [{ createdAt: this.o.now(), destination: this.stateDestination, payload }],
      remove: [...old, ...folded.map((e) => e.seq)],
    });
    this.state = { seqs: [seq!], upTo, startMs, texts };
    const gone = new Set(folded.map((e) => e.seq));
    this.entries = this.entries.filter((e) => !gone.has(e.seq));
  }

  /** Applies the full-outbox policy (see the top of this file). */
  private async shrink(): Promise<void> {
    const before = this.entries.length;
    const oldest = this.entries.slice(0, Math.ceil(before / 2));
    if (this.o.format !== 'json') {
      const folded = oldest.filter((e) => e.payload.kind === 'summary');
      const { texts, startMs } = this.stateRequest(folded);
      await this.commitState(texts, startMs, folded);
    } else {
      const groups = new Map<string, { seqs: number[]; summary: Summary }>();
      for (const e of oldest) {
        if (e.payload.kind !== 'summary') continue;
        const s = parseSummary(e.payload.text);
        const k = seriesKey(s);
        const g = groups.get(k);
        if (g) {
          g.seqs.push(e.seq);
          g.summary = mergeSummaries(g.summary, s);
        } else groups.set(k, { seqs: [e.seq], summary: s });
      }
      const merged = [...groups.values()].filter((g) => g.seqs.length > 1);
      // Merged entries replace their parts in one transaction: a merge has a
      // new idempotency key, so a crash that left both would count them twice.
      const payloads = merged.map((g): EntryPayload => ({ kind: 'summary', key: idempotencyKey(this.o.deviceId, g.summary), text: serializeSummary(g.summary) }));
      const gone = merged.flatMap((g) => g.seqs);
      const createdAt = this.o.now();
      const seqs = await this.store.commitOutbox({ add: payloads.map((payload) => ({ createdAt, destination: this.destination, payload })), remove: gone });
      payloads.forEach((payload, i) => this.entries.push({ seq: seqs[i]!, payload }));
      const goneSet = new Set(gone);
      this.entries = this.entries.filter((e) => !goneSet.has(e.seq)).sort((a, b) => a.seq - b.seq);
      if (this.entries.length > this.o.maxEntries) {
        const drop = this.entries.slice(0, this.entries.length - this.o.maxEntries);
        await this.store.commitOutbox({ remove: drop.map((e) => e.seq) });
        this.entries = this.entries.slice(drop.length);
        this.emit({ type: 'dropped', count: drop.length });
      }
    }
    this.emit({ type: 'coalesced', before, after: this.entries.length });
  }

  /** One request with a timeout; aborted when the device goes offline or the engine stops. */
  private async send(req: SyncRequest): Promise<Response> {
    const c = new AbortController();
    this.inflight.add(c);
    const timer = setTimeout(() => c.abort(new DOMException(`no answer within ${this.o.timeoutMs} ms`, 'TimeoutError')), this.o.timeoutMs);
    try {
      const res = await this.o.fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: c.signal });
      // Read the body under the same timeout: a stalled body is a failed delivery.
      const text = await res.text();
      return new Response(res.status === 204 || res.status === 304 ? null : text, { status: res.status, headers: res.headers });
    } finally {
      clearTimeout(timer);
      this.inflight.delete(c);
    }
  }

  private fail(status: number | undefined, error: unknown, retryAfter: number | undefined): FlushResult {
    this.failures++;
    const wait = Math.min(this.o.backoffMaxMs, Math.max(backoffDelay(this.failures, this.o.backoffBaseMs, this.o.backoffMaxMs, this.o.random), retryAfter ?? 0));
    this.retryAt = this.o.now() + wait;
    this.emit({ type: 'failed', status, error, retryInMs: wait, attempt: this.failures });
    return { delivered: 0, pending: this.entries.length, stopped: 'failed', retryAt: this.retryAt };
  }

  private async deliver(): Promise<FlushResult> {
    await this.load();
    let delivered = 0;
    const result = (r: Omit<FlushResult, 'delivered'>): FlushResult => ({ ...r, delivered });
    while (this.entries.length > 0) {
      if (!this.o.isOnline()) return result({ pending: this.entries.length, stopped: 'offline' });
      if (this.retryAt > this.o.now()) return result({ pending: this.entries.length, stopped: 'backoff', retryAt: this.retryAt });
      if (this.o.locks && this.running && !this.leader) return result({ pending: this.entries.length, stopped: 'not-leader' });
      const json = this.o.format === 'json';
      const batch = json ? this.entries.slice(0, this.batchLimit) : [...this.entries];
      let state: ReturnType<SyncEngine['stateRequest']> | undefined;
      const req = json ? this.jsonRequest(batch) : (state = this.stateRequest(batch)).request;
      let res: Response;
      try {
        res = await this.send(req);
      } catch (error) {
        const r = this.fail(undefined, error, undefined);
        return result(r);
      }
      const s = res.status;
      if (s >= 200 && s < 300) {
        if (state) await this.commitState(state.texts, state.startMs, batch);
        else {
          await this.store.commitOutbox({ remove: batch.map((e) => e.seq) });
          const gone = new Set(batch.map((e) => e.seq));
          this.entries = this.entries.filter((e) => !gone.has(e.seq));
          const rejected = await rejectedCount(res);
          if (rejected > 0) this.emit({ type: 'rejected', count: rejected, status: s, reason: 'the receiver refused some summaries of the batch' });
        }
        this.failures = 0;
        this.batchLimit = this.o.batchSize;
        delivered += batch.length;
        this.emit({ type: 'delivered', count: batch.length, status: s });
        continue;
      }
      if (s === 413 && batch.length > 1 && json) {
        this.batchLimit = Math.max(1, Math.floor(batch.length / 2));
        continue;
      }
      const retryable = s === 408 || s === 425 || s === 429 || s >= 500 || s === 401 || s === 403 || s === 404;
      if (retryable) return result(this.fail(s, undefined, parseRetryAfter(res.headers.get('retry-after'), this.o.now())));
      // Any other 4xx (400, 413 of one entry, 422): the endpoint will never take this content and
      // retrying would block the queue, so the batch is dropped (not folded into the state) and reported.
      await this.store.commitOutbox({ remove: batch.map((e) => e.seq) });
      const gone = new Set(batch.map((e) => e.seq));
      this.entries = this.entries.filter((e) => !gone.has(e.seq));
      this.emit({ type: 'rejected', count: batch.length, status: s, reason: (await res.text()).slice(0, 500) });
    }
    return result({ pending: 0 });
  }
}

async function rejectedCount(res: Response): Promise<number> {
  try {
    const body = (await res.json()) as { rejected?: unknown[] };
    return Array.isArray(body.rejected) ? body.rejected.length : 0;
  } catch {
    return 0;
  }
}
