// End to end in Chromium: a binary model, 20,000 predictions over 10 days,
// 70 % labeled later, concept drift half-way, a latency regression at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationMetrics, createMonitor, init, latencyStats } from '../../../src/index.js';
import type { Alert, Monitor } from '../../../src/index.js';
import { drop, freshName, rng } from '../store/helpers.js';

const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 0, 1);
const DAYS = 10;
const PER_DAY = 2000;

interface Row { id: number; t: number; y: number; p: number; s: number; lat: number; labeled: boolean; seg: string }

describe('createMonitor end to end (Worker, real IndexedDB)', () => {
  const name = freshName('monitor-e2e');
  let m: Monitor;
  const rows: Row[] = [];
  const alerts: Alert[] = [];

  beforeAll(async () => {
    await init();
    m = await createMonitor({ task: 'binary', model: 'churn', version: 'v1', dbName: name });
    expect(m.mode).toBe('worker');
    m.on((e) => { if (e.type === 'alert') alerts.push(e.alert); });
    const r = rng(7);
    for (let d = 0; d < DAYS; d++) {
      const acc = d < DAYS / 2 ? 0.9 : 0.75; // concept drift: -15 points
      for (let i = 0; i < PER_DAY; i++) {
        const t = DAY0 + d * DAY + Math.floor((i * DAY) / PER_DAY);
        const y = r() < 0.5 ? 1 : 0;
        const p = r() < acc ? y : 1 - y;
        const s = p === 1 ? 0.5 + 0.5 * r() : 0.5 * r();
        const lat = d >= DAYS - 2 ? 60 + 40 * r() : 5 + 10 * r(); // latency regression on the last two days
        const seg = i % 3 === 0 ? 'mobile' : 'web';
        const id = m.logPrediction({ prediction: p, score: s, latencyMs: lat, timestamp: t, segment: seg });
        rows.push({ id, t, y, p, s, lat, labeled: r() < 0.7, seg });
      }
    }
    for (const row of rows) if (row.labeled) m.logLabel(row.id, row.y, row.t + 3_600_000);
    await m.flush();
  });

  afterAll(async () => {
    await m.close();
    await drop(name);
  });

  it('daily report equals [core] on the same rows', async () => {
    const day = DAY0 + 7 * DAY;
    const rep = await m.report('day', day + 5);
    const inDay = rows.filter((x) => x.t >= day && x.t < day + DAY);
    const lab = inDay.filter((x) => x.labeled);
    const want = classificationMetrics(lab.map((x) => x.y), lab.map((x) => x.p), lab.map((x) => x.s));
    expect(rep.total).toBe(inDay.length);
    expect(rep.labeled).toBe(lab.length);
    expect(rep.coverage).toBe(lab.length / inDay.length);
    const got = rep.classification!;
    for (const k of ['accuracy', 'precision', 'recall', 'f1Score', 'aucRoc', 'averagePrecision', 'falsePositiveRate'] as const) {
      expect(got[k]).toBeCloseTo(want[k]!, 12);
    }
    expect(got.confusionMatrix).toEqual(want.confusionMatrix);
    const lat = latencyStats(inDay.map((x) => x.lat));
    expect(rep.latency!.p99).toBeCloseTo(lat.p99, 9);
    const mobile = lab.filter((x) => x.seg === 'mobile');
    const wantMobile = classificationMetrics(mobile.map((x) => x.y), mobile.map((x) => x.p), mobile.map((x) => x.s));
    expect(rep.segments['mobile']!.classification!.accuracy).toBeCloseTo(wantMobile.accuracy, 12);
    expect(rep.segments['mobile']!.classification!.aucRoc).toBeCloseTo(wantMobile.aucRoc!, 12);
    expect(rep.segments['mobile']!.labeled + rep.segments['web']!.labeled).toBe(lab.length);
  });

  it('daily series of a week, with coverage per day', async () => {
    const s = await m.dailySeries('week', DAY0 + 9 * DAY);
    expect(s).toHaveLength(7);
    expect(s[0]!.from).toBe(DAY0 + 3 * DAY);
    for (const p of s) {
      expect(p.total).toBe(PER_DAY);
      expect(p.coverage).toBeGreaterThan(0.6);
      expect(p.coverage).toBeLessThan(0.8);
    }
  });

  it('captures a baseline, fires the critical accuracy alert once, the trend declines, SLA trips', async () => {
    const base = await m.captureBaseline({ from: DAY0, to: DAY0 + 3 * DAY });
    expect(base['accuracy']).toBeGreaterThan(0.87);
    let last;
    for (let d = 0; d < DAYS; d++) last = await m.check('day', { at: DAY0 + d * DAY });
    const critical = alerts.filter((a) => a.kind === 'degradation' && a.metric === 'accuracy' && a.severity === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]!.at).toBe(DAY0 + (DAYS / 2 + 1) * DAY); // the end of the first post-drift day
    const accTrend = last!.trend.find((t) => t.metric === 'accuracy')!;
    expect(accTrend.health).toBe('declining');
    expect(accTrend.significant).toBe(true);
    expect(last!.report.sla.status).toBe('violation');
    expect(last!.status.rows['latencyP50']!.status).not.toBe('good');
    expect(alerts.some((a) => a.kind === 'sla' && a.metric === 'latencyP50')).toBe(true);
    expect((await m.sla()).status).toBe('violation');
    const stored = await m.alerts();
    expect(stored.filter((a) => a.metric === 'accuracy' && a.severity === 'critical')).toHaveLength(1);
  });

  it('live counters by version and predicted class', async () => {
    const v = await m.live();
    const ones = rows.filter((x) => x.p === 1).length;
    expect(v.total).toBe(rows.length);
    expect(v.counts['churn']!['v1']!['1']).toBe(ones);
    expect(v.counts['churn']!['v1']!['0']).toBe(rows.length - ones);
    expect(v.latencyBuckets.counts.reduce((a, b) => a + b, 0)).toBe(rows.length);
    expect(v.latency!.count).toBe(1000);
  });
});
