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
//   Cache Storage (reachable from windows and workers in every engine). The
//   counter never goes below it, whatever happened to the database.
// - No block is ever below the clock's block (one per second since
//   2024-01-01; see reserveIdBlock), so a database cleared together with its
//   mark (the user cleared all site data) starts above every block its
//   predecessor handed out, except those reserved ahead of the clock in a
//   burst within the last seconds before the clearing (a page load reserves
//   two or three).
//
// Whether the database was lost is decided exactly, not from the counter: each
// database gets an incarnation id (random) in meta by the first guard after it
// is created, and the mark's entries carry it. A database without one, with
// no counter yet, while marks exist, was created anew after an earlier one
// was handed ids: that (or Chromium's dataLoss) is a reset. A counter behind
// the mark in a database that is still the same incarnation is not: the mark
// and the counter live in two storage systems that a kill can leave out of
// step. The kill loop (test/integration/kill.test.ts) saw Chromium's
// IndexedDB come back with meta behind the Cache Storage entries written after
// its commits, with every acknowledged row present, twice in a row: the second
// time at exactly the value that the previous launch's reset transaction (two
// puts in meta, which Chromium keeps in LevelDB with an undo log: see the
// README, Durability) had overwritten and committed with durability 'strict'
// before the mark was written; consistent with that undo log being replayed
// on a later open. The counter is raised past the mark silently (recorded in
// meta ID_RAISES), which keeps ids unique, and nothing is reported as lost.

import type { Connection } from './connection.js';
import { MAX_BLOCK } from './ids.js';
import { NEXT_BLOCK, RESETS } from './schema.js';
import type { StoreEvent } from './types.js';

/** 2024-01-01T00:00:00Z: blocks from the clock count seconds since then. */
const CLOCK_EPOCH = 1_704_067_200_000;
const CACHE = 'modelwatch-id-marks';
/** Resets kept in meta (the newest), and silent raises of the counter (see guardIds). */
const KEEP_RESETS = 20;
/** Meta key of the newest silent raises, `{ at, from, to }[]`: evidence of meta coming back behind the mark, for tests and support. */
export const ID_RAISES = 'idRaises';

/** The lowest block a reservation may hand out now: seconds since CLOCK_EPOCH (at least 1). */
export function clockBlock(now = Date.now()): number {
  return Math.min(MAX_BLOCK, Math.max(1, Math.floor((now - CLOCK_EPOCH) / 1000)));
}

/** One entry of a mark: blocks below `next` were handed out by the database of `incarnation` (undefined: written before incarnations). */
export interface MarkEntry {
  incarnation: string | undefined;
  next: number;
}

/** The id high-water mark of one database name, outside IndexedDB. */
export interface Watermark {
  /** The highest block known to have been handed out + 1, or undefined if none is recorded or it cannot be read. */
  read(): Promise<number | undefined>;
  /** Every entry (one per incarnation at most, after writes), or undefined if the mark cannot be read. */
  entries(): Promise<MarkEntry[] | undefined>;
  /** Records that the database of `incarnation` handed out the blocks below `next`; resolves once written. */
  write(next: number, incarnation: string): Promise<void>;
}

/**
 * The mark of database `name` in Cache Storage: one entry per value written,
 * keyed `<incarnation>/<next>` (`<next>` alone before incarnations), the
 * greatest wins, smaller ones (of any incarnation) are deleted after a write,
 * so two tabs writing at once can only leave the greater value behind.
 * Undefined where Cache Storage is missing (Node, insecure contexts, Firefox
 * private windows).
 */
