// Chromium as the kill tests drive it: its own process group (so a SIGKILL
// takes the browser, its renderers, the GPU and storage processes at once, as
// a crash or an OS kill would), a persistent profile, a page served by Vite on
// one origin for every launch (IndexedDB is per origin).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createServer } from 'vite';
import type { Plugin, ViteDevServer } from 'vite';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Resolves when `check` is true, polling every `everyMs` (a condition, not a fixed wait), or rejects after timeoutMs. */
export async function until(what: string, check: () => boolean, timeoutMs: number, everyMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Serves the repository (pages under test/integration/kill/) with `plugin`'s routes, on a free port. */
export async function serve(work: string, plugin: Plugin): Promise<{ server: ViteDevServer; base: string }> {
  const server = await createServer({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    cacheDir: join(work, 'vite'),
    // No dependency discovery, so no reload mid-test; idb and comlink are ESM already.
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    plugins: [plugin],
  });
  await server.listen();
  return { server, base: server.resolvedUrls!.local[0]! };
}

/** A launched Chromium: its process group leader. */
export interface Launched {
  child: ChildProcess;
  pid: number;
  exited: () => boolean;
}

/** Launches headless Chromium on `profile` at `url` as a new process group, output to file descriptor `out`. */
export function launch(profile: string, url: string, out: number, args: string[] = []): Launched {
  const child = spawn(
    process.env.MODELWATCH_CHROMIUM || '/usr/bin/chromium',
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-breakpad',
      '--password-store=basic', `--user-data-dir=${profile}`, ...args, url,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  return { child, pid: child.pid!, exited: () => exited };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs the whole process group and waits until none of it is left. */
export async function killGroup(b: Launched): Promise<void> {
  if (groupAlive(b.pid)) process.kill(-b.pid, 'SIGKILL');
  await until('Chromium to exit', () => b.exited() && !groupAlive(b.pid), 30_000);
}
