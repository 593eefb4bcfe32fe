// Classification metrics: scikit-learn's numbers from one WASM pass for the
// confusion counts and one packed-key sort for AUC and average precision.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, check, column, numbers, options as optionsOf, requireNonEmpty, requireSameLength, describe } from '../core/input.js';
import { type Scope, withScope } from '../core/wasm.js';
import type {
  ClassificationResult, ClassMetrics, MetricWarning, PrecisionRecallCurve, PrecisionRecallF1, RocCurve, ThresholdResult,
} from './types.js';

/** Most classes a confusion matrix may have (1024^2 cells). */
export const MAX_CLASSES = 1024;

/** Scores: one per row (binary) or an n x C matrix as rows or flat row-major. */
export type Scores = Numbers | ArrayLike<Numbers>;

/** tp / (tp + fp) style ratio with scikit-learn's zero_division=0. */
function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** F1 as scikit-learn computes it from precision and recall (0 when both are 0). */
function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

function prf(precision: number, recall: number): PrecisionRecallF1 {
  return { precision, recall, f1Score: f1(precision, recall) };
}

/** Distinct sorted labels of up to two validated label columns. */
function labelSet(s: Scope, a: number, na: number, b: number, nb: number): { ptr: number; classes: number[] } {
  const ptr = s.alloc(MAX_CLASSES * 8);
  const c = s.k.uniqueLabels(a, na, b, nb, ptr, MAX_CLASSES);
  if (c < 0) {
    throw new InputError('TOO_MANY_CLASSES', 'yTrue/yPred', `hold more than ${MAX_CLASSES} distinct classes; group rare classes before computing metrics.`);
  }
  return { ptr, classes: Array.from(s.readF64(ptr, c)) };
}

/** Checks labels (already in WASM memory) that must all be 0 or 1. */
export function requireBinaryLabels(s: Scope, ptr: number, n: number, name: string): void {
  check(s, ptr, n, Check.Integer, name);
  const { classes } = labelSet(s, ptr, n, 0, 0);
  const other = classes.find((c) => c !== 0 && c !== 1);
  if (other !== undefined) {
    throw new InputError('NOT_BINARY', name, `contains the label ${other}; binary metrics need labels 0 and 1 (1 = positive).`);
  }
}

/**
 * Flattens a score matrix given as rows or as one row-major array; returns
 * [flat, columns, given as rows].
 */
export function scoreMatrix(scores: Scores, n: number): [Numbers, number, boolean] {
  const first = (scores as ArrayLike<unknown>)[0];
  if (typeof first === 'object' && first !== null) {
    const rows = scores as ArrayLike<Numbers>;
    requireSameLength(n, rows.length, 'yProb', 'yTrue');
    const cols = (first as ArrayLike<unknown>).length ?? 0;
    const flat = new Float64Array(n * cols);
    for (let i = 0; i < n; i++) {
      const row = numbers(rows[i], `yProb[${i}]`);
      if (row.length !== cols) throw new InputError('SHAPE_MISMATCH', `yProb[${i}]`, `has ${row.length} scores but yProb[0] has ${cols}; every row needs one score per class.`);
      flat.set(row, i * cols);
    }
    return [flat, cols, true];
  }
  const flat = numbers(scores, 'yProb');
  if (flat.length % n !== 0) {
    throw new InputError('SHAPE_MISMATCH', 'yProb', `has ${flat.length} values for ${n} rows; pass one score per row (binary) or n x C scores.`);
  }
  return [flat, flat.length / n, false];
}

const warn = (code: MetricWarning['code'], message: string): MetricWarning => ({ code, message });

/**
 * Accuracy, precision/recall/F1 (weighted, macro, micro, per class) and the
 * confusion matrix of integer class labels. Binary labels {0, 1} add the four
 * confusion counts and FPR/FNR; with `yProb` (the score of class 1) also the
 * exact AUC-ROC and average precision. Multiclass with an n x C probability
 * matrix (columns in `classes` order) adds one-vs-rest macro AUC.
 */
