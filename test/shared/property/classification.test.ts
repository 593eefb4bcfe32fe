// classificationMetrics and its curves against the naive oracle.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classificationMetrics, init, precisionRecallCurve, rocCurve, scoreMetrics, thresholdMetrics,
} from '../../../src/index.js';
import * as o from '../../support/oracle.js';
import { binaryRows, close, closeAll, col, gridProb, permute, runs, twoClassRows } from './helpers.js';

beforeAll(() => init());

/** Labels drawn from a small set of (possibly negative, non-contiguous) integers. */
const labelPool = fc.constantFrom([0, 1], [0, 1, 2], [-3, 5, 7, 100], [2, 4, 6, 8, 10, 12]);
const multiclassRows = labelPool.chain((pool) =>
  fc.array(fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...pool)), { minLength: 1, maxLength: 60 }));

describe('classificationMetrics counts', () => {
  it('confusion matrix, supports, accuracy, per-class and averaged P/R/F1 match naive counting', () => {
    fc.assert(fc.property(multiclassRows, (rows) => {
      const yTrue = col(rows, 0), yPred = col(rows, 1);
      const r = classificationMetrics(yTrue, yPred);
      const e = o.classification(yTrue, yPred);
      expect(r.n).toBe(rows.length);
      expect(r.classes).toEqual(e.classes);
      expect(r.confusionMatrix).toEqual(e.confusionMatrix);
      let trace = 0;
      r.confusionMatrix.forEach((row, i) => {
        trace += row[i]!;
        expect(o.sum(row)).toBe(r.perClass[i]!.support);
      });
      close(r.accuracy, trace / rows.length, 1e-12, 'accuracy = trace / n');
      close(r.accuracy, e.accuracy, 1e-12, 'accuracy');
      e.perClass.forEach((m, i) => {
        const got = r.perClass[i]!;
        expect(got.label).toBe(m.label);
        expect(got.support).toBe(m.support);
        close(got.precision, m.precision, 1e-12, `precision of ${m.label}`);
        close(got.recall, m.recall, 1e-12, `recall of ${m.label}`);
        close(got.f1Score, m.f1Score, 1e-12, `f1 of ${m.label}`);
      });
      for (const key of ['precision', 'recall', 'f1Score'] as const) {
        close(r.macro[key], e.macro[key], 1e-12, `macro ${key}`);
        close(r.weighted[key], e.weighted[key], 1e-12, `weighted ${key}`);
        close(r[key], e.weighted[key], 1e-12, `top-level ${key}`);
        close(r.micro[key], e.accuracy, 1e-12, `micro ${key}`);
      }
      if (e.binary) {
        expect([r.truePositives, r.trueNegatives, r.falsePositives, r.falseNegatives])
          .toEqual([e.binary.tp, e.binary.tn, e.binary.fp, e.binary.fn]);
        close(r.falsePositiveRate, e.binary.fpr, 1e-12, 'fpr');
        close(r.falseNegativeRate, e.binary.fnr, 1e-12, 'fnr');
      } else {
        expect(r.truePositives).toBeUndefined();
      }
    }), runs(300));
  });

  it('is invariant to permuting rows', () => {
    const arb = multiclassRows.chain((rows) => fc.tuple(fc.constant(rows), fc.array(fc.double({ noNaN: true }), { minLength: rows.length, maxLength: rows.length })));
    fc.assert(fc.property(arb, ([rows, keys]) => {
      const a = classificationMetrics(col(rows, 0), col(rows, 1));
      const shuffled = permute(rows, keys);
      const b = classificationMetrics(col(shuffled, 0), col(shuffled, 1));
      expect(b.confusionMatrix).toEqual(a.confusionMatrix);
      close(b.accuracy, a.accuracy);
      close(b.macro.f1Score, a.macro.f1Score);
      close(b.weighted.f1Score, a.weighted.f1Score);
    }), runs(100));
  });
});

/** AUC against the pairwise definition, AP against the step-wise one. */
function matchesOracle(rows: ReadonlyArray<readonly number[]>): void {
  const yTrue = col(rows, 0), score = col(rows, 1);
  const r = classificationMetrics(yTrue, yTrue, score);
  close(r.aucRoc, o.aucPairwise(yTrue, score), 1e-12, 'aucRoc');
  close(r.averagePrecision, o.averagePrecision(yTrue, score), 1e-12, 'averagePrecision');
}

