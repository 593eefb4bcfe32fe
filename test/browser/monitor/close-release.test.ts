// After monitor.close() in worker mode the database is free at once: deleting
// (or upgrading) it is not blocked by a connection the closed worker left
// behind. WebKit keeps a connection whose transaction is still finishing when
// its Worker is terminated, so every transaction the store starts, reads
// included, must be finished before close() returns (src/store/read.ts).
// Before that fix WebKitGTK 2.50 kept the database blocked for over 60 s in
// 1 to 3 of 12 rounds like these.
import { describe, expect, it } from 'vitest';
import { createMonitor } from '../../../src/index.js';
import { freshName } from '../store/helpers.js';

const T0 = Date.UTC(2024, 2, 1);

// Deletes the database; resolves 'blocked' if another connection holds it.
function deleteOrBlocked(name: string): Promise<'deleted' | 'blocked'> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = () => resolve('deleted');
    r.onerror = () => reject(r.error);
    r.onblocked = () => resolve('blocked');
  });
}

describe('monitor.close() in a worker', () => {
  it('leaves no connection behind: the database can be deleted right after, round after round', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const name = freshName('close-release');
      const m = await createMonitor({ task: 'binary', model: 'm', dbName: name });
      expect(m.mode).toBe('worker');
      const ids: number[] = [];
      for (let i = 0; i < 2000; i++) ids.push(m.logPrediction({ prediction: i % 2, score: (i % 100) / 100, timestamp: T0 + i }));
      for (let i = 0; i < 2000; i += 3) m.logLabel(ids[i]!, (i >> 1) % 2, T0 + 5000);
      await m.flush();
      // Reads in the worker right before close: the transactions that were left finishing.
      const r = await m.report({ from: T0, to: T0 + 10_000 });
      expect(r.total).toBe(2000);
      await m.close();
      outcomes.push(await deleteOrBlocked(name));
      await deleteOrBlocked(`${name}:quota-reserve`);
    }
    expect(outcomes).toEqual(Array(12).fill('deleted'));
  });
});
