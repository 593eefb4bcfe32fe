// createMonitor asks the browser to keep the origin's storage
// (navigator.storage.persist(), from the page: workers cannot ask) and live()
// reports the answer as the worker sees it. What the browser answers is its
// own business (headless Chromium with a fresh profile says no); the test
// checks that we asked, once, and report exactly what the browser says.
import { afterEach, describe, expect, it } from 'vitest';
import { createMonitor, InputError } from '../../../src/index.js';
import type { Monitor } from '../../../src/index.js';
import { drop, freshName } from '../store/helpers.js';

const opened: { m: Monitor; name: string }[] = [];
afterEach(async () => {
  for (const { m, name } of opened.splice(0)) {
    await m.close();
    await drop(name);
  }
});

// WebKitGTK's MiniBrowser has no StorageManager (navigator.storage is
// undefined; Safari has one): there the monitor cannot ask, and live()
// reports the answer as unknown (undefined), never as a made-up false.
const storageManager = typeof navigator.storage?.persist === 'function' ? navigator.storage : undefined;

/** What the browser answers to persisted(), undefined without a StorageManager. */
const browserAnswer = async (): Promise<boolean | undefined> => (storageManager ? await storageManager.persisted() : undefined);

/** Counts calls of navigator.storage.persist() during fn, passing each through to the browser. */
async function countingPersist<T>(fn: () => Promise<T>): Promise<{ value: T; calls: number }> {
  const storage = storageManager;
  if (!storage) return { value: await fn(), calls: 0 };
  const real = storage.persist;
  let calls = 0;
  storage.persist = function (this: StorageManager) {
    calls++;
    return real.call(this);
  };
  try {
    return { value: await fn(), calls };
  } finally {
    delete (storage as { persist?: unknown }).persist; // the prototype's method again
  }
}

describe('persistent storage', () => {
  it('asks for it when the monitor is created and reports the answer in live()', async () => {
    const name = freshName('persist');
    const { value: m, calls } = await countingPersist(() => createMonitor({ task: 'binary', model: 'm', dbName: name }));
    opened.push({ m, name });
    expect(calls).toBe(storageManager ? 1 : 0);
    const live = await m.live();
    expect(typeof live.persisted).toBe(storageManager ? 'boolean' : 'undefined');
    expect(live.persisted).toBe(await browserAnswer());
  });

  it('does not ask with persist: false, and rejects a value that is not a boolean', async () => {
    const name = freshName('persist');
    const { value: m, calls } = await countingPersist(() => createMonitor({ task: 'binary', model: 'm', dbName: name, persist: false }));
    opened.push({ m, name });
    expect(calls).toBe(0);
    expect((await m.live()).persisted).toBe(await browserAnswer());
    await expect(createMonitor({ task: 'binary', model: 'm', dbName: freshName('persist'), persist: 'yes' as unknown as boolean })).rejects.toSatisfy(
      (e) => e instanceof InputError && e.code === 'INVALID_OPTION' && e.message.includes('persist'),
    );
  });
});
