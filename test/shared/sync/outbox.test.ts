// The engine's outbox writes are single commits (MemoryOutbox here; the
// IndexedDB store in test/browser/store/outbox-meta.test.ts): add() moves the
// caller's meta values with the summaries it queues, and a delivered state
// replaces the entries folded into it in the same commit.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, MemoryOutbox, SyncEngine } from '../../../src/index.js';
import type { OutboxCommit, Summary } from '../../../src/index.js';
import { deviceSummaries } from './fixtures.js';

beforeAll(async () => {
  await init();
});

/** A MemoryOutbox that records every commit it applies. */
function recording(): { store: MemoryOutbox; commits: OutboxCommit[] } {
  const store = new MemoryOutbox();
  const commits: OutboxCommit[] = [];
  const real = store.commitOutbox.bind(store);
  store.commitOutbox = async (c: OutboxCommit) => {
    const seqs = await real(c);
    commits.push(c);
    return seqs;
  };
  return { store, commits };
}

const ok = (async () => new Response('{}', { status: 200 })) as typeof fetch;

describe('MemoryOutbox.commitOutbox', () => {
  it('applies all of a commit or none of it', async () => {
    const store = new MemoryOutbox();
    const [a] = await store.commitOutbox({ add: [{ createdAt: 0, destination: 'd', payload: 'a' }], meta: { cursor: 1 } });
    await expect(store.commitOutbox({ add: [{ createdAt: 0, destination: 'd', payload: 'b' }], remove: [a!], meta: { cursor: 2, f: () => 1 } })).rejects.toThrow();
    expect((await store.outbox()).map((r) => r.payload)).toEqual(['a']);
    expect(await store.getMeta('cursor')).toBe(1);
    const seqs = await store.commitOutbox({ add: [{ createdAt: 0, destination: 'd', payload: 'b' }, { createdAt: 0, destination: 'd', payload: 'c' }], remove: [a!], meta: { cursor: undefined } });
    expect(seqs).toEqual([a! + 1, a! + 2]);
    expect((await store.outbox()).map((r) => r.payload)).toEqual(['b', 'c']);
    expect(await store.getMeta('cursor')).toBeUndefined();
  });
});

describe('SyncEngine outbox commits', () => {
  it('add() queues the summaries and the meta values in one commit; a bad summary writes neither', async () => {
    const { store, commits } = recording();
    const e = new SyncEngine(store, { endpoint: 'https://x.example', format: 'json', deviceId: 'd', events: null, locks: null, fetch: ok });
    const sums = deviceSummaries(1, 0, 80);
    await e.add(sums, { meta: { cursor: 60_000 } });
    expect(commits).toHaveLength(1);
    expect(commits[0]!.add).toHaveLength(sums.length);
    expect(commits[0]!.meta).toEqual({ cursor: 60_000 });
    expect(await store.getMeta('cursor')).toBe(60_000);
    // A summary that does not validate is refused before the outbox is touched.
    const bad = { ...sums[0]!, count: -1 } as Summary;
    await expect((async () => e.add([sums[0]!, bad], { meta: { cursor: 120_000 } }))()).rejects.toMatchObject({ name: 'InputError', code: 'INVALID_SUMMARY' });
    expect(commits).toHaveLength(1);
    expect(await store.getMeta('cursor')).toBe(60_000);
    // No summaries (an empty window): the meta value still moves.
    await e.add([], { meta: { cursor: 180_000 } });
    expect(await store.getMeta('cursor')).toBe(180_000);
    expect(store.size).toBe(sums.length);
  });

  it.each(['prometheus', 'otlp'] as const)('%s: the delivered state replaces the folded entries in one commit', async (format) => {
    const { store, commits } = recording();
    const e = new SyncEngine(store, { endpoint: 'https://x.example/v1/metrics', format, deviceId: 'd', events: null, locks: null, fetch: ok });
    const sums = [...deviceSummaries(2, 0, 60), ...deviceSummaries(2, 1, 60)];
    await e.add(sums);
    const queued = (await store.outbox()).map((r) => r.seq);
    commits.length = 0;
    expect(await e.flush()).toMatchObject({ delivered: sums.length, pending: 0 });
    expect(commits).toHaveLength(1);
    expect(commits[0]!.add).toHaveLength(1);
    expect((commits[0]!.add![0]!.payload as { kind: string; upTo: number }).kind).toBe('state');
    expect((commits[0]!.add![0]!.payload as { upTo: number }).upTo).toBe(Math.max(...(queued as number[])));
    expect(commits[0]!.remove).toEqual(queued);
    // What stays: the state record alone.
    expect((await store.outbox()).map((r) => (r.payload as { kind: string }).kind)).toEqual(['state']);
  });
});

describe('the pagehide flush of a Prometheus device', () => {
  it('fits the keepalive budget: one compact PUT per series group (spec buckets only, same exact totals)', async () => {
    const store = new MemoryOutbox();
    const e = new SyncEngine(store, { endpoint: 'https://x.example', format: 'prometheus', deviceId: 'd', events: null, locks: null, fetch: ok });
    // Wide latencies over several segments: the full push is far above 60 KB.
    await e.add([...deviceSummaries(3, 0, 2000), ...deviceSummaries(3, 1, 2000), ...deviceSummaries(4, 0, 2000, 'churn', 'v2')]);
    const reqs = e.beaconRequests();
    const bytes = reqs.reduce((s, r) => s + new TextEncoder().encode(r.body).length, 0);
    expect(bytes).toBeLessThanOrEqual(60_000);
    // First the clean-up of the one-group-per-device layout (an empty PUT), then a PUT per (model, version, segment).
    expect(reqs[0]).toMatchObject({ method: 'PUT', url: 'https://x.example/metrics/job/modelwatch/device/d', body: '' });
    const puts = reqs.slice(1);
    expect(puts.every((r) => r.method === 'PUT')).toBe(true);
    expect(new Set(puts.map((r) => r.url)).size).toBe(puts.length);
    for (const r of puts) expect(r.url).toMatch(/^https:\/\/x\.example\/metrics\/job\/modelwatch\/device\/d\/model\/churn\/version\/v[12]\/segment(@base64)?\/.+$/);
    const total = (text: string): number => text.split('\n')
      .filter((l) => l.startsWith('modelwatch_predictions_total'))
      .reduce((t, l) => t + Number(l.split(' ').at(-1)), 0);
    expect(puts.reduce((t, r) => t + total(r.body), 0)).toBe(6000);
    for (const r of puts) {
      // The spec chapter's buckets are there; the fine grid is not.
      expect(r.body).toMatch(/modelwatch_latency_seconds_bucket\{[^}]*le="0\.025"/);
      expect(r.body.split('\n').filter((l) => l.startsWith('modelwatch_latency_seconds_bucket')).length).toBeLessThan(20);
    }
  });
});
