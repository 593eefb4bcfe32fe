// The offline demo: a model trained in this page scores a stream of inputs,
// ground truth arrives late for a share of them, and modelwatch watches it all
// from a Web Worker, showing the spec chapter's dashboard and syncing summaries
// to this server's receiver when online.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { createMonitor, type Alert, type Monitor, type Report, type StatusReport } from 'modelwatch';
import { Model, World } from './model.js';

const WINDOW_MS = 10_000;
const WINDOWS = 30;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

// ------------------------------------------------------------ the model
const world = new World(7);
const model = Model.train(world);

/** Simulated device latency of one inference (ms): mostly fast, a rare slow call. */
function inferenceDelay(slow: boolean): number {
  const base = slow ? 90 + 120 * Math.random() : 4 + 10 * Math.random();
  return Math.random() < 0.002 ? base * (2 + 2 * Math.random()) : base;
}

// ------------------------------------------------------------ state
// URL parameters tune the embedded defaults (the end-to-end test speeds the
// story up): ?rate=60&share=90&delay=3&baselineAfter=60&checkWindow=60
const params = new URLSearchParams(location.search);
const param = (name: string, fallback: number): number => {
  const v = Number(params.get(name));
  return params.has(name) && Number.isFinite(v) && v >= 0 ? v : fallback;
};
const state = {
  rate: param('rate', 60),
  share: param('share', 90) / 100,
  delayS: param('delay', 3),
  baselineAfterMs: param('baselineAfter', 60) * 1000,
  checkWindowMs: param('checkWindow', 60) * 1000,
  slow: false,
  offline: false,
  started: Date.now(),
};
let monitor: Monitor;
let baselineCaptured = false;
const seenAlerts: Alert[] = [];

async function start(): Promise<void> {
  if ('serviceWorker' in navigator && location.protocol !== 'file:') {
    // Precaches the page, its worker and the WASM so a reload works offline.
    navigator.serviceWorker.register('./sw.js').catch((e: unknown) => console.warn('service worker not registered', e));
  }
  monitor = await createMonitor({
    task: 'binary',
    model: 'offer-acceptance',
    version: '1.0',
    dbName: 'modelwatch-demo',
    minHistory: 50,
    // Summaries of 10-second windows go to this server's receiver (same
    // origin, see vite.config.ts) every 2 s, so the loop shows within seconds;
    // a window closes 2.5 s after its end (graceMs defaults to windowMs / 4).
    sync: { endpoint: new URL('./api/summaries', location.href).href, format: 'json', intervalMs: 2000, windowMs: WINDOW_MS },
  });
  monitor.on((event) => {
    if (event.type === 'alert') {
      seenAlerts.unshift(event.alert);
      renderAlerts();
    } else if (event.type === 'error') {
      console.warn('monitor:', event.error);
    }
  });
  seenAlerts.push(...(await monitor.alerts()).reverse());
  renderAlerts();
  wireControls();
  scheduleStream();
  setInterval(() => void refresh().catch((e: unknown) => console.warn(e)), 2000);
  void refresh();
}

// ------------------------------------------------------------ the stream
/** Scores one input: awaits the simulated inference, logs the prediction, schedules its label. */
async function predictOne(): Promise<void> {
  const { x, p } = world.sample();
  const { result: score, id } = await monitor.time(
    () => new Promise<number>((resolve) => setTimeout(() => resolve(model.predict(x)), inferenceDelay(state.slow))),
    (s) => ({ prediction: s >= 0.5 ? 1 : 0, score: s, segment: x[3]! > 0 ? 'returning' : 'new' }),
  );
  void score;
  if (Math.random() < state.share) {
    const truth = world.label(p);
    setTimeout(() => { if (!monitor.closed) monitor.logLabel(id, truth); }, state.delayS * 1000 * (0.5 + Math.random()));
  }
}

function scheduleStream(): void {
  let carry = 0;
  setInterval(() => {
    carry += state.rate / 10;
    for (; carry >= 1; carry--) void predictOne().catch((e: unknown) => console.warn(e));
  }, 100);
}

