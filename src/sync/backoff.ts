// Retry timing: exponential backoff with jitter, and Retry-After.

/**
 * Delay before retry number `attempt` (1 = first retry): base * 2^(attempt-1)
 * capped at max, then "equal jitter" (half fixed, half random) so that a fleet
 * that failed together does not retry together, yet no retry comes at once.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  return ceiling / 2 + (ceiling / 2) * random();
}

/**
 * Milliseconds a Retry-After header asks to wait (RFC 9110 §10.2.3: delay
 * seconds or an HTTP date); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
