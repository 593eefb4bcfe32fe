// The built package, imported by its name as a consumer would: package.json
// "exports" must resolve to dist/, and dist/ must find its WASM file in Node.
// `npm test` builds dist/ first (tsc -p tsconfig.build.json + copy-wasm).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

  it("serves the Node-only fleet receiver at 'modelwatch/receiver', not from the root entry", async () => {
    const mw = (await import(/* @vite-ignore */ NAME)) as Record<string, unknown>;
    expect(mw['createReceiver']).toBeUndefined();
    const sub = (await import(/* @vite-ignore */ `${NAME}/receiver`)) as { createReceiver: unknown };
    expect(typeof sub.createReceiver).toBe('function');
  });

  it('the root entry pulls no node:* module statically (its whole import graph)', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|;|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|;|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
        const spec = (m[1] ?? m[2])!;
        expect(spec.startsWith('node:') ? `${file} imports ${spec}` : '').toBe('');
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      }
    };
    visit(`${root}dist/index.js`);
    expect(seen.size).toBeGreaterThan(20);
    expect([...seen].some((f) => f.startsWith(`${root}dist/receiver/`))).toBe(false);
  });

  it("a browser app type-checks against the root entry without Node's types; the receiver needs them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelwatch-consumer-'));
    try {
      const check = (source: string): string => {
        writeFileSync(join(dir, 'app.ts'), source);
        writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
          compilerOptions: {
            target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [], strict: true, noEmit: true,
            skipLibCheck: false, paths: { modelwatch: [`${root}dist/index.d.ts`], 'modelwatch/receiver': [`${root}dist/receiver/index.d.ts`] },
          },
          files: ['app.ts'],
        }));
        try {
          execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', dir], { encoding: 'utf8' });
          return '';
        } catch (e) {
          return String((e as { stdout?: string }).stdout);
        }
      };
      expect(check("import { init, summarize } from 'modelwatch';\nexport const f = [init, summarize];\n")).toBe('');
      // The check can fail: the receiver's types name node:http, which a browser project lacks.
      expect(check("import { createReceiver } from 'modelwatch/receiver';\nexport const f = createReceiver;\n")).toMatch(/node:http/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
