// The metric functions in a real browser page (each engine's project runs
// it): init() fetches and compiles the WASM through the bundler's URL, and
// results match the oracle.
import { describe, expect, it } from 'vitest';
import { server } from 'vitest/browser';
import { InputError, classificationMetrics, init, isInitialized, latencyStats, regressionMetrics } from '../../src/index.js';
import * as o from '../support/oracle.js';

// The engine the project asked for, as its user agent names it.
const engineUserAgent: Record<string, RegExp> = { chromium: /Chrome\//, firefox: /Firefox\//, safari: /AppleWebKit\/(?!.*Chrome)/ };

describe(`in ${server.browser}`, () => {
  it('runs in a browser, not Node', () => {
    expect(typeof window).toBe('object');
    expect(navigator.userAgent).toMatch(engineUserAgent[server.browser]!);
    expect((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node).toBeUndefined();
  });

  it('initializes from the bundled .wasm URL and computes metrics', async () => {
    await init();
    expect(isInitialized()).toBe(true);
    const yTrue = [0, 0, 1, 1, 1, 0, 1], score = [0.1, 0.4, 0.35, 0.8, 0.8, 0.8, 0.95];
    const r = classificationMetrics(yTrue, yTrue.map((_, i) => (score[i]! >= 0.5 ? 1 : 0)), score);
    expect(r.aucRoc).toBe(o.aucPairwise(yTrue, score));
    expect(r.averagePrecision).toBeCloseTo(o.averagePrecision(yTrue, score), 12);
    const reg = regressionMetrics([1, 2, 3, 4], [1, 2, 3, 5]);
    expect(reg.mse).toBe(o.regression([1, 2, 3, 4], [1, 2, 3, 5]).mse);
    expect(latencyStats(new Float32Array([4, 1, 3, 2])).p50).toBe(o.percentile([4, 1, 3, 2], 50));
    expect(() => latencyStats([])).toThrow(InputError);
  });
});
