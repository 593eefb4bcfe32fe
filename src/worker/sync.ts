// The engine's side of sync: closes time windows of ingested rows, hands each
// closed window's summaries to a SyncEngine ([sync]) and reports its status.
//
// Windows are [k * windowMs, (k + 1) * windowMs) in ms since the epoch, by
// prediction timestamp. A window closes once its end is graceMs in the past
// (or early, by syncNow). Its summaries are built at close from the store's
// raw rows, joined with the labels stored by then, so rows and labels logged
// in an earlier session count too. A persisted cursor (the end of the last
// closed window, a store meta value) makes each window enqueued once: a
// reload resumes from it, and the close runs under a Web Lock so two tabs on
// one database do not both close it.
//
// Late labels (late.ts): a label that arrives after its prediction's window
// closed travels as a correction, a summary of kind 'correction' carrying the
// label side only, under its own idempotency key (window key + 'correction' +
// a sequence number committed with it). Label batches are recorded as intents
// (store meta) before they are written, both under the close lock; the next
// close resolves them against the store and queues the corrections in the
// same transaction as its windows, the cursor and the cleared intents. A
// label that replaces one the fleet already counted is not sent (a summary
// can only add); it is counted (status().lateLabels.superseded). The privacy
// floor applies to corrections too (applyCorrectionFloor). graceMs still
// matters: labels within it ride in the window's own summary, cheaper than a
// correction. Rows logged with a timestamp older than the cursor (backfills)
// are stored but not sent, and neither are their labels (the backfilled ids
// are recorded before the rows are written). After a device id rotation,
// late labels of windows sent under the old id are not sent either (the new
// id has no predictions to correct, and sending would link the two).
//
// Crash safety: a window's summaries and the cursor past it are written in
// one IndexedDB transaction (SyncEngine.add with meta, Store.commitOutbox). A
// crash leaves both or neither, so no window is queued twice: that matters for
// 'otlp'/'prometheus', which send cumulative totals and could not tell a
// repeated window from a new one ('json' receivers drop repeats by key).
//
// Privacy floor (src/sync/privacy.ts): at close, segments off the allow-list
// become 'other', and a series' window with fewer than minRowsPerWindow
// predictions is held. Held series are a store meta value written in the
// same transaction as the summaries that leave and the cursor, so a crash
// neither sends a held window nor loses it; the next close merges them into
// the series' next window, and maxHoldMs lets a sparse series leave anyway.
//
// Device id rotation (rotateDeviceIdMs): a new random id replaces the stored
// one once it is that old, but only when this engine's outbox is empty, so
// every queued summary leaves under the id it was queued with. The new id
// gets a new outbox name (base name + '#epoch'): its cumulative state
// ('otlp'/'prometheus') starts empty, so the new device's totals are not the
// old one's continued (which would link the two ids and, summed over
// devices, count the old totals twice). The old name's records (its last
// delivered state) are removed in the transaction that stores the new id.
import type { Store } from '../store/index.js';
import { SyncEngine } from '../sync/index.js';
import type { SyncEvent, SyncHeaders, SyncRequest } from '../sync/index.js';
import { applyAllowList, applyCorrectionFloor, applyFloor, heldRows } from '../sync/privacy.js';
import type { Held } from '../sync/privacy.js';
import type { Summary } from '../summary/index.js';
import { appendIntents, asBackfills, asIntents, resolveLate } from './late.js';
import type { LateStats } from './late.js';
import type { EngineConfig, SyncConfig, SyncNowResult, SyncStatus } from './protocol.js';

/** Store meta key of the cursor (end of the last closed window) of a model. */
const cursorMeta = (model: string): string => JSON.stringify(['syncCursor', model]);
/** Store meta key of the series held by the privacy floor of a model. */
const heldMeta = (model: string): string => JSON.stringify(['syncHeld', model]);
/**
 * Store meta keys of late labels (late.ts): one record of intents per label
 * batch (so a batch writes only its own ids, whatever is pending) and the
 * range of batch numbers not yet resolved; backfilled ids, counts, held
 * corrections, correction sequence.
 */
