// Starts real Debian prometheus-pushgateway and prometheus on free 127.0.0.1
// ports with temporary data directories and a 1 s scrape of the gateway
// (honor_labels: true keeps the pushed job/device labels). Missing binaries
// fail the suite with a clear message: these tests must not pass by skipping.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.MODELWATCH_PROMETHEUS ?? '/usr/bin/prometheus';
export const PUSHGATEWAY_BIN = process.env.MODELWATCH_PUSHGATEWAY ?? '/usr/bin/prometheus-pushgateway';

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
  stop(): Promise<void>;
}

/** Starts both servers; throws with install instructions when a binary is missing. */
export async function startServers(): Promise<Servers> {
  for (const bin of [PUSHGATEWAY_BIN, PROMETHEUS_BIN]) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: install it with \`apt-get install -y prometheus prometheus-pushgateway\` (or set MODELWATCH_PROMETHEUS / MODELWATCH_PUSHGATEWAY).`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-prom-'));
  const [gwPort, promPort] = [await freePort(), await freePort()];
  // Its own persistence file: Debian's gateway defaults to /var/lib/prometheus/pushgateway.data, shared
  // by every gateway started without the flag, so one run would see another's devices.
  const gw = start(PUSHGATEWAY_BIN, [`--web.listen-address=127.0.0.1:${gwPort}`, `--persistence.file=${join(dir, 'pushgateway.data')}`, '--log.level=warn']);
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
      `      - targets: ['127.0.0.1:${gwPort}']`,
      '',
    ].join('\n'),
  );
  const prom = start(PROMETHEUS_BIN, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ]);
  const stop = async (): Promise<void> => {
    for (const p of [prom.proc, gw.proc]) {
      if (p.exitCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (p.exitCode === null) p.kill('SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(`http://127.0.0.1:${gwPort}/-/ready`, gw.proc, gw.log);
    await waitReady(`http://127.0.0.1:${promPort}/-/ready`, prom.proc, prom.log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pushgateway: `http://127.0.0.1:${gwPort}`, prometheus: `http://127.0.0.1:${promPort}`, stop };
}

/** Runs an instant PromQL query; returns [labels, value] pairs. */
export async function promQuery(base: string, query: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await r.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`PromQL ${query}: ${body.error}`);
  return body.data.result.map((x) => ({ metric: x.metric, value: Number(x.value[1]) }));
}
