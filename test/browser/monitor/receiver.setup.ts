// vitest globalSetup of the browser project: a real HTTP receiver
// (createReceiver on node:http, loopback, random port, state in memory) for
// the monitor's sync tests; its allowedOrigins lets the test page (another
// origin) POST to it, and the control routes below answer CORS themselves. The test
// reads its URL with inject('syncReceiver'). Control routes for the tests:
// GET /ctl/state (what the receiver counted), POST /ctl/reset (a fresh
// receiver), POST /ctl/fail?count=n (answer the next n batches with 503).
// Stand-ins for a Pushgateway (PUT /metrics/job/...) and an OTLP collector
// (POST .../v1/metrics) keep the last body per path, as a Pushgateway keeps
// the last push per group; GET /ctl/pushes answers them (a reset keeps them).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { createReceiver } from '../../../src/receiver/index.js';
import type { Receiver, ReceiverOptions } from '../../../src/receiver/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    syncReceiver: string;
  }
}

/** What GET /ctl/state answers. */
export interface ReceiverState {
  keys: number;
  duplicates: number;
  devices: number;
  /** Batches POSTed (including refused ones). */
  posts: number;
  /** The authorization header of each batch POSTed, in order. */
  authorizations: string[];
  /** Fleet aggregate per series. */
  series: { model: string; modelVersion: string; segment: string; count: number; labeled: number; predicted?: { classes: number[]; counts: number[] }; confusion?: { classes: number[]; cells: number[] } }[];
}

/** What GET /ctl/pushes answers: per path, the requests taken and the last body. */
export type Pushes = Record<string, { requests: number; last: string }>;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Tests deliver many small batches from few device ids: the rate is not what they test.
  const options: ReceiverOptions = { dir: null, path: '/v1/summaries', allowedOrigins: '*', ratePerSecond: 10_000, rateBurst: 10_000 };
  let receiver: Receiver = await createReceiver(options);
  let fail = 0;
  let posts = 0;
  let authorizations: string[] = [];
  const pushes: Pushes = {};
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type, authorization', 'access-control-allow-methods': 'GET, POST, PUT' };
  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'content-type': 'application/json', ...cors });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    // The receiver answers its own preflights (allowedOrigins); the control routes and stand-ins answer theirs here.
    if (req.method === 'OPTIONS' && url.pathname !== '/v1/summaries') {
      res.writeHead(204, cors);
      return res.end();
    }
    if (url.pathname === '/ctl/state') {
      const state: ReceiverState = {
        keys: receiver.keys,
        duplicates: receiver.duplicates,
        devices: receiver.devices,
        posts,
        authorizations,
        series: receiver.aggregate().map((s) => ({
          model: s.model, modelVersion: s.modelVersion, segment: s.segment, count: s.count, labeled: s.labeled,
          ...(s.predicted ? { predicted: s.predicted } : {}),
          ...(s.confusion ? { confusion: s.confusion } : {}),
        })),
      };
      return json(res, state);
    }
    if (url.pathname === '/ctl/reset') {
      receiver = await createReceiver(options);
      fail = 0;
      posts = 0;
      authorizations = [];
      // Pushes are kept: each test pushes under its own device path, and a
      // reset by one test file must not wipe another's (files may run at once).
      return json(res, { ok: true });
    }
    if (url.pathname === '/ctl/fail') {
      fail = Number(url.searchParams.get('count') ?? 1);
      return json(res, { fail });
    }
    if (url.pathname === '/ctl/pushes') return json(res, pushes);
    if ((req.method === 'PUT' && url.pathname.startsWith('/metrics/job/')) || (req.method === 'POST' && url.pathname.endsWith('/v1/metrics'))) {
      const body: Buffer[] = [];
      req.on('data', (b: Buffer) => body.push(b));
      for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
      req.on('end', () => {
        pushes[url.pathname] = { requests: (pushes[url.pathname]?.requests ?? 0) + 1, last: Buffer.concat(body).toString('utf8') };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
      return;
    }
    if (req.method === 'POST') {
      posts++;
      authorizations.push(req.headers.authorization ?? '');
      if (fail > 0) {
        fail--;
        req.resume();
        res.writeHead(503, { 'content-type': 'text/plain', ...cors });
        return res.end('failing on purpose\n');
      }
    }
    // The delivery path itself (CORS, preflight included) is the receiver's own.
    receiver.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('syncReceiver', `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
