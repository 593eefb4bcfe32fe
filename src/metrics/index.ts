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
// [estimate] calibration, drift statistics and label-free estimation (CBPE)
export { IsotonicCalibrator, fitIsotonic, calibrationMetrics, calibrationSums, calibrationFromSums } from './calibration.js';
export type { CalibrationOptions, CalibrationSums } from './calibration.js';
export { ksTest, wassersteinDistance, normalizedWasserstein, driftBins, psi, jensenShannonDistance, chiSquareClasses } from './drift.js';
export type { BinningOptions } from './drift.js';
export { Cbpe, CbpeMulticlass, fitCbpe, fitCbpeMulticlass } from './estimate.js';
export type { CbpeReference, CbpeOptions, SamplingComponents, CbpeMulticlassReference, CbpeMulticlassEstimate, MulticlassSamplingComponents } from './estimate.js';
