// The three browser engines the suites run in, as Node sees them: where each
// one is installed, whether it is there, and how to start it. Used by
// vite.config.ts (one browser project per engine), by the WebKit project's
// globalSetup (test/support/webkit.setup.ts) and by the integration tests
// that drive a browser themselves (demo, quota).
//
// - Chromium: Debian's /usr/bin/chromium through Playwright (CDP).
// - Firefox: Debian's firefox-esr through Playwright's WebDriver BiDi client
//   (channel 'moz-firefox'); no Playwright-patched build is downloaded.
// - WebKit (Safari's engine): WebKitGTK's MiniBrowser through WebKitWebDriver
//   (Debian's webkit2gtk-driver) and WebdriverIO. MiniBrowser has no headless
//   mode, so it gets its own Xvfb display.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

export type Engine = 'chromium' | 'firefox' | 'webkit';
export const ENGINES: readonly Engine[] = ['chromium', 'firefox', 'webkit'];

/** Chromium's binary; MODELWATCH_CHROMIUM overrides, an empty value lets Playwright use its own download. */
export const CHROMIUM_PATH = process.env.MODELWATCH_CHROMIUM ?? '/usr/bin/chromium';
/** Firefox's binary (Debian's firefox-esr); MODELWATCH_FIREFOX overrides. */
export const FIREFOX_PATH = process.env.MODELWATCH_FIREFOX || '/usr/bin/firefox-esr';
/** WebKitGTK's WebDriver (Debian's webkit2gtk-driver); MODELWATCH_WEBKIT_DRIVER overrides. */
export const WEBKIT_DRIVER_PATH = process.env.MODELWATCH_WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
export const XVFB_PATH = process.env.MODELWATCH_XVFB || '/usr/bin/Xvfb';

/** The Debian packages that provide each engine (scripts/setup.js installs them). */
export const ENGINE_PACKAGES: Record<Engine, string[]> = {
  chromium: ['chromium'],
  firefox: ['firefox-esr'],
  webkit: ['webkit2gtk-driver', 'xvfb'],
};

/** MiniBrowser, shipped by libwebkit2gtk (a dependency of webkit2gtk-driver), under a versioned folder. */
export function miniBrowserPath(): string | undefined {
  if (process.env.MODELWATCH_MINIBROWSER) return process.env.MODELWATCH_MINIBROWSER;
  for (const lib of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    if (!existsSync(lib)) continue;
    for (const d of readdirSync(lib).filter((n) => n.startsWith('webkit2gtk-')).sort().reverse()) {
      const p = `${lib}/${d}/MiniBrowser`;
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/** Why `engine` cannot run on this machine, or undefined if it can. */
export function missingEngine(engine: Engine): string | undefined {
  const need = (path: string | undefined, what: string): string | undefined =>
    path && existsSync(path) ? undefined : `${what} not found${path ? ` at ${path}` : ''}`;
  const fix = `install it with \`apt-get install -y ${ENGINE_PACKAGES[engine].join(' ')}\` (npm test does this as root on Debian)`;
  let why: string | undefined;
  if (engine === 'chromium') why = CHROMIUM_PATH === '' ? undefined : need(CHROMIUM_PATH, 'Chromium');
  if (engine === 'firefox') why = need(FIREFOX_PATH, 'Firefox');
  if (engine === 'webkit') why = need(WEBKIT_DRIVER_PATH, 'WebKitWebDriver') ?? need(miniBrowserPath(), 'MiniBrowser') ?? need(XVFB_PATH, 'Xvfb');
  return why && `${why}: ${fix}`;
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Lets Playwright's WebDriver BiDi client drive a stock Firefox ESR.
 * Playwright 1.65 sends `emulation.setMediaFeaturesOverride` (to reset
 * prefers-color-scheme) when it opens every page; Firefox 153 does not know
 * the command yet (it is newer than ESR 153's BiDi) and answers "unknown
 * command", which fails newPage(). Nothing here emulates media features, so
 * the command is answered as done without reaching Firefox. Patched on the
 * WebSocket client that Playwright bundles (the only way in: the BiDi session
 * classes are not exported); every other message passes unchanged.
 */
export function answerUnknownBidiCommands(): void {
  const require = createRequire(import.meta.url);
  const bundle = require(require.resolve('playwright-core/package.json').replace(/package\.json$/, 'lib/utilsBundle.js')) as {
    ws: { prototype: { send(data: unknown, ...rest: unknown[]): void; emit(event: string, ...args: unknown[]): boolean; __modelwatchPatched?: true } };
  };
  const proto = bundle.ws.prototype;
  if (proto.__modelwatchPatched) return;
  const send = proto.send;
  proto.send = function (this: typeof proto, data: unknown, ...rest: unknown[]): void {
    if (typeof data === 'string' && data.includes('"emulation.setMediaFeaturesOverride"')) {
      const m = JSON.parse(data) as { id?: number; method?: string };
      if (m.method === 'emulation.setMediaFeaturesOverride' && typeof m.id === 'number') {
        const reply = Buffer.from(JSON.stringify({ type: 'success', id: m.id, result: {} }));
        setImmediate(() => this.emit('message', reply, false));
        return;
      }
    }
    send.call(this, data, ...rest);
  };
  proto.__modelwatchPatched = true;
}

/** Capabilities for a MiniBrowser session through WebKitWebDriver. */
export function webkitCapabilities(): Record<string, unknown> {
  return {
    // WebKitWebDriver matches the browser by name: 'safari' is refused.
    browserName: 'MiniBrowser',
    // WebKitGTK 2.50 speaks WebDriver classic only; WebdriverIO 9 would try BiDi.
    'wdio:enforceWebDriverClassic': true,
    'webkitgtk:browserOptions': { binary: miniBrowserPath(), args: ['--automation'] },
  };
}

/** A running Xvfb display and a WebKitWebDriver on it. */
export interface WebKitDriver {
  port: number;
  display: string;
  stop(): Promise<void>;
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts Xvfb on a free display (it picks one and writes it to a pipe) and
 * WebKitWebDriver on 127.0.0.1:`port` (a free port when 0), drawing on it.
 * LANG must name a UTF-8 locale: under the C locale WebKitGTK reports
 * navigator.language 'C', which Intl (and uPlot, in the demo) rejects.
 */
export async function startWebKitDriver(port = 0): Promise<WebKitDriver> {
  const why = missingEngine('webkit');
  if (why) throw new Error(why);
  const xvfb = spawn(XVFB_PATH, ['-displayfd', '3', '-screen', '0', '1400x1100x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let xlog = '';
  xvfb.stderr?.on('data', (d: Buffer) => (xlog = (xlog + d.toString()).slice(-4000)));
  const display = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display within 20 s\n${xlog}`)), 20_000);
    (xvfb.stdio[3] as NodeJS.ReadableStream).once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(`:${d.toString().trim()}`);
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}\n${xlog}`));
    });
  });
  const p = port || (await freePort());
  const driver = spawn(WEBKIT_DRIVER_PATH, [`--port=${p}`, '--host=local'], {
    env: { ...process.env, DISPLAY: display, LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-4000);
  };
  driver.stdout?.on('data', keep);
  driver.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    await stopProcess(driver);
    await stopProcess(xvfb);
  };
  // Ready when its /status answers.
  const until = Date.now() + 20_000;
  for (;;) {
    if (driver.exitCode !== null) {
      await stop();
      throw new Error(`WebKitWebDriver exited with ${driver.exitCode}\n${log}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${p}/status`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`WebKitWebDriver not ready on port ${p} within 20 s\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port: p, display, stop };
}
