// Score metrics of monitor reports in Chromium (Worker, real IndexedDB):
// multiclass reports carry one-vs-rest AUC from the logged probability vectors,
// equal to classificationMetrics on the same rows, and both tasks compute AUC
// over the labeled rows that have scores when only some do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationMetrics, createMonitor, init } from '../../../src/index.js';
import type { Monitor } from '../../../src/index.js';
import { drop, freshName, rng } from '../store/helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 5, 1);
const C = 4;
const PER_DAY = 500;

interface Row { t: number; y: number; p: number; v: number[] | undefined; labeled: boolean; seg: string }

/** Naive one-vs-rest AUC of class k from column `col` of each row: pairs counted one by one, ties half. */
function naiveAuc(rows: Row[], k: number, col: (r: Row) => number): number {
  const pos = rows.filter((r) => r.y === k).map(col);
  const neg = rows.filter((r) => r.y !== k).map(col);
  if (pos.length === 0 || neg.length === 0) return NaN;
  let wins = 0;
  for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/** Sorted classes of labels and predictions. */
function classesOf(rows: Row[]): number[] {
  return [...new Set(rows.flatMap((r) => [r.y, r.p]))].sort((a, b) => a - b);
}

/** The matrix classificationMetrics wants: one column per class of classesOf(rows), from vector entry k (0 beyond the model's classes). */
function matrixOf(rows: Row[]): number[][] {
  const classes = classesOf(rows);
  return rows.map((r) => classes.map((k) => (k < C ? r.v![k]! : 0)));
}

describe('multiclass reports with probability vectors', () => {
  const name = freshName('monitor-scores-mc');
  let m: Monitor;
  const rows: Row[] = [];

  beforeAll(async () => {
    await init();
    m = await createMonitor({ task: 'multiclass', classes: C, model: 'mc', dbName: name });
    expect(m.mode).toBe('worker');
    const r = rng(21);
    // Day 0: every row scored, class 2 never labeled or predicted (classes 0, 1, 3).
    // Day 1: a third of the rows logged without scores.
    // Day 2: every row scored; some labels are class 5, outside the model's 0..3.
    for (let d = 0; d < 3; d++) {
      for (let i = 0; i < PER_DAY; i++) {
        const t = T0 + d * DAY + i * 60_000;
        let y = Math.floor(r() * C);
        if (d === 0 && y === 2) y = 3;
        const raw = Array.from({ length: C }, (_, k) => (k === y ? 1.2 : 0.2) * r() + (d === 0 && k === 2 ? -1 : 0));
        const e = raw.map((x) => Math.exp(3 * x));
        const sum = e.reduce((a, b) => a + b, 0);
        const v = e.map((x) => x / sum);
        const p = v.indexOf(Math.max(...v));
        if (d === 2 && r() < 0.05) y = 5;
        const seg = i % 2 === 0 ? 'a' : 'b';
        const scored = !(d === 1 && r() < 1 / 3);
        rows.push({ t, y, p, v: scored ? v : undefined, labeled: r() < 0.8, seg });
        const id = m.logPrediction(scored ? { prediction: p, scores: v, timestamp: t, segment: seg } : { prediction: p, timestamp: t, segment: seg });
        if (rows.at(-1)!.labeled) m.logLabel(id, y, t + 1000);
      }
    }
    await m.flush();
  });

  afterAll(async () => {
    await m.close();
    await drop(name);
  });

  const labeledOn = (d: number, seg?: string) =>
    rows.filter((x) => x.labeled && x.t >= T0 + d * DAY && x.t < T0 + (d + 1) * DAY && (seg === undefined || x.seg === seg));

  it('a fully scored day: aucRoc equals classificationMetrics with the columns of the classes present, and a naive oracle', async () => {
    const rep = await m.report({ from: T0, to: T0 + DAY });
    const lab = labeledOn(0);
    expect(classesOf(lab)).toEqual([0, 1, 3]);
    const want = classificationMetrics(lab.map((x) => x.y), lab.map((x) => x.p), matrixOf(lab));
    const got = rep.classification!;
    expect(rep.scoredRows).toBe(lab.length);
    expect(got.classes).toEqual([0, 1, 3]);
    expect(got.aucRoc).toBeCloseTo(want.aucRoc!, 12);
    expect(got.aucRocPerClass!.length).toBe(3);
    got.aucRocPerClass!.forEach((a, j) => expect(a).toBeCloseTo(want.aucRocPerClass![j]!, 12));
    // Independent of classificationMetrics: class k is ranked by vector entry k.
    const naive = [0, 1, 3].map((k) => naiveAuc(lab, k, (x) => x.v![k]!));
    got.aucRocPerClass!.forEach((a, j) => expect(a).toBeCloseTo(naive[j]!, 12));
    expect(got.aucRoc).toBeCloseTo((naive[0]! + naive[1]! + naive[2]!) / 3, 12);
    expect(rep.values['aucRoc']).toBe(got.aucRoc);
    expect(got.accuracy).toBeCloseTo(want.accuracy, 12);
    expect(got.warnings.map((w) => w.code)).not.toContain('PARTIAL_SCORES');
    // Segments take the same path.
    const a = labeledOn(0, 'a');
    const wantA = classificationMetrics(a.map((x) => x.y), a.map((x) => x.p), matrixOf(a));
    expect(rep.segments['a']!.classification!.aucRoc).toBeCloseTo(wantA.aucRoc!, 12);
  });

  it('a partly scored day: AUC over the rows with a vector, counts over all labeled rows, a PARTIAL_SCORES warning', async () => {
    const rep = await m.report({ from: T0 + DAY, to: T0 + 2 * DAY });
    const lab = labeledOn(1);
    const scored = lab.filter((x) => x.v !== undefined);
    expect(scored.length).toBeGreaterThan(0);
    expect(scored.length).toBeLessThan(lab.length);
    const wantAuc = classificationMetrics(scored.map((x) => x.y), scored.map((x) => x.p), matrixOf(scored));
    const wantAll = classificationMetrics(lab.map((x) => x.y), lab.map((x) => x.p));
    const got = rep.classification!;
    expect(rep.labeled).toBe(lab.length);
    expect(rep.scoredRows).toBe(scored.length);
    expect(got.aucRoc).toBeCloseTo(wantAuc.aucRoc!, 12);
    expect(got.accuracy).toBeCloseTo(wantAll.accuracy, 12);
    expect(got.confusionMatrix).toEqual(wantAll.confusionMatrix);
    expect(got.classes).toEqual(wantAll.classes);
    got.aucRocPerClass!.forEach((a, j) => {
      const k = got.classes[j]!;
      expect(a).toBeCloseTo(wantAuc.aucRocPerClass![wantAuc.classes.indexOf(k)]!, 12);
    });
    const w = got.warnings.find((x) => x.code === 'PARTIAL_SCORES');
    expect(w?.message).toContain(`${scored.length} of ${lab.length}`);
  });

  it('labels outside 0..C-1 get a zero column: their AUC is 0.5, with an UNSCORED_CLASS warning', async () => {
    const rep = await m.report({ from: T0 + 2 * DAY, to: T0 + 3 * DAY });
    const lab = labeledOn(2);
    expect(lab.some((x) => x.y === 5)).toBe(true);
    const want = classificationMetrics(lab.map((x) => x.y), lab.map((x) => x.p), matrixOf(lab));
    const got = rep.classification!;
    expect(got.classes).toEqual([0, 1, 2, 3, 5]);
    expect(got.aucRoc).toBeCloseTo(want.aucRoc!, 12);
    expect(got.aucRocPerClass![4]).toBe(0.5);
    expect(got.aucRocPerClass![3]).toBeCloseTo(naiveAuc(lab, 3, (x) => x.v![3]!), 12);
    expect(got.warnings.find((x) => x.code === 'UNSCORED_CLASS')?.message).toMatch(/classes 5 lie outside/);
  });

  it('a daily series carries AUC per day', async () => {
    const s = await m.dailySeries({ from: T0, to: T0 + 3 * DAY });
    expect(s).toHaveLength(3);
    for (const [d, point] of s.entries()) {
      const rep = await m.report({ from: T0 + d * DAY, to: T0 + (d + 1) * DAY });
      expect(point.classification!.aucRoc).toBe(rep.classification!.aucRoc);
    }
  });
});

describe('binary reports with scores on some rows', () => {
  const name = freshName('monitor-scores-bin');
  let m: Monitor;
  const rows: { y: number; p: number; s: number | undefined; labeled: boolean }[] = [];

  beforeAll(async () => {
    await init();
    m = await createMonitor({ task: 'binary', model: 'bin', dbName: name });
    const r = rng(22);
    for (let i = 0; i < 1000; i++) {
      const t = T0 + i * 60_000;
      const y = r() < 0.4 ? 1 : 0;
      const s = Math.min(1, Math.max(0, 0.3 * y + 0.7 * r()));
      const p = s >= 0.5 ? 1 : 0;
      const scored = r() >= 0.25;
      const labeled = r() < 0.7;
      rows.push({ y, p, s: scored ? s : undefined, labeled });
      const id = m.logPrediction(scored ? { prediction: p, score: s, timestamp: t } : { prediction: p, timestamp: t });
      if (labeled) m.logLabel(id, y, t + 1000);
    }
    await m.flush();
  });

  afterAll(async () => {
    await m.close();
    await drop(name);
  });

  it('AUC-ROC and average precision over the labeled rows with a score, stating how many', async () => {
    const rep = await m.report({ from: T0, to: T0 + DAY });
    const lab = rows.filter((x) => x.labeled);
    const scored = lab.filter((x) => x.s !== undefined);
    const want = classificationMetrics(scored.map((x) => x.y), scored.map((x) => x.p), scored.map((x) => x.s!));
    const all = classificationMetrics(lab.map((x) => x.y), lab.map((x) => x.p));
    const got = rep.classification!;
    expect(rep.scoredRows).toBe(scored.length);
    expect(scored.length).toBeLessThan(lab.length);
    expect(got.aucRoc).toBeCloseTo(want.aucRoc!, 12);
    expect(got.averagePrecision).toBeCloseTo(want.averagePrecision!, 12);
    expect(rep.values['aucRoc']).toBe(got.aucRoc);
    expect(got.accuracy).toBeCloseTo(all.accuracy, 12);
    expect(got.truePositives).toBe(all.truePositives);
    expect(got.warnings.find((x) => x.code === 'PARTIAL_SCORES')?.message).toContain(`${scored.length} of ${lab.length}`);
  });
});
