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
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, FIREFOX_PATH, answerUnknownBidiCommands, missingEngine } from '../support/engines.js';
import { ACCURACY_ALERT, DEMO_OUT as OUT, DEMO_QUERY, buildDemo, isPng, receivedPredictions, serveDemo, stopDemo, until } from './support/demo.js';

/** The demo's JS + WASM, gzipped, must stay under this (stated in the README). */
export const PAYLOAD_BUDGET_KB = 160;

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

beforeAll(async () => {
  await buildDemo();
  ({ server, url } = await serveDemo());
}, 120_000);

afterAll(async () => {
  if (server) await stopDemo(server);
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
    receivedBefore = await receivedPredictions(url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });

  it('loads without console errors and predictions flow', async () => {
    await page.goto(`${url}${DEMO_QUERY}`);
    await until('predictions to be stored', async () => (await number('total')) > 200);
    expect(consoleErrors).toEqual([]);
  });

  it('raises the critical alert on the page after concept drift', async () => {
    // Let the baseline be captured on healthy data first.
    await until('a good status', async () => (await page.getByTestId('overall').textContent())?.trim() !== 'no data');
    await new Promise((r) => setTimeout(r, 14_000));
    await page.screenshot({ path: join(out, 'before-drift.png'), fullPage: true });
    await page.getByTestId('drift').click();
    const accuracyAlert = page.locator(ACCURACY_ALERT);
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
    await until('summaries at the server', async () => (await receivedPredictions(url)) > receivedBefore, 60_000);
    // The page's switch and the browser's network both off.
    await page.getByTestId('network').click();
    await context.setOffline(true);
    // A 10 s window closes 2.5 s after its end: its summaries wait in the outbox.
    await until('summaries in the outbox', async () => (await number('outbox')) > 0, 60_000);
    expect((await page.getByTestId('sync').textContent())?.trim()).toBe('offline');
    const whileOffline = await receivedPredictions(url);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await receivedPredictions(url)).toBe(whileOffline);
    await page.screenshot({ path: join(out, 'offline-outbox.png'), fullPage: true });

    await context.setOffline(false);
    await page.getByTestId('network').click();
    await until('the outbox to drain', async () => (await number('outbox')) === 0 && (await page.getByTestId('sync').textContent())?.trim() !== 'offline', 60_000);
    const after = await receivedPredictions(url);
    expect(after).toBeGreaterThan(whileOffline);
    // Nothing counted twice: the server holds no more predictions than the page stored.
    expect(after - receivedBefore).toBeLessThanOrEqual(await number('total'));
    expect(consoleErrors).toEqual([]);
  });
});
