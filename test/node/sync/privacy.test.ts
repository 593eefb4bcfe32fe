// The privacy floor's pure part (src/sync/privacy.ts): which summaries of
// closing windows leave, which are held, and the allow-list's renaming.
import { beforeAll, describe, expect, it } from 'vitest';
import { correctionOf, init, summarize } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { applyAllowList, applyCorrectionFloor, applyFloor, heldRows } from '../../../src/sync/privacy.js';
import type { Held } from '../../../src/sync/privacy.js';

const W = 1000;

beforeAll(async () => {
  await init();
});

/** n binary predictions of one segment in window k. */
function window(k: number, n: number, segment = 'a'): Summary {
  const start = k * W;
  const [s] = summarize({
    task: 'binary',
    predictions: {
      model: 'm', version: 'v', segments: ['', segment],
      id: Float64Array.from({ length: n }, (_, i) => k * 1000 + i),
      timestamp: Float64Array.from({ length: n }, (_, i) => start + i),
      prediction: new Float64Array(n).fill(1), score: new Float64Array(n).fill(0.7), latencyMs: new Float64Array(n).fill(3),
      segment: new Uint16Array(n).fill(segment === '' ? 0 : 1),
    },
    window: { start, end: start + W },
  });
  return s!;
}

describe('applyFloor', () => {
  const floor = { minRows: 20, maxHoldMs: 10 * W };

  it('holds windows below the floor and sends them merged once the merge reaches it', () => {
    let held: Held = {};
    const sent: Summary[] = [];
    for (let k = 0; k < 9; k++) {
      const r = applyFloor([window(k, 6)], held, (k + 1) * W, floor);
      sent.push(...r.send);
      held = r.held;
    }
    // 6 per window: 4 windows make 24 >= 20; 9 windows = two sends of 4 and one held.
    expect(sent.map((s) => [s.count, s.window.start, s.window.end])).toEqual([[24, 0, 4 * W], [24, 4 * W, 8 * W]]);
    expect(heldRows(held)).toBe(6);
  });

  it('sends at maxHoldMs even below the floor, with or without new rows', () => {
    let r = applyFloor([window(0, 3)], {}, W, floor);
    expect(r.send).toEqual([]);
    const before = structuredClone(r.held);
    r = applyFloor([], r.held, 9 * W, floor);
    expect(r.send).toEqual([]);
    r = applyFloor([], r.held, 10 * W, floor);
    expect(r.send.map((s) => s.count)).toEqual([3]);
    expect(r.held).toEqual({});
    // The input held map was not changed.
    expect(applyFloor([], before, W, floor).held).toEqual(before);
    // New rows at the limit leave merged.
    const h = applyFloor([window(0, 3)], {}, W, floor).held;
    expect(applyFloor([window(9, 2)], h, 10 * W, floor).send.map((s) => [s.count, s.window.start, s.window.end])).toEqual([[5, 0, 10 * W]]);
  });

  it('keeps series apart and processes windows in time order', () => {
    const r = applyFloor([window(1, 15, 'a'), window(0, 10, 'b'), window(0, 10, 'a'), window(1, 12, 'b')], {}, 2 * W, floor);
    expect(r.send.map((s) => [s.segment, s.count, s.window.start]).sort()).toEqual([['a', 25, 0], ['b', 22, 0]]);
    expect(r.held).toEqual({});
  });
});

describe('applyAllowList', () => {
  it("renames unlisted segments to 'other' and merges them per window; '' always stays", () => {
    const list = [window(0, 4, ''), window(0, 5, 'mobile'), window(0, 3, 'user-1'), window(0, 2, 'user-2'), window(0, 1, 'other'), window(1, 6, 'user-1')];
    const out = applyAllowList(list, new Set(['mobile']));
    expect(out.map((s) => [s.segment, s.window.start, s.count]).sort()).toEqual([['', 0, 4], ['mobile', 0, 5], ['other', 0, 6], ['other', W, 6]]);
    expect(applyAllowList(list, undefined)).toEqual(list);
  });
});

/** The correction of n late labels (all 1) of window k's first n predictions. */
function correction(k: number, n: number, segment = 'a'): Summary {
  const start = k * W;
  const [s] = summarize({
    task: 'binary',
    predictions: {
      model: 'm', version: 'v', segments: ['', segment],
      id: Float64Array.from({ length: n }, (_, i) => k * 1000 + i),
      timestamp: Float64Array.from({ length: n }, (_, i) => start + i),
      prediction: new Float64Array(n).fill(1), score: new Float64Array(n).fill(0.7), latencyMs: new Float64Array(n).fill(3),
      segment: new Uint16Array(n).fill(segment === '' ? 0 : 1),
    },
    labels: new Float64Array(n).fill(1),
    window: { start, end: start + W },
  });
  return correctionOf(s!);
}

describe('applyCorrectionFloor', () => {
  const floor = { minRows: 20, maxHoldMs: 10 * W };

  it('holds small corrections and sends them merged once they carry minRows labels; nothing is lost', () => {
    let held: Held = {};
    const sent: Summary[] = [];
    for (let k = 0; k < 5; k++) {
      const r = applyCorrectionFloor([correction(k, 7)], held, {}, (k + 1) * W, floor);
      sent.push(...r.send);
      held = r.held;
    }
    // 7 + 7 = 14 held, 21 leaves; then 7 + 7 held.
    expect(sent.map((s) => [s.kind, s.count, s.labeled, s.window.start, s.window.end])).toEqual([['correction', 0, 21, 0, 3 * W]]);
    expect(Object.values(held).map((h) => h.count)).toEqual([14]);
  });

  it('a held correction leaves after maxHoldMs even if small', () => {
    const r1 = applyCorrectionFloor([correction(0, 3)], {}, {}, W, floor);
    expect(r1.send).toEqual([]);
    const r2 = applyCorrectionFloor([], r1.held, {}, 10 * W, floor);
    expect(r2.send.map((s) => s.labeled)).toEqual([3]);
    expect(r2.held).toEqual({});
  });

  it('corrections wait while their series has a held window, so they never reach a receiver before its predictions', () => {
    const windows = applyFloor([window(0, 5)], {}, W, floor).held;
    expect(Object.keys(windows)).toHaveLength(1);
    const r = applyCorrectionFloor([correction(0, 25)], {}, windows, W, floor);
    expect(r.send).toEqual([]);
    // The window leaves (merged with the next): the correction goes in the same close, after it.
    const next = applyFloor([window(1, 30)], windows, 2 * W, floor);
    expect(next.held).toEqual({});
    const r2 = applyCorrectionFloor([], r.held, next.held, 2 * W, floor);
    expect(r2.send.map((s) => s.labeled)).toEqual([25]);
  });

  it('without a floor (minRows 1) corrections leave at once', () => {
    const r = applyCorrectionFloor([correction(0, 1), correction(2, 1, 'b')], {}, {}, 3 * W, { minRows: 1, maxHoldMs: Infinity });
    expect(r.send).toHaveLength(2);
    expect(r.held).toEqual({});
  });
});
