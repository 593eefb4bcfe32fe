// Classification metrics of a report window when scores are optional per row.
//
// The rule: count-based metrics (accuracy, precision, recall, F1, the confusion
// matrix) cover every labeled row. Score metrics (AUC-ROC, average precision)
// cover the labeled rows that have a score: binary, a number in `score`;
// multiclass, a probability vector (`logPrediction({ scores })`) with no NaN.
// `scoredRows` says how many rows that was; when it is fewer than the labeled
// rows, a PARTIAL_SCORES warning says so. Without any scored row the score
// metrics are left out, with no warning (the app sends no scores). So a report
// equals classificationMetrics(y, p) on all labeled rows plus the score metrics
// of classificationMetrics(y, p, scores) on the scored ones.
//
// Multiclass columns: classificationMetrics wants one probability column per
// class of the sorted union of labels and predictions (its `classes`), while a
// vector holds one probability per class index 0..C-1. Column j is thus the
// vector's entry classes[j]. A class outside 0..C-1 (a label or prediction the
// model gives no probability for) gets a column of zeros, the probability the
// model gave it: its one-vs-rest AUC is 0.5 if some scored row has that label
// (the model cannot rank it) and counts in the macro mean, or NaN if none does.
// An UNSCORED_CLASS warning names those classes.

import { classificationMetrics } from '../metrics/classification.js';
import type { ClassificationResult, MetricWarning } from '../metrics/types.js';

/** Classification metrics and the number of labeled rows the score metrics used. */
export interface Scored {
  result: ClassificationResult;
  scoredRows: number;
}

/** Row-major vectors of `classes` probabilities each, NaN where a row has none. */
export interface ClassScores {
  classes: number;
  values: Float64Array;
}

/** The rows `idx` of a column. */
export function pick<T extends Float64Array | Uint16Array>(a: T, idx: ArrayLike<number>): T {
  const out = new (a.constructor as new (n: number) => T)(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]!]!;
  return out;
}

/** The vectors of rows `idx`. */
export function pickVectors(v: ClassScores, idx: ArrayLike<number>): ClassScores {
  const w = v.classes;
  const values = new Float64Array(idx.length * w);
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i]! * w;
    for (let c = 0; c < w; c++) values[i * w + c] = v.values[from + c]!;
  }
  return { classes: w, values };
}

const partial = (used: number, n: number, what: string): MetricWarning => ({
  code: 'PARTIAL_SCORES',
  message: `${what} cover the ${used} of ${n} labeled rows that have ${used === 1 ? 'a score' : 'scores'}; the other metrics cover all ${n}`,
});

/** Binary: AUC-ROC and average precision over the rows whose score is a number. */
export function binaryScored(y: Float64Array, p: Float64Array, score: Float64Array): Scored {
  const n = y.length;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (score[i] === score[i]) keep.push(i);
  if (keep.length === n) return { result: classificationMetrics(y, p, score), scoredRows: n };
  const result = classificationMetrics(y, p);
  if (keep.length === 0) return { result, scoredRows: 0 };
  const sub = classificationMetrics(pick(y, keep), pick(p, keep), pick(score, keep));
  result.aucRoc = sub.aucRoc!;
  result.averagePrecision = sub.averagePrecision!;
  // Only the score metrics' warnings: the subset's count warnings are not this report's.
  result.warnings.push(...sub.warnings.filter((w) => w.code === 'ONE_CLASS'), partial(keep.length, n, 'AUC-ROC and average precision'));
  return { result, scoredRows: keep.length };
}

/** Multiclass: one-vs-rest AUC over the rows with a full probability vector (see the file comment). */
export function multiclassScored(y: Float64Array, p: Float64Array, vectors: ClassScores | undefined): Scored {
  const n = y.length;
  if (!vectors) return { result: classificationMetrics(y, p), scoredRows: 0 };
  const w = vectors.classes;
  const v = vectors.values;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    let full = true;
    for (let c = 0; c < w && full; c++) full = v[i * w + c] === v[i * w + c];
    if (full) keep.push(i);
  }
  if (keep.length === 0) return { result: classificationMetrics(y, p), scoredRows: 0 };
  const all = keep.length === n;
  const ys = all ? y : pick(y, keep);
  const ps = all ? p : pick(p, keep);
  const classes = [...new Set([...ys, ...ps])].sort((a, b) => a - b);
  const c = classes.length;
  const known = (k: number) => Number.isInteger(k) && k >= 0 && k < w;
  let sub: ClassificationResult;
  if (c === 1) {
    // One class and no other: one-vs-rest AUC is undefined (and a single
    // column would read as binary scores to classificationMetrics).
    sub = classificationMetrics(ys, ps);
    sub.aucRoc = NaN;
    sub.aucRocPerClass = [NaN];
    sub.warnings.push({ code: 'UNDEFINED_CLASS_AUC', message: `one-vs-rest AUC is undefined: every scored row has class ${classes[0]}` });
  } else {
    const matrix = new Float64Array(keep.length * c);
    for (let r = 0; r < keep.length; r++) {
      const row = keep[r]! * w;
      for (let j = 0; j < c; j++) {
        const k = classes[j]!;
        matrix[r * c + j] = known(k) ? v[row + k]! : 0;
      }
    }
    sub = classificationMetrics(ys, ps, matrix);
  }
  let result = sub;
  if (!all) {
    result = classificationMetrics(y, p);
    const per = result.classes.map((k) => {
      const j = sub.classes.indexOf(k);
      return j < 0 ? NaN : sub.aucRocPerClass![j]!;
    });
    result.aucRoc = sub.aucRoc!;
    result.aucRocPerClass = per;
    const undefinedFor = result.classes.filter((_, j) => Number.isNaN(per[j]));
    if (undefinedFor.length > 0) {
      result.warnings.push({
        code: 'UNDEFINED_CLASS_AUC',
        message: `one-vs-rest AUC is undefined for classes absent from the scored rows' labels (or the only class there): ${undefinedFor.join(', ')}; the macro average leaves them out`,
      });
    }
    result.warnings.push(partial(keep.length, n, 'AUC-ROC'));
  }
  const unscored = classes.filter((k) => !known(k));
  if (unscored.length > 0) {
    result.warnings.push({
      code: 'UNSCORED_CLASS',
      message: `classes ${unscored.join(', ')} lie outside the model's ${w} probability columns (0..${w - 1}); they are scored 0, so a class among the labels gets a one-vs-rest AUC of 0.5`,
    });
  }
  return { result, scoredRows: keep.length };
}
