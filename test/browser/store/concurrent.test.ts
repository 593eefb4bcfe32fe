import { describe, expect, it } from 'vitest';
import { IdAllocator, openStore } from '../../../src/index.js';
import { drop, freshName, labels, predictions, rng } from './helpers.js';

// Two writers on one origin at once: this page and a dedicated Worker (a
// second same-origin context with its own IndexedDB connection).
describe('two writers on one database', () => {
  it('loses and duplicates no row', async () => {
    const name = freshName('concurrent');
    const store = await openStore({ name });
    const t0 = Date.UTC(2025, 0, 1);
    const batches = 40;
    const size = 1000;
    try {
      const worker = new Worker(new URL('./writer.worker.ts', import.meta.url), { type: 'module' });
      const fromWorker = new Promise<{ ids?: number[]; error?: string }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
      });
      worker.postMessage({ name, batches, size, seed: 2, t0 });
      const alloc = await IdAllocator.create(() => store.reserveIdBlock());
      const r = rng(1);
      const mine: number[] = [];
      for (let k = 0; k < batches; k++) {
        const b = predictions(alloc.fill(new Float64Array(size)), (i) => t0 + k * size + i, r);
        void store.putPredictions(b);
        const lab = Array.from(b.id);
        void store.putLabels(labels(lab, lab.map((id) => id % 2), lab.map((_, i) => t0 + k * size + i + 10)));
        mine.push(...lab);
        if (k % 4 === 0) await new Promise((res) => setTimeout(res, 0));
      }
      await store.flush();
      const other = await fromWorker;
      worker.terminate();
      expect(other.error).toBeUndefined();
      const expected = [...mine, ...other.ids!];
      expect(new Set(expected).size).toBe(2 * batches * size); // the two allocators never overlapped

      const got = await store.readLabeled({ model: 'm', from: t0, to: t0 + batches * size + 1 });
      expect(got.coverage).toEqual({ predictions: expected.length, labeled: expected.length, eligible: expected.length });
      expect(got.duplicateLabels).toBe(0);
      const ids = Float64Array.from(got.id).sort();
      const want = Float64Array.from(expected).sort();
      expect(ids.length).toBe(want.length);
      let mismatches = 0;
      for (let i = 0; i < ids.length; i++) if (ids[i] !== want[i]) mismatches++;
      expect(mismatches).toBe(0);
      for (let i = 0; i < got.id.length; i++) if (got.label[i] !== got.id[i]! % 2) throw new Error(`wrong label for ${got.id[i]}`);
    } finally {
      store.close();
      await drop(name);
    }
  });
});
