// The demo page end to end in WebKit: WebKitGTK's MiniBrowser under
// WebKitWebDriver on its own Xvfb display (test/support/engines.ts), driven by
// WebdriverIO over WebDriver classic, the only protocol WebKitGTK's driver
// speaks. The same promises as demo.test.ts makes in Chromium and Firefox:
// the page loads without errors, predictions flow, injected drift raises the
// critical alert, the page and its data survive a reload with the network
// gone (service worker + IndexedDB), and summaries wait in the outbox while
// the server is unreachable and drain to its receiver when it is back.
//
// What differs, because WebDriver classic has no console events, no script
// before load and no network emulation:
// - Errors: the test's server serves the page with a small script first in
//   its <head> (injectIntoPage) that records console.error calls, uncaught
//   errors (window 'error', including failed <script>/<link> loads) and
//   unhandled rejections in window.__modelwatchErrors, read with execute().
//   It sees the page's own realm only: a Worker's console and errors that the
//   Worker handles itself are not seen (Playwright's console events in the
//   other engines do see the Worker's console). The demo reports a failed
//   start, worker and WASM included, with console.error, which is seen.
// - Offline: instead of setOffline, the demo's server is really stopped
//   (connections dropped, the port refuses), so the reload can only be served
//   by the service worker; then a server is started again on the same port,
//   over the same receiver directory, and the outbox must drain to it. The
//   page's own "Go offline" switch is not used: the sync has to notice the
//   lost server by itself.
// - Screenshots are of the viewport (WebDriver classic has no full-page one).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remote } from 'webdriverio';
import { missingEngine, startWebKitDriver, webkitCapabilities, type WebKitDriver } from '../support/engines.js';
import { ACCURACY_ALERT, DEMO_OUT, DEMO_QUERY, buildDemo, injectIntoPage, isPng, receivedPredictions, serveDemo, stopDemo, until } from './support/demo.js';

/** Runs first in the page (and in its offline copy): records what Playwright's console capture would. */
const CAPTURE = `(() => {
  const errors = (window.__modelwatchErrors = []);
  const text = (v) => (v instanceof Error ? v.name + ': ' + v.message + '\\n' + v.stack : String(v));
  const error = console.error;
  console.error = function (...args) { errors.push('console.error: ' + args.map(text).join(' ')); return error.apply(this, args); };
  addEventListener('error', (e) => errors.push('error: ' + (e.error ? text(e.error) : e.message || 'failed to load ' + (e.target && (e.target.src || e.target.href)))), true);
  addEventListener('unhandledrejection', (e) => errors.push('unhandledrejection: ' + text(e.reason)));
})();`;

const out = join(DEMO_OUT, 'webkit');
const plugins = [injectIntoPage(CAPTURE)];
let driver: WebKitDriver | undefined;
let browser: WebdriverIO.Browser | undefined;
let server: PreviewServer | undefined;
let url: string;
let port: number;
// The receiver keeps its state here, so a server restarted on the same port holds what the first one received.
let receiverDir: string;
const previousReceiverDir = process.env.MODELWATCH_RECEIVER_DIR;
// What the receiver held when the server was stopped.
let receivedWhenStopped = 0;

function b(): WebdriverIO.Browser {
  if (!browser) throw new Error('no MiniBrowser session');
  return browser;
}

async function text(testId: string): Promise<string> {
  return (await b().$(`[data-testid=${testId}]`).getText()).trim();
}

async function number(testId: string): Promise<number> {
  return Number(await text(testId));
}

/**
 * Saves a screenshot of the viewport once the DOM as it is now has been
 * painted: WebKitGTK's screenshot is its last painted frame, which on a busy
 * machine showed values the DOM had already replaced.
 */
async function screenshot(name: string): Promise<void> {
  await b().executeAsync((done: () => void) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await b().saveScreenshot(join(out, name));
}

/** What the injected script recorded; fails if it is not there (the page was not the instrumented one). */
async function pageErrors(): Promise<string[]> {
  const errors = await b().execute(() => (window as unknown as { __modelwatchErrors?: string[] }).__modelwatchErrors ?? null);
  if (!Array.isArray(errors)) throw new Error('the error capture is not in the page: it was not served by the test server or its service worker');
  return errors;
}

async function serverRefuses(): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
    return false;
  } catch {
    return true;
  }
}

