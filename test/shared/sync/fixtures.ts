// Summaries of simulated devices for the sync tests: seeded, so each test
// knows the raw rows behind every summary and computes expectations from them.
import { correctionOf, summarize } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';

import { rng } from '../../support/rng.js';

export { rng };

/** Raw rows of one device window (binary task). */
export interface DeviceRows {
  timestamp: Float64Array;
  prediction: Float64Array;
  score: Float64Array;
  latencyMs: Float64Array;
  label: Float64Array;
  segment: Uint16Array;
}

export const SEGMENTS = ['', 'eu'];

/** Rows of device `device`, window `w` (1 minute each), n rows; latencies log-normal around 60 ms. */
export function deviceRows(device: number, w: number, n: number): DeviceRows {
  const r = rng(1000 * device + w + 1);
  const start = 1_700_000_000_000 + w * 60_000;
  const rows: DeviceRows = {
    timestamp: new Float64Array(n),
    prediction: new Float64Array(n),
    score: new Float64Array(n),
    latencyMs: new Float64Array(n),
    label: new Float64Array(n),
    segment: new Uint16Array(n),
  };
  for (let i = 0; i < n; i++) {
    rows.timestamp[i] = start + Math.floor((i * 60_000) / n);
    const s = r();
    rows.score[i] = s;
    rows.prediction[i] = s >= 0.5 ? 1 : 0;
    // Box-Muller for a log-normal latency; some rows unlabeled (NaN).
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    rows.latencyMs[i] = Math.exp(Math.log(60) + 0.9 * z);
    rows.label[i] = r() < 0.2 ? NaN : r() < s ? 1 : 0;
    rows.segment[i] = r() < 0.3 ? 1 : 0;
  }
  return rows;
}

/** The summaries (one per segment present) of deviceRows(device, w, n). */
export function deviceSummaries(device: number, w: number, n: number, model = 'churn', version = 'v1'): Summary[] {
  const rows = deviceRows(device, w, n);
  const start = 1_700_000_000_000 + w * 60_000;
  return summarize({
    task: 'binary',
    predictions: {
      model,
      version,
      id: Float64Array.from({ length: n }, (_, i) => device * 1e6 + w * 1e3 + i),
      timestamp: rows.timestamp,
      prediction: rows.prediction,
      score: rows.score,
      latencyMs: rows.latencyMs,
      segment: rows.segment,
      segments: SEGMENTS,
    },
    labels: rows.label,
    window: { start, end: start + 60_000 },
  });
}

/** Number of values <= x in ascending `sorted`. */
export function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * deviceSummaries(device, w, n) as a device with late labels sends them: at
 * close, the rows for which `late(i)` holds had no label yet (`atClose`);
 * their labels arrived after the window closed and travel as corrections
 * (one per segment that has any). `all` is the window with every label: what
 * atClose merged with the corrections must equal.
 */
export function lateSummaries(device: number, w: number, n: number, late: (i: number) => boolean): { atClose: Summary[]; corrections: Summary[]; all: Summary[] } {
  const rows = deviceRows(device, w, n);
  const start = 1_700_000_000_000 + w * 60_000;
  const id = Float64Array.from({ length: n }, (_, i) => device * 1e6 + w * 1e3 + i);
  const predictions = { model: 'churn', version: 'v1', id, timestamp: rows.timestamp, prediction: rows.prediction, score: rows.score, latencyMs: rows.latencyMs, segment: rows.segment, segments: SEGMENTS };
  const window = { start, end: start + 60_000 };
  const atCloseLabels = rows.label.map((y, i) => (late(i) ? NaN : y));
  const lateRows = Array.from({ length: n }, (_, i) => i).filter((i) => late(i) && rows.label[i] === rows.label[i]);
  const pick = (a: Float64Array): Float64Array => Float64Array.from(lateRows, (i) => a[i]!);
  const latePredictions = {
    ...predictions, id: pick(id), timestamp: pick(rows.timestamp), prediction: pick(rows.prediction), score: pick(rows.score), latencyMs: pick(rows.latencyMs),
    segment: Uint16Array.from(lateRows, (i) => rows.segment[i]!),
  };
  return {
    atClose: summarize({ task: 'binary', predictions, labels: atCloseLabels, window }),
    corrections: lateRows.length ? summarize({ task: 'binary', predictions: latePredictions, labels: pick(rows.label), window }).map(correctionOf) : [],
    all: summarize({ task: 'binary', predictions, labels: rows.label, window }),
  };
}
