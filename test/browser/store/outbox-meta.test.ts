// The store's atomic outbox commit and its app meta values, in Chromium's real
// IndexedDB: records queued, records removed and meta values written by one
// commitOutbox are all there or none of them is, seen from a second
// connection; app keys never touch the store's own bookkeeping.
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, openStore, StoreError } from '../../../src/index.js';
import type { NewOutboxRecord, OutboxCommit, Store } from '../../../src/index.js';
import { drop, freshName } from './helpers.js';

const T0 = Date.UTC(2024, 2, 1);
const opened: Store[] = [];
const names: string[] = [];

async function fresh(tag: string): Promise<{ s: Store; name: string }> {
  const name = freshName(tag);
  names.push(name);
  const s = await openStore({ name });
  opened.push(s);
  return { s, name };
}

/** What another connection (as after a reload) sees: outbox payloads and the meta values of `keys`. */
async function seen(name: string, keys: string[]): Promise<{ payloads: unknown[]; meta: Record<string, unknown> }> {
  const other = await openStore({ name });
  try {
    const payloads = (await other.outbox(1000)).map((r) => r.payload);
    const meta: Record<string, unknown> = {};
    for (const k of keys) meta[k] = await other.getMeta(k);
    return { payloads, meta };
  } finally {
    other.close();
  }
}

const rec = (payload: unknown): NewOutboxRecord => ({ createdAt: T0, destination: 'd', payload });

afterEach(async () => {
  for (const s of opened.splice(0)) s.close();
  for (const n of names.splice(0)) await drop(n);
});

describe('commitOutbox', () => {
  it('queues, removes and writes meta together; returns the new sequence numbers in order', async () => {
    const { s, name } = await fresh('commit');
    const [a, b] = await s.commitOutbox({ add: [rec('a'), rec('b')], meta: { cursor: 10 } });
    expect(b).toBe(a! + 1);
    const seqs = await s.commitOutbox({ add: [rec('c'), rec('d'), rec('e')], remove: [a!], meta: { cursor: 20, note: { x: [1, 2] } } });
    expect(seqs).toHaveLength(3);
    expect(seqs[0]).toBeGreaterThan(b!);
    expect(seqs.slice(1)).toEqual([seqs[0]! + 1, seqs[0]! + 2]);
    expect((await s.outbox()).map((r) => [r.seq, r.payload, r.attempts])).toEqual([
      [b, 'b', 0], [seqs[0], 'c', 0], [seqs[1], 'd', 0], [seqs[2], 'e', 0],
    ]);
    expect(await seen(name, ['cursor', 'note'])).toEqual({ payloads: ['b', 'c', 'd', 'e'], meta: { cursor: 20, note: { x: [1, 2] } } });
    // Meta alone, and an empty commit (no transaction at all).
    expect(await s.commitOutbox({ meta: { cursor: 30 } })).toEqual([]);
    expect(await s.commitOutbox({})).toEqual([]);
    expect(await s.getMeta('cursor')).toBe(30);
  });

  it('a value that cannot be cloned fails the whole commit: no record queued or removed, no meta written', async () => {
    const { s, name } = await fresh('commit-clone');
    const [keep] = await s.commitOutbox({ add: [rec('keep')], meta: { cursor: 1 } });
    // The adds and the removal are issued before the meta write fails.
    const bad: OutboxCommit = { add: [rec('new1'), rec('new2')], remove: [keep!], meta: { cursor: 2, fn: () => 1 } };
    const e = await s.commitOutbox(bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: 'STORE_FAILED' });
    expect(await seen(name, ['cursor', 'fn'])).toEqual({ payloads: ['keep'], meta: { cursor: 1, fn: undefined } });
    // An outbox record that cannot be cloned, with a valid meta value: neither is written.
    await expect(s.commitOutbox({ add: [rec(Symbol('x'))], meta: { cursor: 3 } })).rejects.toBeInstanceOf(StoreError);
    expect(await seen(name, ['cursor'])).toEqual({ payloads: ['keep'], meta: { cursor: 1 } });
    // The connection stays usable.
    await s.commitOutbox({ add: [rec('after')], meta: { cursor: 4 } });
    expect(await seen(name, ['cursor'])).toEqual({ payloads: ['keep', 'after'], meta: { cursor: 4 } });
  });

  it('a request that fails inside IndexedDB aborts the transaction: nothing is written', async () => {
    const { s, name } = await fresh('commit-abort');
    const [first] = await s.commitOutbox({ add: [rec('first'), rec('second')], meta: { cursor: 1 } });
    // A record whose key is taken: IndexedDB refuses the add (ConstraintError) after the other requests were made.
    const clash = { ...rec('clash'), seq: first } as NewOutboxRecord;
    const e = await s.commitOutbox({ add: [rec('new'), clash], remove: [first! + 1], meta: { cursor: 2, other: 'x' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).cause).toMatchObject({ name: 'ConstraintError' });
    expect(await seen(name, ['cursor', 'other'])).toEqual({ payloads: ['first', 'second'], meta: { cursor: 1, other: undefined } });
  });

  it('enqueue and acknowledge are one-part commits', async () => {
    const { s } = await fresh('commit-compat');
    const k1 = await s.enqueue(rec(1));
    const k2 = await s.enqueue(rec(2));
    expect(k2).toBe(k1 + 1);
    await s.acknowledge([k1]);
    expect((await s.outbox()).map((r) => r.payload)).toEqual([2]);
  });

  it('rejects bad input with a typed error before anything is written', async () => {
    const { s, name } = await fresh('commit-input');
    const bad: [unknown, string, string][] = [
      [null, 'INVALID_OPTION', 'commit'],
      [{ add: rec('x') }, 'INVALID_OPTION', 'commit.add'],
      [{ remove: 3 }, 'INVALID_OPTION', 'commit.remove'],
      [{ add: [rec('x')], remove: [1, 2.5] }, 'INVALID_ID', 'commit.remove[1]'],
      [{ add: [rec('x')], remove: [0] }, 'INVALID_ID', 'commit.remove[0]'],
      [{ add: [rec('x')], meta: { '': 1 } }, 'INVALID_OPTION', 'commit.meta'],
    ];
    for (const [commit, code, argument] of bad) {
      const e = await s.commitOutbox(commit as OutboxCommit).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect(e).toMatchObject({ code, argument });
    }
    expect(await seen(name, [])).toEqual({ payloads: [], meta: {} });
  });
});

