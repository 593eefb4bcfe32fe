// The retry policy of batches the engine could not write (issue #10, item 5),
// driven by the platform's own errors (DOMException QuotaExceededError,
// AbortError) and the store's: transient failures are retried with backoff,
// anything else, or a batch past the bounds, is handed back with its rows.
// The same policy behind a real IndexedDB is in writes.test.ts.
import { describe, expect, it } from 'vitest';
import { InputError, StoreError } from '../../../src/index.js';
import { KeptWrites, errorInfo, isTransient, plainEvent } from '../../../src/worker/writes.js';
import type { WriteJob } from '../../../src/worker/writes.js';
import type { WriteFailedEvent } from '../../../src/worker/protocol.js';

function job(rows: number, first = 0): WriteJob {
  const id = Float64Array.from({ length: rows }, (_, i) => first + i);
  return { kind: 'labels', batch: { id, label: new Float64Array(rows).fill(1), labeledAt: new Float64Array(rows).fill(5) } };
}

/** An attempt that fails with the given errors in turn, then succeeds. */
function failing(...errors: unknown[]): { attempt: () => Promise<void>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    attempt: async () => {
      calls.push(performance.now());
      const e = errors[calls.length - 1];
      if (e !== undefined) throw e;
    },
  };
}

const quota = () => new DOMException('quota', 'QuotaExceededError');
const abort = () => new DOMException('aborted', 'AbortError');

describe('kept writes', () => {
  it('retries transient failures with doubling backoff and hands nothing back when a retry succeeds', async () => {
    const w = new KeptWrites({ attempts: 4, backoffMs: 20, maxRows: 100 });
    const handed: WriteFailedEvent[] = [];
    const f = failing(quota(), new StoreError('STORE_CLOSED', 'closed by versionchange'), abort());
    await w.run(job(3), { attempt: f.attempt, handBack: (e) => handed.push(e) });
    expect(f.calls).toHaveLength(4);
    expect(handed).toEqual([]);
    expect(w.waiting).toBe(0);
    // Waits of 20, 40 and 80 ms between the attempts (timers may only be late).
    const gaps = f.calls.slice(1).map((t, i) => t - f.calls[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
  });

  it('hands the batch back after the last attempt, with its rows, and rejects with WRITE_FAILED', async () => {
    const w = new KeptWrites({ attempts: 3, backoffMs: 1, maxRows: 100 });
    const handed: WriteFailedEvent[] = [];
    const j = job(5, 100);
    const f = failing(abort(), abort(), quota(), undefined);
    const err = await w.run(j, { attempt: f.attempt, handBack: (e) => handed.push(e) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('WRITE_FAILED');
    expect((err as StoreError).message).toMatch(/5 labels were not written after 3 attempts \(QuotaExceededError: quota\)/);
    expect(f.calls).toHaveLength(3);
    expect(handed).toHaveLength(1);
    const e = handed[0]!;
    expect(e).toMatchObject({ type: 'write-failed', kind: 'labels', rows: 5, attempts: 3, error: { name: 'QuotaExceededError', message: 'quota' } });
    expect(Array.from(e.batch.id)).toEqual([100, 101, 102, 103, 104]);
    expect(e.batch).toBe(j.batch);
    // The event crosses a worker boundary whole.
    expect(structuredClone(e)).toEqual(e);
  });

  it('hands back at once what no retry can fix: a rejected batch, a newer schema, an unknown error', async () => {
    for (const failure of [
      new InputError('DUPLICATE_ID', 'batch.id[3]', 'id 7 occurs twice'),
      new StoreError('VERSION_BLOCKED', 'written by a newer schema'),
      new DOMException('cannot clone', 'DataCloneError'),
      new TypeError('bug'),
    ]) {
      const w = new KeptWrites({ attempts: 5, backoffMs: 1000, maxRows: 100 });
      const handed: WriteFailedEvent[] = [];
      const f = failing(failure);
      await expect(w.run(job(2), { attempt: f.attempt, handBack: (e) => handed.push(e) })).rejects.toMatchObject({ code: 'WRITE_FAILED' });
      expect(f.calls).toHaveLength(1);
      expect(handed[0]!.error).toEqual(errorInfo(failure));
    }
  });

  it('keeps at most maxRows for retry: a batch beyond it is handed back at once', async () => {
    const w = new KeptWrites({ attempts: 3, backoffMs: 50, maxRows: 10 });
    const handed: WriteFailedEvent[] = [];
    const a = failing(abort());
    const first = w.run(job(8), { attempt: a.attempt, handBack: (e) => handed.push(e) });
    await expect.poll(() => w.waiting).toBe(8);
    const b = failing(abort());
    await expect(w.run(job(5, 50), { attempt: b.attempt, handBack: (e) => handed.push(e) })).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    expect(handed.map((e) => e.rows)).toEqual([5]);
    expect(handed[0]!.error.message).toMatch(/maxRows 10/);
    await first;
    expect(w.waiting).toBe(0);
  });

  it('stop() hands back the batches waiting for a retry without waiting out their backoff', async () => {
    const w = new KeptWrites({ attempts: 5, backoffMs: 60_000, maxRows: 100 });
    const handed: WriteFailedEvent[] = [];
    const f = failing(abort());
    const run = w.run(job(4), { attempt: f.attempt, handBack: (e) => handed.push(e) });
    await expect.poll(() => w.waiting).toBe(4);
    w.stop();
    await expect(run).rejects.toThrow(/monitor is closing/);
    expect(handed).toHaveLength(1);
    expect(f.calls).toHaveLength(1);
  });

  it('classifies errors and turns store events into plain data', () => {
    expect(isTransient(quota())).toBe(true);
    expect(isTransient(new StoreError('QUOTA_EXCEEDED', 'full'))).toBe(true);
    expect(isTransient(new StoreError('STORE_FAILED', 'aborted'))).toBe(true);
    expect(isTransient(new StoreError('IDS_EXHAUSTED', 'x'))).toBe(false);
    expect(isTransient(new InputError('NON_FINITE', 'x', 'y'))).toBe(false);
    const e = plainEvent({ type: 'quota-exceeded' as const, error: new StoreError('QUOTA_EXCEEDED', 'storage quota of this origin is exhausted') });
    expect(e).toEqual({ type: 'quota-exceeded', error: { name: 'StoreError', code: 'QUOTA_EXCEEDED', message: 'storage quota of this origin is exhausted' } });
    expect(structuredClone(e)).toEqual(e);
    const ids = Float64Array.of(1, 2);
    expect(plainEvent({ type: 'orphan-labels' as const, count: 2, ids })).toEqual({ type: 'orphan-labels', count: 2, ids });
  });
});
