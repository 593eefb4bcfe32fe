// The built package, imported by its name as a consumer would: package.json
// "exports" must resolve to dist/, and dist/ must find its WASM file in Node.
// `npm test` builds dist/ first (tsc -p tsconfig.build.json + copy-wasm).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as src from '../../src/index.js';
import * as o from '../support/oracle.js';

type Api = typeof src;

const root = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'modelwatch';

describe('the built package in Node', () => {
  it('has been built (run `npm run build:ts` first)', () => {
    expect(existsSync(`${root}dist/index.js`)).toBe(true);
    expect(existsSync(`${root}dist/core/modelwatch.wasm`)).toBe(true);
  });

  it('imports by name, initializes and computes a metric', async () => {
    // A variable specifier keeps Vite from rewriting it: Node resolves the
    // package's self-reference through package.json "exports".
    const mw = (await import(/* @vite-ignore */ NAME)) as Api;
    expect(typeof mw.init).toBe('function');
    // A different module instance: dist/, not the sources this test run uses.
    expect(mw.init).not.toBe(src.init);
    await mw.init();
    expect(mw.isInitialized()).toBe(true);
    const yTrue = [0, 0, 1, 1, 1, 0, 1], score = [0.1, 0.4, 0.35, 0.8, 0.8, 0.8, 0.95];
    const r = mw.classificationMetrics(yTrue, yTrue.map((_, i) => (score[i]! >= 0.5 ? 1 : 0)), score);
    expect(r.aucRoc).toBe(o.aucPairwise(yTrue, score));
    expect(mw.latencyStats([4, 1, 3, 2]).p50).toBe(o.percentile([4, 1, 3, 2], 50));
    let error: unknown;
    try { mw.latencyStats([]); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(mw.InputError);
    expect((error as InstanceType<Api['InputError']>).code).toBe('EMPTY_INPUT');
  });

  it('resolves to dist/ and runs in plain Node, outside Vite', () => {
    const script = `
      import * as mw from 'modelwatch';
      import { fileURLToPath } from 'node:url';
      await mw.init();
      const r = mw.regressionMetrics([1, 2, 3, 4], [1, 2, 3, 5]);
      console.log(JSON.stringify({ resolved: fileURLToPath(import.meta.resolve('modelwatch')), mae: r.mae, mse: r.mse }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })) as { resolved: string; mae: number; mse: number };
    expect(out.resolved).toBe(`${root}dist/index.js`);
    const e = o.regression([1, 2, 3, 4], [1, 2, 3, 5]);
    expect([out.mae, out.mse]).toEqual([e.mae, e.mse]);
  });
});
