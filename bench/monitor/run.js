// Main-thread cost of the monitor in Chromium: serves bench/monitor with
// Vite, drives Chromium with playwright-core, writes bench/.out/monitor.md.
//   node bench/monitor/run.js [--rounds 10]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 10;

const server = await createServer({ root, configFile: false, logLevel: 'error', server: { port: 0, fs: { strict: false } } });
await server.listen();
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: process.env.MODELWATCH_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--headless'],
});
let result;
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('[page]', m.text()); });
  await page.goto(`${url}bench/monitor/index.html?rounds=${rounds}`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 900_000, polling: 500 });
  result = await page.evaluate(() => window.__result);
} finally {
  await browser.close();
  await server.close();
}
if (result.error) throw new Error(result.error);
if (result.longTask.calibration < 1) throw new Error('the longtask observer missed a deliberate 80 ms task');

const { perCall, longTask } = result;
const ours = perCall['modelwatch logPrediction(p, score, latency)'];
const lines = [
  '## monitor: main-thread cost (Chromium)',
  '',
  `Median per-call cost over ${result.rounds} rounds after 3 warm-up rounds (${result.N.toLocaleString('en')} calls per round; ${result.NC.toLocaleString('en')} for comlink), contenders interleaved in one page. Ratio = contender / logPrediction positional.`,
  '',
  '| contender | us per call | ratio |',
  '|---|---:|---:|',
  ...Object.entries(perCall).map(([name, us]) => `| ${name} | ${us.toFixed(3)} | ${(us / ours).toFixed(1)}x |`),
  '',
  `Long tasks (PerformanceObserver 'longtask', > 50 ms) while 1,000,000 predictions and 100,000 labels were logged (slices of 10,000 rows per task) and a weekly report was computed: **${longTask.count}** (longest ${longTask.max.toFixed(0)} ms; a deliberate 80 ms task before the run was observed, so the observer works).`,
  `Logging took ${longTask.loggedMs.toFixed(0)} ms of wall time, everything durable after ${longTask.flushedMs.toFixed(0)} ms; the weekly report (${longTask.total.toLocaleString('en')} rows, ${longTask.labeled.toLocaleString('en')} labeled) took ${longTask.reportMs.toFixed(0)} ms in the worker.`,
  '',
];
mkdirSync(resolve(root, 'bench/.out'), { recursive: true });
writeFileSync(resolve(root, 'bench/.out/monitor.md'), lines.join('\n'));
console.log(lines.join('\n'));
