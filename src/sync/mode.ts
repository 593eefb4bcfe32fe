// The interface between the engine (when and whether to send) and a delivery
// mode (what to send, and what an answer does to the outbox). Two modes:
// delta.ts ('json': each window once, under its idempotency key) and
// cumulative.ts ('otlp', 'prometheus': the device's totals per series).
import type { SyncEvent, SyncRequest } from './types.js';

/** One request's worth of a plan. */
export interface Part {
  request: SyncRequest;
  /** UTF-8 size of the body. */
  bytes: number;
  /**
   * Smaller parts that together deliver the same (for a request over the
   * size cap, a 413, or a refusal to narrow down), or null when it cannot be
   * cut: one entry, one series at its most compact.
   */
  split(): Part[] | null;
  /** The endpoint took it (2xx): record that; returns the summaries now delivered. */
  accept(status: number, body: string): Promise<number>;
  /** The endpoint will never take it and it cannot be cut: quarantine what it carries; returns how many entries. */
  refuse(status: number | undefined, reason: string): Promise<number>;
}

/** What to send for the outbox as it is now. */
export interface Plan {
  parts: Part[];
  /** Every part was accepted or refused: commit the round; returns the summaries now delivered. */
  finish(): Promise<number>;
}

/** Limits a plan must respect. */
export interface PlanLimits {
  /** Most summaries in one request. */
  batchSize: number;
  /** Smallest form of every request (the pagehide flush). */
  compact?: boolean;
}

/** A delivery mode. */
export interface DeliveryMode {
  plan(limits: PlanLimits): Plan;
  /** Applies the full-outbox policy; reports what it did through emit. */
  shrink(maxEntries: number, emit: (e: SyncEvent) => void): Promise<void>;
}
