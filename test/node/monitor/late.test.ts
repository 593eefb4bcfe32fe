// resolveLate (src/worker/late.ts), the pure part of late-label corrections:
// which recorded labels are late, which are sent, superseded or not sent,
// and that the corrections complete the window exactly (binary, multiclass,
// regression). The device path runs in Chromium in
// test/browser/monitor/late-labels.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, mergeSummaries, summarize, summaryToJSON } from '../../../src/index.js';
import type { PredictionChunk, RowsById, Summary } from '../../../src/index.js';
import type { Task } from '../../../src/columns/index.js';
import { appendIntents, resolveLate } from '../../../src/worker/late.js';
import type { LateIntents } from '../../../src/worker/late.js';

const W = 60_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % W);

beforeAll(async () => {
  await init();
});

/** n predictions of one chunk, rows spread over two windows, two segments. */
function chunk(task: Task, n: number): PredictionChunk {
  const id = Float64Array.from({ length: n }, (_, i) => 100 + i);
  const timestamp = Float64Array.from({ length: n }, (_, i) => T0 + Math.floor((i * 2 * W) / n));
  const prediction = Float64Array.from({ length: n }, (_, i) => (task === 'regression' ? 10 + (i % 7) : task === 'multiclass' ? i % 3 : i % 2));
  const score = Float64Array.from({ length: n }, (_, i) => (task === 'regression' ? NaN : ((i * 37) % 100) / 100));
  return {
    key: 100, model: 'm', version: 'v1', t0: timestamp[0]!, t1: timestamp[n - 1]!, minId: 100, maxId: 99 + n, rows: n,
    id, timestamp, prediction, score, latencyMs: new Float64Array(n).fill(5), segment: Uint16Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0), segments: ['', 'eu'],
  };
}

const labelOf = (task: Task, i: number): number => (task === 'regression' ? 11 + (i % 5) : task === 'multiclass' ? (i * 5) % 3 : (i * 3) % 2);

/** Stored labels as rowsById returns them (write order). */
function stored(rows: { id: number; label: number; labeledAt: number }[]): RowsById['labels'] {
  return {
    id: Float64Array.from(rows, (r) => r.id), label: Float64Array.from(rows, (r) => r.label), labeledAt: Float64Array.from(rows, (r) => r.labeledAt),
    feedbackDelayMs: new Float64Array(rows.length).fill(NaN),
  };
}

const batch = (rows: { id: number; label: number; labeledAt: number }[]): { id: Float64Array; label: Float64Array; labeledAt: Float64Array } =>
  ({ id: Float64Array.from(rows, (r) => r.id), label: Float64Array.from(rows, (r) => r.label), labeledAt: Float64Array.from(rows, (r) => r.labeledAt) });

/** Summaries of the chunk per window with the given labels by row (NaN: none). */
function windows(task: Task, ch: PredictionChunk, labels: Float64Array, labelDelayMs: Float64Array): Summary[] {
  return [0, 1].flatMap((k) => summarize({ task, predictions: ch, labels, labelDelayMs, window: { start: T0 + k * W, end: T0 + (k + 1) * W } }));
}

// Float sums agree to rounding (merge order): compared at 12 significant digits, sketch sums left out.
const view = (list: Summary[]): string[] => list.map((s) => JSON.stringify(summaryToJSON(s), (k, v: unknown) => (k === 'sum' || k === 'sumSq' ? undefined : typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v))).sort();

describe.each(['binary', 'multiclass', 'regression'] as Task[])('resolveLate (%s)', (task) => {
  it('the windows sent at close merged with the corrections equal the windows with every first label', () => {
    const n = 120;
    const ch = chunk(task, n);
    const cursor = T0 + 2 * W; // both windows closed
    const onTime: { id: number; label: number; labeledAt: number }[] = [];
    const late: { id: number; label: number; labeledAt: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 4 === 0) onTime.push({ id: 100 + i, label: labelOf(task, i), labeledAt: ch.timestamp[i]! + 1000 });
      else if (i % 4 === 1) late.push({ id: 100 + i, label: labelOf(task, i), labeledAt: cursor + 5000 + i });
    }
    // On-time labels were recorded too (with the cursor before the windows closed): not late.
    let intents: LateIntents = appendIntents(undefined, batch(onTime), T0);
    intents = appendIntents(intents, batch(late), cursor);
    const rows: RowsById = { chunks: [ch], labels: stored([...onTime, ...late]) };
    const r = resolveLate(task, intents, rows, W, new Set());
    expect(r.stats).toEqual({ corrected: late.length, superseded: 0, notSent: 0 });
    expect(r.corrections.every((c) => c.kind === 'correction' && c.count === 0)).toBe(true);
    expect(r.corrections.length).toBe(4); // 2 windows x 2 segments

    const delay = (rowsOf: typeof onTime) => {
      const labels = new Float64Array(n).fill(NaN);
      const d = new Float64Array(n).fill(NaN);
      for (const x of rowsOf) {
        labels[x.id - 100] = x.label;
        d[x.id - 100] = x.labeledAt - ch.timestamp[x.id - 100]!;
      }
      return [labels, d] as const;
    };
    const atClose = windows(task, ch, ...delay(onTime));
    const all = windows(task, ch, ...delay([...onTime, ...late]));
    const merged = atClose.map((w) => {
      const c = r.corrections.find((x) => x.segment === w.segment && x.window.start === w.window.start);
      return c ? mergeSummaries(w, c) : w;
    });
    expect(view(merged)).toEqual(view(all));
  });
});