export function cacheWatermark(name: string): Watermark | undefined {
  const g = globalThis as { caches?: CacheStorage; location?: { origin?: string } };
  const origin = g.location?.origin;
  if (!g.caches || !origin || !/^https?:/.test(origin)) return undefined;
  const caches = g.caches;
  const prefix = `${origin}/.modelwatch/id-mark/${encodeURIComponent(name)}/`;
  const values = async (cache: Cache): Promise<(MarkEntry & { request: Request })[]> =>
    (await cache.keys())
      .filter((r) => r.url.startsWith(prefix))
      .map((request) => {
        const key = request.url.slice(prefix.length);
        const slash = key.lastIndexOf('/');
        const incarnation = slash < 0 ? undefined : decodeURIComponent(key.slice(0, slash));
        return { incarnation, next: Number(key.slice(slash + 1)), request };
      })
      .filter((v) => Number.isInteger(v.next));
  const entries = async (): Promise<MarkEntry[] | undefined> => {
    try {
      return (await values(await caches.open(CACHE))).map(({ incarnation, next }) => ({ incarnation, next }));
    } catch {
      return undefined;
    }
  };
  return {
    entries,
    async read() {
      const found = await entries();
      return found && found.length > 0 ? Math.max(...found.map((v) => v.next)) : undefined;
    },
    async write(next, incarnation) {
      const cache = await caches.open(CACHE);
      await cache.put(new Request(`${prefix}${encodeURIComponent(incarnation)}/${next}`), new Response(String(next)));
      for (const v of await values(cache)) if (v.next < next) await cache.delete(v.request);
    },
  };
}

/** Meta key of the database's incarnation id (set by the first guard). */
export const INCARNATION = 'incarnation';

/** A fresh incarnation id: 128 random bits as hex. */
function newIncarnation(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');
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
  /** The database's incarnation id. */
  incarnation: string;
  /** Set when the counter of the same database was behind the mark and was raised past it (no loss: see the top of this file). */
  raised: { from: number; to: number } | undefined;
}

/**
 * Gives a database its incarnation id if it has none, tells a database
 * created anew (a reset) from the same database with its counter behind the
 * mark (no reset), raises the counter past every entry of the mark (and past
 * the clock after a reset), and records a reset in meta. `marks` are the
 * mark's entries (undefined where there is no mark); `dataLoss` is the
 * upgrade event's `dataLoss` (Chromium only).
 */
export async function guardIds(
  conn: Connection,
  marks: readonly MarkEntry[] | undefined,
  dataLoss: { kind: string; message: string } | undefined,
  now = Date.now(),
): Promise<Guard> {
  const tx = conn.open().transaction('meta', 'readwrite', { durability: 'strict' });
  const meta = tx.objectStore('meta');
  const found = (await meta.get(NEXT_BLOCK)) as number | undefined;
  const known = (await meta.get(INCARNATION)) as string | undefined;
  const expected = marks && marks.length > 0 ? Math.max(...marks.map((m) => m.next)) : undefined;
  const lost = dataLoss !== undefined && dataLoss.kind !== 'none';
  // No incarnation and no counter: this database was just created (only a
  // guard writes the incarnation, always before the first reservation). Marks
  // mean an earlier database of this name handed out ids and is gone. A
  // counter without an incarnation is a database of an earlier version: the
  // same one, whatever its counter says.
  const wiped = known === undefined && found === undefined && expected !== undefined;
  const incarnation = known ?? newIncarnation();
  let reset: Guard['reset'];
  let raised: Guard['raised'];
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
        `${lost ? `the browser reported data loss (${dataLoss.kind}: ${dataLoss.message || 'no message'}); ` : 'the database was deleted, evicted or cleared (it was created anew); '}` +
        `${what}. Rows stored before are gone; ids continue from block ${next}, so none is reused and labels for lost predictions become orphans.`,
    };
    const log = ((await meta.get(RESETS)) as ResetRecord[] | undefined) ?? [];
    await meta.put([...log, { at: now, event: reset }].slice(-KEEP_RESETS), RESETS);
  } else if (expected !== undefined && next < expected) {
    raised = { from: next, to: expected };
    next = expected;
    const log = ((await meta.get(ID_RAISES)) as { at: number; from: number; to: number }[] | undefined) ?? [];
    await meta.put([...log, { at: now, ...raised }].slice(-KEEP_RESETS), ID_RAISES);
  }
  if (next !== (found ?? 0)) await meta.put(next, NEXT_BLOCK);
  if (known === undefined) await meta.put(incarnation, INCARNATION);
  await conn.done(tx);
  return { reset, next, incarnation, raised };
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
