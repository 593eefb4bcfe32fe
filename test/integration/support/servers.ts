// Starts real Debian prometheus-pushgateway and prometheus on free 127.0.0.1
// ports with temporary data directories and a 1 s scrape of the gateway
// (honor_labels: true keeps the pushed job/device labels). Missing binaries
// fail the suite with a clear message: these tests must not pass by skipping.
//
// Isolation: nothing is read or written outside the run's own temp dir.
// Debian's pushgateway defaults to --persistence.file=/var/lib/prometheus/
// pushgateway.data, one file shared by every gateway started without that
// flag (a test once saw 32 devices instead of 20: 12 were another program's),
// so the gateway's persistence file lives in the temp dir. A free port is
// only free until someone else binds it, so after start-up each server must
// report our own temp paths in its flags, or we would be talking to a stranger.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../../support/engines.js';

export const PROMETHEUS_BIN = process.env.MODELWATCH_PROMETHEUS ?? '/usr/bin/prometheus';
export const PUSHGATEWAY_BIN = process.env.MODELWATCH_PUSHGATEWAY ?? '/usr/bin/prometheus-pushgateway';


async function waitReady(url: string, proc: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`${url}: process exited with ${proc.exitCode}\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms\n${log()}`);
}

function start(bin: string, args: string[]): { proc: ChildProcess; log: () => string } {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-8000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return { proc, log: () => out };
}

/** Running servers and their addresses. */
export interface Servers {
  pushgateway: string;
  prometheus: string;
  /** The gateway's persistence file (inside the run's temp dir). */
  persistenceFile: string;
  stop(): Promise<void>;
}

/** Options of startServers. */
export interface ServerOptions {
  /**
   * A pushgateway persistence file to put where the gateway binary's own
   * default --persistence.file points, as if another program had left its
   * data there. The gateway then runs in a private mount namespace
   * (unshare(1); root, or unprivileged user namespaces) whose copy of that
   * directory is a fresh tmpfs: the machine's real file is never touched.
   */
  strangerInDefaultFile?: string;
}

/** The gateway binary's built-in --persistence.file ('' = in memory; Debian's build: /var/lib/prometheus/pushgateway.data). */
export function defaultPersistenceFile(): string {
  // kingpin prints --help on stderr.
  const r = spawnSync(PUSHGATEWAY_BIN, ['--help'], { encoding: 'utf8' });
  const m = /--persistence\.file="([^"]*)"/.exec(`${r.stdout}${r.stderr}`);
  if (!m) throw new Error(`cannot read the default --persistence.file from \`${PUSHGATEWAY_BIN} --help\`:\n${r.stdout}${r.stderr}`);
  return m[1]!;
}

function requireBinaries(): void {
  for (const bin of [PUSHGATEWAY_BIN, PROMETHEUS_BIN]) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: install it with \`apt-get install -y prometheus prometheus-pushgateway\` (or set MODELWATCH_PROMETHEUS / MODELWATCH_PUSHGATEWAY).`);
    }
  }
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

/** The flags a running server reports (pushgateway: /api/v1/status; prometheus: /api/v1/status/flags). */
async function flags(url: string): Promise<Record<string, string>> {
  const body = (await (await fetch(url)).json()) as { data: { flags?: Record<string, string> } & Record<string, string> };
  return body.data.flags ?? body.data;
}

/** Waits for a server started with `args` to answer as itself: `flag` must read `value`. */
async function startChecked(bin: string, args: string[], base: string, statusPath: string, flag: string, value: string, wrap: string[] = []): Promise<ChildProcess> {
  const p = wrap.length > 0 ? start(wrap[0]!, [...wrap.slice(1), bin, ...args]) : start(bin, args);
  try {
    await waitReady(`${base}/-/ready`, p.proc, p.log);
    const got = (await flags(`${base}${statusPath}`))[flag];
    if (got !== value || p.proc.exitCode !== null) {
      throw new Error(`${base} is not the server we started (its ${flag} is ${String(got)}, ours ${value}): the port was taken meanwhile\n${p.log()}`);
    }
  } catch (e) {
    await stopProcess(p.proc);
    throw e;
  }
  return p.proc;
}

/** Starts one server on a fresh free port, retrying if another program took the port between look-up and bind. */
async function onFreePort<T>(launch: (port: number) => Promise<T>): Promise<{ port: number; value: T }> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return { port, value: await launch(port) };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/**
 * A pushgateway on a persistence file of its own in `dir`, for a test's use as
 * "another program": started, given to `use`, and stopped (which writes the
 * file, as a gateway does on shutdown).
 */
export async function withGateway(dir: string, use: (base: string) => Promise<void>): Promise<string> {
  requireBinaries();
  const file = join(dir, 'pushgateway.data');
  const { port, value: proc } = await onFreePort((port) =>
    startChecked(PUSHGATEWAY_BIN, [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${file}`, '--log.level=warn'], `http://127.0.0.1:${port}`, '/api/v1/status', 'persistence.file', file),
  );
  try {
    await use(`http://127.0.0.1:${port}`);
  } finally {
    await stopProcess(proc);
  }
  return file;
}

/** Starts both servers; throws with install instructions when a binary is missing. */
export async function startServers(options: ServerOptions = {}): Promise<Servers> {
  requireBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-prom-'));
  const procs: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const p of procs.reverse()) await stopProcess(p);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const persistenceFile = join(dir, 'pushgateway.data');
    let wrap: string[] = [];
    const seed = options.strangerInDefaultFile;
    const systemFile = seed !== undefined ? defaultPersistenceFile() : '';
    if (seed !== undefined && systemFile !== '') {
      // The nearest existing directory above the default file becomes a tmpfs
      // in the gateway's own mount namespace, holding only the stranger's file.
      let mountPoint = dirname(systemFile);
      while (!existsSync(mountPoint)) mountPoint = dirname(mountPoint);
      const root = process.getuid?.() === 0;
      wrap = [
        'unshare', ...(root ? [] : ['--map-root-user']), '--mount', '--propagation', 'private',
        'sh', '-c', 'mount -t tmpfs modelwatch-test "$1" && mkdir -p "$(dirname "$2")" && cp "$3" "$2" && shift 3 && exec "$@"',
        'sh', mountPoint, systemFile, seed,
      ];
    }
    const gw = await onFreePort((port) =>
      startChecked(PUSHGATEWAY_BIN, [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${persistenceFile}`, '--log.level=warn'], `http://127.0.0.1:${port}`, '/api/v1/status', 'persistence.file', persistenceFile, wrap),
    );
    procs.push(gw.value);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: pushgateway',
        '    honor_labels: true',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${gw.port}']`,
        '',
      ].join('\n'),
    );
    const data = join(dir, 'data');
    const prom = await onFreePort((port) =>
      startChecked(PROMETHEUS_BIN, [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], `http://127.0.0.1:${port}`, '/api/v1/status/flags', 'storage.tsdb.path', data),
    );
    procs.push(prom.value);
    return { pushgateway: `http://127.0.0.1:${gw.port}`, prometheus: `http://127.0.0.1:${prom.port}`, persistenceFile, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs an instant PromQL query; returns [labels, value] pairs. */
export async function promQuery(base: string, query: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await r.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`PromQL ${query}: ${body.error}`);
  return body.data.result.map((x) => ({ metric: x.metric, value: Number(x.value[1]) }));
}
