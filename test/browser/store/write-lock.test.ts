// One readwrite transaction at a time per database, across connections: the
// fix for Chromium deleting the origin's IndexedDB after a kill with two
// uncommitted undo-log transactions of one database (src/store/lock.ts). The
// kill loop (test/integration/kill.test.ts) shows the effect; this shows the
// mechanism, by counting the readwrite transactions alive at once while two
// connections write predictions, labels, meta, alerts and ids concurrently.
import { afterEach, describe, expect, it } from 'vitest';
import { IdAllocator, openStore } from '../../../src/index.js';
import type { Store } from '../../../src/index.js';
import { drop, freshName, predictions, rng } from './helpers.js';

const T0 = Date.UTC(2026, 0, 5);
const open: Store[] = [];
const names: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  for (const n of names.splice(0)) await drop(n);
});

/** Runs fn while counting the readwrite transactions of database `name` alive at once (a pass-through spy). */
async function peakReadwrite(name: string, fn: () => Promise<void>): Promise<{ peak: number; total: number }> {
  const proto = IDBDatabase.prototype;
  const real = proto.transaction;
  let alive = 0;
  let peak = 0;
  let total = 0;
  proto.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = real.apply(this, args);
    if (this.name === name && args[1] === 'readwrite') {
      alive++;
      total++;
      peak = Math.max(peak, alive);
      const end = () => alive--;
      tx.addEventListener('complete', end);
      tx.addEventListener('abort', end);
    }
    return tx;
  } as IDBDatabase['transaction'];
  try {
    await fn();
  } finally {
    proto.transaction = real;
  }
  return { peak, total };
}

describe('write lock', () => {
  it('never has two readwrite transactions of one database alive at once, across connections', async () => {
    const name = freshName('lock');
    names.push(name);
    const a = await openStore({ name });
    const b = await openStore({ name });
    open.push(a, b);
    const ids = await IdAllocator.create(() => a.reserveIdBlock());
    const { peak, total } = await peakReadwrite(name, async () => {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const id = ids.fill(new Float64Array(500));
        const s = i % 2 ? a : b;
        work.push(s.putPredictions(predictions(id, (k) => T0 + k, rng(i))));
        work.push(s.putLabels({ id, label: new Float64Array(500).fill(1), labeledAt: new Float64Array(500).fill(T0 + 1) }));
        work.push(s.setMeta(`k${i}`, i));
        work.push(s.addAlert({ at: T0 + i, model: 'm', version: 'v1', kind: 'test', data: i }));
        work.push(s.reserveIdBlock());
      }
      await Promise.all(work);
    });
    expect(total).toBeGreaterThanOrEqual(100);
    expect(peak).toBe(1);
    expect((await a.stats()).rows).toBe(10_000);
    expect((await b.readLabeled({ model: 'm', from: T0, to: T0 + 1000 })).coverage.labeled).toBe(10_000);
  });
});
