// A second writer for the concurrency test: a dedicated module Worker on the
// same origin, with its own connection, id allocator and label-key block.
import { IdAllocator, openStore } from '../../../src/index.js';
import { labels, predictions, rng } from './helpers.js';

interface Job {
  name: string;
  batches: number;
  size: number;
  seed: number;
  t0: number;
}

self.onmessage = async (e: MessageEvent<Job>) => {
  const { name, batches, size, seed, t0 } = e.data;
  try {
    const store = await openStore({ name });
    const alloc = await IdAllocator.create(() => store.reserveIdBlock());
    const r = rng(seed);
    const ids: number[] = [];
    for (let k = 0; k < batches; k++) {
      const b = predictions(alloc.fill(new Float64Array(size)), (i) => t0 + k * size + i, r);
      void store.putPredictions(b);
      const lab = Array.from(b.id);
      void store.putLabels(labels(lab, lab.map((id) => id % 2), lab.map((_, i) => t0 + k * size + i + 10)));
      ids.push(...lab);
      // Yield now and then so the two writers' transactions interleave.
      if (k % 4 === 0) await new Promise((res) => setTimeout(res, 0));
    }
    await store.flush();
    store.close();
    self.postMessage({ ids });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
