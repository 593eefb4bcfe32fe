// Result types of the public metric functions.

/** A condition worth knowing about that did not prevent a result. */
export interface MetricWarning {
  /** Stable code, e.g. 'ZERO_DIVISION' or 'ONE_CLASS'. */
  code:
    | 'ZERO_DIVISION'
    | 'ONE_CLASS'
    | 'UNDEFINED_CLASS_AUC'
    | 'TOO_FEW_SAMPLES'
    | 'NO_RELEVANT_ITEMS'
    // Monitor reports: score metrics cover only the labeled rows with scores.
    | 'PARTIAL_SCORES'
    // Monitor reports: a class has no column in the model's probability vectors.
    | 'UNSCORED_CLASS';
  message: string;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1Score: number;
}

export interface ClassMetrics extends PrecisionRecallF1 {
  /** The class label. */
  label: number;
  /** Number of rows whose true class is this one. */
  support: number;
}

export interface ClassificationResult extends PrecisionRecallF1 {
  /** Rows. */
  n: number;
  accuracy: number;
  /** `precision`, `recall`, `f1Score` at the top level are support-weighted (sklearn average='weighted'). */
  weighted: PrecisionRecallF1;
  macro: PrecisionRecallF1;
  micro: PrecisionRecallF1;
  /** Sorted classes found in yTrue or yPred; index of rows and columns of the confusion matrix. */
  classes: number[];
  perClass: ClassMetrics[];
  /** confusionMatrix[t][p]: rows with true class classes[t] predicted as classes[p]. */
  confusionMatrix: number[][];
  /** Present when every label is 0 or 1 (positive class 1). */
  truePositives?: number;
  trueNegatives?: number;
  falsePositives?: number;
  falseNegatives?: number;
  falsePositiveRate?: number;
  falseNegativeRate?: number;
  /** Binary: AUC of yProb. Multiclass with a probability matrix: one-vs-rest macro AUC. */
  aucRoc?: number;
  /** Multiclass one-vs-rest AUC of each class, in `classes` order. */
  aucRocPerClass?: number[];
  /** Binary with yProb only. */
  averagePrecision?: number;
  warnings: MetricWarning[];
}

export interface ThresholdResult extends PrecisionRecallF1 {
  threshold: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** Descending; thresholds[0] is +Infinity (modern sklearn). */
  thresholds: Float64Array;
  warnings: MetricWarning[];
}

export interface PrecisionRecallCurve {
  precision: Float64Array;
  recall: Float64Array;
  /** Ascending distinct scores; one fewer than precision and recall. */
  thresholds: Float64Array;
  warnings: MetricWarning[];
}

export interface RegressionResult {
  n: number;
  mae: number;
  mse: number;
  rmse: number;
  r2Score: number;
  /** Mean absolute percentage error in percent (sklearn's value x 100). */
  mape: number;
  maxError: number;
  /** Median absolute error. */
  medianError: number;
  warnings: MetricWarning[];
}

export interface RankingResult {
  /** Queries evaluated. */
  queries: number;
  k: number;
  precisionAtK: number;
  recallAtK: number;
  ndcgAtK: number;
  /** Mean reciprocal rank. */
  mrr: number;
  /** Queries with an empty relevant set (they score 0 on every metric). */
  queriesWithoutRelevant: number;
  warnings: MetricWarning[];
}

export interface LatencyStats {
  count: number;
  mean: number;
  /** Population standard deviation (numpy's default ddof=0). */
  std: number;
  min: number;
  max: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface SlaResult {
  status: 'ok' | 'violation' | 'no_data';
  p50Sla: number;
  p99Sla: number;
  p50Actual: number;
  p99Actual: number;
  p50Ok: boolean;
  p99Ok: boolean;
}

export interface TrendResult {
  n: number;
  slope: number;
  intercept: number;
  /** Pearson r. */
  r: number;
  rSquared: number;
  /** Two-sided p-value of the slope (scipy.stats.linregress). */
  pValue: number;
  stderr: number;
  interceptStderr: number;
  trend: 'declining' | 'improving' | 'stable';
  /** pValue < alpha (default 0.05). */
  significant: boolean;
}

// [estimate] calibration, drift and label-free estimation results.

/** One non-empty bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Bin edges: (lower, upper], the first bin also holds 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability in the bin (sklearn calibration_curve's prob_pred). */
  meanProbability: number;
  /** Fraction of positives in the bin (prob_true). */
  fractionPositive: number;
}

export interface CalibrationResult {
  n: number;
  /** Sum over non-empty bins of count / n x |fractionPositive - meanProbability|. */
  expectedCalibrationError: number;
  /** Largest |fractionPositive - meanProbability| over non-empty bins. */
  maxCalibrationError: number;
  /** sklearn brier_score_loss: mean (yTrue - yProb)^2. */
  brierScore: number;
  /** Non-empty bins in ascending order. */
  reliability: ReliabilityBin[];
  warnings: MetricWarning[];
}

/** A two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp, two-sided, method 'auto'). */
export interface KsResult {
  statistic: number;
  pValue: number;
  /** 'exact' when both samples have at most 10,000 values, else 'asymp'. */
  method: 'exact' | 'asymp';
}

/** The binned distributions behind PSI and Jensen-Shannon (Evidently's binning). */
export interface DriftBins {
  /** 'numeric': Sturges bins over the pooled sample; 'categorical': one bin per distinct value. */
  kind: 'numeric' | 'categorical';
  /** numeric: k + 1 edges; categorical: the k values. */
  edges: Float64Array;
  /** Fractions per bin after Evidently's zero fill. */
  reference: Float64Array;
  current: Float64Array;
}

export interface BinnedDriftResult {
  value: number;
  bins: DriftBins;
}

/** scipy.stats.chisquare of current class counts against reference proportions. */
export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  /** Degrees of freedom: classes - 1. */
  dof: number;
  /** Sorted classes seen in either sample. */
  classes: number[];
  warnings: MetricWarning[];
}

/** An estimate with its sampling error (the standard error NannyML derives from the reference). */
export interface Estimate {
  value: number;
  samplingError: number;
}

export interface CbpeEstimate {
  n: number;
  accuracy: Estimate;
  precision: Estimate;
  recall: Estimate;
  f1Score: Estimate;
  rocAuc: Estimate;
  /** Expected confusion counts (sums of calibrated probabilities). */
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  warnings: MetricWarning[];
}