export function classificationMetrics(yTrue: Numbers, yPred: Numbers, yProb?: Scores): ClassificationResult {
  const t = numbers(yTrue, 'yTrue');
  const p = numbers(yPred, 'yPred');
  const n = t.length;
  requireNonEmpty(n, 'yTrue');
  requireSameLength(n, p.length, 'yPred', 'yTrue');
  return withScope((s) => {
    const tPtr = s.f64(t);
    const pPtr = s.f64(p);
    let classes: number[];
    let cells: ArrayLike<number>;
    let clsPtr: number;
    const binPtr = s.alloc(4 * 8);
    if (s.k.confusionBinary(tPtr, pPtr, n, binPtr) === 1) {
      // Every label is 0 or 1: the one-pass kernel both validated and counted.
      const [tn = 0, fp = 0, fn = 0, tp = 0] = s.readF64(binPtr, 4);
      const has0 = n - tp > 0; // some row has a 0 as truth or prediction
      const has1 = tp + fp + fn > 0;
      classes = has0 && has1 ? [0, 1] : has1 ? [1] : [0];
      cells = classes.length === 2 ? [tn, fp, fn, tp] : [n];
      clsPtr = s.f64(classes);
    } else {
      check(s, tPtr, n, Check.Integer, 'yTrue');
      check(s, pPtr, n, Check.Integer, 'yPred');
      const set = labelSet(s, tPtr, n, pPtr, n);
      classes = set.classes;
      clsPtr = set.ptr;
      const c = classes.length;
      const cmPtr = s.alloc(c * c * 8);
      s.k.confusion(tPtr, pPtr, n, clsPtr, c, cmPtr);
      cells = s.readF64(cmPtr, c * c);
    }
    const result = confusionResult(classes, cells, n);
    if (yProb !== undefined) addScoreMetrics(s, result, tPtr, n, clsPtr, yProb);
    return result;
  });
}

function isBinary(classes: readonly number[]): boolean {
  return classes.every((x) => x === 0 || x === 1);
}

/**
 * Every count-based metric of classificationMetrics from a confusion matrix:
 * `classes` sorted ascending, `cells` row-major (rows true, columns predicted,
 * classes.length^2 non-negative counts), `n` their total. Summaries that keep
 * confusion counts get their metrics from here.
 */
export function fromConfusion(classes: ArrayLike<number>, cells: ArrayLike<number>, n: number): ClassificationResult {
  const cls = Array.from(numbers(classes, 'classes'));
  const counts = numbers(cells, 'cells');
  requireNonEmpty(cls.length, 'classes');
  const c = cls.length;
  if (counts.length !== c * c) {
    throw new InputError('SHAPE_MISMATCH', 'cells', `has ${counts.length} counts for ${c} classes; pass one count per (true, predicted) class pair: ${c * c} counts, rows true, columns predicted.`);
  }
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const v = counts[i]!;
    if (!Number.isFinite(v)) throw new InputError('NON_FINITE', `cells[${i}]`, `is ${v}; counts must be finite.`);
    if (v < 0 || !Number.isInteger(v)) throw new InputError('NEGATIVE_VALUE', `cells[${i}]`, `is ${v}; counts must be integers >= 0.`);
    total += v;
  }
  for (let i = 0; i < c; i++) {
    if (!Number.isInteger(cls[i]) || (i > 0 && cls[i]! <= cls[i - 1]!)) {
      throw new InputError('NON_INTEGER_LABEL', `classes[${i}]`, `is ${cls[i]}; classes must be distinct integers in ascending order.`);
    }
  }
  if (n !== total) throw new InputError('LENGTH_MISMATCH', 'n', `is ${describe(n)} but the counts sum to ${total}; pass their total.`);
  return confusionResult(cls, counts, n);
}

