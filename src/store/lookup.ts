// Rows by id: the prediction chunks of a model that hold any of the given
// ids, and every stored label of those ids (not only the latest: a caller
// can tell a first label from one that replaced another). Late-label
// corrections (src/worker/sync.ts) need both for a handful of ids whose
// timestamps they do not know. Only the catalogs and the chunks whose id
// ranges contain a wanted id are read, in one readonly transaction.
import type { Connection } from './connection.js';
import { concatLabels, matchLabelsAll, pickLabels } from './join.js';
import type { LabelRows } from './join.js';
import type { PredictionChunk } from './schema.js';

/** What rowsById found. */
export interface RowsById {
  /** Chunks holding at least one wanted id (all their rows). */
  chunks: PredictionChunk[];
  /** Every stored label of a wanted id, in write order within a writer (key order). */
  labels: LabelRows;
}

/** Whether ascending `sorted` holds a value in [lo, hi]. */
function holdsWithin(sorted: Float64Array, lo: number, hi: number): boolean {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m]! < lo) a = m + 1;
    else b = m;
  }
  return a < sorted.length && sorted[a]! <= hi;
}

/** The prediction chunks of `model` holding any of `ids`, and every label of those ids. */
export async function rowsById(conn: Connection, model: string, ids: Float64Array): Promise<RowsById> {
  const sorted = Float64Array.from(ids).sort();
  const tx = conn.open().transaction(['chunkIndex', 'chunks', 'labelIndex', 'labelChunks'], 'readonly');
  const [bounds, catalog] = await Promise.all([
    tx.objectStore('chunkIndex').index('byModel').getAll(IDBKeyRange.bound([model], [model, []])),
    tx.objectStore('labelIndex').getAll(),
  ]);
  const chunkStore = tx.objectStore('chunks');
  const labelStore = tx.objectStore('labelChunks');
  const [chunks, labels] = await Promise.all([
    Promise.all(bounds.filter((b) => holdsWithin(sorted, b.minId, b.maxId)).map((b) => chunkStore.get(b.key))),
    Promise.all(catalog.filter((l) => holdsWithin(sorted, l.minId, l.maxId)).map((l) => labelStore.get(l.key))),
  ]);
  await tx.done;
  const all = concatLabels(labels);
  return { chunks: chunks.filter((c): c is PredictionChunk => c !== undefined), labels: pickLabels(all, matchLabelsAll(sorted, all.id)) };
}
