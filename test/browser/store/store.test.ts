import { afterEach, describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { IdAllocator, InputError, StoreError, openStore } from '../../../src/index.js';
import type { FoldBatch, Store, StoreEvent } from '../../../src/index.js';
import { drop, freshName, labels, latest, predictions, rng, rowsOf } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1);

const open: Store[] = [];
const names: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  for (const n of names.splice(0)) await drop(n);
});

async function fresh(tag: string, options: Parameters<typeof openStore>[0] = {}): Promise<Store> {
  const name = freshName(tag);
  names.push(name);
  const s = await openStore({ name, ...options });
  open.push(s);
  return s;
}

/** A fold that persists real counts and sums per hourly window in the store's summaries. */
function countingFold(get: () => Store) {
  const folded: number[] = [];
  const fold = async (b: FoldBatch) => {
    const s = get();
    const byWindow = new Map<number, { rows: number; labeled: number; scoreSum: number; errors: number }>();
    for (let i = 0; i < b.predictions.id.length; i++) {
      const w = Math.floor(b.predictions.timestamp[i]! / HOUR) * HOUR;
      const acc = byWindow.get(w) ?? { rows: 0, labeled: 0, scoreSum: 0, errors: 0 };
      acc.rows++;
      acc.scoreSum += b.predictions.score[i]!;
      if (b.label[i] === b.label[i]) {
        acc.labeled++;
        if (b.label[i] !== b.predictions.prediction[i]) acc.errors++;
      }
      byWindow.set(w, acc);
      folded.push(b.predictions.id[i]!);
    }
    for (const [w, acc] of byWindow) {
      const prev = (await s.summaries({ model: b.predictions.model, version: b.predictions.version, from: w, to: w + 1 }))[0];
      const d = (prev?.data ?? { rows: 0, labeled: 0, scoreSum: 0, errors: 0 }) as typeof acc;
      await s.putSummary({
        model: b.predictions.model,
        version: b.predictions.version,
        windowStart: w,
        windowMs: HOUR,
        data: { rows: d.rows + acc.rows, labeled: d.labeled + acc.labeled, scoreSum: d.scoreSum + acc.scoreSum, errors: d.errors + acc.errors },
      });
    }
  };
  return { fold, folded };
}

