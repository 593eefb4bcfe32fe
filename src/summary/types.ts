// Types of mergeable summaries: the in-memory form, the wire form and the
// metrics read from them.
import type { PredictionColumns, Task } from '../columns/index.js';
import type { RankingQuery } from '../metrics/ranking.js';
import type { ClassificationResult, LatencyStats, RankingResult, RegressionResult, ThresholdResult } from '../metrics/types.js';
import type { ExpHistogram } from './sketch.js';

export interface SketchOptions {
  /** Most buckets per sign (default 2048, at least 2). */
  maxSize?: number;
  /** Starting (finest) scale, -10..20 (default 20); the scale only goes down from here. */
  maxScale?: number;
}

/** Dense bucket counts: counts[k] is bucket offset + k. */
export interface Buckets {
  offset: number;
  counts: Float64Array;
}

/** Counts by predicted class, classes ascending. */
export interface ClassCounts {
  classes: number[];
  counts: number[];
}

/** Confusion counts of labeled rows: cells[t * C + p], rows true, columns predicted. */
export interface ConfusionCounts {
  classes: number[];
  cells: number[];
}

/**
 * Per-label histograms of binary scores on `bins` equal bins of [0, 1]: bin k
 * holds scores s with k/bins <= s < (k+1)/bins (the last bin includes 1), bin
 * edges compared exactly as `s >= k / bins`, so the counts at each threshold
 * k/bins are those of thresholdMetrics(yTrue, yScore, [k / bins]).
 */
export interface ScoreHistograms {
  bins: number;
  positive: Float64Array;
  negative: Float64Array;
}

/**
 * Sufficient statistics of labeled regression rows, e = yTrue - yPred. Sums
 * are compensated within a batch and added when merged.
 */
export interface RegressionSums {
  n: number;
  sumY: number;
  sumY2: number;
  sumE: number;
  sumE2: number;
  sumAbsE: number;
  /** Sum of |e| / max(|y|, machine epsilon) (scikit-learn's MAPE terms). */
  sumApe: number;
  maxAbsE: number;
  /** |e| of every labeled row, for the median absolute error. */
  absError: ExpHistogram;
}

/** Sums over labeled queries of each metric at each k (and of reciprocal ranks). */
export interface RankingSums {
  ks: number[];
  queries: number;
  withoutRelevant: number;
  precision: number[];
  recall: number[];
  ndcg: number[];
  reciprocalRank: number;
}

/** A time window [start, end) in ms since the epoch. */
export interface Window {
  start: number;
  end: number;
}

/**
 * The mergeable summary of one window, model, model version and segment.
 * Build with summarize(), combine with mergeSummaries(), read with
 * summaryMetrics(), move with serializeSummary()/parseSummary().
 */
export interface Summary {
  /**
   * 'correction': late labels of a window already delivered (correctionOf).
   * It carries the label side only (count 0, no predictions, latencies or
   * scores; labeled > 0) and merges into the window's summary (or any
   * aggregate holding it) to give exactly the summary built with those
   * labels. Absent on a window's summary.
   */
  kind?: 'correction';
  task: Task;
  model: string;
  modelVersion: string;
  segment: string;
  window: Window;
  /** Predictions in the window. */
  count: number;
  /** Counts by predicted class (binary, multiclass). */
  predicted?: ClassCounts;
  /** Latencies in ms of rows that measured one. */
  latency: ExpHistogram;
  /** Scores of rows that have one. */
  confidence: ExpHistogram;
  /** Per-bucket (not cumulative) counts on LATENCY_BUCKETS_S, then +Inf. */
  latencyBuckets: number[];
  /** Per-bucket (not cumulative) counts on CONFIDENCE_BUCKETS, then +Inf. */
  confidenceBuckets: number[];
  /** Rows with ground truth. */
  labeled: number;
  /** Label delay in ms of labeled rows that report one. */
  feedbackDelay: ExpHistogram;
  confusion?: ConfusionCounts;
  scores?: ScoreHistograms;
  regression?: RegressionSums;
  ranking?: RankingSums;
}

/** Input of summarize(). */
export interface SummarizeInput {
  task: Task;
  predictions: PredictionColumns;
  /** Ground truth aligned with the prediction rows; NaN = not labeled (yet). */
  labels?: Float64Array;
  /** ms between prediction and label, aligned; NaN = unknown. */
  labelDelayMs?: Float64Array;
  /** Ranking task: each row's query once judged (undefined = not labeled). */
  rankings?: ArrayLike<RankingQuery | undefined>;
  /** Rows with start <= timestamp < end are summarized; others are left out. */
  window: Window;
  /** Ranking cut-offs (default [1, 3, 5, 10]). */
  ks?: number[];
}

/** How far a metric read from a summary can be from the exact one. */
export interface Bound {
  exact: boolean;
  /** 0 when exact; else the largest possible error of the kind stated. */
  bound: number;
  kind: 'absolute' | 'relative';
  /** How the bound is defined when it is not a simple worst case. */
  note?: string;
}

/**
 * Metrics of a summary, under the names of the functions that compute them
 * from raw rows. `bounds` says, per field path, whether it is exact.
 */
export interface SummaryMetrics {
  count: number;
  labeled: number;
  /** labeled / count (exact); NaN without predictions. */
  coverage: number;
  classificationMetrics?: ClassificationResult;
  thresholdMetrics?: ThresholdResult[];
  regressionMetrics?: RegressionResult;
  rankingMetrics?: RankingResult[];
  latencyStats?: LatencyStats;
  /** p50/p90/p99 of the label delay in ms. */
  feedbackDelay?: { count: number; p50: number; p90: number; p99: number };
  bounds: Record<string, Bound>;
}

/** The serialized form: JSON with bucket counts packed (see codec.ts). */
export interface SketchJSON {
  scale: number;
  maxSize: number;
  count: number;
  zeroCount: number;
  sum: [number, number];
  sumSq: [number, number];
  min: number | null;
  max: number | null;
  positive: { offset: number; counts: string };
  negative: { offset: number; counts: string };
}
