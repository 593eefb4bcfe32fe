// Shared by the receiver tests: a real node:http server on 127.0.0.1 port 0
// around a receiver, batches built the way the sender builds them, and raw
// HTTP requests (node:http, so a test controls headers and streaming).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { encodeBatch, idempotencyKey, init, serializeSummary } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import type { Receiver } from '../../../src/receiver/index.js';

/**
 * Hooks of a receiver test file: loads the WASM core first and removes the
 * file's state directories after it. Returns a maker of fresh directories.
 */
export function receiverSuite(name: string): () => string {
  const dirs: string[] = [];
  beforeAll(async () => {
    await init();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), `modelwatch-${name}-test-`));
    dirs.push(d);
    return d;
  };
}

export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `handler` (a receiver's, or a wrapper of it) on a free loopback port. */
export async function serve(handler: Receiver['handler'] | ((req: IncomingMessage, res: ServerResponse) => void)): Promise<Running> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A batch body as SyncEngine sends it: each summary under its idempotency key. */
export function batchOf(device: string, summaries: readonly Summary[], rows: { key: string; rows: unknown[] }[] = []): string {
  return encodeBatch(device, summaries.map((s) => ({ key: idempotencyKey(device, s), text: serializeSummary(s) })), rows);
}

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One HTTP request with node:http (no fetch: a test sets Origin, Host and streams freely). */
export function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** POSTs a body to the receiver's delivery path. */
export function post(base: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return http(`${base}/v1/summaries`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}