/** fromConfusion without the checks, for counts the kernels just produced. */
function confusionResult(classes: number[], cells: ArrayLike<number>, n: number): ClassificationResult {
  const c = classes.length;
  const warnings: MetricWarning[] = [];
  const confusionMatrix: number[][] = [];
  const perClass: ClassMetrics[] = [];
  const noPredicted: number[] = [];
  const noTrue: number[] = [];
  let correct = 0;
  for (let i = 0; i < c; i++) {
    const row: number[] = [];
    for (let j = 0; j < c; j++) row.push(cells[i * c + j] ?? 0);
    confusionMatrix.push(row);
  }
  for (let j = 0; j < c; j++) {
    let predicted = 0;
    let support = 0;
    for (let i = 0; i < c; i++) {
      predicted += confusionMatrix[i]![j]!;
      support += confusionMatrix[j]![i]!;
    }
    const tp = confusionMatrix[j]![j]!;
    correct += tp;
    const label = classes[j]!;
    if (predicted === 0) noPredicted.push(label);
    if (support === 0) noTrue.push(label);
    perClass.push({ label, support, ...prf(ratio(tp, predicted), ratio(tp, support)) });
  }
  if (noPredicted.length > 0) {
    warnings.push(warn('ZERO_DIVISION', `precision is ill-defined and set to 0 for classes with no predicted samples: ${noPredicted.join(', ')}`));
  }
  if (noTrue.length > 0) {
    warnings.push(warn('ZERO_DIVISION', `recall is ill-defined and set to 0 for classes with no true samples: ${noTrue.join(', ')}`));
  }
  const mean = (f: (m: ClassMetrics) => number): number => perClass.reduce((a, m) => a + f(m), 0) / c;
  const wmean = (f: (m: ClassMetrics) => number): number => perClass.reduce((a, m) => a + f(m) * m.support, 0) / n;
  const weighted = { precision: wmean((m) => m.precision), recall: wmean((m) => m.recall), f1Score: wmean((m) => m.f1Score) };
  const macro = { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1Score: mean((m) => m.f1Score) };
  const accuracy = correct / n;
  const result: ClassificationResult = {
    n, accuracy, ...weighted, weighted, macro, micro: prf(accuracy, accuracy),
    classes, perClass, confusionMatrix, warnings,
  };
  if (isBinary(classes)) {
    const at = (truth: number, pred: number): number => {
      const i = classes.indexOf(truth);
      const j = classes.indexOf(pred);
      return i < 0 || j < 0 ? 0 : confusionMatrix[i]![j]!;
    };
    const tp = at(1, 1), tn = at(0, 0), fp = at(0, 1), fn = at(1, 0);
    if (fp + tn === 0) warnings.push(warn('ZERO_DIVISION', 'falsePositiveRate is ill-defined (no true negatives) and set to 0'));
    if (fn + tp === 0) warnings.push(warn('ZERO_DIVISION', 'falseNegativeRate is ill-defined (no true positives) and set to 0'));
    Object.assign(result, {
      truePositives: tp, trueNegatives: tn, falsePositives: fp, falseNegatives: fn,
      falsePositiveRate: ratio(fp, fp + tn), falseNegativeRate: ratio(fn, fn + tp),
    });
  }
  return result;
}

/** Adds AUC (and AP for binary) from scores to a result. */
function addScoreMetrics(s: Scope, result: ClassificationResult, tPtr: number, n: number, clsPtr: number, yProb: Scores): void {
  const [flat, cols, asRows] = scoreMatrix(yProb, n);
  const binary = result.truePositives !== undefined;
  if (cols === 1) {
    if (!binary) {
      throw new InputError('NOT_BINARY', 'yProb', `has one score per row, which needs labels 0 and 1, but the classes are ${result.classes.join(', ')}; pass an n x ${result.classes.length} probability matrix.`);
    }
    const sPtr = s.f64(flat);
    const r = rankBinary(s, sPtr, tPtr, n, 0, true);
    // Labels are known binary here, so a refusal can only be a bad score.
    if (r === undefined) { check(s, sPtr, n, Check.Unit, 'yProb'); throw new Error('modelwatch: rankBinary refused valid input'); }
    result.aucRoc = r.auc;
    result.averagePrecision = r.ap;
    result.warnings.push(...r.warnings);
    return;
  }
  const c = result.classes.length;
  if (cols !== c) {
    throw new InputError('SHAPE_MISMATCH', 'yProb', `has ${cols} columns but there are ${c} classes (${result.classes.join(', ')}); pass one column per class in sorted class order.`);
  }
  const sPtr = s.f64(flat);
  const bad = s.k.firstInvalid(sPtr, flat.length, Check.Unit);
  if (bad >= 0) {
    // Name the element as the caller passed it: yProb[row][column] for rows.
    const value = flat[bad]!;
    const where = asRows ? `yProb[${Math.floor(bad / cols)}][${bad % cols}]` : `yProb[${bad}]`;
    throw Number.isFinite(value)
      ? new InputError('PROBABILITY_OUT_OF_RANGE', where, `is ${value}; probabilities must lie in [0, 1].`)
      : new InputError('NON_FINITE', where, `is ${value}; must be a finite number (no NaN or Infinity).`);
  }
  const idx = s.alloc(n * 4);
  s.k.labelIndices(tPtr, n, clsPtr, c, idx);
  const out = s.alloc(c * 40);
  s.k.rankOneVsRest(sPtr, idx, n, c, out);
  const o = s.readF64(out, c * 5);
  const per: number[] = [];
  const undefinedFor: number[] = [];
  let sum = 0;
  let defined = 0;
  for (let j = 0; j < c; j++) {
    const auc = o[j * 5 + 2]!;
    per.push(auc);
    if (Number.isNaN(auc)) undefinedFor.push(result.classes[j]!);
    else { sum += auc; defined++; }
  }
  if (undefinedFor.length > 0) {
    result.warnings.push(warn('UNDEFINED_CLASS_AUC', `one-vs-rest AUC is undefined for classes absent from yTrue (or the only class present): ${undefinedFor.join(', ')}; the macro average leaves them out`));
  }
  result.aucRocPerClass = per;
  result.aucRoc = defined === 0 ? NaN : sum / defined;
}

