// A headless Chromium whose profile lives on a small tmpfs, so the origin's
// IndexedDB quota (Chromium derives it from the disk) is real and small, with
// a Vite server for the page under test. Chromium 156 reports a CDP quota
// override in navigator.storage.estimate() but does not make IndexedDB writes
// fail with it, hence the tmpfs. Needs root (or CAP_SYS_ADMIN) to mount it;
// without it the suite fails with a clear message rather than skipping.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { createServer } from 'vite';
import type { ViteDevServer } from 'vite';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export interface SmallDisk {
  page: Page;
  profile: string;
  close(): Promise<void>;
}

/** Mounts a `mib` MiB tmpfs on `dir`; throws with what is missing (root, CAP_SYS_ADMIN). */
export function mountTmpfs(dir: string, mib: number): void {
  const uid = process.getuid?.();
  if (uid !== 0) throw new Error(`mounting a ${mib} MiB tmpfs for a browser's profile needs root (running as uid ${uid}); run it as root, e.g. in the CI container`);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new Error(`cannot mount a tmpfs on ${dir} (needs root with CAP_SYS_ADMIN): ${err.stderr?.toString().trim() ?? String(e)}`);
  }
}

/** A Vite dev server of the repository on a free loopback port (its cache in `cacheDir`); resolves once it listens. */
export async function pageServer(cacheDir: string): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    cacheDir,
    // No dependency discovery, so no reload mid-test; idb and comlink are ESM already.
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
  });
  await server.listen();
  return { server, url: server.resolvedUrls!.local[0]! };
}

/** Mounts a `mib` MiB tmpfs, starts Vite on a free port and opens `path` (under the repository root) in Chromium. */
export async function smallDiskChromium(mib: number, path: string, ready: string): Promise<SmallDisk> {
  const work = mkdtempSync(join(tmpdir(), 'modelwatch-small-disk-'));
  const profile = join(work, 'profile');
  execFileSync('mkdir', ['-p', profile]);
  let mounted = false;
  let server: ViteDevServer | undefined;
  let context: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    await context?.close();
    await server?.close();
    if (mounted) execFileSync('umount', [profile]);
    rmSync(work, { recursive: true, force: true });
  };
  try {
    mountTmpfs(profile, mib);
    mounted = true;
    const served = await pageServer(join(work, 'vite'));
    server = served.server;
    const url = served.url;
    const chromiumPath = process.env.MODELWATCH_CHROMIUM ?? '/usr/bin/chromium';
    context = await chromium.launchPersistentContext(profile, {
      ...(chromiumPath ? { executablePath: chromiumPath } : {}),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(`${url}${path}`);
    await page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, ready, { timeout: 60_000 });
    return { page, profile, close };
  } catch (e) {
    await close();
    throw e;
  }
}