describe('resolveLate: what is sent', () => {
  const ch = chunk('binary', 10);
  const cursor = T0 + 2 * W;
  /** A label of prediction `id`, labeled `at` ms after the windows closed. */
  const one = (id: number, label: number, at: number) => ({ id, label, labeledAt: cursor + at });

  it('a label recorded while its window was open is not late; one recorded after is', () => {
    const intents = appendIntents(appendIntents(undefined, batch([one(100, 1, 1)]), T0), batch([one(101, 1, 2)]), cursor);
    const r = resolveLate('binary', intents, { chunks: [ch], labels: stored([one(100, 1, 1), one(101, 1, 2)]) }, W, new Set());
    expect(r.stats.corrected).toBe(1);
    expect(r.corrections.reduce((t, c) => t + c.labeled, 0)).toBe(1);
  });

  it('a late label replacing one counted at close is superseded, not sent', () => {
    const intents = appendIntents(undefined, batch([one(100, 0, 9)]), cursor);
    const r = resolveLate('binary', intents, { chunks: [ch], labels: stored([one(100, 1, 1), one(100, 0, 9)]) }, W, new Set());
    expect(r.stats).toEqual({ corrected: 0, superseded: 1, notSent: 0 });
    expect(r.corrections).toEqual([]);
  });

  it('two late labels of one prediction before a close: the latest is sent, the other superseded', () => {
    const intents = appendIntents(undefined, batch([one(100, 0, 5), one(100, 1, 9)]), cursor);
    const r = resolveLate('binary', intents, { chunks: [ch], labels: stored([one(100, 0, 5), one(100, 1, 9)]) }, W, new Set());
    expect(r.stats).toEqual({ corrected: 1, superseded: 1, notSent: 0 });
    const c = r.corrections[0]!;
    // Prediction of row 0 is 0, the label sent is 1: a false negative, not a true negative.
    expect(c.confusion).toEqual({ classes: [0, 1], cells: [0, 0, 1, 0] });
  });

  it('a negative label delay (labeledAt before the prediction) is sent as unknown, not refused', () => {
    const early = { id: 105, label: 1, labeledAt: T0 - 5000 };
    const r = resolveLate('binary', appendIntents(undefined, batch([early]), cursor), { chunks: [ch], labels: stored([early]) }, W, new Set());
    expect(r.stats.corrected).toBe(1);
    expect([r.corrections[0]!.labeled, r.corrections[0]!.feedbackDelay.count]).toEqual([1, 0]);
  });

  it('an intent whose label was never stored sends nothing; a retried batch (recorded twice) is sent once', () => {
    const intents = appendIntents(appendIntents(undefined, batch([one(101, 1, 3), one(102, 1, 3)]), cursor), batch([one(101, 1, 3)]), cursor);
    const r = resolveLate('binary', intents, { chunks: [ch], labels: stored([one(101, 1, 3)]) }, W, new Set());
    expect(r.stats).toEqual({ corrected: 1, superseded: 0, notSent: 0 });
  });

  it('the same label stored twice may have been counted at close: not sent', () => {
    const intents = appendIntents(undefined, batch([one(103, 1, 3)]), cursor);
    const r = resolveLate('binary', intents, { chunks: [ch], labels: stored([one(103, 1, 3), one(103, 1, 3)]) }, W, new Set());
    expect(r.stats).toEqual({ corrected: 0, superseded: 2, notSent: 0 });
  });

  it('a backfilled prediction\'s label is not sent; a prediction no longer stored has nothing to correct', () => {
    const intents = appendIntents(undefined, batch([one(104, 1, 3), one(999, 1, 3)]), cursor);
    const r = resolveLate('binary', intents, { chunks: [ch], labels: stored([one(104, 1, 3), one(999, 1, 3)]) }, W, new Set([104]));
    expect(r.stats).toEqual({ corrected: 0, superseded: 0, notSent: 1 });
    expect(r.corrections).toEqual([]);
  });
});