describe('store round trips', () => {
  it('reads back every column, extras included, in id order, from an unsorted batch', async () => {
    const s = await fresh('rt', { storeFeatures: true });
    const r = rng(1);
    const ids = [50, 10, 40, 20, 30];
    const b = predictions(ids, (i) => T0 + ids[i]!, r);
    b.extras = {
      metadata: ids.map((id) => ({ tag: `m${id}` })),
      features: ids.map((id) => ({ x: id * 2 })),
      classScores: { classes: 2, values: Float64Array.from(ids.flatMap((id) => [id, -id])) },
      ranked: { offsets: Uint32Array.from([0, 1, 3, 3, 4, 6]), items: Float64Array.from([50, 10, 11, 20, 30, 31]) },
    };
    await s.putPredictions(b);
    await s.flush();
    const [chunk] = await s.readChunks({ model: 'm', from: T0, to: T0 + 100 });
    expect(chunk).toBeDefined();
    expect(Array.from(chunk!.id)).toEqual([10, 20, 30, 40, 50]);
    const byId = new Map(rowsOf(b).map((row) => [row.id, row]));
    chunk!.id.forEach((id, i) => {
      expect(chunk!.score[i]).toBe(byId.get(id)!.score);
      expect(chunk!.segments[chunk!.segment[i]!]).toBe(byId.get(id)!.segment);
      expect(chunk!.extras!.metadata![i]).toEqual({ tag: `m${id}` });
      expect(chunk!.extras!.features![i]).toEqual({ x: id * 2 });
      expect(Array.from(chunk!.extras!.classScores!.values.subarray(2 * i, 2 * i + 2))).toEqual([id, -id]);
    });
    // Ranked lists follow their rows: 50 -> [50], 10 -> [10, 11], 40 -> [], 20 -> [20], 30 -> [30, 31].
    const { offsets, items } = chunk!.extras!.ranked!;
    const lists = chunk!.id.reduce<number[][]>((acc, _id, i) => [...acc, Array.from(items.subarray(offsets[i]!, offsets[i + 1]!))], []);
    expect(lists).toEqual([[10, 11], [20], [30, 31], [], [50]]);
  });

  it('drops features unless the app opted in', async () => {
    const s = await fresh('nofeat');
    const b = predictions([1, 2], (i) => T0 + i, rng(2));
    b.extras = { features: [{ a: 1 }, { a: 2 }], metadata: [undefined, { k: 1 }] };
    await s.putPredictions(b);
    const [chunk] = await s.readChunks({ model: 'm', from: T0, to: T0 + 10 });
    expect(chunk!.extras!.features).toBeUndefined();
    expect(chunk!.extras!.metadata).toEqual([undefined, { k: 1 }]);
  });

  it('writing the same batch twice stores it once', async () => {
    const s = await fresh('idem');
    const b = predictions([7, 8, 9], (i) => T0 + i, rng(3));
    await s.putPredictions(b);
    await s.putPredictions(b);
    expect((await s.stats()).rows).toBe(3);
  });

  it('rejects bad batches with typed errors naming the argument', async () => {
    const s = await fresh('bad');
    const b = predictions([1, 2, 3], (i) => T0 + i, rng(4));
    const bad = (patch: object) => expect(s.putPredictions({ ...b, ...patch })).rejects;
    await bad({ id: Float64Array.from([1, 2, 2]) }).toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    await bad({ id: Float64Array.from([1, 2.5, 3]) }).toThrow(expect.objectContaining({ code: 'INVALID_ID', argument: 'batch.id[1]' }));
    await bad({ score: new Float64Array(2) }).toThrow(expect.objectContaining({ code: 'LENGTH_MISMATCH', argument: 'batch.score' }));
    await bad({ timestamp: Float64Array.from([1, NaN, 3]) }).toThrow(InputError);
    await bad({ segment: Uint16Array.from([0, 0, 9]) }).toThrow(expect.objectContaining({ argument: 'batch.segment[2]' }));
    await expect(s.putLabels(labels([1], [NaN], [T0]))).rejects.toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    await expect(s.readLabeled({ model: 'm', from: 2, to: 1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(openStore({ name: freshName('x'), maxAgeMs: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', argument: 'maxAgeMs' });
    await expect(openStore({ name: freshName('x'), now: 5 as unknown as () => number })).rejects.toMatchObject({ code: 'INVALID_OPTION', argument: 'now' });
  });
});

describe('labels, ranges and feedback delay', () => {
  it('joins the latest label per id, counts duplicates, filters by range and delay, matches a naive oracle', async () => {
    const s = await fresh('join');
    const r = rng(5);
    const alloc = await IdAllocator.create(() => s.reserveIdBlock());
    const all: ReturnType<typeof rowsOf> = [];
    const logged: { id: number; label: number; labeledAt: number; delay: number }[] = [];
    // 3 days of predictions of two versions, batches of 500, interleaved.
    for (let k = 0; k < 30; k++) {
      const version = k % 3 === 0 ? 'v2' : 'v1';
      const ids = alloc.fill(new Float64Array(500));
      const b = predictions(ids, () => T0 + Math.floor(r() * 3 * DAY), r, 'm', version);
      all.push(...rowsOf(b));
      void s.putPredictions(b);
    }
    // Other model's rows must never appear.
    void s.putPredictions(predictions(alloc.fill(new Float64Array(100)), () => T0 + DAY, r, 'other'));
    // Labels for ~70 %, some twice, some with a given delay, in batches of random ids.
    const byId = new Map(all.map((row) => [row.id, row]));
    const shuffled = [...all].sort(() => r() - 0.5);
    for (let start = 0; start < shuffled.length; start += 700) {
      const part = shuffled.slice(start, start + 700).filter(() => r() < 0.7);
      const ids: number[] = [];
      const ys: number[] = [];
      const at: number[] = [];
      const given: number[] = [];
      for (const row of part) {
        const times = r() < 0.1 ? 2 : 1;
        for (let t = 0; t < times; t++) {
          ids.push(row.id);
          ys.push(r() < 0.5 ? 1 : 0);
          at.push(row.timestamp + Math.floor(r() * 2 * HOUR));
          given.push(r() < 0.2 ? 5 * HOUR : NaN);
        }
      }
      ids.forEach((id, i) => logged.push({ id, label: ys[i]!, labeledAt: at[i]!, delay: Number.isNaN(given[i]) ? at[i]! - byId.get(id)!.timestamp : given[i]! }));
      void s.putLabels(labels(ids, ys, at, given));
    }
    await s.flush();
    const oracle = latest(logged);

    for (const q of [
      { model: 'm', version: 'v1', from: T0 + DAY / 2, to: T0 + 2 * DAY },
      { model: 'm', from: T0, to: T0 + 3 * DAY },
      { model: 'm', version: 'v2', from: T0, to: T0 + 3 * DAY, minFeedbackDelayMs: HOUR },
    ]) {
      const got = await s.readLabeled(q);
      const inRange = all.filter((row) => (q.version === undefined || row.version === q.version) && row.timestamp >= q.from && row.timestamp < q.to);
      const labeledRows = inRange.filter((row) => oracle.map.has(row.id));
      const eligible = labeledRows.filter((row) => oracle.map.get(row.id)!.delay >= (q.minFeedbackDelayMs ?? -Infinity));
      expect(got.coverage).toEqual({ predictions: inRange.length, labeled: labeledRows.length, eligible: eligible.length });
      expect(got.id.length).toBe(eligible.length);
      expect(eligible.length).toBeGreaterThan(100);
      const dupsInRange = logged.filter((l) => inRange.some((row) => row.id === l.id)).length - labeledRows.length;
      expect(got.duplicateLabels).toBe(dupsInRange);
      const seen = new Set<number>();
      got.id.forEach((id, i) => {
        seen.add(id);
        const row = byId.get(id)!;
        const l = oracle.map.get(id)!;
        expect(got.timestamp[i]).toBe(row.timestamp);
        expect(got.score[i]).toBe(row.score);
        expect(got.segments[got.segment[i]!]).toBe(row.segment);
        expect(got.versions[got.versionIndex[i]!]).toBe(row.version);
        expect(got.label[i]).toBe(l.label);
        expect(got.labeledAt[i]).toBe(l.labeledAt);
        expect(got.feedbackDelayMs[i]).toBe(l.delay);
      });
      expect(seen.size).toBe(eligible.length);
    }
  });

  it('coverage per window matches a count by hand', async () => {
    const s = await fresh('cov');
    const r = rng(6);
    const ids = Array.from({ length: 240 }, (_, i) => i + 1);
    const b = predictions(ids, (i) => T0 + i * 0.25 * HOUR, r); // 4 per hour, 60 hours
    await s.putPredictions(b);
    // Label the first k rows of hour h where k = h mod 5.
    const lab = ids.filter((id) => (id - 1) % 4 < Math.floor((id - 1) / 4) % 5);
    await s.putLabels(labels(lab, lab.map(() => 1), lab.map((id) => T0 + id * HOUR)));
    const c = await s.coverage({ model: 'm', from: T0, to: T0 + 10 * HOUR, windowMs: HOUR });
    expect(Array.from(c.predictions)).toEqual(Array(10).fill(4));
    expect(Array.from(c.labeled)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4].map((k) => Math.min(k, 4)));
    expect(c.ratio[3]).toBe(0.75);
  });

  it('holds labels of unknown ids as pending, joins them when the prediction comes, reports them after pendingLabelMs', async () => {
    const events: StoreEvent[] = [];
    // The store's clock, not the machine's: the pending period is judged to the millisecond.
    let clock = T0 + 100;
    const s = await fresh('orphan', { pendingLabelMs: HOUR, onEvent: (e) => events.push(e), now: () => clock });
    await s.putLabels(labels([101, 102, 103], [1, 0, 1], [T0 + 10, T0 + 10, T0 + 10]));
    // 101 arrives later (another tab's late flush): it joins.
    await s.putPredictions(predictions([101], () => T0, rng(7)));
    expect((await s.readLabeled({ model: 'm', from: T0, to: T0 + 1 })).coverage.labeled).toBe(1);
    // Before the pending period ends nothing is reported: written at T0 + 100, due at T0 + 100 + HOUR.
    expect(await s.reconcileLabels({ now: T0 + 99 + HOUR })).toEqual({ orphans: 0 });
    clock = T0 + 99 + HOUR;
    expect(await s.reconcileLabels()).toEqual({ orphans: 0 });
    clock = T0 + 100 + HOUR;
    const r = await s.reconcileLabels();
    expect(r.orphans).toBe(2);
    const e = events.find((x) => x.type === 'orphan-labels');
    expect(e && e.type === 'orphan-labels' && Array.from(e.ids)).toEqual([102, 103]);
    const st = await s.stats();
    expect(st).toMatchObject({ orphans: 2, labels: 1, pendingLabelChunks: 0 });
    expect((await s.readLabeled({ model: 'm', from: T0, to: T0 + 1 })).label[0]).toBe(1);
  });
});

describe('retention and compaction', () => {
  it('folds rows older than maxAgeMs or beyond maxRows into summaries before deleting them', async () => {
    // Every timestamp the store compares comes from the test: rows, labels and
    // the store's clock, which stamps when label chunks were written. (With
    // the machine's clock, label chunks written in the hour before the test's
    // `now` were not yet due for reconciliation, so none expired.)
    const B = T0;
    let clock = B;
    let store: Store | undefined;
    const { fold, folded } = countingFold(() => store!);
    const events: StoreEvent[] = [];
    const s = await fresh('ret', { maxAgeMs: 2 * DAY, maxRows: 2000, fold, onEvent: (e) => events.push(e), now: () => clock });
    store = s;
    const r = rng(8);
    const alloc = await IdAllocator.create(() => s.reserveIdBlock());
    const now = B + 10 * DAY;
    const all: ReturnType<typeof rowsOf> = [];
    // 10 batches of 300 rows, batch k at day k, labeled an hour later: days 0..7 are older than 2 days.
    for (let k = 0; k < 10; k++) {
      const b = predictions(alloc.fill(new Float64Array(300)), (i) => B + k * DAY + i * 1000, r);
      all.push(...rowsOf(b));
      await s.putPredictions(b);
      const half = Array.from(b.id).filter((_, i) => i % 2 === 0);
      clock = B + k * DAY + HOUR;
      await s.putLabels(labels(half, half.map((id) => id % 2), half.map(() => B + k * DAY + HOUR)));
    }
    // compact() without `now` runs at the store's clock.
    clock = now;
    const res = await s.compact();
    // Age rule: days 0..7 (t1 < now - 2 days) = 8 chunks; budget already met.
    expect(res.chunks).toBe(8);
    expect(res.rows).toBe(2400);
    expect(res.labelChunks).toBe(8);
    expect(folded.length).toBe(2400);
    const st = await s.stats();
    expect(st.rows).toBe(600);
    // Every raw row is either still stored or counted in a summary: nothing lost.
    const sums = await s.summaries({ model: 'm', version: 'v1' });
    const summarized = sums.reduce((acc, x) => acc + (x.data as { rows: number }).rows, 0);
    const labeledSummarized = sums.reduce((acc, x) => acc + (x.data as { labeled: number }).labeled, 0);
    expect(summarized + st.rows).toBe(all.length);
    expect(labeledSummarized).toBe(1200);
    const scoreSum = sums.reduce((acc, x) => acc + (x.data as { scoreSum: number }).scoreSum, 0);
    const expectedSum = all.filter((row) => row.timestamp < B + 8 * DAY).reduce((acc, row) => acc + row.score, 0);
    expect(scoreSum).toBeCloseTo(expectedSum, 9);
    expect(events.some((e) => e.type === 'compacted')).toBe(true);
    // Old label chunks went too; the rest still join.
    expect((await s.readLabeled({ model: 'm', from: B, to: now })).coverage).toEqual({ predictions: 600, labeled: 300, eligible: 300 });
    // Row budget: with maxRows 2000 and 3000 rows, the oldest 1000+ go even when young.
    const s2 = await fresh('budget', { maxRows: 1000, fold, now: () => clock });
    store = s2;
    for (let k = 0; k < 5; k++) await s2.putPredictions(predictions(alloc.fill(new Float64Array(300)), () => now - k * 1000, r));
    expect(await s2.compact({ now })).toMatchObject({ chunks: 2, rows: 600 });
    expect((await s2.stats()).rows).toBe(900);
  });

  it('never deletes without a fold function', async () => {
    const s = await fresh('nofold', { maxAgeMs: 1 });
    await s.putPredictions(predictions([1], () => T0, rng(9)));
    await expect(s.compact()).rejects.toMatchObject({ name: 'StoreError', code: 'NO_FOLD' });
    expect((await s.stats()).rows).toBe(1);
  });

  it('keeps rows whose fold failed', async () => {
    const s = await fresh('foldfail', {
      maxAgeMs: 1,
      fold: () => {
        throw new Error('disk of summaries broken');
      },
    });
    await s.putPredictions(predictions([1, 2], () => T0, rng(10)));
    await expect(s.compact()).rejects.toThrow('disk of summaries broken');
    expect((await s.stats()).rows).toBe(2);
  });
});

describe('ids, versions, lifecycle', () => {
  it('allocates unique increasing ids across allocators, blocks and reloads', async () => {
    const s = await fresh('ids');
    const a = await IdAllocator.create(() => s.reserveIdBlock());
    const b = await IdAllocator.create(() => s.reserveIdBlock());
    const seen = new Set<number>();
    let prev = -1;
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBeGreaterThan(prev);
      prev = x;
      seen.add(x);
      seen.add(b.next());
    }
    // Cross a block boundary synchronously.
    const big = a.fill(new Float64Array(2 ** 22 + 10));
    expect(big[big.length - 1]! - big[0]!).toBeGreaterThan(2 ** 22);
    await a.ready();
    for (let i = 1; i < big.length; i++) if (!(big[i]! > big[i - 1]!)) throw new Error(`not increasing at ${i}`);
    s.close();
    const again = await openStore({ name: s.name });
    open.push(again);
    const c = await IdAllocator.create(() => again.reserveIdBlock());
    const x = c.next();
    expect(seen.has(x)).toBe(false);
    expect(x).toBeGreaterThan(big[big.length - 1]!);
  });

  it('closes cleanly when another tab opens a newer schema version', async () => {
    const events: StoreEvent[] = [];
    const s = await fresh('vc', { onEvent: (e) => events.push(e) });
    const newer = await openDB(s.name, 99);
    newer.close();
    expect(s.isClosed).toBe(true);
    expect(events).toContainEqual({ type: 'closed', reason: 'versionchange' });
    await expect(s.putPredictions(predictions([1], () => T0, rng(11)))).rejects.toThrow(StoreError);
    await expect(s.stats()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    // And a store that meets that newer database refuses to downgrade it.
    await expect(openStore({ name: s.name })).rejects.toMatchObject({ code: 'VERSION_BLOCKED' });
  });

  it('reports VERSION_BLOCKED when an old connection elsewhere never lets the upgrade through', async () => {
    const name = freshName('blocked');
    names.push(name);
    const old = await openDB(name, 1, {
      upgrade: (db) => {
        db.createObjectStore('chunks', { keyPath: 'key' });
        db.createObjectStore('labels', { keyPath: 'id' });
        db.createObjectStore('meta');
      },
    });
    const events: StoreEvent[] = [];
    await expect(openStore({ name, blockedTimeoutMs: 300, onEvent: (e) => events.push(e) })).rejects.toMatchObject({
      name: 'StoreError',
      code: 'VERSION_BLOCKED',
    });
    expect(events).toContainEqual({ type: 'blocked' });
    old.close();
  });

  it('keeps alerts and the outbox', async () => {
    const s = await fresh('misc');
    await s.addAlert({ at: T0 + 5, model: 'm', version: 'v1', kind: 'accuracy-drop', data: { value: 0.7 } });
    await s.addAlert({ at: T0 + 1, model: 'm', version: 'v1', kind: 'coverage', data: null });
    expect((await s.alerts({ from: T0, to: T0 + 10 })).map((a) => a.kind)).toEqual(['coverage', 'accuracy-drop']);
    const k1 = await s.enqueue({ createdAt: T0, destination: 'otlp', payload: { a: 1 } });
    await s.enqueue({ createdAt: T0, destination: 'otlp', payload: { a: 2 } });
    await s.acknowledge([k1]);
    expect((await s.outbox()).map((o) => o.payload)).toEqual([{ a: 2 }]);
  });
});