// ------------------------------------------------------------ controls
function wireControls(): void {
  const slider = (id: string, apply: (v: number) => void): void => {
    const input = $<HTMLInputElement>(id);
    const show = (): void => { $(`${id}Out`).textContent = input.value; apply(Number(input.value)); };
    input.addEventListener('input', show);
    show();
  };
  $<HTMLInputElement>('rate').value = String(state.rate);
  $<HTMLInputElement>('share').value = String(state.share * 100);
  $<HTMLInputElement>('delay').value = String(state.delayS);
  slider('rate', (v) => { state.rate = v; });
  slider('share', (v) => { state.share = v / 100; });
  slider('delay', (v) => { state.delayS = v; });
  const toggle = (id: string, on: string, off: string, apply: (v: boolean) => void): void => {
    const b = $<HTMLButtonElement>(id);
    let value = false;
    b.addEventListener('click', () => {
      value = !value;
      b.classList.toggle('on', value);
      b.textContent = value ? on : off;
      apply(value);
    });
  };
  toggle('drift', 'Drift on (click to undo)', 'Inject concept drift', (v) => { world.drift = v; });
  toggle('slow', 'Slow model (click to undo)', 'Inject latency regression', (v) => { state.slow = v; });
  toggle('network', 'Go online', 'Go offline', (v) => { state.offline = v; void setOffline(v); });
  $('clear').addEventListener('click', () => void clearData());
}

/** The page's "Go offline" switch: sync pauses, summaries wait in the IndexedDB outbox. */
async function setOffline(offline: boolean): Promise<void> {
  await monitor.setOnline(!offline);
  await renderSync();
}

async function clearData(): Promise<void> {
  await monitor.close();
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase('modelwatch-demo');
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
  location.reload();
}

// ------------------------------------------------------------ the dashboard
const fmt = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

function chart(el: HTMLElement, series: uPlot.Series[], yRange?: [number, number]): uPlot {
  return new uPlot(
    {
      width: el.clientWidth || 400,
      height: 220,
      series: [{}, ...series],
      scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
      axes: [{}, { size: 44 }],
      legend: { show: true },
    },
    [[], ...series.map(() => [])],
    el,
  );
}

const QUALITY = ['accuracy', 'precision', 'recall', 'f1Score', 'aucRoc'] as const;
const COLORS = ['#2b6cb0', '#2f855a', '#b7791f', '#805ad5', '#c53030'];
const qualityChart = chart($('quality'), [
  ...QUALITY.map((m, i) => ({ label: m, stroke: COLORS[i]!, width: 2 })),
  ...QUALITY.slice(0, 1).map(() => ({ label: 'baseline accuracy', stroke: COLORS[0]!, dash: [6, 4] })),
], [0.4, 1]);
const latencyChart = chart($('latency'), [
  { label: 'p50', stroke: '#2b6cb0', width: 2 },
  { label: 'p99', stroke: '#c53030', width: 2 },
  { label: 'SLA p50', stroke: '#2b6cb0', dash: [6, 4] },
  { label: 'SLA p99', stroke: '#c53030', dash: [6, 4] },
]);
const confidenceChart = new uPlot(
  {
    width: $('confidence').clientWidth || 400,
    height: 220,
    series: [{}, { label: 'predictions', stroke: '#2b6cb0', fill: 'rgba(43,108,176,0.3)', paths: uPlot.paths.bars!({ size: [0.9, 60] }) }],
    scales: { x: { time: false } },
    axes: [{ values: (_u, v) => v.map((x) => x.toFixed(1)) }, { size: 50 }],
  },
  [[], []],
  $('confidence'),
);

let baselineAccuracy = NaN;

