// The public metric functions: the API people call directly.
export { classificationMetrics, scoreMetrics, thresholdMetrics, rocCurve, precisionRecallCurve, fromConfusion, MAX_CLASSES } from './classification.js';
export type { Scores } from './classification.js';
export { regressionMetrics, regressionMetricsBySegment } from './regression.js';
export type { Segment } from './regression.js';
export { precisionAtK, recallAtK, ndcgAtK, reciprocalRank, rankingMetrics } from './ranking.js';
export type { Item, Relevance, RankingQuery, RankingOptions } from './ranking.js';
export { latencyStats, latencySla, percentiles } from './latency.js';
export type { SlaTargets } from './latency.js';
export { linearTrend } from './trend.js';
export type { TrendOptions } from './trend.js';
export type * from './types.js';
