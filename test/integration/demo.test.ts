// The demo page end to end in real headless Chromium and Firefox
// (playwright-core; Firefox over WebDriver BiDi, see test/support/engines.ts): it
// loads without console errors, predictions flow, injected drift raises the
// critical alert on the page, the page and its data survive going offline and
// reloading (service worker + IndexedDB), summaries sync to the demo server's
// receiver and wait in the outbox while offline, and the built JS + WASM stay
// within the payload budget stated in the README.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, firefox, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, FIREFOX_PATH, answerUnknownBidiCommands, missingEngine } from '../support/engines.js';

/** The demo's JS + WASM, gzipped, must stay under this (stated in the README). */
export const PAYLOAD_BUDGET_KB = 160;

const OUT = 'test-results/demo';
let server: PreviewServer;
let url: string;
// The engine under test (one describe block each, run one after the other).
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let out: string;
// What the demo server's receiver held before this engine's page (the
// previous engine's device synced to the same server).
let receivedBefore = 0;
const consoleErrors: string[] = [];

async function number(testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).textContent());
}

/** Waits until f() is truthy (polling), or fails with `what`. */
async function until<T>(what: string, f: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Sum of modelwatch_predictions_total over every series the demo server's receiver aggregated. */
async function receivedPredictions(): Promise<number> {
  const text = await (await fetch(new URL('api/metrics', url))).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('modelwatch_predictions_total')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

function isPng(path: string): boolean {
  const b = readFileSync(path);
  return b.length > 10_000 && b.subarray(1, 4).toString() === 'PNG';
}

beforeAll(async () => {
  await build({ configFile: 'demo/vite.config.ts', logLevel: 'warn' });
  server = await preview({ configFile: 'demo/vite.config.ts', preview: { host: '127.0.0.1', port: 0 } });
  url = server.resolvedUrls!.local[0]!;
  mkdirSync(OUT, { recursive: true });
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => server?.httpServer.close(() => r()));
});

async function launch(engine: 'chromium' | 'firefox'): Promise<Browser> {
  const why = missingEngine(engine);
  if (why) throw new Error(why);
  if (engine === 'firefox') {
    answerUnknownBidiCommands();
    return firefox.launch({ channel: 'moz-firefox', executablePath: FIREFOX_PATH, headless: true });
  }
  return chromium.launch({
    ...(CHROMIUM_PATH ? { executablePath: CHROMIUM_PATH } : {}),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

describe('demo build', () => {
  it('keeps its JS + WASM payload within the budget', () => {
    const dir = 'demo/dist/assets';
    const files = readdirSync(dir).filter((f) => /\.(js|wasm)$/.test(f) && !f.startsWith('engine-'));
    const sizes = files.map((f) => ({ f, raw: statSync(join(dir, f)).size, gz: gzipSync(readFileSync(join(dir, f))).length }));
    const totalKb = sizes.reduce((a, s) => a + s.gz, 0) / 1024;
    writeFileSync(join(OUT, 'payload.json'), JSON.stringify({ totalKb, sizes }, null, 2));
    expect(files.some((f) => f.endsWith('.wasm'))).toBe(true);
    expect(totalKb).toBeLessThanOrEqual(PAYLOAD_BUDGET_KB);
  });
});

describe.each(['chromium', 'firefox'] as const)('demo page in %s', (engine) => {
  beforeAll(async () => {
    browser = await launch(engine);
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    consoleErrors.length = 0;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    out = join(OUT, engine);
    mkdirSync(out, { recursive: true });
    receivedBefore = await receivedPredictions();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });

  it('loads without console errors and predictions flow', async () => {
    await page.goto(`${url}?rate=200&delay=0.5&baselineAfter=12&checkWindow=15`);
    await until('predictions to be stored', async () => (await number('total')) > 200);
    expect(consoleErrors).toEqual([]);
  });

  it('raises the critical alert on the page after concept drift', async () => {
    // Let the baseline be captured on healthy data first.
    await until('a good status', async () => (await page.getByTestId('overall').textContent())?.trim() !== 'no data');
    await new Promise((r) => setTimeout(r, 14_000));
    await page.screenshot({ path: join(out, 'before-drift.png'), fullPage: true });
    await page.getByTestId('drift').click();
    const accuracyAlert = page.locator('#alerts li[data-metric="accuracy"][data-severity="critical"]');
    await until('a critical accuracy alert', async () => (await accuracyAlert.count()) > 0, 90_000);
    await page.screenshot({ path: join(out, 'after-drift.png'), fullPage: true });
    expect(isPng(join(out, 'before-drift.png'))).toBe(true);
    expect(isPng(join(out, 'after-drift.png'))).toBe(true);
    // Exactly once: alerts are de-duplicated until they clear.
    expect(await accuracyAlert.count()).toBe(1);
    expect(consoleErrors).toEqual([]);
  });

  it('reloads offline with its data (service worker + IndexedDB)', async () => {
    await until('the service worker to control the page', () => page.evaluate(() => navigator.serviceWorker.controller !== null));
    const before = await number('total');
    expect(before).toBeGreaterThan(0);
    await context.setOffline(true);
    await page.reload();
    await until('stored predictions to show again', async () => (await number('total')) >= before, 30_000);
    expect(await page.title()).toContain('modelwatch');
    await context.setOffline(false);
  });

  it('syncs summaries to its server; offline they wait in the outbox, back online they drain', async () => {
    await until('summaries at the server', async () => (await receivedPredictions()) > receivedBefore, 60_000);
    // The page's switch and the browser's network both off.
    await page.getByTestId('network').click();
    await context.setOffline(true);
    // A 10 s window closes 2.5 s after its end: its summaries wait in the outbox.
    await until('summaries in the outbox', async () => (await number('outbox')) > 0, 60_000);
    expect((await page.getByTestId('sync').textContent())?.trim()).toBe('offline');
    const whileOffline = await receivedPredictions();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await receivedPredictions()).toBe(whileOffline);
    await page.screenshot({ path: join(out, 'offline-outbox.png'), fullPage: true });

    await context.setOffline(false);
    await page.getByTestId('network').click();
    await until('the outbox to drain', async () => (await number('outbox')) === 0 && (await page.getByTestId('sync').textContent())?.trim() !== 'offline', 60_000);
    const after = await receivedPredictions();
    expect(after).toBeGreaterThan(whileOffline);
    // Nothing counted twice: the server holds no more predictions than the page stored.
    expect(after - receivedBefore).toBeLessThanOrEqual(await number('total'));
    expect(consoleErrors).toEqual([]);
  });
});
