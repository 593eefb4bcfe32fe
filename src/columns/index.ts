// The row format shared by the monitor's buffers, the worker protocol, the
// store and the summaries: a batch of predictions (or labels) as columns.
// Row i across all columns of a batch is one prediction. Typed arrays clone
// and transfer cheaply across postMessage and into IndexedDB, and copy into
// WASM memory with one .set().

/** What a monitored model does. */
export type Task = 'binary' | 'multiclass' | 'regression' | 'ranking';

/** Which model produced a batch: every row of a batch shares it. */
export interface ModelRef {
  model: string;
  version: string;
}

/** The per-row columns of predictions: row i across all columns is one prediction. */
export interface RowColumns {
  /** Unique, mostly time-ordered prediction ids (integers < 2^53). */
  id: Float64Array;
  /** Milliseconds since the Unix epoch. */
  timestamp: Float64Array;
  /** Predicted class (binary, multiclass) or predicted value (regression); NaN for ranking. */
  prediction: Float64Array;
  /** Probability of class 1 (binary) or of the predicted class (multiclass); NaN when absent. */
  score: Float64Array;
  /** Latency of the model call in ms; NaN when not measured. */
  latencyMs: Float64Array;
  /** Index into `segments` of each row's segment. */
  segment: Uint16Array;
  /** Segment names referenced by `segment` (index 0 is the default segment ''). */
  segments: string[];
}

/** A batch of predictions of one model version. */
export interface PredictionColumns extends ModelRef, RowColumns {}

/** A batch of ground-truth labels. */
export interface LabelColumns {
  /** Id of the prediction each label belongs to. */
  id: Float64Array;
  /** True class or true value. */
  label: Float64Array;
  /** When the label was logged (ms since epoch). */
  labeledAt: Float64Array;
}

/** Number of rows in a batch. */
export function rows(batch: { id: Float64Array }): number {
  return batch.id.length;
}
