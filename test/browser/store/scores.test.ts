// Class score vectors (extras.classScores) through readLabeled: aligned with
// the rows returned, NaN where a row has none, only when some chunk in range
// has them; checked against a plain per-row oracle over many ranges.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/index.js';
import type { LabeledColumns, PredictionBatch, Store } from '../../../src/index.js';
import { drop, freshName, labels, predictions, rng } from './helpers.js';

const T0 = Date.UTC(2025, 2, 1);
const W = 4;

const open: Store[] = [];
const names: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  for (const n of names.splice(0)) await drop(n);
});

async function fresh(tag: string): Promise<Store> {
  const name = freshName(tag);
  names.push(name);
  const s = await openStore({ name });
  open.push(s);
  return s;
}

/** The oracle: what was written, by id. */
interface Truth {
  chunk: number;
  t: number;
  vector: number[] | undefined;
  label?: number;
  delay?: number;
}

/**
 * Writes chunks of 40 rows each 1 s apart: `kinds` says per chunk whether it has
 * full vectors of width W, vectors with some NaN rows (rows the app logged
 * without scores), narrower vectors (width 2, another version), or none.
 * Ids are shuffled within a batch so the store must reorder vectors with them.
 */
async function fill(s: Store, kinds: ('full' | 'holes' | 'narrow' | 'none')[], r: () => number): Promise<Map<number, Truth>> {
  const truth = new Map<number, Truth>();
  let next = 1000;
  for (const [ci, kind] of kinds.entries()) {
    const n = 40;
    const ids = Array.from({ length: n }, () => next++);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    const base = T0 + ci * n * 1000;
    const b: PredictionBatch = predictions(ids, (i) => base + (ids[i]! - ids.reduce((a, x) => Math.min(a, x))) * 1000, r, 'm', kind === 'narrow' ? 'v2' : 'v1');
    const width = kind === 'narrow' ? 2 : W;
    if (kind !== 'none') {
      const values = new Float64Array(n * width);
      for (let i = 0; i < n; i++) {
        const hole = kind === 'holes' && i % 3 === 0;
        for (let c = 0; c < width; c++) values[i * width + c] = hole ? NaN : r();
      }
      b.extras = { classScores: { classes: width, values } };
    }
    await s.putPredictions(b);
    ids.forEach((id, i) => {
      const v = b.extras?.classScores?.values.subarray(i * width, (i + 1) * width);
      truth.set(id, { chunk: ci, t: b.timestamp[i]!, vector: v ? Array.from(v) : undefined });
    });
  }
  // Labels on about 70 % of the rows, with delays from 0 to 2 h.
  const lid: number[] = [];
  const ly: number[] = [];
  const lat: number[] = [];
  for (const [id, x] of truth) {
    if (r() >= 0.7) continue;
    x.label = Math.floor(r() * W);
    x.delay = Math.floor(r() * 7_200_000);
    lid.push(id);
    ly.push(x.label);
    lat.push(x.t + x.delay);
  }
  await s.putLabels(labels(lid, ly, lat));
  await s.flush();
  return truth;
}

/** Expected vectors of the rows readLabeled returned, by a plain scan of the oracle. */
function expectVectors(got: LabeledColumns, truth: Map<number, Truth>, from: number, to: number, minDelay = -Infinity): void {
  const want = [...truth].filter(([, x]) => x.t >= from && x.t < to && x.label !== undefined && x.delay! >= minDelay);
  expect(got.id.length).toBe(want.length);
  // Chunks the read touches: those whose [first, last] timestamp meets [from, to).
  const span = new Map<number, { t0: number; t1: number; width: number }>();
  for (const x of truth.values()) {
    const c = span.get(x.chunk) ?? { t0: Infinity, t1: -Infinity, width: 0 };
    span.set(x.chunk, { t0: Math.min(c.t0, x.t), t1: Math.max(c.t1, x.t), width: Math.max(c.width, x.vector?.length ?? 0) });
  }
  const width = Math.max(0, ...[...span.values()].filter((c) => c.t0 < to && c.t1 >= from).map((c) => c.width));
  if (width === 0) {
    expect(got.classScores).toBeUndefined();
    return;
  }
  const cs = got.classScores!;
  expect(cs).toBeDefined();
  expect(cs.classes).toBe(width);
  expect(cs.values.length).toBe(got.id.length * cs.classes);
  for (let i = 0; i < got.id.length; i++) {
    const x = truth.get(got.id[i]!)!;
    const row = Array.from(cs.values.subarray(i * cs.classes, (i + 1) * cs.classes));
    const expected = Array.from({ length: cs.classes }, (_, c) => x.vector?.[c] ?? NaN);
    expect(row).toEqual(expected);
  }
}

describe('readLabeled returns class score vectors', () => {
  it('aligned with the rows, NaN where a row or chunk has none, over whole and cut chunks', async () => {
    const s = await fresh('scores');
    const r = rng(11);
    const truth = await fill(s, ['full', 'none', 'holes', 'full', 'none'], r);
    const end = T0 + 5 * 40 * 1000;
    const ranges: [number, number][] = [
      [T0, end], // every chunk whole
      [T0 + 40_000, T0 + 80_000], // exactly the chunk without vectors
      [T0 + 20_500, T0 + 130_500], // cuts the first and the fourth chunk
      [T0 + 45_000, T0 + 75_000], // inside the chunk without vectors
      [T0 + 79_000, T0 + 81_000], // one row of each neighbour
    ];
    const x = rng(12);
    for (let k = 0; k < 20; k++) {
      const a = T0 + Math.floor(x() * (end - T0));
      ranges.push([a, a + Math.floor(x() * (end - a)) + 1]);
    }
    for (const [from, to] of ranges) {
      expectVectors(await s.readLabeled({ model: 'm', from, to }), truth, from, to);
    }
    // The feedback-delay filter drops rows and their vectors together.
    expectVectors(await s.readLabeled({ model: 'm', from: T0, to: end, minFeedbackDelayMs: 3_600_000 }), truth, T0, end, 3_600_000);
    // Coverage counts do not change with vectors around.
    const cov = await s.readLabeled({ model: 'm', from: T0, to: end });
    expect(cov.coverage.predictions).toBe(truth.size);
  });

  it('leaves classScores out when no chunk in range has vectors', async () => {
    const s = await fresh('scores-none');
    const truth = await fill(s, ['none', 'none'], rng(3));
    const got = await s.readLabeled({ model: 'm', from: T0, to: T0 + 80_000 });
    expect(got.id.length).toBeGreaterThan(0);
    expect('classScores' in got).toBe(false);
    expectVectors(got, truth, T0, T0 + 80_000);
  });

  it('pads rows of a narrower chunk (another version) with NaN to the widest width', async () => {
    const s = await fresh('scores-narrow');
    const truth = await fill(s, ['narrow', 'full', 'narrow'], rng(5));
    const end = T0 + 3 * 40 * 1000;
    const all = await s.readLabeled({ model: 'm', from: T0, to: end });
    expect(all.classScores!.classes).toBe(W);
    expectVectors(all, truth, T0, end);
    // Only narrow chunks in range: their own width.
    const first = await s.readLabeled({ model: 'm', version: 'v2', from: T0, to: end });
    expect(first.classScores!.classes).toBe(2);
    expectVectors(first, new Map([...truth].filter(([, x]) => x.vector?.length === 2)), T0, end);
  });
});
