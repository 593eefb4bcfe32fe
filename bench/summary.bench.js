// [summaries] benchmarks: the WASM exponential histogram's batched insert
// against @datadog/sketches-js (DDSketch.accept in a loop) and
// hdr-histogram-js in WebAssembly mode (recordValue in a loop), per value, on
// the same seeded latencies in one process; then summary merge and
// serialization times. Writes its markdown section to bench/.out/summary.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DDSketch } from '@datadog/sketches-js';
import * as hdr from 'hdr-histogram-js';
import * as mw from '../dist/index.js';
import { compare, fmt, median, rng } from './harness.js';

const N = 1_000_000;
const BATCH = 4096; // the monitor's flush size (DESIGN.md)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
await mw.init();
await hdr.initWebAssembly();

// ---------------------------------------------------------------- data
// Latencies in ms: lognormal around 20 ms with a 2% slow tail.
const rand = rng(20261128);
const latencyMs = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  latencyMs[i] = Math.exp(Math.log(20) + 0.6 * z) + (rand() < 0.02 ? 500 * rand() : 0);
}
// HDR records integers: the same latencies in whole microseconds.
const latencyUs = latencyMs.map((x) => Math.max(1, Math.round(x * 1000)));

// --------------------------------------------------------- contenders
const contenders = {
  'modelwatch ExpHistogram.insert (4096-value batches)': () => {
    const h = new mw.ExpHistogram();
    for (let i = 0; i < N; i += BATCH) h.insert(latencyMs.subarray(i, i + BATCH));
    return h.quantile(0.99);
  },
  'modelwatch ExpHistogram.insert (one 1e6 batch)': () => new mw.ExpHistogram().insert(latencyMs).quantile(0.99),
  '@datadog/sketches-js DDSketch.accept': () => {
    const s = new DDSketch();
    for (let i = 0; i < N; i++) s.accept(latencyMs[i]);
    return s.getValueAtQuantile(0.99);
  },
  'hdr-histogram-js (WebAssembly) recordValue': () => {
    const h = hdr.build({ useWebAssembly: true, numberOfSignificantValueDigits: 2 });
    for (let i = 0; i < N; i++) h.recordValue(latencyUs[i]);
    const p99 = h.getValueAtPercentile(99) / 1000;
    h.destroy();
    return p99;
  },
};

const exactP99 = mw.percentiles(latencyMs, [99])[0];
const times = compare(contenders, {
  warmup: 3,
  rounds: ROUNDS,
  check: (results) => {
    // A fast wrong answer is no result: every p99 within 2% of the exact one.
    for (const [name, p99] of Object.entries(results)) {
      if (!(Math.abs(p99 - exactP99) <= 0.02 * exactP99)) throw new Error(`${name}: p99 ${p99} vs exact ${exactP99}`);
    }
  },
});
const perValue = (ms) => (ms * 1e6) / N; // ns per value

// ------------------------------------------------------------- merges
const WINDOW = { start: 0, end: 3_600_000 };
function binaryWindow(seed, n) {
  const r = rng(seed);
  const cols = {
    model: 'm', version: '1', segments: [''], id: new Float64Array(n), timestamp: new Float64Array(n),
    prediction: new Float64Array(n), score: new Float64Array(n), latencyMs: new Float64Array(n), segment: new Uint16Array(n),
  };
  const labels = new Float64Array(n).fill(NaN);
  const labelDelayMs = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const y = r() < 0.3 ? 1 : 0;
    const s = Math.min(1, Math.max(0, 0.35 * r() + 0.65 * (y ? r() ** 0.5 : r() ** 2)));
    cols.id[i] = i;
    cols.timestamp[i] = r() * 3_600_000;
    cols.score[i] = s;
    cols.prediction[i] = s >= 0.5 ? 1 : 0;
    cols.latencyMs[i] = latencyMs[(seed * 7919 + i) % N];
    if (r() < 0.8) { labels[i] = y; labelDelayMs[i] = 60_000 * (1 + 100 * r()); }
  }
  return mw.summarize({ task: 'binary', predictions: cols, labels, labelDelayMs, window: WINDOW })[0];
}
const a = binaryWindow(1, 100_000);
const b = binaryWindow(2, 100_000);
const text = mw.serializeSummary(a);

function perCall(fn, calls) {
  for (let i = 0; i < 50; i++) fn();
  const ts = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    ts.push((performance.now() - t0) / calls);
  }
  return median(ts);
}
const mergeMs = perCall(() => mw.mergeSummaries(a, b), 200);
const sketchMergeMs = perCall(() => mw.ExpHistogram.merge(a.latency, b.latency), 2000);
const serializeMs = perCall(() => mw.serializeSummary(a), 200);
const parseMs = perCall(() => mw.parseSummary(text), 200);
const metricsMs = perCall(() => mw.summaryMetrics(a), 200);

// ------------------------------------------------------------- report
const names = Object.keys(contenders);
const [mwBatch, mwOne, dd, hd] = names.map((n) => perValue(times[n]));
const lines = [
  '## Summaries: sketch insert and summary merge',
  '',
  `${N.toLocaleString('en')} lognormal latencies (ms, seeded), one process, ${ROUNDS} interleaved rounds after 3 warm-up runs, median per value.`,
  'Each round builds a fresh sketch and reads its p99 (all within 2% of the exact p99). HDR gets the same latencies',
  'as integer microseconds with 2 significant digits; DDSketch uses its default 1% relative accuracy; modelwatch its',
  `default (maxSize ${mw.DEFAULT_MAX_SIZE}, relative error ${(100 * new mw.ExpHistogram().insert(latencyMs).relativeError).toFixed(2)}% at the scale reached).`,
  '',
  '| contender | ns per value | time relative to modelwatch (4096-value batches) |',
  '| --- | ---: | ---: |',
  ...names.map((n, i) => `| ${n} | ${perValue(times[n]).toFixed(2)} | ${i === 0 ? '1' : `${(perValue(times[n]) / mwBatch).toFixed(2)}x`} |`),
  '',
  `Goals: >= 5x DDSketch.accept: **${(dd / mwBatch).toFixed(1)}x** (one 1e6 batch: ${(dd / mwOne).toFixed(1)}x); >= 2x hdr-histogram-js WebAssembly recordValue: **${(hd / mwBatch).toFixed(1)}x** (one batch: ${(hd / mwOne).toFixed(1)}x).`,
  '',
  `Summary of one binary window (100,000 rows, ${new TextEncoder().encode(text).length} bytes serialized):`,
  '',
  '| operation | time per call |',
  '| --- | ---: |',
  `| mergeSummaries(a, b) (validates both, merges 3 sketches, histograms, confusion) | ${fmt(mergeMs * 1000)} µs |`,
  `| ExpHistogram.merge (latency sketches) | ${fmt(sketchMergeMs * 1000)} µs |`,
  `| serializeSummary | ${fmt(serializeMs * 1000)} µs |`,
  `| parseSummary (with validation) | ${fmt(parseMs * 1000)} µs |`,
  `| summaryMetrics | ${fmt(metricsMs * 1000)} µs |`,
  '',
];
const md = lines.join('\n');
console.log(md);
mkdirSync('bench/.out', { recursive: true });
writeFileSync('bench/.out/summary.md', md + '\n');
