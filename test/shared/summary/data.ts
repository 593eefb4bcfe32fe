// Synthetic prediction batches for the summary tests: seeded, with unlabeled
// rows, unmeasured latencies and several segments.
import type { PredictionColumns, Task } from '../../../src/columns/index.js';
import type { RankingQuery } from '../../../src/index.js';
import { normal, rng } from './random.js';

export interface Batch {
  task: Task;
  predictions: PredictionColumns;
  labels: Float64Array;
  labelDelayMs: Float64Array;
  rankings?: Array<RankingQuery | undefined>;
}

export function batch(task: Task, n: number, seed: number, options: { segments?: string[]; start?: number; labeledShare?: number } = {}): Batch {
  const u = rng(seed);
  const z = normal(u);
  const segments = options.segments ?? ['', 'eu', 'us'];
  const start = options.start ?? 1_700_000_000_000;
  const labeledShare = options.labeledShare ?? 0.8;
  const cols = {
    id: new Float64Array(n), timestamp: new Float64Array(n), prediction: new Float64Array(n), score: new Float64Array(n),
    latencyMs: new Float64Array(n), segment: new Uint16Array(n),
  };
  const labels = new Float64Array(n).fill(NaN);
  const labelDelayMs = new Float64Array(n).fill(NaN);
  const rankings: Array<RankingQuery | undefined> = [];
  for (let i = 0; i < n; i++) {
    cols.id[i] = seed * 1e7 + i;
    cols.timestamp[i] = start + Math.floor(u() * 3_600_000);
    cols.segment[i] = Math.floor(u() * segments.length);
    cols.latencyMs[i] = u() < 0.05 ? NaN : Math.exp(Math.log(20) + 0.8 * z());
    const labeled = u() < labeledShare;
    if (labeled) labelDelayMs[i] = u() < 0.1 ? NaN : Math.exp(Math.log(3.6e6) + 1.5 * z());
    if (task === 'binary') {
      const y = u() < 0.3 ? 1 : 0;
      const s = 1 / (1 + Math.exp(-(z() * 1.3 + (y ? 1.4 : -1.1))));
      cols.score[i] = u() < 0.02 ? NaN : s;
      cols.prediction[i] = s >= 0.5 ? 1 : 0;
      if (labeled) labels[i] = y;
    } else if (task === 'multiclass') {
      const y = Math.floor(u() * 4);
      const pred = u() < 0.7 ? y : Math.floor(u() * 5);
      cols.prediction[i] = pred;
      cols.score[i] = 0.25 + 0.75 * u();
      if (labeled) labels[i] = y;
    } else if (task === 'regression') {
      const y = 50 + 10 * z();
      cols.prediction[i] = y + 3 * z() + (u() < 0.01 ? 40 : 0);
      cols.score[i] = NaN;
      if (labeled) labels[i] = u() < 0.02 ? 0 : y;
    } else {
      cols.prediction[i] = NaN;
      cols.score[i] = NaN;
      const ranked = Array.from({ length: 12 }, () => Math.floor(u() * 30));
      const relevant = Array.from({ length: Math.floor(u() * 5) }, () => Math.floor(u() * 30));
      rankings.push(labeled ? { relevant, ranked } : undefined);
    }
  }
  const predictions: PredictionColumns = { model: 'm', version: '1', ...cols, segments };
  return { task, predictions, labels, labelDelayMs, ...(task === 'ranking' ? { rankings } : {}) };
}

/** Rows [from, to) of a batch, as its own batch. */
export function slice(b: Batch, from: number, to: number): Batch {
  const p = b.predictions;
  const predictions: PredictionColumns = {
    model: p.model, version: p.version, segments: p.segments,
    id: p.id.slice(from, to), timestamp: p.timestamp.slice(from, to), prediction: p.prediction.slice(from, to),
    score: p.score.slice(from, to), latencyMs: p.latencyMs.slice(from, to), segment: p.segment.slice(from, to),
  };
  return {
    task: b.task, predictions, labels: b.labels.slice(from, to), labelDelayMs: b.labelDelayMs.slice(from, to),
    ...(b.rankings ? { rankings: b.rankings.slice(from, to) } : {}),
  };
}

/** Indices of rows of one segment (by name) within a window. */
export function rowsOf(b: Batch, segment: string, window = { start: -Infinity, end: Infinity }): number[] {
  const out: number[] = [];
  const p = b.predictions;
  for (let i = 0; i < p.id.length; i++) {
    const t = p.timestamp[i]!;
    if (p.segments[p.segment[i]!] === segment && t >= window.start && t < window.end) out.push(i);
  }
  return out;
}