const lateMeta = (model: string, n: number): string => JSON.stringify(['syncLate', model, n]);
const lateRangeMeta = (model: string): string => JSON.stringify(['syncLateRange', model]);
const backfillMeta = (model: string): string => JSON.stringify(['syncBackfill', model]);
const lateStatsMeta = (model: string): string => JSON.stringify(['syncLateStats', model]);
const heldCorrectionsMeta = (model: string): string => JSON.stringify(['syncHeldCorrections', model]);
const correctionSeqMeta = (model: string): string => JSON.stringify(['syncCorrectionSeq', model]);
/** Store meta key of the device id and epoch a model's outbox uses (set by rotation). */
const deviceMeta = (model: string): string => JSON.stringify(['syncDevice', model]);
/** Store meta key of the device id (one per database). */
const DEVICE_META = 'deviceId';
/** Store meta keys of when the device id was created (ms) and how many rotations preceded it. */
const DEVICE_SINCE_META = 'deviceIdSince';
const DEVICE_EPOCH_META = 'deviceIdEpoch';
/** Where earlier versions kept cursor and device id, before the store had meta: summary records of pseudo-models. */
const LEGACY_CURSOR = '\u0000sync';
const LEGACY_DEVICE = '\u0000modelwatch-device';
/** Longest sleep between close checks, so a suspended device or a changed clock is noticed. */
const MAX_SLEEP_MS = 60_000;

/** Builds the summaries of rows with timestamps in [from, to), one per version, segment and window. */
export type WindowSummaries = (from: number, to: number, windowMs: number) => Promise<Summary[]>;

/** The running sync of one engine. */
export interface SyncBridge {
  status(): SyncStatus;
  setOnline(online: boolean): void;
  /** Closes every window ending at or before `upTo` (or the part before `upTo` of the window holding it). */
  close(upTo: number): Promise<number>;
  /** Closes up to `at` (the current window early) and delivers what the outbox holds. */
  syncNow(at: number): Promise<SyncNowResult>;
  /** The requests a pagehide flush would send now ([] unless this tab delivers and is online). */
  beacon(): SyncRequest[];
  /**
   * Runs a label batch's write under the close lock: `run` gets `intent`,
   * which records the batch for late-label corrections, to call (inside its
   * attempt, before writing) so no window closes between the two.
   */
  labels(b: { id: Float64Array; label: Float64Array; labeledAt: Float64Array }, run: (intent: () => Promise<void>) => Promise<void>): Promise<void>;
  /**
   * Runs a prediction batch's write; if it holds rows older than the cursor
   * (backfills, never sent), under the close lock with `intent` recording
   * their ids first, so their late labels are not sent either.
   */
  rows(b: { id: Float64Array; timestamp: Float64Array }, run: (intent: () => Promise<void>) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

function randomId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Runs fn under a Web Lock where there is one (browsers, workers), else in a local queue. */
function locked(name: string): <T>(fn: () => Promise<T>) => Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = locks ? () => locks.request(name, fn) as Promise<T> : fn;
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  };
}

/** The device id: given, else read from the database, else created and stored (under a lock, once per database). */
async function deviceId(store: Store, c: Pick<EngineConfig, 'dbName'>, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  return locked(`modelwatch-device:${c.dbName}`)(async () => {
    const saved = await store.getMeta(DEVICE_META);
    if (typeof saved === 'string' && saved.length > 0) return saved;
    const [rec] = await store.summaries({ model: LEGACY_DEVICE, version: '' });
    const legacy = (rec?.data as { deviceId?: unknown } | undefined)?.deviceId;
    const id = typeof legacy === 'string' && legacy.length > 0 ? legacy : randomId();
    await store.setMeta(DEVICE_META, id);
    return id;
  });
}

/**
 * Starts sync for an open engine: resolves the device id, creates and starts
 * the SyncEngine on the store's outbox and schedules window closes.
 */
