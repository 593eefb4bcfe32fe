// Metrics read from a summary, under the names of the [core] functions that
// compute them from raw rows, each with a statement of how exact it is.
import { InputError } from '../errors.js';
import { numbers } from '../core/input.js';
import { fromConfusion } from '../metrics/classification.js';
import type { LatencyStats, MetricWarning, RankingResult, RegressionResult, ThresholdResult } from '../metrics/types.js';
import type { ExpHistogram } from './sketch.js';
import type { Bound, ScoreHistograms, Summary, SummaryMetrics } from './types.js';
import { checkSummary } from './validate.js';

const EXACT: Bound = { exact: true, bound: 0, kind: 'absolute' };

function relative(h: ExpHistogram, note?: string): Bound {
  return { exact: false, bound: h.relativeError, kind: 'relative', ...(note ? { note } : {}) };
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/**
 * AUC-ROC and average precision of the binned scores, and the AUC bound: the
 * histograms cannot order a positive and a negative in the same bin, counted
 * here as a tie (1/2), so the exact AUC differs by at most half the share of
 * such pairs. Both values equal scikit-learn's on scores rounded down to
 * their bin.
 */
export function histogramScoreMetrics(h: ScoreHistograms): { aucRoc: number; averagePrecision: number; aucBound: number } {
  let P = 0, N = 0;
  for (let k = 0; k < h.bins; k++) {
    P += h.positive[k]!;
    N += h.negative[k]!;
  }
  let below = 0, area = 0, same = 0;
  for (let k = 0; k < h.bins; k++) {
    const pos = h.positive[k]!, neg = h.negative[k]!;
    area += pos * (below + neg / 2);
    same += pos * neg;
    below += neg;
  }
  // Average precision: thresholds from the top bin down (sklearn's step sum).
  let tp = 0, fp = 0, ap = 0, prevRecall = 0;
  for (let k = h.bins - 1; k >= 0; k--) {
    const pos = h.positive[k]!, neg = h.negative[k]!;
    if (pos + neg === 0) continue;
    tp += pos;
    fp += neg;
    const recall = tp / P;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return {
    aucRoc: P === 0 || N === 0 ? NaN : area / (P * N),
    averagePrecision: P === 0 ? NaN : ap,
    aucBound: P === 0 || N === 0 ? NaN : same / (2 * P * N),
  };
}

/** Latency statistics from a sketch: count, mean, min, max exact; std from sums; percentiles approximate. */
function latencyFrom(h: ExpHistogram): LatencyStats {
  const n = h.count;
  const mean = h.sum / n;
  const variance = Math.max(0, h.sumOfSquares / n - mean * mean);
  return {
    count: n, mean, std: Math.sqrt(variance), min: h.min, max: h.max,
    p50: h.quantile(0.5), p75: h.quantile(0.75), p90: h.quantile(0.9), p95: h.quantile(0.95), p99: h.quantile(0.99),
  };
}

export interface SummaryMetricsOptions {
  /** Thresholds for thresholdMetrics: multiples of 1/bins (default [0.3, 0.5, 0.7]). */
  thresholds?: ArrayLike<number>;
}

/**
 * Every metric a summary supports. Counts-based ones (accuracy, precision,
 * recall, F1, confusion, threshold counts, coverage, MAE, MSE, RMSE, MAPE, max
 * error, ranking means) are exact up to floating-point rounding of sums;
 * `bounds` states the error of the others: AUC-ROC (absolute, computed from
 * the histograms), quantiles (relative, from the sketch's scale), R²
 * (exact from sums, but Σy² − (Σy)²/n loses digits when |mean| ≫ std).
 */
export function summaryMetrics(summary: Summary, options: SummaryMetricsOptions = {}): SummaryMetrics {
  checkSummary(summary, 'summary');
  const s = summary;
  const bounds: Record<string, Bound> = { coverage: EXACT };
  const out: SummaryMetrics = { count: s.count, labeled: s.labeled, coverage: s.count === 0 ? NaN : s.labeled / s.count, bounds };

  if (s.latency.count > 0) {
    out.latencyStats = latencyFrom(s.latency);
    for (const k of ['count', 'mean', 'min', 'max']) bounds[`latencyStats.${k}`] = EXACT;
    bounds['latencyStats.std'] = { exact: true, bound: 0, kind: 'absolute', note: 'from the sum and sum of squares' };
    for (const k of ['p50', 'p75', 'p90', 'p95', 'p99']) bounds[`latencyStats.${k}`] = relative(s.latency);
  }
  if (s.feedbackDelay.count > 0) {
    const d = s.feedbackDelay;
    out.feedbackDelay = { count: d.count, p50: d.quantile(0.5), p90: d.quantile(0.9), p99: d.quantile(0.99) };
    for (const k of ['p50', 'p90', 'p99']) bounds[`feedbackDelay.${k}`] = relative(d);
  }

  if (s.confusion && s.labeled > 0) {
    const r = fromConfusion(s.confusion.classes, s.confusion.cells, s.labeled);
    out.classificationMetrics = r;
    bounds['classificationMetrics'] = EXACT;
    if (s.scores) {
      const m = histogramScoreMetrics(s.scores);
      r.aucRoc = m.aucRoc;
      r.averagePrecision = m.averagePrecision;
      bounds['classificationMetrics.aucRoc'] = { exact: false, bound: m.aucBound, kind: 'absolute', note: 'half the share of positive-negative pairs in one score bin' };
      bounds['classificationMetrics.averagePrecision'] = { exact: false, bound: NaN, kind: 'absolute', note: `equals average precision of scores rounded down to multiples of 1/${s.scores.bins}; no closed-form bound` };
      if (Number.isNaN(m.aucRoc)) {
        r.warnings.push({ code: 'ONE_CLASS', message: 'only one class has scored labeled rows; AUC-ROC is undefined (NaN)' });
      }
      out.thresholdMetrics = thresholds(s.scores, options.thresholds ?? [0.3, 0.5, 0.7]);
      bounds['thresholdMetrics'] = EXACT;
    }
  }

  if (s.regression && s.regression.n > 0) {
    out.regressionMetrics = regressionFrom(s);
    for (const k of ['n', 'mae', 'mse', 'rmse', 'mape', 'maxError']) bounds[`regressionMetrics.${k}`] = EXACT;
    bounds['regressionMetrics.r2Score'] = { exact: true, bound: 0, kind: 'absolute', note: 'from sums of y and y²; loses digits when |mean(y)| ≫ std(y)' };
    bounds['regressionMetrics.medianError'] = relative(s.regression.absError);
  }

  if (s.ranking && s.ranking.queries > 0) {
    const r = s.ranking;
    const q = r.queries;
    const warnings: MetricWarning[] = r.withoutRelevant > 0
      ? [{ code: 'NO_RELEVANT_ITEMS', message: `${r.withoutRelevant} of ${q} queries have no relevant items; they score 0 on every metric` }]
      : [];
    out.rankingMetrics = r.ks.map((k, i): RankingResult => ({
      queries: q, k, precisionAtK: r.precision[i]! / q, recallAtK: r.recall[i]! / q, ndcgAtK: r.ndcg[i]! / q,
      mrr: r.reciprocalRank / q, queriesWithoutRelevant: r.withoutRelevant, warnings: [...warnings],
    }));
    bounds['rankingMetrics'] = EXACT;
  }
  return out;
}

function thresholds(h: ScoreHistograms, values: ArrayLike<number>): ThresholdResult[] {
  const thr = numbers(values, 'options.thresholds');
  // Suffix sums: rows with score >= k / bins.
  const tpAt = new Float64Array(h.bins + 1), fpAt = new Float64Array(h.bins + 1);
  for (let k = h.bins - 1; k >= 0; k--) {
    tpAt[k] = tpAt[k + 1]! + h.positive[k]!;
    fpAt[k] = fpAt[k + 1]! + h.negative[k]!;
  }
  return Array.from(thr, (t, i) => {
    const k = Math.round(t * h.bins);
    if (!(k >= 0 && k < h.bins && k / h.bins === t)) {
      throw new InputError('INVALID_OPTION', `options.thresholds[${i}]`, `is ${t}; a summary knows counts at multiples of 1/${h.bins} in [0, 1) only.`);
    }
    const tp = tpAt[k]!, fp = fpAt[k]!, fn = tpAt[0]! - tp;
    const precision = ratio(tp, tp + fp), recall = ratio(tp, tp + fn);
    return { threshold: t, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision, recall, f1Score: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
  });
}

function regressionFrom(s: Summary): RegressionResult {
  const r = s.regression!;
  const n = r.n;
  const warnings: MetricWarning[] = [];
  const num = r.sumE2;
  const den = Math.max(0, r.sumY2 - (r.sumY * r.sumY) / n);
  let r2Score: number;
  // scikit-learn's rules, as regressionMetrics applies them.
  if (n < 2) {
    r2Score = NaN;
    warnings.push({ code: 'TOO_FEW_SAMPLES', message: 'R² is not well-defined with fewer than two samples (NaN)' });
  } else if (num === 0) r2Score = 1;
  else if (den === 0) r2Score = 0;
  else r2Score = 1 - num / den;
  const mse = r.sumE2 / n;
  return {
    n, mae: r.sumAbsE / n, mse, rmse: Math.sqrt(mse), r2Score, mape: (r.sumApe / n) * 100, maxError: r.maxAbsE,
    medianError: r.absError.quantile(0.5), warnings,
  };
}
