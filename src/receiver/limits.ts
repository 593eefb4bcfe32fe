// Request rate per device: a token bucket each (rate per second, burst),
// in a map bounded by the number of devices a receiver remembers. A bucket
// that has refilled holds no information, so it is the first to go.

/** Token buckets keyed by device. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxEntries: number,
  ) {}

  /**
   * Takes one token for `id` at time `now` (ms): 0 if there was one, else the
   * seconds until there will be (a Retry-After value, at least 1).
   */
  take(id: string, now: number): number {
    let b = this.buckets.get(id);
    if (!b) {
      if (this.buckets.size >= this.maxEntries) this.prune(now);
      // Still full of active devices: a new one waits like a rate-limited one.
      if (this.buckets.size >= this.maxEntries) return Math.ceil(1 / this.perSecond);
      this.buckets.set(id, (b = { tokens: this.burst, at: now }));
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  /** Buckets in memory. */
  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(id);
    }
  }
}