describe('binary AUC and average precision', () => {
  it('AUC equals the pairwise definition and AP the step-wise one', () => {
    const arb = fc.constantFrom(1, 2, 4, 10, 1000).chain((steps) => binaryRows(50, steps));
    fc.assert(fc.property(arb, (rows) => {
      matchesOracle(rows);
    }), runs(300));
  });

  it('AUC on fine, tie-free-ish scores equals the pairwise definition', () => {
    const rows = fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 2, maxLength: 60 });
    fc.assert(fc.property(rows, (rs) => {
      matchesOracle(rs);
    }), runs(200));
  });

  it('AUC is invariant to strictly increasing transforms of the scores', () => {
    const transforms: Array<(x: number) => number> = [(x) => x * x, (x) => Math.sqrt(x), (x) => (Math.exp(x) - 1) / (Math.E - 1), (x) => 0.25 + x / 2];
    fc.assert(fc.property(twoClassRows(50), fc.constantFrom(...transforms), (rows, f) => {
      const yTrue = col(rows, 0), score = col(rows, 1);
      const a = classificationMetrics(yTrue, yTrue, score).aucRoc!;
      const b = classificationMetrics(yTrue, yTrue, score.map(f)).aucRoc!;
      close(b, a, 1e-12, 'transformed AUC');
    }), runs(200));
  });

  it('AUC(1 - scores) = 1 - AUC', () => {
    fc.assert(fc.property(twoClassRows(50), (rows) => {
      const yTrue = col(rows, 0), score = col(rows, 1);
      const a = classificationMetrics(yTrue, yTrue, score).aucRoc!;
      const b = classificationMetrics(yTrue, yTrue, score.map((s) => 1 - s)).aucRoc!;
      close(b, 1 - a, 1e-12, 'AUC of 1 - score');
    }), runs(200));
  });

  it('AUC and AP are invariant to permuting rows', () => {
    const arb = binaryRows(50).chain((rows) => fc.tuple(fc.constant(rows), fc.array(fc.integer(), { minLength: rows.length, maxLength: rows.length })));
    fc.assert(fc.property(arb, ([rows, keys]) => {
      const a = classificationMetrics(col(rows, 0), col(rows, 0), col(rows, 1));
      const p = permute(rows, keys);
      const b = classificationMetrics(col(p, 0), col(p, 0), col(p, 1));
      close(b.aucRoc, a.aucRoc!, 1e-12, 'aucRoc');
      close(b.averagePrecision, a.averagePrecision!, 1e-12, 'averagePrecision');
    }), runs(150));
  });

  it('scoreMetrics agrees with the oracle on any finite scores', () => {
    const rows = fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -6, max: 6 }).map((i) => i * 1e3 / 4)), { minLength: 1, maxLength: 50 });
    fc.assert(fc.property(rows, (rs) => {
      const yTrue = col(rs, 0), score = col(rs, 1);
      const r = scoreMetrics(yTrue, score);
      const positives = yTrue.filter((y) => y === 1).length;
      expect([r.positives, r.negatives]).toEqual([positives, yTrue.length - positives]);
      close(r.aucRoc, o.aucPairwise(yTrue, score), 1e-12, 'aucRoc');
      close(r.averagePrecision, o.averagePrecision(yTrue, score), 1e-12, 'averagePrecision');
      expect(r.warnings.map((w) => w.code)).toEqual(positives === 0 || positives === yTrue.length ? ['ONE_CLASS'] : []);
    }), runs(200));
  });

  it('-0 and +0 are one tied score', () => {
    const r = classificationMetrics([1, 0], [1, 0], [-0, 0]);
    expect(r.aucRoc).toBe(0.5);
  });
});

describe('multiclass one-vs-rest AUC', () => {
  // Labels and predictions, then one row of C probabilities per sample.
  const arb = fc.constantFrom([0, 1, 2], [-3, 5, 7, 100], [1, 2, 3, 4, 5]).chain((pool) =>
    fc.array(fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...pool)), { minLength: 2, maxLength: 40 }).chain((rows) => {
      const c = o.distinct(col(rows, 0), col(rows, 1)).length;
      return fc.tuple(fc.constant(rows), fc.array(fc.array(gridProb(8), { minLength: c, maxLength: c }), { minLength: rows.length, maxLength: rows.length }));
    }));

  it('equals the mean of per-class binary AUCs computed via the binary path', () => {
    fc.assert(fc.property(arb, fc.boolean(), ([rows, probs], flat) => {
      const yTrue = col(rows, 0), yPred = col(rows, 1);
      const classes = o.distinct(yTrue, yPred);
      if (classes.length < 2) return; // one column is the binary path
      const r = classificationMetrics(yTrue, yPred, flat ? probs.flat() : probs);
      const per = classes.map((cls, j) => {
        const yBin = yTrue.map((y) => (y === cls ? 1 : 0));
        const binary = classificationMetrics(yBin, yBin, probs.map((p) => p[j]!)).aucRoc!;
        close(binary, o.aucPairwise(yTrue, probs.map((p) => p[j]!), cls), 1e-12, `pairwise AUC of class ${cls}`);
        return binary;
      });
      expect(r.aucRocPerClass).toHaveLength(classes.length);
      per.forEach((a, j) => close(r.aucRocPerClass![j], a, 1e-12, `aucRocPerClass[${j}]`));
      const defined = per.filter((a) => !Number.isNaN(a));
      close(r.aucRoc, defined.length === 0 ? NaN : o.sum(defined) / defined.length, 1e-12, 'macro OVR AUC');
    }), runs(150));
  });
});