export async function startSync(store: Store, c: Pick<EngineConfig, 'dbName' | 'model'> & Partial<Pick<EngineConfig, 'task' | 'retentionMs'>>, sc: SyncConfig, summaries: WindowSummaries, headers?: SyncHeaders): Promise<SyncBridge> {
  let device = await deviceId(store, c, sc.deviceId);
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  const g = globalThis as unknown as Partial<EventTarget>;
  let appOnline = sc.online;
  const netOnline = (): boolean => nav?.onLine ?? true;
  const online = (): boolean => appOnline && netOnline();

  // The SyncEngine listens here: the platform's online/offline (while the app
  // allows sync), the app's setOnline, and pagehide when running on the page
  // (a Worker never sees pagehide; there the monitor sends the beacon).
  const events = new EventTarget();
  const relays: [string, EventListener][] = [];
  if (typeof g.addEventListener === 'function') {
    const relay = (type: string, when: () => boolean): void => {
      const l = (): void => {
        if (when()) events.dispatchEvent(new Event(type));
      };
      g.addEventListener!(type, l);
      relays.push([type, l]);
    };
    relay('online', () => appOnline);
    relay('offline', () => appOnline);
    // The app's offline switch holds for the last flush too.
    if (typeof document !== 'undefined') relay('pagehide', online);
  }

  let delivered = 0;
  let lastError: string | undefined;
  let closeError: string | undefined;
  const onEvent = (e: SyncEvent): void => {
    if (e.type === 'delivered') {
      delivered += e.count;
      lastError = undefined;
    } else if (e.type === 'failed') {
      const err = e.error as { name?: string; message?: string } | undefined;
      lastError = e.status !== undefined ? `HTTP ${e.status}` : err ? `${err.name ?? 'Error'}: ${err.message ?? String(err)}` : 'request failed';
    } else if (e.type === 'quarantined') {
      lastError = `${e.count} summaries quarantined (${e.reason})`;
    } else if (e.type === 'paused') {
      lastError = `delivery paused by HTTP ${e.status} (check the endpoint and credentials): ${e.reason}`;
    } else if (e.type === 'resumed') {
      lastError = undefined;
    }
  };
  const pass = <K extends keyof SyncConfig>(k: K): Partial<Pick<SyncConfig, K>> => (sc[k] !== undefined ? ({ [k]: sc[k] } as Pick<SyncConfig, K>) : {});
  // One outbox queue and one sync lock per database and model: two monitors
  // must neither deliver each other's summaries nor wait for each other.
  const baseName = sc.name ?? `${c.dbName}/${c.model}`;
  const nameOf = (epoch: number): string => (epoch > 0 ? `${baseName}#${epoch}` : baseName);
  const makeEngine = (id: string, epoch: number): SyncEngine =>
    new SyncEngine(store, {
      endpoint: sc.endpoint,
      format: sc.format,
      deviceId: id,
      // A headers function of the app (through a comlink proxy in a Worker) or fixed headers.
      headers: headers ?? sc.headers,
      intervalMs: sc.intervalMs,
      name: nameOf(epoch),
      ...pass('job'),
      ...pass('batchSize'),
      ...pass('maxEntries'),
      ...pass('backoffBaseMs'),
      ...pass('backoffMaxMs'),
      ...pass('timeoutMs'),
      ...pass('beaconBytes'),
      ...pass('maxRequestBytes'),
      ...pass('serviceName'),
      ...pass('resource'),
      isOnline: online,
      events,
      onEvent,
    });
  // The id and epoch this model's outbox uses, kept per model from its first
  // start: another model's sync may rotate the database's id while this
  // outbox still holds summaries of the old one (this one adopts the new id
  // at its own next close with an empty outbox, if it rotates at all). Read
  // whether or not rotation is on now, so turning it off does not strand an
  // outbox under an epoch's name.
  const ownKey = deviceMeta(c.model);
  let epoch = 0;
  if (sc.deviceId === undefined) {
    const own = (await store.getMeta(ownKey)) as { id?: unknown; epoch?: unknown } | undefined;
    if (own && typeof own.id === 'string' && typeof own.epoch === 'number') {
      device = own.id;
      epoch = own.epoch;
    } else {
      epoch = ((await store.getMeta(DEVICE_EPOCH_META)) as number | undefined) ?? 0;
      await store.setMeta(ownKey, { id: device, epoch });
    }
  }
  let engine = makeEngine(device, epoch);

  const W = sc.windowMs;
  const cursorKey = cursorMeta(c.model);
  const exclusive = locked(`modelwatch-close:${c.dbName}:${c.model}`);

  const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  async function readCursor(): Promise<number | undefined> {
    const v = finite(await store.getMeta(cursorKey));
    if (v !== undefined) return v;
    // A database of an earlier version: its cursor record, until the next close writes meta.
    const [rec] = await store.summaries({ model: c.model + LEGACY_CURSOR, version: '' });
    return finite((rec?.data as { cursor?: unknown } | undefined)?.cursor);
  }
  // First start with sync: begin with the window open now, so rows already
  // logged in it are sent; older history stays local.
  await exclusive(async () => {
    if ((await readCursor()) === undefined) await store.setMeta(cursorKey, Math.floor(Date.now() / W) * W);
  });

  const heldKey = heldMeta(c.model);
  const allow = sc.segmentAllowList ? new Set(sc.segmentAllowList) : undefined;
  const floor = { minRows: sc.minRowsPerWindow ?? 1, maxHoldMs: sc.maxHoldMs ?? Infinity };
  async function readHeld(): Promise<Held> {
    const v = await store.getMeta(heldKey);
    return v !== null && typeof v === 'object' ? (v as Held) : {};
  }
  let held = heldRows(await readHeld());

  const rangeKey = lateRangeMeta(c.model);
  /** Batch numbers [first, next) of the label batches recorded and not resolved yet. */
  const readRange = async (): Promise<{ first: number; next: number }> => {
    const v = (await store.getMeta(rangeKey)) as { first?: unknown; next?: unknown } | undefined;
    return typeof v?.first === 'number' && typeof v.next === 'number' ? { first: v.first, next: v.next } : { first: 0, next: 0 };
  };
  const backfillKey = backfillMeta(c.model);
  const statsKey = lateStatsMeta(c.model);
  const heldCorrKey = heldCorrectionsMeta(c.model);
  const seqKey = correctionSeqMeta(c.model);
  const readStats = async (): Promise<LateStats> => ({ corrected: 0, superseded: 0, notSent: 0, ...((await store.getMeta(statsKey)) as Partial<LateStats> | undefined) });
  let lateStats = await readStats();
  /** The cursor as this tab last saw it (another tab may have moved it since: only a hint). */
  let cursorSeen = (await readCursor()) ?? Infinity;

  /**
   * Late labels at a close: the corrections of the recorded intents, through
   * the privacy floor, and the meta values that commit with them.
   */
  async function lateCorrections(to: number, windowsHeld: Held): Promise<{ send: Summary[]; meta: Record<string, unknown>; seq: number; stats: LateStats } | undefined> {
    const range = await readRange();
    const heldBefore = (await store.getMeta(heldCorrKey)) as Held | undefined;
    if (range.first === range.next && !heldBefore) return undefined;
    const keys = Array.from({ length: range.next - range.first }, (_, i) => lateMeta(c.model, range.first + i));
    // A number whose record is missing was taken by a batch whose write never happened: nothing to do.
    const records = (await Promise.all(keys.map((k) => store.getMeta(k)))).map(asIntents).filter((x) => x !== undefined);
    const intents = records.length === 0 ? undefined : records.reduce((a, b) => ({ id: [...a.id, ...b.id], label: [...a.label, ...b.label], labeledAt: [...a.labeledAt, ...b.labeledAt], cursor: [...a.cursor, ...b.cursor] }));
    const backfills = asBackfills(await store.getMeta(backfillKey));
    const since = ((await store.getMeta(ownKey)) as { since?: unknown } | undefined)?.since;
    // Read, not this tab's copy: another tab's closes count too.
    const stats = await readStats();
    let corrections: Summary[] = [];
    if (intents) {
      const ids = Float64Array.from(new Set(intents.id));
      const rows = await store.rowsById(c.model, ids);
      if (typeof since === 'number') {
        // Windows sent under an earlier device id: their rows count as never sent by this one.
        for (const ch of rows.chunks) for (let i = 0; i < ch.id.length; i++) if (ch.timestamp[i]! < since) backfills.id.push(ch.id[i]!);
      }
      const r = resolveLate(c.task ?? 'binary', intents, rows, W, new Set(backfills.id));
      corrections = applyAllowList(r.corrections, allow);
      stats.corrected += r.stats.corrected;
      stats.superseded += r.stats.superseded;
      stats.notSent += r.stats.notSent;
    }
    const f = applyCorrectionFloor(corrections, heldBefore ?? {}, windowsHeld, to, floor);
    const seq = (((await store.getMeta(seqKey)) as number | undefined) ?? 0) + 1;
    // Backfilled ids are kept as long as their rows may be (retention).
    const horizon = Date.now() - (c.retentionMs ?? 30 * 86_400_000);
    const kept = asBackfills(await store.getMeta(backfillKey));
    const keep = kept.timestamp.map((t) => t >= horizon);
    const pruned = { id: kept.id.filter((_, i) => keep[i]), timestamp: kept.timestamp.filter((_, i) => keep[i]) };
    return {
      send: f.send,
      seq,
      stats,
      meta: {
        ...Object.fromEntries(keys.map((k) => [k, undefined])),
        [rangeKey]: { first: range.next, next: range.next },
        [heldCorrKey]: Object.keys(f.held).length > 0 ? f.held : undefined,
        [statsKey]: stats,
        [seqKey]: seq,
        [backfillKey]: pruned.id.length > 0 ? pruned : undefined,
      },
    };
  }

  /** Rotates the device id when due (or adopts one another model's sync rotated), between deliveries only. */
  async function rotate(): Promise<void> {
    const every = sc.rotateDeviceIdMs;
    if (every === undefined) return;
    // A flush reads the outbox (pending is only as fresh as the last read) and
    // delivers what it can; only the delivering tab, with nothing left, rotates.
    const r = await engine.flush();
    if (r.pending > 0 || r.stopped === 'not-leader') return;
    const next = await locked(`modelwatch-device:${c.dbName}`)(async () => {
      const id = await store.getMeta(DEVICE_META);
      const since = await store.getMeta(DEVICE_SINCE_META);
      const e = ((await store.getMeta(DEVICE_EPOCH_META)) as number | undefined) ?? 0;
      const now = Date.now();
      if (typeof since !== 'number') {
        // First start with rotation: the id's age counts from now.
        await store.setMeta(DEVICE_SINCE_META, now);
        return undefined;
      }
      if (id !== device) return typeof id === 'string' ? { id, epoch: e, meta: { [ownKey]: { id, epoch: e, since: (await readCursor()) ?? 0 } } } : undefined;
      if (now - since < every) return undefined;
      const fresh = randomId();
      // since: the cursor at rotation; late labels of earlier windows stay local (see the top of this file).
      const from = (await readCursor()) ?? 0;
      return { id: fresh, epoch: e + 1, meta: { [DEVICE_META]: fresh, [DEVICE_SINCE_META]: now, [DEVICE_EPOCH_META]: e + 1, [ownKey]: { id: fresh, epoch: e + 1, since: from } } };
    });
    if (!next) return;
    // The old engine stops before its records go: its last state was delivered (its outbox is empty).
    await engine.stop();
    const prefix = `modelwatch-sync:${nameOf(epoch)}:`;
    try {
      const old = (await store.outbox()).filter((r) => r.seq !== undefined && r.destination.startsWith(prefix)).map((r) => r.seq!);
      await store.commitOutbox({ remove: old, meta: next.meta });
    } catch (error) {
      engine.start();
      throw error;
    }
    device = next.id;
    epoch = next.epoch;
    engine = makeEngine(device, epoch);
    if (running) engine.start();
  }

  function close(upTo: number): Promise<number> {
    return exclusive(async () => {
      await rotate();
      const cursor = await readCursor();
      if (cursor === undefined) return 0;
      cursorSeen = cursor;
      const advance = upTo > cursor;
      const to = advance ? upTo : cursor;
      const list = advance ? applyAllowList(await summaries(cursor, upTo, W), allow) : [];
      const before = await readHeld();
      const { send, held: after } = advance && (floor.minRows > 1 || Object.keys(before).length > 0) ? applyFloor(list, before, upTo, floor) : { send: list, held: before };
      const late = await lateCorrections(to, after);
      if (!advance && !late) return 0;
      // What leaves (windows, then corrections: a receiver counts a window's
      // predictions before the labels that correct it), what stays held, the
      // cleared intents and the cursor past all of it commit together (see the top of this file).
      await engine.add([...send, ...(late?.send ?? [])], {
        meta: { [cursorKey]: to, [heldKey]: Object.keys(after).length > 0 ? after : undefined, ...late?.meta },
        ...(late ? { correction: String(late.seq) } : {}),
      });
      held = heldRows(after);
      if (late) lateStats = late.stats;
      cursorSeen = to;
      return send.length + (late?.send.length ?? 0);
    });
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = true;
  let closing: Promise<unknown> = Promise.resolve();
  function schedule(): void {
    if (!running) return;
    const now = Date.now();
    // The next window end that becomes older than graceMs.
    const nextClose = (Math.floor((now - sc.graceMs) / W) + 1) * W + sc.graceMs;
    timer = setTimeout(tick, Math.min(MAX_SLEEP_MS, Math.max(0, nextClose - now)));
    (timer as { unref?: () => void }).unref?.();
  }
  function tick(): void {
    const upTo = Math.floor((Date.now() - sc.graceMs) / W) * W;
    closing = close(upTo)
      .then(
        () => (closeError = undefined),
        (error: unknown) => (closeError = `closing windows failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(schedule);
  }

  engine.start();
  tick();

  return {
    status(): SyncStatus {
      const outbox = engine.pending;
      const error = closeError ?? (outbox > 0 ? lastError : undefined);
      const state = !online() ? 'offline' : error !== undefined ? 'error' : outbox > 0 ? 'syncing' : 'online';
      return { state, outbox, delivered, held, deviceId: device, lateLabels: { ...lateStats }, ...(error !== undefined ? { lastError: error } : {}) };
    },
    setOnline(value: boolean): void {
      if (value === appOnline) return;
      appOnline = value;
      // 'online' makes the engine retry at once; 'offline' aborts requests in flight (they stay in the outbox).
      if (!value) events.dispatchEvent(new Event('offline'));
      else if (netOnline()) events.dispatchEvent(new Event('online'));
    },
    close,
    async syncNow(at: number): Promise<SyncNowResult> {
      // Counted from the 'delivered' events, not from the flush's result: while
      // this call waits for the close lock, the engine's own flush (on gaining
      // leadership, after an add) may send the outbox first, and syncNow's flush
      // would then find it empty and say 0 (CI run 0045: delivered 0 while the
      // receiver already had the entry).
      const before = delivered;
      const enqueued = await close(at);
      // The app asks to deliver now: after a pause (401/403/404) that is its retry.
      engine.resume();
      const r = await engine.flush();
      return { enqueued, delivered: delivered - before, pending: r.pending, ...(r.stopped ? { stopped: r.stopped } : {}) };
    },
    beacon(): SyncRequest[] {
      return engine.isLeader && online() ? engine.beaconRequests() : [];
    },
    labels(b, run) {
      // Ranking judgments are not corrected (late.ts); without a task (tests of the bridge alone), neither.
      if (c.task === undefined || c.task === 'ranking') return run(() => Promise.resolve());
      return exclusive(() =>
        run(async () => {
          const cursor = await readCursor();
          if (cursor === undefined) return;
          // The record first, then the range that counts it: a crash between
          // leaves a record no range covers, overwritten by the next batch.
          const range = await readRange();
          await store.setMeta(lateMeta(c.model, range.next), appendIntents(undefined, b, cursor));
          await store.setMeta(rangeKey, { first: range.first, next: range.next + 1 });
        }),
      );
    },
    rows(b, run) {
      // Only a batch with rows before the last close this tab saw, or before the
      // end of the last window a timer may have closed (another tab's close),
      // can hold backfills: the others write at once. (A window another tab
      // closed early with syncNow is the gap: its late rows are not recorded.)
      const closable = Math.floor((Date.now() - sc.graceMs) / W) * W;
      const threshold = cursorSeen === Infinity ? closable : Math.max(cursorSeen, closable);
      let oldest = Infinity;
      for (let i = 0; i < b.timestamp.length; i++) if (b.timestamp[i]! < oldest) oldest = b.timestamp[i]!;
      if (!(oldest < threshold)) return run(() => Promise.resolve());
      return exclusive(() =>
        run(async () => {
          const cursor = await readCursor();
          if (cursor === undefined) return;
          const prev = asBackfills(await store.getMeta(backfillKey));
          let added = 0;
          for (let i = 0; i < b.id.length; i++) {
            if (!(b.timestamp[i]! < cursor)) continue;
            prev.id.push(b.id[i]!);
            prev.timestamp.push(b.timestamp[i]!);
            added++;
          }
          if (added > 0) await store.setMeta(backfillKey, prev);
        }),
      );
    },
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      for (const [type, l] of relays) g.removeEventListener?.(type, l);
      await closing;
      await engine.stop();
    },
  };
}