interface Ranked {
  positives: number;
  negatives: number;
  auc: number;
  ap: number;
  steps: number;
  warnings: MetricWarning[];
}

/**
 * Runs the AUC/AP kernel (with curve != 0 also filling the threshold curve).
 * The kernel validates as it goes; undefined means it refused the input.
 */
function rankBinary(s: Scope, sPtr: number, yPtr: number, n: number, curve: number, unit: boolean): Ranked | undefined {
  const out = s.alloc(5 * 8);
  if (s.k.rankBinary(sPtr, yPtr, n, out, curve, unit ? 1 : 0) === 0) return undefined;
  const [positives = 0, negatives = 0, auc = NaN, ap = NaN, steps = 0] = s.readF64(out, 5);
  const warnings: MetricWarning[] = [];
  if (positives === 0 || negatives === 0) {
    warnings.push(warn('ONE_CLASS', `only one class is present in yTrue (${positives === 0 ? 'no positives' : 'no negatives'}); AUC-ROC is undefined (NaN)${positives === 0 ? ' and so is average precision' : ''}`));
  }
  return { positives, negatives, auc, ap, steps, warnings };
}

/**
 * Exact AUC-ROC (sklearn's roc_auc_score) and average precision
 * (average_precision_score) of binary labels {0, 1} and finite scores, from
 * one sort. With only one class present, AUC is NaN (and so is average
 * precision without positives), with a ONE_CLASS warning.
 */
export function scoreMetrics(yTrue: Numbers, yScore: Numbers): { aucRoc: number; averagePrecision: number; positives: number; negatives: number; warnings: MetricWarning[] } {
  return withScope((s) => {
    const [yPtr, sPtr, n] = binaryInputs(s, yTrue, yScore);
    const r = rankScores(s, yPtr, sPtr, n, 0);
    return { aucRoc: r.auc, averagePrecision: r.ap, positives: r.positives, negatives: r.negatives, warnings: r.warnings };
  });
}

/** Shape-checks binary labels and scores and copies them into WASM memory. */
function binaryInputs(s: Scope, yTrue: Numbers, yScore: Numbers): [number, number, number] {
  const t = numbers(yTrue, 'yTrue');
  const sc = numbers(yScore, 'yScore');
  requireNonEmpty(t.length, 'yTrue');
  requireSameLength(t.length, sc.length, 'yScore', 'yTrue');
  return [s.f64(t), s.f64(sc), t.length];
}

/** rankBinary over finite scores, turning a refusal into the precise InputError. */
function rankScores(s: Scope, yPtr: number, sPtr: number, n: number, curve: number): Ranked {
  const r = rankBinary(s, sPtr, yPtr, n, curve, false);
  if (r !== undefined) return r;
  requireBinaryLabels(s, yPtr, n, 'yTrue');
  check(s, sPtr, n, Check.Finite, 'yScore');
  throw new Error('modelwatch: rankBinary refused valid input');
}

/**
 * Precision, recall and F1 of class 1 when predicting 1 for score >= each
 * threshold (sklearn's binary average, zero_division=0).
 */
