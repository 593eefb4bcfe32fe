// The receiver's node:http request listener: CORS (allowed origins, preflight),
// `authorize` on every route, the body read up to maxBodyBytes and answered
// 413 the moment it passes it (the rest is never read), and each error mapped
// to its status. It never throws: a failure is a 5xx answer, not a crash.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError, StateError } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from '../sync/index.js';
import { LimitError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { IngestResult } from './state.js';

/** What the listener needs from the receiver. */
export interface HttpTarget {
  ingest(body: Uint8Array): Promise<IngestResult>;
  metrics(): string;
  /** Counts one answered request by status. */
  count(status: number): void;
}

/** Headers a browser may send with a delivery (the sender's own plus what apps commonly add). */
const ALLOW_HEADERS = 'content-type, authorization';

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The listener for `target` with options `o`. */
export function createHandler(o: ResolvedOptions, target: HttpTarget): (req: IncomingMessage, res: ServerResponse) => void {
  const allowed = (origin: string, req: IncomingMessage): boolean =>
    o.allowedOrigins === '*' || o.allowedOrigins.includes(origin) || sameHost(origin, req.headers.host);

  return (req, res) => {
    const cors: Record<string, string> = {};
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
      target.count(status);
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...cors, ...extra });
      res.end(body);
    };
    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}): void =>
      send(status, 'application/json', JSON.stringify({ code, message }), extra);
    /** Refuses before reading the body: answer, then close instead of reading whatever it is. */
    const refuse = (status: number, code: string, message: string, extra: Record<string, string> = {}): void => {
      req.pause?.();
      fail(status, code, message, { connection: 'close', ...extra });
      res.once?.('finish', () => req.destroy());
    };

    const route = async (): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const known = url.pathname === o.path || url.pathname === o.metricsPath;
      if (!known) return refuse(404, 'NOT_FOUND', `no route ${url.pathname}; POST batches to ${o.path}.`);
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!allowed(origin, req)) return refuse(403, 'ORIGIN_NOT_ALLOWED', `origin ${origin} is not in this receiver's allowedOrigins.`);
        cors['access-control-allow-origin'] = o.allowedOrigins === '*' ? '*' : origin;
        cors['vary'] = 'origin';
        // A cross-origin page reads Retry-After on a 429 only if it is exposed.
        cors['access-control-expose-headers'] = 'retry-after';
      }
      if (req.method === 'OPTIONS') {
        return send(204, 'text/plain', '', {
          'access-control-allow-methods': url.pathname === o.path ? 'POST, OPTIONS' : 'GET, OPTIONS',
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '600',
        });
      }
      if (o.authorize && !(await o.authorize(req))) return refuse(401, 'UNAUTHORIZED', 'this receiver requires authorization.');
      if (url.pathname === o.metricsPath) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'METHOD_NOT_ALLOWED', `GET ${o.metricsPath}.`, { allow: 'GET' });
        return send(200, PROMETHEUS_CONTENT_TYPE, target.metrics());
      }
      if (req.method !== 'POST') return refuse(405, 'METHOD_NOT_ALLOWED', `POST a modelwatch batch to ${o.path}.`, { allow: 'POST' });
      const body = await readBody(req, o.maxBodyBytes);
      // Answer now and close: the rest of the body is never read.
      if (body === undefined) return refuse(413, 'BODY_TOO_LARGE', `the body is over ${o.maxBodyBytes} bytes; send fewer summaries per request.`);
      const result = await target.ingest(body);
      send(200, 'application/json', JSON.stringify(result));
    };

    route().catch((error: unknown) => {
      if (error instanceof LimitError) {
        return send(429, 'application/json', JSON.stringify({ code: error.code, limit: error.limit, message: error.message }), { 'retry-after': String(error.retryAfterS) });
      }
      if (error instanceof InputError) {
        const tooMuch = error.code === 'BODY_TOO_LARGE' || error.code === 'BODY_TOO_COMPLEX';
        return send(tooMuch ? 413 : 400, 'application/json', JSON.stringify({ code: error.code, argument: error.argument, message: error.message }));
      }
      if (error instanceof StateError) return fail(503, error.code, error.message, { 'retry-after': '30' });
      fail(500, 'INTERNAL', 'internal error');
    });
    req.on('error', () => res.destroy());
  };
}

/**
 * The request body, or undefined as soon as it passes `max` bytes (a
 * Content-Length over it is refused before reading anything). Reading stops
 * there: the stream is paused and its chunks released.
 */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers?.['content-length']);
  if (declared > max) {
    req.pause?.();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        req.pause?.();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}