async function refresh(): Promise<void> {
  if (monitor.closed) return;
  const now = Date.now();
  const end = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  // The last WINDOWS windows, but none from before this page started: a fresh
  // page shows its first minute across the whole chart, not squeezed at the edge.
  const first = Math.max(end - (WINDOWS - 1) * WINDOW_MS, Math.floor(state.started / WINDOW_MS) * WINDOW_MS - 2 * WINDOW_MS);
  const windows = Array.from({ length: (end - first) / WINDOW_MS + 1 }, (_, i) => first + i * WINDOW_MS);
  const reports: Report[] = await Promise.all(windows.map((from) => monitor.report({ from, to: from + WINDOW_MS })));
  const xs = windows.map((w) => (w + WINDOW_MS) / 1000);
  const q = QUALITY.map((m) => reports.map((r) => value(r.classification?.[m] as number | undefined, r.labeled)));
  qualityChart.setData([xs, ...q, xs.map(() => baselineAccuracy)] as uPlot.AlignedData);
  latencyChart.setData([xs, reports.map((r) => r.latency?.p50 ?? null), reports.map((r) => r.latency?.p99 ?? null), xs.map(() => 50), xs.map(() => 200)] as uPlot.AlignedData);

  const live = await monitor.live();
  const le = live.confidenceBuckets.le.slice(0, 10);
  confidenceChart.setData([le.map((x) => x - 0.05), live.confidenceBuckets.counts.slice(0, 10)]);
  $('p50').textContent = `${fmt(live.latency?.p50, 1)} ms`;
  $('p99').textContent = `${fmt(live.latency?.p99, 1)} ms`;
  $('p50').parentElement!.className = live.sla.p50Ok ? '' : 'critical';
  $('p99').parentElement!.className = live.sla.p99Ok ? '' : 'critical';

  // Judge windows whose labels had time to arrive: labels lag by up to 1.5x
  // the label delay, and a window of fresh predictions would look unlabeled.
  const matured = now - 1500 * state.delayS - 1000;
  const recent = { from: matured - state.checkWindowMs, to: matured };
  // Baseline: the first minute of labeled data, before anyone injects drift.
  if (!baselineCaptured && now - state.started > state.baselineAfterMs) {
    const base = await monitor.captureBaseline({ from: state.started, to: matured });
    if (Number.isFinite(base['accuracy'])) {
      baselineCaptured = true;
      baselineAccuracy = base['accuracy']!;
    }
  }
  const result = await monitor.check(recent, { periodMs: WINDOW_MS, periods: Math.max(3, Math.round(state.checkWindowMs / WINDOW_MS)) });
  // Totals from the store (they survive reloads), over the last hour.
  const stored = await monitor.report({ from: now - 3_600_000, to: now + 1 });
  $('total').textContent = String(stored.total);
  $('labeled').textContent = String(stored.labeled);
  $('coverage').textContent = `${fmt(result.report.coverage * 100, 0)}%`;
  renderStatus(result.status);
  await renderSync();
}

/** A metric of a window, or a gap in the chart when the window has too few labels to mean anything. */
function value(v: number | undefined, labeled: number): number | null {
  return labeled >= 20 && v !== undefined && Number.isFinite(v) ? v : null;
}

function renderStatus(status: StatusReport): void {
  const overall = $('overall');
  overall.className = `pill ${status.overall}`;
  overall.textContent = status.overall.replace('_', ' ');
  const body = $('status').querySelector('tbody')!;
  body.replaceChildren(
    ...Object.entries(status.rows).map(([metric, row]) => {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td>${metric}</td><td>${fmt(row.value, metric.startsWith('latency') ? 1 : 3)}</td><td><span class="pill ${row.status}">${row.status.replace('_', ' ')}</span></td>`;
      return tr;
    }),
  );
}

function renderAlerts(): void {
  $('alerts').replaceChildren(
    ...seenAlerts.slice(0, 50).map((a) => {
      const li = document.createElement('li');
      li.className = a.severity;
      li.dataset['metric'] = a.metric;
      li.dataset['severity'] = a.severity;
      li.textContent = `${new Date(a.at).toLocaleTimeString()} ${a.severity.toUpperCase()} ${a.message}`;
      return li;
    }),
  );
}

async function renderSync(): Promise<void> {
  if (monitor.closed) return;
  const s = await monitor.syncStatus();
  $('sync').textContent = s.state;
  $('sync').title = s.lastError ?? `${s.delivered} summaries delivered this session`;
  $('outbox').textContent = String(s.outbox);
}

start().catch((e: unknown) => {
  console.error(e);
  $('note').textContent = `modelwatch failed to start: ${String(e)}`;
});
