// Late-label corrections at the fleet receiver: accepted per device under
// their own keys (never a duplicate of the window, a retry of one is), merged
// into the fleet aggregate so it equals the windows built with all labels,
// and refused (CORRECTION_EXCEEDS_COUNT) when a device would have more labels
// than predictions in a series, even one other devices filled; the per-device
// tallies survive a restart.
import { describe, expect, it } from 'vitest';
import { encodeBatch, idempotencyKey, mergeAll, seriesKey, serializeSummary, summaryToJSON } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { createReceiver } from '../../../src/receiver/index.js';
import { lateSummaries } from '../../shared/sync/fixtures.js';
import { batchOf, receiverSuite } from './helpers.js';

const tempDir = receiverSuite('corrections');

/** A batch of corrections, each under the key the sender gives it with correction id `id`. */
function corrections(device: string, list: readonly Summary[], id: string): string {
  return encodeBatch(device, list.map((s) => ({ key: idempotencyKey(device, s, id), text: serializeSummary(s) })));
}

/** The fleet view without float sums (merge order changes their last bits). */
const view = (agg: Summary[]): string[] => agg.map((s) => JSON.stringify(summaryToJSON(s), (k, v: unknown) => (k === 'sum' || k === 'sumSq' ? undefined : v))).sort();

/** Every third row's label arrives late. */
const everyThird = (i: number): boolean => i % 3 === 0;

