import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIDENCE_BUCKETS, InputError, LATENCY_BUCKETS_S, SCORE_BINS, classificationMetrics, init, latencyStats, rankingMetrics,
  regressionMetrics, scoreBin, summarize, summaryMetrics, thresholdMetrics,
} from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { batch, rowsOf, type Batch } from './data.js';

beforeAll(async () => {
  await init();
});

const WINDOW = { start: 1_700_000_000_000, end: 1_700_000_000_000 + 3_600_000 };

function pick(values: Float64Array, rows: number[]): number[] {
  return rows.map((i) => values[i]!);
}

function labeledRows(b: Batch, rows: number[]): number[] {
  return rows.filter((i) => (b.rankings ? b.rankings[i] !== undefined : !Number.isNaN(b.labels[i]!)));
}

function summarizeBatch(b: Batch, window = WINDOW): Summary[] {
  return summarize({ ...b, window });
}

describe('summarize: binary', () => {
  const b = batch('binary', 20_000, 11);
  let summaries: Summary[];
  beforeAll(() => { summaries = summarizeBatch(b); });

  it('makes one summary per segment, ordered by name', () => {
    expect(summaries.map((s) => s.segment)).toEqual(['', 'eu', 'us']);
    expect(summaries.reduce((a, s) => a + s.count, 0)).toBe(20_000);
    for (const s of summaries) {
      expect(s.model).toBe('m');
      expect(s.modelVersion).toBe('1');
      expect(s.window).toEqual(WINDOW);
    }
  });

  it('gives the exact count-based metrics of the labeled rows', () => {
    for (const s of summaries) {
      const rows = labeledRows(b, rowsOf(b, s.segment));
      const exact = classificationMetrics(pick(b.labels, rows), pick(b.predictions.prediction, rows));
      const m = summaryMetrics(s);
      const got = m.classificationMetrics!;
      for (const k of ['n', 'accuracy', 'precision', 'recall', 'f1Score', 'macro', 'micro', 'classes', 'perClass', 'confusionMatrix', 'truePositives', 'falsePositives', 'trueNegatives', 'falseNegatives', 'falsePositiveRate'] as const) {
        expect(got[k], k).toEqual(exact[k]);
      }
      expect(m.bounds['classificationMetrics']!.exact).toBe(true);
      expect(m.labeled).toBe(rows.length);
      expect(m.coverage).toBe(rows.length / s.count);
    }
  });

  it('computes AUC and AP of binned scores, with the AUC within its stated bound of the exact AUC', () => {
    for (const s of summaries) {
      const rows = labeledRows(b, rowsOf(b, s.segment)).filter((i) => !Number.isNaN(b.predictions.score[i]!));
      const y = pick(b.labels, rows), score = pick(b.predictions.score, rows), pred = pick(b.predictions.prediction, rows);
      const exact = classificationMetrics(y, pred, score);
      const binned = classificationMetrics(y, pred, score.map((x) => scoreBin(x, SCORE_BINS) / SCORE_BINS));
      const m = summaryMetrics(s);
      const r = m.classificationMetrics!;
      expect(r.aucRoc).toBeCloseTo(binned.aucRoc!, 12);
      expect(r.averagePrecision).toBeCloseTo(binned.averagePrecision!, 12);
      const bound = m.bounds['classificationMetrics.aucRoc']!;
      expect(bound.exact).toBe(false);
      expect(Math.abs(r.aucRoc! - exact.aucRoc!)).toBeLessThanOrEqual(bound.bound);
      expect(Math.abs(r.aucRoc! - exact.aucRoc!)).toBeLessThan(0.002);
    }
  });

  it('gives threshold counts equal to thresholdMetrics on the grid', () => {
    const s = summaries[1]!;
    const rows = labeledRows(b, rowsOf(b, s.segment)).filter((i) => !Number.isNaN(b.predictions.score[i]!));
    const thresholds = [0, 0.001, 0.3, 0.5, 0.7, 0.999];
    const exact = thresholdMetrics(pick(b.labels, rows), pick(b.predictions.score, rows), thresholds);
    expect(summaryMetrics(s, { thresholds }).thresholdMetrics).toEqual(exact);
    expect(() => summaryMetrics(s, { thresholds: [0.0005] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', argument: 'options.thresholds[0]' }));
  });

  it('counts predicted classes and the spec chapter\'s Prometheus buckets', () => {
    const s = summaries[2]!;
    const rows = rowsOf(b, s.segment);
    const preds = pick(b.predictions.prediction, rows);
    expect(s.predicted).toEqual({ classes: [0, 1], counts: [preds.filter((x) => x === 0).length, preds.filter((x) => x === 1).length] });
    const lat = pick(b.predictions.latencyMs, rows).filter((x) => !Number.isNaN(x));
    const le = [...LATENCY_BUCKETS_S, Infinity];
    expect(s.latencyBuckets).toEqual(le.map((hi, j) => lat.filter((x) => x / 1000 <= hi && (j === 0 || x / 1000 > le[j - 1]!)).length));
    const conf = pick(b.predictions.score, rows).filter((x) => !Number.isNaN(x));
    const cb = [...CONFIDENCE_BUCKETS, Infinity];
    expect(s.confidenceBuckets).toEqual(cb.map((hi, j) => conf.filter((x) => x <= hi && (j === 0 || x > cb[j - 1]!)).length));
  });

  it('gives latency stats: count, mean, min, max exact, percentiles within the relative bound', () => {
    const s = summaries[0]!;
    const lat = pick(b.predictions.latencyMs, rowsOf(b, s.segment)).filter((x) => !Number.isNaN(x));
    const exact = latencyStats(lat);
    const m = summaryMetrics(s);
    const got = m.latencyStats!;
    expect(got.count).toBe(exact.count);
    expect(got.min).toBe(exact.min);
    expect(got.max).toBe(exact.max);
    expect(got.mean).toBeCloseTo(exact.mean, 10);
    expect(got.std).toBeCloseTo(exact.std, 8);
    const rel = m.bounds['latencyStats.p99']!;
    expect(rel.kind).toBe('relative');
    expect(rel.bound).toBeLessThan(0.01);
    for (const k of ['p50', 'p75', 'p90', 'p95', 'p99'] as const) {
      expect(Math.abs(got[k] - exact[k])).toBeLessThanOrEqual(rel.bound * exact[k]);
    }
    const delays = pick(b.labelDelayMs, rowsOf(b, s.segment)).filter((x) => !Number.isNaN(x));
    expect(m.feedbackDelay!.count).toBe(delays.length);
  });

  it('leaves out rows outside the window', () => {
    const half = { start: WINDOW.start, end: WINDOW.start + 1_800_000 };
    const s = summarizeBatch(b, half);
    for (const x of s) expect(x.count).toBe(rowsOf(b, x.segment, half).length);
    expect(summarizeBatch(b, { start: 0, end: 1 })).toEqual([]);
  });

  it('folds segment indices that name the same segment', () => {
    const b2 = batch('binary', 500, 3, { segments: ['a', 'b', 'a'] });
    const s = summarizeBatch(b2);
    expect(s.map((x) => x.segment)).toEqual(['a', 'b']);
    expect(s[0]!.count).toBe(rowsOf(b2, 'a').length);
  });
});

describe('summarize: other tasks', () => {
  it('multiclass: confusion counts equal classificationMetrics', () => {
    const b = batch('multiclass', 5000, 5);
    for (const s of summarizeBatch(b)) {
      const rows = labeledRows(b, rowsOf(b, s.segment));
      const exact = classificationMetrics(pick(b.labels, rows), pick(b.predictions.prediction, rows));
      const got = summaryMetrics(s).classificationMetrics!;
      expect(got.confusionMatrix).toEqual(exact.confusionMatrix);
      expect(got.macro).toEqual(exact.macro);
      expect(got.accuracy).toBe(exact.accuracy);
      expect(s.scores).toBeUndefined();
    }
  });

  it('regression: metrics from sufficient statistics match regressionMetrics', () => {
    const b = batch('regression', 8000, 9);
    for (const s of summarizeBatch(b)) {
      const rows = labeledRows(b, rowsOf(b, s.segment));
      const exact = regressionMetrics(pick(b.labels, rows), pick(b.predictions.prediction, rows));
      const m = summaryMetrics(s);
      const got = m.regressionMetrics!;
      expect(got.n).toBe(exact.n);
      for (const k of ['mae', 'mse', 'rmse', 'r2Score', 'mape'] as const) expect(got[k], k).toBeCloseTo(exact[k], 9);
      expect(got.maxError).toBe(exact.maxError);
      const bound = m.bounds['regressionMetrics.medianError']!;
      expect(Math.abs(got.medianError - exact.medianError)).toBeLessThanOrEqual(bound.bound * exact.medianError);
    }
  });

  it('ranking: per-k means match rankingMetrics', () => {
    const b = batch('ranking', 600, 13);
    const ks = [1, 5, 10];
    for (const s of summarize({ ...b, window: WINDOW, ks })) {
      const rows = labeledRows(b, rowsOf(b, s.segment));
      const queries = rows.map((i) => b.rankings![i]!);
      const got = summaryMetrics(s).rankingMetrics!;
      ks.forEach((k, j) => {
        const exact = rankingMetrics(queries, k);
        expect(got[j]!.k).toBe(k);
        expect(got[j]!.queries).toBe(exact.queries);
        expect(got[j]!.queriesWithoutRelevant).toBe(exact.queriesWithoutRelevant);
        for (const f of ['precisionAtK', 'recallAtK', 'ndcgAtK', 'mrr'] as const) expect(got[j]![f]).toBeCloseTo(exact[f], 12);
      });
    }
  });
});

describe('summarize: input errors', () => {
  const good = (): Batch => batch('binary', 50, 1);
  const cases: Array<[string, (b: Batch) => unknown, string, string]> = [
    ['bad task', (b) => ({ ...b, task: 'cluster' }), 'INVALID_OPTION', 'task'],
    ['short labels', (b) => ({ ...b, labels: b.labels.subarray(1) }), 'LENGTH_MISMATCH', 'labels'],
    ['plain array column', (b) => ({ ...b, predictions: { ...b.predictions, score: Array.from(b.predictions.score) } }), 'NOT_NUMERIC', 'predictions.score'],
    ['score above 1', (b) => { b.predictions.score[3] = 1.5; return b; }, 'PROBABILITY_OUT_OF_RANGE', 'predictions.score[3]'],
    ['negative latency', (b) => { b.predictions.latencyMs[4] = -1; return b; }, 'NEGATIVE_VALUE', 'predictions.latencyMs[4]'],
    ['label 2 in binary', (b) => { b.labels[5] = 2; return b; }, 'NOT_BINARY', 'labels[5]'],
    ['fractional prediction', (b) => { b.predictions.prediction[6] = 0.5; return b; }, 'NON_INTEGER_LABEL', 'predictions.prediction[6]'],
    ['infinite label', (b) => { b.labels[7] = Infinity; return b; }, 'NON_FINITE', 'labels[7]'],
    ['negative delay', (b) => { b.labels[8] = 1; b.labelDelayMs[8] = -5; return b; }, 'NEGATIVE_VALUE', 'labelDelayMs[8]'],
    ['segment index out of range', (b) => { b.predictions.segment[9] = 7; return b; }, 'INVALID_OPTION', 'predictions.segment[9]'],
    ['window backwards', (b) => ({ ...b, window: { start: 2, end: 1 } }), 'INVALID_OPTION', 'window'],
    ['bad ks', (b) => ({ ...b, ks: [5, 1] }), 'INVALID_K', 'ks'],
  ];
  it.each(cases)('%s', (_name, mutate, code, argument) => {
    const b = good();
    b.predictions.timestamp.fill(WINDOW.start);
    const input = { window: WINDOW, ...(mutate(b) as object) };
    const err = (() => { try { summarize(input as Parameters<typeof summarize>[0]); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code, argument });
  });
});
