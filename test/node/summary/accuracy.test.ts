// Accuracy of the sketch and of histogram AUC at scale (1e6 values), in Node,
// where fleet servers aggregate summaries.
import { beforeAll, describe, expect, it } from 'vitest';
import { ExpHistogram, classificationMetrics, init, percentiles, serializeSummary, summarize, summaryMetrics } from '../../../src/index.js';
import { normal, rng, sample } from '../../shared/summary/random.js';

beforeAll(async () => {
  await init();
});

// p1..p99 and p99.9.
const PS = [...Array.from({ length: 99 }, (_, i) => i + 1), 99.9];

describe('ExpHistogram at default settings on 1e6 values', () => {
  it.each(['lognormal', 'pareto', 'bimodal', 'constant'] as const)('%s: every quantile p1..p99.9 within the stated bound, at most 1 percent', (kind) => {
    const values = sample(kind, 1_000_000, 2024);
    const h = new ExpHistogram().insert(values);
    expect(h.relativeError).toBeLessThanOrEqual(0.01);
    const exact = percentiles(values, PS);
    let worst = 0;
    PS.forEach((p, i) => {
      const e = exact[i]!;
      const err = Math.abs(h.quantile(p / 100) - e) / Math.abs(e);
      worst = Math.max(worst, err);
      expect(err, `p${p}`).toBeLessThanOrEqual(h.relativeError);
    });
    console.log(`[summaries] ${kind}: scale ${h.scale}, bound ${(100 * h.relativeError).toFixed(3)}%, worst ${(100 * worst).toFixed(4)}%`);
  });

  it('mirrors the bound on negative values', () => {
    const values = sample('lognormal', 200_000, 7).map((x) => -x);
    const h = new ExpHistogram().insert(values);
    const exact = percentiles(values, PS);
    PS.forEach((p, i) => expect(Math.abs(h.quantile(p / 100) - exact[i]!)).toBeLessThanOrEqual(h.relativeError * Math.abs(exact[i]!)));
  });
});

/** A binary batch from labels and scores, all in one window and segment. */
function binaryBatch(y: Float64Array, score: Float64Array): Parameters<typeof summarize>[0] {
  const n = y.length;
  return {
    task: 'binary',
    labels: y,
    window: { start: 0, end: 1 },
    predictions: {
      model: 'm', version: '1', segments: [''], id: Float64Array.from({ length: n }, (_, i) => i), timestamp: new Float64Array(n),
      prediction: score.map((s) => (s >= 0.5 ? 1 : 0)), score, latencyMs: new Float64Array(n).fill(NaN), segment: new Uint16Array(n),
    },
  };
}

describe('AUC from score histograms', () => {
  // Realistic shapes: balanced and rare positives, weak and strong models,
  // and scores piled up near 0 as a calibrated fraud model gives.
  const cases = [
    { name: 'balanced, AUC ~0.85', prevalence: 0.5, shift: 1.5, bias: 0 },
    { name: '30% positives, AUC ~0.75', prevalence: 0.3, shift: 1.0, bias: -0.3 },
    { name: '1% positives, strong model', prevalence: 0.01, shift: 3, bias: -3 },
    { name: 'scores piled near 0', prevalence: 0.05, shift: 2, bias: -5 },
    { name: 'scores piled near 1', prevalence: 0.9, shift: 1.5, bias: 4 },
  ];
  it.each(cases)('$name: within 0.002 of the exact AUC and within the stated bound', ({ name, prevalence, shift, bias }) => {
    const u = rng(99);
    const z = normal(u);
    const n = 300_000;
    const y = new Float64Array(n), score = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = u() < prevalence ? 1 : 0;
      score[i] = 1 / (1 + Math.exp(-(bias + z() + shift * y[i]!)));
    }
    const exact = classificationMetrics(y, score.map((s) => (s >= 0.5 ? 1 : 0)), score);
    const [s] = summarize(binaryBatch(y, score));
    const m = summaryMetrics(s!);
    const err = Math.abs(m.classificationMetrics!.aucRoc! - exact.aucRoc!);
    const bound = m.bounds['classificationMetrics.aucRoc']!.bound;
    console.log(`[summaries] AUC ${name}: exact ${exact.aucRoc!.toFixed(5)}, error ${err.toExponential(2)}, stated bound ${bound.toExponential(2)}, AP error ${Math.abs(m.classificationMetrics!.averagePrecision! - exact.averagePrecision!).toExponential(2)}`);
    expect(err).toBeLessThan(0.002);
    expect(err).toBeLessThanOrEqual(bound);
  });
});

describe('summary size', () => {
  it('keeps one binary window within 8 KB at 1e4..1e6 rows', async () => {
    const { batch } = await import('../../shared/summary/data.js');
    for (const n of [10_000, 100_000, 1_000_000]) {
      const [s] = summarize({ ...batch('binary', n, 3, { segments: [''] }), window: { start: 1_700_000_000_000, end: 1_700_000_000_000 + 3_600_000 } });
      const bytes = new TextEncoder().encode(serializeSummary(s!)).length;
      console.log(`[summaries] binary window of ${n} rows: ${bytes} bytes`);
      expect(bytes).toBeLessThanOrEqual(8192);
    }
  });
});