describe('getMeta / setMeta', () => {
  it('stores cloneable values; undefined deletes; app keys stay apart from the store', async () => {
    const { s, name } = await fresh('meta');
    expect(await s.getMeta('baseline')).toBeUndefined();
    await s.setMeta('baseline', { accuracy: 0.9, f1Score: 0.85 });
    await s.setMeta('cleared', null);
    expect(await seen(name, ['baseline', 'cleared'])).toEqual({ payloads: [], meta: { baseline: { accuracy: 0.9, f1Score: 0.85 }, cleared: null } });
    await s.setMeta('baseline', undefined);
    expect(await s.getMeta('baseline')).toBeUndefined();
    // The store keeps its next id block under 'nextBlock': an app key of that name is another value.
    const block = await s.reserveIdBlock();
    expect(await s.getMeta('nextBlock')).toBeUndefined();
    await s.setMeta('nextBlock', 1);
    expect(await s.reserveIdBlock()).toBe(block + 1);
    expect(await s.getMeta('nextBlock')).toBe(1);
  });

  it('rejects empty keys and values that cannot be cloned', async () => {
    const { s } = await fresh('meta-bad');
    await expect(s.setMeta('', 1)).rejects.toMatchObject({ name: 'InputError', code: 'INVALID_OPTION', argument: 'key' });
    await expect(s.getMeta(3 as unknown as string)).rejects.toMatchObject({ name: 'InputError', argument: 'key' });
    await expect(s.setMeta('k', () => 1)).rejects.toBeInstanceOf(StoreError);
    expect(await s.getMeta('k')).toBeUndefined();
  });
});
