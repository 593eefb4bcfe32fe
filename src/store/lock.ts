// One readwrite transaction at a time per database, across every connection
// of the origin (tabs, workers, the page).
//
// Why: Chromium runs a readwrite transaction that reads after it wrote (a
// second put reads the store's version counter; a put into a store with an
// index reads the old entry) in LevelDBScopes' undo-log mode: its writes go
// to LevelDB at once, next to an undo log and a record of the locks it holds,
// the database's lock among them (held shared at run time, recorded without
// its mode). Killed while two such transactions of one database are
// uncommitted, the next open finds two scopes to revert that both claim the
// database's lock, asks for both exclusively, fails ("Invalid locks on disk",
// components/services/storage/indexed_db/scopes/leveldb_scopes.cc), reports
// it as corruption ("Unknown corruption") and deletes every IndexedDB
// database of the origin. The monitor's worker wrote predictions and labels in
// two concurrent transactions: that was the wipe seen in the kill loop
// (test/integration/kill.test.ts). With one readwrite transaction in flight
// per database there is never more than one scope to revert.

const fallback = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` (which starts a readwrite transaction and awaits its end) while
 * holding database `name`'s write lock: Web Locks where the engine has them
 * (every current browser, windows and workers), else an in-process queue
 * (Node, where one process is the only writer of its IDBFactory).
 */
export async function withWriteLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  const key = `modelwatch:${name}:readwrite`;
  if (locks && typeof locks.request === 'function') {
    return locks.request(key, { mode: 'exclusive' }, fn) as Promise<T>;
  }
  const previous = fallback.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  fallback.set(key, tail);
  void tail.then(() => {
    if (fallback.get(key) === tail) fallback.delete(key);
  });
  return run;
}