describe('thresholdMetrics', () => {
  it('matches naive counts at each threshold', () => {
    const thresholds = fc.array(fc.integer({ min: -2, max: 12 }).map((i) => i / 10), { maxLength: 6 });
    fc.assert(fc.property(binaryRows(50), thresholds, (rows, thr) => {
      const yTrue = col(rows, 0), score = col(rows, 1);
      const out = thresholdMetrics(yTrue, score, thr);
      expect(out).toHaveLength(thr.length);
      thr.forEach((t, j) => {
        const { tp, fp, fn } = o.countsAt(yTrue, score, t);
        const got = out[j]!;
        expect(got.threshold).toBe(t);
        expect([got.truePositives, got.falsePositives, got.falseNegatives]).toEqual([tp, fp, fn]);
        const p = o.safeDiv(tp, tp + fp), rc = o.safeDiv(tp, tp + fn);
        close(got.precision, p, 1e-12, 'precision');
        close(got.recall, rc, 1e-12, 'recall');
        close(got.f1Score, o.f1(p, rc), 1e-12, 'f1');
      });
    }), runs(200));
  });

  it('defaults to thresholds 0.3, 0.5, 0.7', () => {
    const out = thresholdMetrics([0, 1, 1, 0], [0.3, 0.5, 0.7, 0.9]);
    expect(out.map((r) => r.threshold)).toEqual([0.3, 0.5, 0.7]);
  });
});

describe('rocCurve', () => {
  it('is monotone, ends at (1, 1), has the area aucRoc, and matches the naive curve without thinning', () => {
    fc.assert(fc.property(twoClassRows(50), fc.boolean(), (rows, drop) => {
      const yTrue = col(rows, 0), score = col(rows, 1);
      const c = rocCurve(yTrue, score, { dropIntermediate: drop });
      const m = c.fpr.length;
      expect(c.tpr.length).toBe(m);
      expect(c.thresholds.length).toBe(m);
      expect([c.fpr[0], c.tpr[0], c.thresholds[0]]).toEqual([0, 0, Infinity]);
      expect([c.fpr[m - 1], c.tpr[m - 1]]).toEqual([1, 1]);
      for (let i = 1; i < m; i++) {
        expect(c.fpr[i]!).toBeGreaterThanOrEqual(c.fpr[i - 1]!);
        expect(c.tpr[i]!).toBeGreaterThanOrEqual(c.tpr[i - 1]!);
        expect(c.thresholds[i]!).toBeLessThan(c.thresholds[i - 1]!);
      }
      const auc = classificationMetrics(yTrue, yTrue, score).aucRoc!;
      close(o.trapezoid(c.fpr, c.tpr), auc, 1e-12, 'trapezoid area');
      if (!drop) {
        const e = o.rocPoints(yTrue, score);
        closeAll(c.fpr, e.fpr, 1e-12, 'fpr');
        closeAll(c.tpr, e.tpr, 1e-12, 'tpr');
        expect(Array.from(c.thresholds)).toEqual(e.thresholds);
      }
    }), runs(200));
  });

  it('accepts scores outside [0, 1] (any finite score ranks)', () => {
    fc.assert(fc.property(twoClassRows(30), (rows) => {
      const yTrue = col(rows, 0), score = col(rows, 1).map((s) => 100 * s - 40);
      const c = rocCurve(yTrue, score, { dropIntermediate: false });
      close(o.trapezoid(c.fpr, c.tpr), o.aucPairwise(yTrue, score), 1e-12, 'area');
    }), runs(100));
  });
});

describe('precisionRecallCurve', () => {
  it('ends at (1, 0), recall is non-increasing, matches the naive curve, and its step sum is averagePrecision', () => {
    fc.assert(fc.property(binaryRows(50), (rows) => {
      const yTrue = col(rows, 0), score = col(rows, 1);
      const c = precisionRecallCurve(yTrue, score);
      const m = c.precision.length;
      expect(c.recall.length).toBe(m);
      expect(c.thresholds.length).toBe(m - 1);
      expect([c.precision[m - 1], c.recall[m - 1]]).toEqual([1, 0]);
      for (let i = 1; i < m; i++) expect(c.recall[i]!).toBeLessThanOrEqual(c.recall[i - 1]!);
      const e = o.prPoints(yTrue, score);
      closeAll(c.precision, e.precision, 1e-12, 'precision');
      closeAll(c.recall, e.recall, 1e-12, 'recall');
      expect(Array.from(c.thresholds)).toEqual(e.thresholds);
      if (yTrue.includes(1)) {
        let ap = 0;
        for (let i = 0; i < m - 1; i++) ap -= (c.recall[i + 1]! - c.recall[i]!) * c.precision[i]!;
        close(ap, classificationMetrics(yTrue, yTrue, score).averagePrecision!, 1e-12, 'AP from the curve');
      }
    }), runs(200));
  });
});
