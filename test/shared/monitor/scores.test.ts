// The report rule for score metrics (src/worker/scores.ts) at its edges:
// windows and segments where the scored rows hold one class, no vectors at
// all, or classes the model has no column for.
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationMetrics, init } from '../../../src/index.js';
import { binaryScored, multiclassScored } from '../../../src/worker/scores.js';

beforeAll(async () => {
  await init();
});

const f64 = (a: number[]) => Float64Array.from(a);
const codes = (r: { warnings: { code: string }[] }) => r.warnings.map((w) => w.code);

describe('multiclass score metrics of a report', () => {
  it('without vectors, or with only NaN ones, leaves AUC out and says 0 rows were scored', () => {
    const y = f64([0, 1, 2]);
    const p = f64([0, 2, 2]);
    for (const vectors of [undefined, { classes: 3, values: new Float64Array(9).fill(NaN) }]) {
      const { result, scoredRows } = multiclassScored(y, p, vectors);
      expect(scoredRows).toBe(0);
      expect(result.aucRoc).toBeUndefined();
      expect(result.aucRocPerClass).toBeUndefined();
      expect(result.accuracy).toBe(classificationMetrics(y, p).accuracy);
    }
  });

  it('scored rows of a single class: AUC is NaN with a warning instead of a binary reading of one column', () => {
    // Class 2 alone would make a one-column matrix, which classificationMetrics reads as binary scores and refuses.
    const y = f64([2, 2, 0]);
    const p = f64([2, 2, 0]);
    const values = f64([0.1, 0.1, 0.8, 0.2, 0.2, 0.6, NaN, NaN, NaN]);
    const { result, scoredRows } = multiclassScored(y, p, { classes: 3, values });
    expect(scoredRows).toBe(2);
    expect(result.aucRoc).toBeNaN();
    expect(result.classes).toEqual([0, 2]);
    expect(result.aucRocPerClass).toEqual([NaN, NaN]);
    expect(codes(result)).toContain('UNDEFINED_CLASS_AUC');
    expect(codes(result)).toContain('PARTIAL_SCORES');
    expect(result.accuracy).toBe(1);
  });

  it('a predicted class beyond the model columns scores 0; absent from the labels its AUC is NaN, left out of the mean', () => {
    const y = f64([0, 1, 0, 1]);
    const p = f64([0, 1, 7, 1]);
    const values = f64([0.9, 0.1, 0.3, 0.7, 0.6, 0.4, 0.2, 0.8]);
    const { result } = multiclassScored(y, p, { classes: 2, values });
    expect(result.classes).toEqual([0, 1, 7]);
    const m = [0, 1, 2, 3].map((i) => [values[2 * i]!, values[2 * i + 1]!, 0]);
    const want = classificationMetrics(y, p, m);
    expect(result.aucRoc).toBe(want.aucRoc);
    expect(result.aucRocPerClass![2]).toBeNaN();
    expect(codes(result)).toContain('UNSCORED_CLASS');
  });
});

describe('binary score metrics of a report', () => {
  it('uses every row when all are scored, none when none are', () => {
    const y = f64([0, 1, 1, 0]);
    const p = f64([0, 1, 0, 0]);
    const s = f64([0.2, 0.9, 0.4, 0.3]);
    const all = binaryScored(y, p, s);
    expect(all.scoredRows).toBe(4);
    expect(all.result).toEqual(classificationMetrics(y, p, s));
    const none = binaryScored(y, p, new Float64Array(4).fill(NaN));
    expect(none.scoredRows).toBe(0);
    expect(none.result.aucRoc).toBeUndefined();
    expect(codes(none.result)).not.toContain('PARTIAL_SCORES');
  });

  it('scored rows of one class: AUC NaN with ONE_CLASS, counts still over all rows', () => {
    const y = f64([1, 1, 0]);
    const p = f64([1, 0, 0]);
    const s = f64([0.9, 0.3, NaN]);
    const { result, scoredRows } = binaryScored(y, p, s);
    expect(scoredRows).toBe(2);
    expect(result.aucRoc).toBeNaN();
    expect(codes(result)).toEqual(expect.arrayContaining(['ONE_CLASS', 'PARTIAL_SCORES']));
    expect(result.trueNegatives).toBe(1);
  });
});