// A missing engine is one failing test that says what to install (a failing
// beforeAll would only mark the tests skipped, and a run would count no failure);
// the engine's own tests are then not declared at all.
const missing = missingEngine('webkit');
if (missing) {
  it('runs the demo in webkit', () => {
    expect.fail(`webkit cannot run here: ${missing}`);
  });
} else describe('demo page in webkit', () => {
  beforeAll(async () => {
    await buildDemo();
    mkdirSync(out, { recursive: true });
    receiverDir = mkdtempSync(join(tmpdir(), 'modelwatch-demo-webkit-receiver-'));
    process.env.MODELWATCH_RECEIVER_DIR = receiverDir;
    ({ server, url } = await serveDemo(0, plugins));
    port = Number(new URL(url).port);
    driver = await startWebKitDriver();
    browser = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      logLevel: 'warn',
      capabilities: webkitCapabilities() as WebdriverIO.Capabilities,
    });
    await browser.setWindowSize(1400, 1100);
  }, 120_000);

  afterAll(async () => {
    try {
      await browser?.deleteSession();
    } finally {
      await driver?.stop();
      if (server) await stopDemo(server);
      if (previousReceiverDir === undefined) delete process.env.MODELWATCH_RECEIVER_DIR;
      else process.env.MODELWATCH_RECEIVER_DIR = previousReceiverDir;
      if (receiverDir) rmSync(receiverDir, { recursive: true, force: true });
    }
  });

  it('loads without errors and predictions flow', async () => {
    await b().url(`${url}${DEMO_QUERY}`);
    await until('predictions to be stored', async () => (await number('total')) > 200);
    expect(await pageErrors()).toEqual([]);
  });

  it('raises the critical alert on the page after concept drift', async () => {
    // Let the baseline be captured on healthy data first.
    await until('a good status', async () => (await text('overall')) !== 'no data');
    await new Promise((r) => setTimeout(r, 14_000));
    await screenshot('before-drift.png');
    await b().$('[data-testid=drift]').click();
    await until('a critical accuracy alert', async () => (await b().$$(ACCURACY_ALERT).length) > 0, 90_000);
    await screenshot('after-drift.png');
    expect(isPng(join(out, 'before-drift.png'))).toBe(true);
    expect(isPng(join(out, 'after-drift.png'))).toBe(true);
    // Exactly once: alerts are de-duplicated until they clear.
    expect(await b().$$(ACCURACY_ALERT).length).toBe(1);
    expect(await pageErrors()).toEqual([]);
  });

  it('with its server gone, keeps summaries in the outbox and reloads from the service worker with its data', async () => {
    await until('the service worker to control the page', () => b().execute(() => navigator.serviceWorker.controller !== null), 30_000);
    await until('summaries at the server', async () => (await receivedPredictions(url)) > 0, 60_000);
    receivedWhenStopped = await receivedPredictions(url);

    if (!server) throw new Error('no demo server');
    await stopDemo(server);
    server = undefined;
    expect(await serverRefuses()).toBe(true);
    // A 10 s window closes 2.5 s after its end: its summaries cannot be sent and wait in the outbox.
    await until('summaries in the outbox', async () => (await number('outbox')) > 0, 60_000);
    // The sync noticed by itself: its state is 'error', with the browser's network error as the reason.
    await until('the sync to report the lost server', async () => (await text('sync')) === 'error', 30_000);
    expect(await b().$('[data-testid=sync]').getAttribute('title')).toMatch(/TypeError/);
    await screenshot('server-gone-outbox.png');

    const before = await number('total');
    expect(before).toBeGreaterThan(0);
    await b().refresh();
    // The page (served no-cache by the test server) can only come from the service worker now.
    expect(await b().getTitle()).toContain('modelwatch');
    expect(await b().execute(() => navigator.serviceWorker.controller !== null)).toBe(true);
    // The stored predictions show again (IndexedDB), and new ones are stored (the worker and its WASM started).
    await until('stored predictions to show again', async () => (await number('total')) >= before, 30_000);
    await until('new predictions after the reload', async () => (await number('total')) > before, 30_000);
    expect(await number('outbox')).toBeGreaterThan(0);
    expect(await serverRefuses()).toBe(true);
    expect(await pageErrors()).toEqual([]);
  });

  it('drains the outbox to the receiver when the server is back on the same port', async () => {
    ({ server, url } = await serveDemo(port, plugins));
    // Same receiver directory: what it held before it stopped is still there.
    expect(await receivedPredictions(url)).toBeGreaterThanOrEqual(receivedWhenStopped);
    await until('the outbox to drain', async () => (await number('outbox')) === 0, 90_000);
    await until('the waiting summaries at the server', async () => (await receivedPredictions(url)) > receivedWhenStopped, 30_000);
    // Nothing counted twice: the server holds no more predictions than the page stored.
    expect(await receivedPredictions(url)).toBeLessThanOrEqual(await number('total'));
    expect(await pageErrors()).toEqual([]);
    // And the capture does see errors: a console.error, an uncaught error and an unhandled rejection.
    await b().execute(() => {
      console.error('probe');
      setTimeout(() => {
        throw new Error('probe');
      });
      void Promise.reject(new Error('probe'));
    });
    await until('the probes to be recorded', async () => (await pageErrors()).length === 3, 10_000);
    const probes = await pageErrors();
    expect(probes.map((e) => e.slice(0, e.indexOf(':')))).toEqual(expect.arrayContaining(['console.error', 'error', 'unhandledrejection']));
  });
});
