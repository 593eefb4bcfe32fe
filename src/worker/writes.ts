// Batches the engine could not write are kept, retried and, past a bound,
// handed back: the trust rule "nothing is dropped silently". The main thread
// transferred the batch's buffers, so once a write fails the engine holds the
// only copy of those rows; rejecting the call alone would lose them.
//
// A failure is retried when a later attempt can succeed: the connection was
// closed under us (another tab's upgrade or deleteDatabase fires
// `versionchange`; the browser may terminate it), and the engine reopens it
// before the next attempt;
// the quota ran out (each attempt goes through the store's own quota path,
// which folds the oldest rows away first); an IndexedDB transaction aborted
// (AbortError, UnknownError; Firefox may throw InvalidStateError right after
// a quota abort). A rejected batch (InputError), a newer schema in another tab
// (VERSION_BLOCKED) or an engine that is closing cannot be fixed by waiting:
// those batches are handed back at once.

import { InputError, ModelwatchError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { StoreError } from '../store/index.js';
import type { ErrorInfo, IngestBatch, LabelIngest, Plain, WriteFailedEvent, WriteRetry } from './protocol.js';

/** One batch to write. */
export type WriteJob = { kind: 'predictions'; batch: IngestBatch } | { kind: 'labels'; batch: LabelIngest };

/** What the kept writes need from the engine. */
export interface WriteHooks {
  /** One attempt at writing the job (a job keeps what earlier attempts finished). */
  attempt(): Promise<void>;
  /** Receives a batch that is given up on. */
  handBack(event: WriteFailedEvent): void;
}

const TRANSIENT_CODES: readonly ErrorCode[] = ['QUOTA_EXCEEDED', 'STORE_CLOSED', 'STORE_FAILED'];
/** Platform errors of a transaction that a later transaction may not meet. */
const TRANSIENT_NAMES = ['QuotaExceededError', 'AbortError', 'UnknownError', 'InvalidStateError', 'TransactionInactiveError', 'TimeoutError'];
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 30_000;

/** Whether a later attempt at the same write may succeed. */
export function isTransient(e: unknown): boolean {
  if (e instanceof InputError) return false;
  if (e instanceof ModelwatchError) return TRANSIENT_CODES.includes(e.code);
  return typeof e === 'object' && e !== null && TRANSIENT_NAMES.includes((e as { name?: unknown }).name as string);
}

/** An error as plain data (name, code, message). */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) {
    const info: ErrorInfo = { name: e.name, message: e.message };
    if (e instanceof ModelwatchError) info.code = e.code;
    return info;
  }
  return { name: 'Error', message: String(e) };
}

/**
 * A StoreEvent (or any event) as plain data: every Error field becomes an
 * ErrorInfo, field by field, without a list of event types to keep up to date.
 */
export function plainEvent<E extends object>(event: E): Plain<E> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) out[k] = v instanceof Error ? errorInfo(v) : v;
  return out as Plain<E>;
}

/** The failed batches of one engine: each retried with backoff, within bounds, then handed back. */
export class KeptWrites {
  /** Rows of batches waiting for a retry. */
  private keptRows = 0;
  private stopped = false;
  /** Wakes the batches waiting for a retry (on stop). */
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly bounds: WriteRetry) {}

  /** Rows waiting for a retry now. */
  get waiting(): number {
    return this.keptRows;
  }

  /**
   * Writes a job: resolves once it is written; after its last attempt hands
   * it back and rejects with StoreError WRITE_FAILED (the failure as cause).
   */
  async run(job: WriteJob, hooks: WriteHooks): Promise<void> {
    const rows = job.batch.id.length;
    let attempts = 0;
    let kept = false;
    try {
      for (;;) {
        attempts++;
        let failure: unknown;
        try {
          await hooks.attempt();
          return;
        } catch (e) {
          failure = e;
        }
        if (this.stopped || attempts >= this.bounds.attempts || !isTransient(failure)) throw this.giveUp(job, rows, attempts, failure, hooks);
        if (!kept) {
          if (this.keptRows + rows > this.bounds.maxRows) {
            const full = new StoreError('WRITE_FAILED', `${this.keptRows} rows already wait for a retry (writeRetry.maxRows ${this.bounds.maxRows})`, { cause: failure });
            throw this.giveUp(job, rows, attempts, full, hooks);
          }
          kept = true;
          this.keptRows += rows;
        }
        await this.sleep(Math.min(MAX_BACKOFF_MS, this.bounds.backoffMs * 2 ** (attempts - 1)));
        if (this.stopped) throw this.giveUp(job, rows, attempts, failure, hooks);
      }
    } finally {
      if (kept) this.keptRows -= rows;
    }
  }

  /** No more retries: batches waiting for one are handed back now. */
  stop(): void {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private giveUp(job: WriteJob, rows: number, attempts: number, failure: unknown, hooks: WriteHooks): StoreError {
    const error = errorInfo(failure);
    hooks.handBack({ type: 'write-failed', rows, attempts, error, ...job });
    const what = job.kind === 'predictions' ? 'prediction rows' : 'labels';
    const why = this.stopped ? 'the monitor is closing' : `${error.code ?? error.name}: ${error.message}`;
    return new StoreError(
      'WRITE_FAILED',
      `${rows} ${what} were not written after ${attempts} attempt${attempts === 1 ? '' : 's'} (${why}); they were handed back in a 'write-failed' event (monitor.on)`,
      { cause: failure },
    );
  }
}