export function thresholdMetrics(yTrue: Numbers, yProb: Numbers, thresholds: Numbers = [0.3, 0.5, 0.7]): ThresholdResult[] {
  const thr = numbers(thresholds, 'thresholds');
  return withScope((s) => {
    const t = numbers(yTrue, 'yTrue');
    const p = numbers(yProb, 'yProb');
    requireNonEmpty(t.length, 'yTrue');
    requireSameLength(t.length, p.length, 'yProb', 'yTrue');
    const n = t.length;
    const yPtr = s.f64(t);
    requireBinaryLabels(s, yPtr, n, 'yTrue');
    const pPtr = column(s, p, Check.Unit, 'yProb');
    const tPtr = column(s, thr, Check.Finite, 'thresholds');
    const out = s.alloc(thr.length * 24);
    s.k.thresholdCounts(yPtr, pPtr, n, tPtr, thr.length, out);
    const o = s.readF64(out, thr.length * 3);
    return Array.from(thr, (threshold, j) => {
      const tp = o[3 * j]!, fp = o[3 * j + 1]!, fn = o[3 * j + 2]!;
      return { threshold, truePositives: tp, falsePositives: fp, falseNegatives: fn, ...prf(ratio(tp, tp + fp), ratio(tp, tp + fn)) };
    });
  });
}

/** Distinct thresholds (descending) with cumulative tps and fps, as sklearn's _binary_clf_curve. */
function clfCurve(yTrue: Numbers, yScore: Numbers): { thr: Float64Array; tps: Float64Array; fps: Float64Array; r: Ranked } {
  return withScope((s) => {
    const [yPtr, sPtr, n] = binaryInputs(s, yTrue, yScore);
    const curve = s.alloc(3 * n * 8);
    const r = rankScores(s, yPtr, sPtr, n, curve);
    const m = r.steps;
    return { thr: s.readF64(curve, m), tps: s.readF64(curve + n * 8, m), fps: s.readF64(curve + 2 * n * 8, m), r };
  });
}

/**
 * The ROC curve as sklearn's roc_curve (drop_intermediate=true by default):
 * collinear points are dropped, a (0, 0) point at threshold +Infinity leads.
 */
export function rocCurve(yTrue: Numbers, yScore: Numbers, options?: { dropIntermediate?: boolean }): RocCurve {
  const dropIntermediate = optionsOf(options, 'options').dropIntermediate ?? true;
  if (typeof dropIntermediate !== 'boolean') throw new InputError('INVALID_OPTION', 'options.dropIntermediate', `is ${describe(dropIntermediate)}; pass true or false.`);
  const { thr, tps, fps, r } = clfCurve(yTrue, yScore);
  const m = thr.length;
  let keep: number[] = Array.from({ length: m }, (_, i) => i);
  if (dropIntermediate && m > 2) {
    // Keep a point where the second difference of fps or tps is non-zero.
    keep = [0];
    for (let i = 1; i < m - 1; i++) {
      if (fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 || tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0) keep.push(i);
    }
    keep.push(m - 1);
  }
  const len = keep.length + 1;
  const fpr = new Float64Array(len), tpr = new Float64Array(len), thresholds = new Float64Array(len);
  thresholds[0] = Infinity;
  const fpMax = fps[m - 1]!, tpMax = tps[m - 1]!;
  keep.forEach((i, j) => {
    fpr[j + 1] = fps[i]! / fpMax;
    tpr[j + 1] = tps[i]! / tpMax;
    thresholds[j + 1] = thr[i]!;
  });
  // 0/0 leads the curve when a class is missing; sklearn yields NaN there too.
  fpr[0] = fpMax === 0 ? NaN : 0;
  tpr[0] = tpMax === 0 ? NaN : 0;
  return { fpr, tpr, thresholds, warnings: r.warnings };
}

/**
 * The precision-recall curve as sklearn's precision_recall_curve: precision
 * and recall for ascending thresholds, ending with (1, 0). Without positives,
 * recall is 1 everywhere (sklearn's convention) with a warning.
 */
export function precisionRecallCurve(yTrue: Numbers, yScore: Numbers): PrecisionRecallCurve {
  const { thr, tps, fps } = clfCurve(yTrue, yScore);
  const m = thr.length;
  const precision = new Float64Array(m + 1), recall = new Float64Array(m + 1), thresholds = new Float64Array(m);
  const tpMax = tps[m - 1]!;
  for (let i = 0; i < m; i++) {
    const j = m - 1 - i; // ascending thresholds
    const ps = tps[j]! + fps[j]!;
    precision[i] = ps === 0 ? 0 : tps[j]! / ps;
    recall[i] = tpMax === 0 ? 1 : tps[j]! / tpMax;
    thresholds[i] = thr[j]!;
  }
  precision[m] = 1;
  recall[m] = 0;
  const warnings = tpMax === 0 ? [warn('ONE_CLASS', 'no positive class found in yTrue; recall is set to 1 for all thresholds')] : [];
  return { precision, recall, thresholds, warnings };
}

