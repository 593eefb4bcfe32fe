// The HTTP side of delivery: one request with a timeout, aborted when the
// device goes offline or the engine stops, headers resolved per request; and
// the pagehide flush. Knows nothing of formats or retries (see retry.ts).
import { InputError } from '../errors.js';
import type { SyncHeaders, SyncRequest } from './types.js';

/** What came back: the status, the body text and Retry-After. */
export interface Answer {
  status: number;
  body: string;
  retryAfter: string | null;
}

/** Lower-cased names, string values; `content-type` left out (the request's own is applied last). */
function clean(h: unknown, where: string): Record<string, string> {
  if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new InputError('INVALID_OPTION', where, 'expected { name: value } with string values.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (typeof v !== 'string') throw new InputError('INVALID_OPTION', `${where}.${k}`, `is ${typeof v}; expected a string.`);
    if (k.toLowerCase() !== 'content-type') out[k.toLowerCase()] = v;
  }
  return out;
}

/** Checks the headers option at construction (a function is checked on each call). */
export function checkHeaders(h: SyncHeaders | undefined): void {
  if (h !== undefined && typeof h !== 'function') clean(h, 'options.headers');
}

/** Sends requests with fetch: the app's headers first, the request's content type last (it must match the body). */
export class HttpTransport {
  private readonly inflight = new Set<AbortController>();
  /** The headers of the last request: a pagehide flush cannot wait for an async headers function. */
  private last: Record<string, string>;

  constructor(
    private readonly fetchFn: typeof fetch,
    private readonly timeoutMs: number,
    private readonly headers: SyncHeaders | undefined,
  ) {
    this.last = typeof headers === 'function' || headers === undefined ? {} : clean(headers, 'options.headers');
  }

  /** The request as it goes out now, with the headers last resolved (for keepalive requests prepared ahead). */
  complete(req: SyncRequest): SyncRequest {
    return { ...req, headers: { ...this.last, ...req.headers } };
  }

  /**
   * One request. Resolves with the answer (any status); rejects when no
   * answer came: network error, timeout (TimeoutError), abort, or a headers
   * function that threw.
   */
  async send(req: SyncRequest): Promise<Answer> {
    const c = new AbortController();
    this.inflight.add(c);
    const timer = setTimeout(() => c.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError')), this.timeoutMs);
    try {
      // Under the same timeout and abort: a headers function that never settles must not stall the outbox.
      if (typeof this.headers === 'function') this.last = clean(await Promise.race([this.headers(), aborted(c.signal)]), 'options.headers()');
      const res = await this.fetchFn(req.url, { method: req.method, headers: { ...this.last, ...req.headers }, body: req.body, signal: c.signal });
      // Read the body under the same timeout: a stalled body is a failed delivery.
      return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(c);
    }
  }

  /** Aborts every request in flight (offline, stop); they fail and stay in the outbox. */
  abortAll(reason: string): void {
    for (const c of this.inflight) c.abort(new DOMException(reason, 'AbortError'));
  }
}

/** A promise that rejects with the signal's reason once it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/**
 * Hands a pagehide flush to the browser: fetch with keepalive (keeps headers
 * and PUT). Returns how many requests were handed over; their answers are
 * never read, so everything stays in the outbox and the next session re-sends
 * it (json receivers drop it by key, cumulative formats carry the same totals).
 * Callable on the main thread with requests a worker prepared (beaconRequests()).
 *
 * No navigator.sendBeacon fallback: a beacon is a keepalive fetch too
 * (https://w3c.github.io/beacon/#sec-processing-model) and shares its 64 KiB
 * in-flight quota, so it cannot go where fetch was refused; and fetch reports
 * that refusal as a rejected promise, never synchronously, too late to choose.
 */
export function sendKeepalive(requests: readonly SyncRequest[], env: { fetch?: typeof fetch } = {}): number {
  const f = env.fetch ?? globalThis.fetch?.bind(globalThis);
  if (!f) return 0;
  let sent = 0;
  for (const r of requests) {
    try {
      f(r.url, { method: r.method, headers: r.headers, body: r.body, keepalive: true, credentials: 'omit' }).catch(() => undefined);
      sent++;
    } catch {
      // A fetch polyfill may throw synchronously: the request stays in the outbox.
    }
  }
  return sent;
}
