// Runs in Chromium (served by Vite from bench/monitor/run.js): main-thread
// cost of logPrediction next to one comlink call per prediction and
// prom-client-style per-call bookkeeping, then the long-task check.
import { wrap } from 'comlink';
import { createMonitor } from '../../src/index.js';

const LAT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const CONF_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

// What prom-client does per observation: serialize the label set to a key,
// look up the series in a map, bump a counter, find the bucket, add to sum.
class PromStyle {
  private readonly counters = new Map<string, number>();
  private readonly hists = new Map<string, { buckets: number[]; sum: number; count: number }>();
  private key(labels: Record<string, string>): string {
    return Object.keys(labels).sort().map((k) => `${k}:${labels[k]}`).join(',');
  }
  inc(labels: Record<string, string>): void {
    const k = this.key(labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + 1);
  }
  observe(bounds: number[], labels: Record<string, string>, v: number): void {
    const k = this.key(labels);
    let h = this.hists.get(k);
    if (!h) this.hists.set(k, (h = { buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }));
    let b = 0;
    while (b < bounds.length && v > bounds[b]!) b++;
    h.buckets[b]!++;
    h.sum += v;
    h.count++;
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<unknown> {
  const params = new URLSearchParams(location.search);
  const rounds = Number(params.get('rounds') ?? 10);
  const N = 100_000;
  const NC = 20_000;
  const mon = await createMonitor({ task: 'binary', model: 'bench', dbName: `bench-${Date.now()}` });
  const echoWorker = new Worker(new URL('./echo.worker.ts', import.meta.url), { type: 'module' });
  const echo = wrap<{ record(p: number, s: number, l: number): void; count(): { n: number } }>(echoWorker);
  const prom = new PromStyle();
  const scores = new Float64Array(N);
  for (let i = 0; i < N; i++) scores[i] = (i * 0.6180339887) % 1;

  const contenders: Record<string, { n: number; run: () => void }> = {
    'modelwatch logPrediction(p, score, latency)': { n: N, run: () => { for (let i = 0; i < N; i++) mon.logPrediction(scores[i]! >= 0.5 ? 1 : 0, scores[i]!, 3 + (i & 7)); } },
    'modelwatch logPrediction({ prediction, score, latencyMs })': { n: N, run: () => { for (let i = 0; i < N; i++) mon.logPrediction({ prediction: scores[i]! >= 0.5 ? 1 : 0, score: scores[i]!, latencyMs: 3 + (i & 7) }); } },
    'one comlink call per prediction': { n: NC, run: () => { for (let i = 0; i < NC; i++) void echo.record(scores[i]! >= 0.5 ? 1 : 0, scores[i]!, 3 + (i & 7)); } },
    'prom-client-style bookkeeping': { n: N, run: () => {
      for (let i = 0; i < N; i++) {
        const cls = scores[i]! >= 0.5 ? '1' : '0';
        prom.inc({ model_name: 'bench', model_version: '1', prediction_class: cls });
        prom.observe(LAT_BUCKETS, { model_name: 'bench' }, (3 + (i & 7)) / 1000);
        prom.observe(CONF_BUCKETS, { model_name: 'bench' }, scores[i]!);
      }
    } },
  };
  const names = Object.keys(contenders);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < 3 + rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length]!;
      const c = contenders[name]!;
      const t0 = performance.now();
      c.run();
      const dt = performance.now() - t0;
      if (r >= 3) times[name]!.push((dt * 1000) / c.n);
      // Let the worker and the comlink queue drain between contenders.
      await sleep(50);
    }
    await echo.count();
    await mon.flush();
  }
  const perCall = Object.fromEntries(names.map((n) => [n, median(times[n]!)]));
  await mon.close();
  echoWorker.terminate();

  // Long tasks while 1,000,000 predictions (spread over a week) and 100,000
  // labels are logged in slices of 10,000 per task, then a weekly report.
  const longTasks: number[] = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
  obs.observe({ type: 'longtask', buffered: false });
  // Calibration: a deliberate 80 ms task must be seen, or the figure below means nothing.
  const busy = performance.now();
  while (performance.now() - busy < 80) { /* block */ }
  await sleep(100);
  const calibration = longTasks.splice(0).length;
  const m2 = await createMonitor({ task: 'binary', model: 'lt', dbName: `bench-lt-${Date.now()}` });
  const DAY = 86_400_000;
  const t0 = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;
  const TOTAL = 1_000_000;
  const start = performance.now();
  for (let base = 0; base < TOTAL; base += 10_000) {
    for (let i = base; i < base + 10_000; i++) {
      const s = (i * 0.6180339887) % 1;
      const p = s >= 0.5 ? 1 : 0;
      const id = m2.logPrediction({ prediction: p, score: s, latencyMs: 2 + (i % 13), timestamp: t0 + Math.floor((i / TOTAL) * 7 * DAY) });
      if (i % 10 === 0) m2.logLabel(id, (i % 7) < 5 ? p : 1 - p, t0 + 7 * DAY);
    }
    await sleep(0);
  }
  const logged = performance.now() - start;
  await m2.flush();
  const flushed = performance.now() - start;
  const r0 = performance.now();
  const week = await m2.report('week', t0 + 6 * DAY);
  const reportMs = performance.now() - r0;
  await sleep(100);
  obs.disconnect();
  await m2.close();
  return {
    perCall, rounds, N, NC,
    longTask: { calibration, count: longTasks.length, max: longTasks.length ? Math.max(...longTasks) : 0, loggedMs: logged, flushedMs: flushed, reportMs, total: week.total, labeled: week.labeled, accuracy: week.classification?.accuracy },
  };
}

main().then(
  (r) => { (window as unknown as { __result: unknown }).__result = r; },
  (e: unknown) => { (window as unknown as { __result: unknown }).__result = { error: String((e as Error)?.stack ?? e) }; },
);
