// Ids must never be handed out twice, even when the database that counts them
// is gone: Chromium deletes a backing store it finds corrupt and opens an
// empty one (reporting `dataLoss: 'total'` on the upgrade event, w3c/IndexedDB
// issue 30), browsers evict whole origins under storage pressure, users
// clear site data. A label the app logs later for an id of a lost prediction
// would then join whatever new prediction got the same id.
//
// Two defences, applied when the store opens, in one readwrite transaction on
// `meta` (so two tabs opening at once agree):
// - A high-water mark of the id blocks handed out, kept outside IndexedDB in
//   Cache Storage (reachable from windows and workers in every engine). A
//   database whose next block is below it was wiped: the store reports a
//   'reset' event and continues above the mark.
// - No block is ever below the clock's block (one per second since
//   2024-01-01; see reserveIdBlock), so a database cleared together with its
//   mark (the user cleared all site data) starts above every block its
//   predecessor handed out, except those reserved ahead of the clock in a
//   burst within the last seconds before the clearing (a page load reserves
//   two or three).

import type { Connection } from './connection.js';
import { MAX_BLOCK } from './ids.js';
import { NEXT_BLOCK, RESETS } from './schema.js';
import type { StoreEvent } from './types.js';

/** 2024-01-01T00:00:00Z: blocks from the clock count seconds since then. */
const CLOCK_EPOCH = 1_704_067_200_000;
const CACHE = 'modelwatch-id-marks';
/** Resets kept in meta (the newest). */
const KEEP_RESETS = 20;

/** The lowest block a reservation may hand out now: seconds since CLOCK_EPOCH (at least 1). */
export function clockBlock(now = Date.now()): number {
  return Math.min(MAX_BLOCK, Math.max(1, Math.floor((now - CLOCK_EPOCH) / 1000)));
}

/** The id high-water mark of one database, outside IndexedDB. */
export interface Watermark {
  /** The highest block known to have been handed out + 1, or undefined if none is recorded or it cannot be read. */
  read(): Promise<number | undefined>;
  /** Records that blocks below `next` were handed out; resolves once written. */
  write(next: number): Promise<void>;
}

/**
 * The mark of database `name` in Cache Storage: one entry per value written,
 * the greatest wins, smaller ones are deleted after a write, so two tabs
 * writing at once can only leave the greater value behind. Undefined where
 * Cache Storage is missing (Node, insecure contexts, Firefox private windows).
 */
export function cacheWatermark(name: string): Watermark | undefined {
  const g = globalThis as { caches?: CacheStorage; location?: { origin?: string } };
  const origin = g.location?.origin;
  if (!g.caches || !origin || !/^https?:/.test(origin)) return undefined;
  const caches = g.caches;
  const prefix = `${origin}/.modelwatch/id-mark/${encodeURIComponent(name)}/`;
  const values = async (cache: Cache): Promise<{ value: number; request: Request }[]> =>
    (await cache.keys())
      .filter((r) => r.url.startsWith(prefix))
      .map((request) => ({ value: Number(request.url.slice(prefix.length)), request }))
      .filter((v) => Number.isInteger(v.value));
  return {
    async read() {
      try {
        const found = await values(await caches.open(CACHE));
        return found.length > 0 ? Math.max(...found.map((v) => v.value)) : undefined;
      } catch {
        return undefined;
      }
    },
    async write(next) {
      const cache = await caches.open(CACHE);
      await cache.put(new Request(`${prefix}${next}`), new Response(String(next)));
      for (const v of await values(cache)) if (v.value < next) await cache.delete(v.request);
    },
  };
}

/** A reset as recorded in meta (the newest KEEP_RESETS). */
export interface ResetRecord {
  at: number;
  event: StoreEvent & { type: 'reset' };
}

/** What guardIds found on open. */
export interface Guard {
  /** The reset to report, if the database lost what it had. */
  reset: ResetRecord['event'] | undefined;
  /** The database's next block after the check (0: none reserved yet). */
  next: number;
}

/**
 * Compares the database's id counter with the mark kept outside it and with
 * the engine's data-loss report, raises the counter past both (and past the
 * clock for a database with none), and records a reset in meta. `dataLoss`
 * is the upgrade event's `dataLoss` (Chromium only), `expected` the mark.
 */
export async function guardIds(
  conn: Connection,
  expected: number | undefined,
  dataLoss: { kind: string; message: string } | undefined,
  now = Date.now(),
): Promise<Guard> {
  const tx = conn.open().transaction('meta', 'readwrite', { durability: 'strict' });
  const meta = tx.objectStore('meta');
  const found = (await meta.get(NEXT_BLOCK)) as number | undefined;
  const lost = dataLoss !== undefined && dataLoss.kind !== 'none';
  const wiped = expected !== undefined && (found ?? 0) < expected;
  let reset: Guard['reset'];
  let next = found ?? 0;
  if (lost || wiped) {
    next = Math.max(found ?? 0, expected ?? 0, clockBlock(now));
    const what = `the database holds id block ${found ?? 'none'} but blocks up to ${expected ?? 'unknown'} were handed out before`;
    reset = {
      type: 'reset',
      reason: lost ? 'data-loss' : 'wiped',
      expectedIdBlock: expected ?? 0,
      foundIdBlock: found ?? 0,
      message:
        `${lost ? `the browser reported data loss (${dataLoss.kind}: ${dataLoss.message || 'no message'}); ` : 'the database was deleted, evicted or cleared; '}` +
        `${what}. Rows stored before are gone; ids continue from block ${next}, so none is reused and labels for lost predictions become orphans.`,
    };
    const log = ((await meta.get(RESETS)) as ResetRecord[] | undefined) ?? [];
    await meta.put([...log, { at: now, event: reset }].slice(-KEEP_RESETS), RESETS);
    await meta.put(next, NEXT_BLOCK);
  }
  await conn.done(tx);
  return { reset, next };
}

/**
 * Whether the origin's storage is persistent (not evicted under storage
 * pressure: eviction is a wipe the mark above detects, persistence prevents
 * it); undefined where the engine has no StorageManager (Node).
 */
export async function isPersisted(): Promise<boolean | undefined> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (typeof storage?.persisted !== 'function') return undefined;
  try {
    return await storage.persisted();
  } catch {
    return undefined;
  }
}
