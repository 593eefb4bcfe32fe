// Runs bench/store/bench.ts in headless Chromium (playwright-core), served by
// Vite, and writes the markdown section bench/.out/store.md.
// Usage: node bench/store/run.js [--rounds 10] [--ingest 1000000] [--idb 5000] [--dexie 100000] [--read 1000000]
// The slow contenders get a prefix of the same rows (rates are per row).
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg('rounds', 10);
const nIngest = arg('ingest', 1_000_000);
const nIdb = arg('idb', 5_000);
const nRead = arg('read', 1_000_000);
const nDexie = arg('dexie', 100_000);

const server = await createServer({ root, logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } }); // no reloads when other files change mid-run
await server.listen();
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: process.env.MODELWATCH_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--headless'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(m.text()));
  await page.goto(`${url}bench/store/index.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
  const r = await page.evaluate(([a, b, c, d, e]) => window.runBench(a, b, c, d, e), [rounds, nIngest, nIdb, nRead, nDexie]);
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const md = `## Store (IndexedDB) in Chromium

Command: \`node bench/store/run.js --rounds ${rounds} --ingest ${nIngest} --idb ${nIdb} --read ${nRead}\`
(one page, one data set, warm-up round then ${rounds} rounds, medians; each ingest round on a fresh database;
durable = every transaction complete, \`flush()\` resolved; batches of ${r.batch} rows; columns id, timestamp,
prediction, score, latency, segment; no features). ${r.userAgent}

| contender | predictions/s (median) | modelwatch / contender |
| --- | ---: | ---: |
| modelwatch store: one transaction per ${r.batch}-row columnar chunk, durability 'strict' (the default: \`flush()\` survives an OS crash) (${f(nIngest)} rows) | ${f(r.ingest)} | 1.0x |
| modelwatch store, durability 'relaxed' (the browser's default since Chrome 121; not crash-safe) (${f(nIngest)} rows) | ${f(r.relaxed)} | ${(r.ingest / r.relaxed).toFixed(2)}x |
| modelwatch store, \`await flush()\` after every chunk, 'strict' (${f(nIngest / 4)} rows) | ${f(r.strictEach)} | ${(r.ingest / r.strictEach).toFixed(2)}x |
| modelwatch store, \`await flush()\` after every chunk, 'relaxed' (${f(nIngest / 4)} rows) | ${f(r.relaxedEach)} | ${(r.ingest / r.relaxedEach).toFixed(2)}x |
| modelwatch store, \`await flush()\` after every 64 rows, 'strict' (6,400 rows: ${(6400 / r.strictSmall * 10).toFixed(2)} ms per flush) | ${f(r.strictSmall)} | ${(r.ingest / r.strictSmall).toFixed(2)}x |
| modelwatch store, \`await flush()\` after every 64 rows, 'relaxed' (6,400 rows: ${(6400 / r.relaxedSmall * 10).toFixed(2)} ms per flush) | ${f(r.relaxedSmall)} | ${(r.ingest / r.relaxedSmall).toFixed(2)}x |
| idb: one transaction per prediction, one object each, browser default durability (${f(nIdb)} rows) | ${f(r.idb)} | ${(r.ingest / r.idb).toFixed(1)}x |
| Dexie: bulkAdd of one object per prediction, ${r.batch} per call, browser default durability (${f(nDexie)} rows) | ${f(r.dexie)} | ${(r.ingest / r.dexie).toFixed(1)}x |

Read one day of ${f(r.readPredictions)} predictions joined with their latest labels (70 % labeled, 5 % labeled twice)
into typed columns with \`readLabeled\`: median **${r.readMs.toFixed(0)} ms** (${f(r.readRows)} labeled rows returned).

Targets: ingest >= 200,000/s; >= 25x idb per-prediction transactions; >= 3x Dexie bulkAdd; read <= 1,500 ms.
`;
  await mkdir(resolve(root, 'bench/.out'), { recursive: true });
  await writeFile(resolve(root, 'bench/.out/store.md'), md);
  console.log(md);
  console.log(JSON.stringify(r.raw));
} finally {
  await browser.close();
  await server.close();
}
