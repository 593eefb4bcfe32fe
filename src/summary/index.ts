// Mergeable summaries: what accumulates and travels instead of raw rows.
//
//   const [s] = summarize({ task: 'binary', predictions, labels, window: { start, end } });
//   const day = mergeSummaries(morning, afternoon);          // same answer as one summary of all rows
//   const text = serializeSummary(day);                      // versioned JSON, a few KB
//   const back = parseSummary(text);                         // validated: typed error on bad input
//   const m = summaryMetrics(back);                          // m.classificationMetrics.f1Score, m.bounds[...]
//
// A summary covers one window, model, model version and segment. Counts and
// sums are exact and merge exactly; quantiles come from exponential histograms
// (ExpHistogram, OpenTelemetry / Prometheus native layout) with a stated
// relative error; AUC comes from per-label score histograms with a stated
// absolute bound. Works the same in browsers and Node.
export { ExpHistogram, relativeErrorAtScale, DEFAULT_MAX_SIZE, MIN_SCALE, MAX_SCALE } from './sketch.js';
export { summarize, emptySummary, correctionOf, scoreBin, SCORE_BINS, DEFAULT_KS, SUMMARY_SKETCH, DELAY_SKETCH } from './build.js';
export { mergeSummaries, mergeAll } from './merge.js';
export { summaryMetrics, histogramScoreMetrics } from './metrics.js';
export type { SummaryMetricsOptions } from './metrics.js';
export { serializeSummary, parseSummary, parseSummaryWithin, summaryToJSON, sketchToJSON, sketchFromJSON, packCounts, unpackCounts, SUMMARY_VERSION } from './codec.js';
export type { DecodeBudget } from './codec.js';
export { checkSummary, checkLabeledWithinCount, LATENCY_BUCKETS_S, CONFIDENCE_BUCKETS, LIMITS } from './validate.js';
export type * from './types.js';
