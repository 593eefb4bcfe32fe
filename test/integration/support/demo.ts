// What the demo's end-to-end tests share, whichever protocol drives the
// browser (playwright-core in demo.test.ts, WebDriver classic in
// demo-webkit.test.ts): building the demo, serving it with its receiver on a
// free 127.0.0.1 port, reading that receiver, waiting on conditions.
import { mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { build, preview, type Plugin, type PreviewServer } from 'vite';

/** Where screenshots and the payload report go. */
export const DEMO_OUT = 'test-results/demo';
/** The demo's query: a fast stream, a short delay, baseline and checks within seconds (see demo/main.ts). */
export const DEMO_QUERY = '?rate=200&delay=0.5&baselineAfter=12&checkWindow=15';
/** Selector of the critical accuracy alert the injected drift must raise. */
export const ACCURACY_ALERT = '#alerts li[data-metric="accuracy"][data-severity="critical"]';

/** Builds demo/dist (needs the package's dist: `npm run build`). */
export async function buildDemo(): Promise<void> {
  await build({ configFile: 'demo/vite.config.ts', logLevel: 'warn' });
  mkdirSync(DEMO_OUT, { recursive: true });
}

/**
 * Serves demo/dist with vite preview (and the demo server's receiver) on
 * 127.0.0.1:`port` (a free one when 0). `plugins` are added to the demo's own.
 */
export async function serveDemo(port = 0, plugins: Plugin[] = []): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({ configFile: 'demo/vite.config.ts', logLevel: 'warn', plugins, preview: { host: '127.0.0.1', port, strictPort: port !== 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview reported no local URL');
  return { server, url };
}

/** Stops a preview server and drops its open (keep-alive) connections, so the port really refuses. */
export async function stopDemo(server: PreviewServer): Promise<void> {
  const closed = new Promise<void>((r) => server.httpServer.close(() => r()));
  (server.httpServer as { closeAllConnections?: () => void }).closeAllConnections?.();
  await closed;
}

/**
 * A preview plugin that serves the demo's page with `script` as the first
 * element of its <head>, so it runs before any of the page's own scripts. The
 * service worker precaches the page from this same server, so the offline
 * copy carries the script too.
 */
export function injectIntoPage(script: string): Plugin {
  const html = (): string => readFileSync('demo/dist/index.html', 'utf8').replace('<head>', `<head><script>${script}</script>`);
  return {
    name: 'modelwatch-test-inject',
    // Called before vite's own middlewares are installed, so this one answers first.
    configurePreviewServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const path = new URL(req.url ?? '/', 'http://demo').pathname;
        if (req.method !== 'GET' || (path !== '/' && path !== '/index.html')) return next();
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
        res.end(html());
      });
    },
  };
}

/** Waits until f() is truthy (polling), or fails with `what`. */
export async function until<T>(what: string, f: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Sum of modelwatch_predictions_total over every series the demo server's receiver (at `url`) aggregated. */
export async function receivedPredictions(url: string): Promise<number> {
  const text = await (await fetch(new URL('api/metrics', url))).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('modelwatch_predictions_total')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/** Whether `path` is a PNG of some substance (not a blank few bytes). */
export function isPng(path: string): boolean {
  const b = readFileSync(path);
  return b.length > 10_000 && b.subarray(1, 4).toString() === 'PNG';
}
