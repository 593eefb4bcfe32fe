// Scores that are float32 values (what TF.js and ONNX Runtime Web emit) take
// the kernel's 32-bit key path; other doubles take the 64-bit one. Both must
// agree with the naive oracle, including -0, subnormals, huge values and ties,
// and a float32 column must give what the same values give on the 64-bit path
// (a score that is not a float32 value forces the 64-bit path for the whole column).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, precisionRecallCurve, rocCurve, scoreMetrics } from '../../../src/index.js';
import { aucPairwise, averagePrecision, prPoints } from '../../support/oracle.js';
import { close, closeAll, runs } from './helpers.js';

beforeAll(() => init());

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const rows = fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.oneof(f32, fc.constantFrom(0, -0, 0.5, 1))), { minLength: 2, maxLength: 300 });

describe('float32 scores (32-bit key path)', () => {
  it('match the oracle and the 64-bit path', () => {
    fc.assert(
      fc.property(rows, (pairs) => {
        const y = Float64Array.from(pairs, ([t]) => t);
        const s = Float64Array.from(pairs, ([, v]) => v);
        const m = scoreMetrics(y, s);
        const positives = y.reduce((a, b) => a + b, 0);
        if (positives > 0 && positives < y.length) close(m.aucRoc, aucPairwise(y, s), 1e-12, 'auc');
        if (positives > 0) close(m.averagePrecision, averagePrecision(y, s), 1e-12, 'ap');
        // The same values plus one score that is not a float32 take the 64-bit path.
        const y64 = Float64Array.from([...y, 0]);
        const s64 = Float64Array.from([...s, 0.1]);
        const wide = scoreMetrics(y64, s64);
        if (positives > 0) close(wide.aucRoc, aucPairwise(y64, s64), 1e-12, 'auc (64-bit path)');
        const pr = precisionRecallCurve(y, s);
        const want = prPoints(y, s);
        closeAll(pr.thresholds, want.thresholds, 0, 'thresholds');
        closeAll(pr.precision, want.precision, 1e-12, 'precision');
        expect(rocCurve(y, s).thresholds.length).toBeGreaterThan(0);
      }),
      runs(300),
    );
  });

  it('handles -0 as 0 and keeps the threshold values exact', () => {
    const y = [0, 1, 0, 1];
    const s = [-0, 0, Math.fround(0.3), Math.fround(0.3)];
    const m = scoreMetrics(y, s);
    expect(m.aucRoc).toBe(0.5);
    expect(Array.from(precisionRecallCurve(y, s).thresholds)).toEqual([0, Math.fround(0.3)]);
  });
});
