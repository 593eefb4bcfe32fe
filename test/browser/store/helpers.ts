// Test data for the store: deterministic batches and a naive oracle.
import { deleteDB } from 'idb';
import type { LabelBatch, PredictionBatch } from '../../../src/index.js';

import { rng } from '../../support/rng.js';

export { rng };

let dbCount = 0;
/** A database name no other test uses. */
export function freshName(tag: string): string {
  return `test-${tag}-${Date.now()}-${dbCount++}-${Math.random().toString(36).slice(2)}`;
}

export async function drop(name: string): Promise<void> {
  await deleteDB(name);
  await deleteDB(`${name}:quota-reserve`);
}

/** A batch with the given ids, timestamps from t(i), random scores. */
export function predictions(
  ids: ArrayLike<number>,
  t: (i: number) => number,
  random: () => number,
  model = 'm',
  version = 'v1',
): PredictionBatch {
  const n = ids.length;
  const b: PredictionBatch = {
    model,
    version,
    id: Float64Array.from(ids),
    timestamp: new Float64Array(n),
    prediction: new Float64Array(n),
    score: new Float64Array(n),
    latencyMs: new Float64Array(n),
    segment: new Uint16Array(n),
    segments: ['', 'web', 'mobile'],
  };
  for (let i = 0; i < n; i++) {
    b.timestamp[i] = t(i);
    b.score[i] = random();
    b.prediction[i] = b.score[i]! >= 0.5 ? 1 : 0;
    b.latencyMs[i] = 1 + 20 * random();
    b.segment[i] = Math.floor(random() * 3);
  }
  return b;
}

export function labels(ids: number[], label: number[], labeledAt: number[], feedbackDelayMs?: number[]): LabelBatch {
  const b: LabelBatch = { id: Float64Array.from(ids), label: Float64Array.from(label), labeledAt: Float64Array.from(labeledAt) };
  if (feedbackDelayMs) b.feedbackDelayMs = Float64Array.from(feedbackDelayMs);
  return b;
}

/** Naive oracle of one prediction row. */
export interface Row {
  id: number;
  timestamp: number;
  score: number;
  segment: string;
  version: string;
}

export function rowsOf(b: PredictionBatch): Row[] {
  return Array.from(b.id, (id, i) => ({
    id,
    timestamp: b.timestamp[i]!,
    score: b.score[i]!,
    segment: b.segments[b.segment[i]!]!,
    version: b.version,
  }));
}

/** Latest label per id by a plain scan: greatest labeledAt, later call wins ties. */
export function latest(all: { id: number; label: number; labeledAt: number; delay: number }[]) {
  const m = new Map<number, { label: number; labeledAt: number; delay: number }>();
  let dups = 0;
  for (const l of all) {
    const prev = m.get(l.id);
    if (prev) dups++;
    if (!prev || l.labeledAt >= prev.labeledAt) m.set(l.id, l);
  }
  return { map: m, dups };
}