describe('receiver: late-label corrections', () => {
  it('windows at close plus their corrections give the fleet the windows with all labels; a retried correction counts once', async () => {
    const r = await createReceiver({ dir: null });
    const truth: Summary[] = [];
    for (let d = 0; d < 3; d++) {
      for (let w = 0; w < 4; w++) {
        const x = lateSummaries(d, w, 40, everyThird);
        expect(x.corrections.length).toBeGreaterThan(0);
        truth.push(...x.all);
        expect((await r.ingest(batchOf(`d${d}`, x.atClose))).accepted).toBe(x.atClose.length);
        const body = corrections(`d${d}`, x.corrections, `c${w}`);
        expect(await r.ingest(body)).toEqual({ accepted: x.corrections.length, duplicates: 0, rejected: [] });
        // The answer was lost; the device sends it again.
        expect(await r.ingest(body)).toEqual({ accepted: 0, duplicates: x.corrections.length, rejected: [] });
      }
    }
    const bySeries = new Map<string, Summary[]>();
    for (const s of truth) bySeries.set(seriesKey(s), [...(bySeries.get(seriesKey(s)) ?? []), s]);
    expect(view(r.aggregate())).toEqual(view([...bySeries.values()].map(mergeAll)));
    // Not a mere count check: the labels the corrections added are in the aggregate.
    const lateLabels = truth.reduce((t, s) => t + s.labeled, 0) - [0, 1, 2].flatMap((d) => [0, 1, 2, 3].flatMap((w) => lateSummaries(d, w, 40, everyThird).atClose)).reduce((t, s) => t + s.labeled, 0);
    expect(lateLabels).toBeGreaterThan(0);
    expect(r.aggregate().reduce((t, s) => t + s.labeled, 0)).toBe(truth.reduce((t, s) => t + s.labeled, 0));
  });

  it('a correction must arrive under a correction key, and a window under its own: neither can pose as the other', async () => {
    const r = await createReceiver({ dir: null });
    const x = lateSummaries(3, 0, 40, everyThird);
    await r.ingest(batchOf('d3', x.atClose));
    const c = x.corrections[0]!;
    const windowKey = idempotencyKey('d3', { ...c, kind: undefined });
    const under = (key: string, s: Summary): string => encodeBatch('d3', [{ key, text: serializeSummary(s) }]);
    // A correction under the window's key (a receiver that took it would drop the window's retries as duplicates).
    const a = await r.ingest(under(windowKey, c));
    expect(a.rejected.map((e) => [e.code, e.argument])).toEqual([['INVALID_SUMMARY', 'batch.entries[0].key']]);
    // A window under a correction key (it would dodge de-duplication with a fresh id each retry).
    const w = x.atClose.find((s) => s.segment === c.segment)!;
    const b = await r.ingest(under(`${windowKey}|correction|7`, w));
    expect(b.rejected.map((e) => e.code)).toEqual(['INVALID_SUMMARY']);
    // An empty or malformed id.
    for (const key of [`${windowKey}|correction|`, `${windowKey}|correction|%E0%A4%A`]) {
      expect((await r.ingest(under(key, c))).rejected.map((e) => e.code)).toEqual(['INVALID_SUMMARY']);
    }
    expect(view(r.aggregate())).toEqual(view(x.atClose));
  });

  it('two corrections of one window under different ids both count', async () => {
    const r = await createReceiver({ dir: null });
    // Half the late labels at one close, the rest at the next.
    const first = lateSummaries(0, 0, 60, (i) => i % 4 === 0);
    const both = lateSummaries(0, 0, 60, (i) => i % 4 === 0 || i % 4 === 1);
    const second = lateSummaries(0, 0, 60, (i) => i % 4 === 1);
    await r.ingest(batchOf('d0', both.atClose));
    await r.ingest(corrections('d0', first.corrections, '1'));
    await r.ingest(corrections('d0', second.corrections, '2'));
    expect(view(r.aggregate())).toEqual(view(both.all));
  });

  it('a device cannot use corrections to push labels past its own predictions, even in a series others filled', async () => {
    const r = await createReceiver({ dir: null });
    // 300 rows: a fifth unlabeled (the room left in each series), a third of the labeled ones late.
    const honest = lateSummaries(0, 0, 300, everyThird);
    await r.ingest(batchOf('honest', honest.all));
    const before = view(r.aggregate());
    // Another device sends corrections of windows it never delivered: the fleet series has room
    // (labeled < count thanks to the honest device), this device has no predictions there.
    const res = await r.ingest(corrections('hostile', honest.corrections, 'x'));
    expect(res.accepted).toBe(0);
    expect(res.rejected.map((e) => e.code)).toEqual(honest.corrections.map(() => 'CORRECTION_EXCEEDS_COUNT'));
    expect(res.rejected[0]!.argument).toBe('batch.entries[0].summary.labeled');
    expect(view(r.aggregate())).toEqual(before);
    // The honest device itself, past its own predictions (its windows were sent with every label):
    // the late labels again are more than its unlabeled rows.
    for (const c of honest.corrections) {
      const s = honest.all.find((x) => x.segment === c.segment)!;
      expect(c.labeled, c.segment).toBeGreaterThan(s.count - s.labeled);
    }
    const again = await r.ingest(corrections('honest', honest.corrections, 'y'));
    expect(again.rejected.map((e) => e.code)).toEqual(honest.corrections.map(() => 'CORRECTION_EXCEEDS_COUNT'));
    expect(view(r.aggregate())).toEqual(before);
    expect(r.metrics()).toMatch(/modelwatch_receiver_rejected_total\{code="CORRECTION_EXCEEDS_COUNT"\} 4/);
  });

  it('within one batch the window counts before its correction; the correction alone would not fit', async () => {
    const r = await createReceiver({ dir: null });
    const x = lateSummaries(1, 0, 30, everyThird);
    const body = encodeBatch('d1', [
      ...x.atClose.map((s) => ({ key: idempotencyKey('d1', s), text: serializeSummary(s) })),
      ...x.corrections.map((s) => ({ key: idempotencyKey('d1', s, '1'), text: serializeSummary(s) })),
    ]);
    expect((await r.ingest(body)).rejected).toEqual([]);
    expect(view(r.aggregate())).toEqual(view(x.all));
    const alone = await createReceiver({ dir: null });
    expect((await alone.ingest(corrections('d1', x.corrections, '1'))).rejected.map((e) => e.code)).toEqual(x.corrections.map(() => 'CORRECTION_EXCEEDS_COUNT'));
    expect(alone.series).toBe(0);
  });

  it('the per-device tallies survive a restart (snapshot and journal)', async () => {
    const dir = tempDir();
    const x = lateSummaries(2, 0, 300, everyThird);
    const firstHalf = lateSummaries(2, 0, 300, (i) => i % 6 === 0);
    const secondHalf = lateSummaries(2, 0, 300, (i) => i % 6 === 3);
    const r1 = await createReceiver({ dir });
    await r1.ingest(batchOf('d2', x.atClose));
    await r1.compact(); // the windows' tallies in the snapshot
    await r1.ingest(corrections('d2', firstHalf.corrections, '1')); // a correction's in the journal
    // A crash: r1 is never closed; a new receiver opens the same directory.
    const r2 = await createReceiver({ dir });
    expect(r2.recovery.replayed).toBe(1);
    // The second half fits only if both the windows' and the first correction's tallies came back.
    expect(await r2.ingest(corrections('d2', secondHalf.corrections, '2'))).toEqual({ accepted: secondHalf.corrections.length, duplicates: 0, rejected: [] });
    expect(view(r2.aggregate())).toEqual(view(x.all));
    // Every late label is in: the late labels once more are past the device's predictions.
    const res = await r2.ingest(corrections('d2', x.corrections, '3'));
    expect(res.rejected.map((e) => e.code)).toEqual(x.corrections.map(() => 'CORRECTION_EXCEEDS_COUNT'));
    await r2.close();
    const r3 = await createReceiver({ dir });
    expect(view(r3.aggregate())).toEqual(view(x.all));
    expect((await r3.ingest(corrections('d2', x.corrections, '4'))).accepted).toBe(0);
    await r3.close();
  });
});
