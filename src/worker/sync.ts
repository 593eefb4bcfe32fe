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
// Late labels: a label that arrives after its prediction's window closed is
// NOT sent. It stays in the store and counts in local reports (which are exact,
// from raw rows), but the delivered summary of that window keeps the labels it
// had at close. A correction summary cannot carry labels alone (a valid summary
// has labeled <= count), and re-sending the window would be dropped by the
// receiver as a duplicate of its idempotency key. Set graceMs to cover the
// app's usual feedback delay; rows logged with a timestamp older than the
// cursor (backfills) are likewise stored but not sent.
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
import { applyAllowList, applyFloor, heldRows } from '../sync/privacy.js';
import type { Held } from '../sync/privacy.js';
import type { Summary } from '../summary/index.js';
import type { EngineConfig, SyncConfig, SyncNowResult, SyncStatus } from './protocol.js';

/** Store meta key of the cursor (end of the last closed window) of a model. */
const cursorMeta = (model: string): string => JSON.stringify(['syncCursor', model]);
/** Store meta key of the series held by the privacy floor of a model. */
const heldMeta = (model: string): string => JSON.stringify(['syncHeld', model]);
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
export async function startSync(store: Store, c: Pick<EngineConfig, 'dbName' | 'model'>, sc: SyncConfig, summaries: WindowSummaries, headers?: SyncHeaders): Promise<SyncBridge> {
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
      if (id !== device) return typeof id === 'string' ? { id, epoch: e, meta: { [ownKey]: { id, epoch: e } } } : undefined;
      if (now - since < every) return undefined;
      const fresh = randomId();
      return { id: fresh, epoch: e + 1, meta: { [DEVICE_META]: fresh, [DEVICE_SINCE_META]: now, [DEVICE_EPOCH_META]: e + 1, [ownKey]: { id: fresh, epoch: e + 1 } } };
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
      if (cursor === undefined || !(upTo > cursor)) return 0;
      const list = applyAllowList(await summaries(cursor, upTo, W), allow);
      const before = await readHeld();
      const { send, held: after } = floor.minRows > 1 || Object.keys(before).length > 0 ? applyFloor(list, before, upTo, floor) : { send: list, held: before };
      // What leaves, what stays held and the cursor past both commit together (see the top of this file).
      await engine.add(send, { meta: { [cursorKey]: upTo, [heldKey]: Object.keys(after).length > 0 ? after : undefined } });
      held = heldRows(after);
      return send.length;
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
      return { state, outbox, delivered, held, deviceId: device, ...(error !== undefined ? { lastError: error } : {}) };
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
      const enqueued = await close(at);
      // The app asks to deliver now: after a pause (401/403/404) that is its retry.
      engine.resume();
      const r = await engine.flush();
      return { enqueued, delivered: r.delivered, pending: r.pending, ...(r.stopped ? { stopped: r.stopped } : {}) };
    },
    beacon(): SyncRequest[] {
      return engine.isLeader && online() ? engine.beaconRequests() : [];
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
