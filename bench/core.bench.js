// [core] benchmarks: modelwatch's WASM kernels against good pure-JS code on
// the same seeded data, in one process; AUC/AP also against scikit-learn in
// its own process on the very same rows (written to a file).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as mw from '../dist/index.js';
import { compare, fmt, rng } from './harness.js';

const N = 1_000_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
await mw.init();

// ---------------------------------------------------------------- data
const rand = rng(20261128);
const yTrue = new Float64Array(N);
const yPred = new Float64Array(N);
const score = new Float64Array(N);
const score32 = new Float64Array(N); // the same scores as float32 values, as TF.js / ONNX Runtime Web emit them
const scoreFull = new Float64Array(N); // unrounded doubles: the hardest case for the sort
const latency = new Float64Array(N);
const target = new Float64Array(N);
const predicted = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const y = rand() < 0.3 ? 1 : 0;
  // A realistic classifier: positives score higher on average, 4 decimals
  // (so ties occur, as with quantized model outputs).
  const s = Math.min(1, Math.max(0, 0.35 * rand() + 0.65 * (y ? rand() ** 0.5 : rand() ** 2)));
  yTrue[i] = y;
  score[i] = Math.round(s * 1e4) / 1e4;
  score32[i] = Math.fround(s);
  scoreFull[i] = s;
  yPred[i] = score[i] >= 0.5 ? 1 : 0;
  latency[i] = 5 + 20 * rand() + (rand() < 0.02 ? 200 * rand() : 0); // ms, heavy tail
  target[i] = 100 * rand();
  predicted[i] = target[i] + 10 * (rand() - 0.5) * (1 + rand());
}

// ------------------------------------------------------- JS baselines
/** AUC + AP in good pure JS: native typed-array sorts of each class's scores, one merge walk. */
function jsAucAp(y, s) {
  let p = 0;
  for (let i = 0; i < y.length; i++) p += y[i];
  const pos = new Float64Array(p);
  const neg = new Float64Array(y.length - p);
  let a = 0, b = 0;
  for (let i = 0; i < y.length; i++) { if (y[i] === 1) pos[a++] = s[i]; else neg[b++] = s[i]; }
  pos.sort(); // typed-array sort: numeric, native, no comparator
  neg.sort();
  let i = pos.length - 1, j = neg.length - 1, tp = 0, fp = 0, area = 0, ap = 0;
  while (i >= 0 || j >= 0) {
    const t = i >= 0 && (j < 0 || pos[i] >= neg[j]) ? pos[i] : neg[j];
    const tp0 = tp, fp0 = fp;
    while (i >= 0 && pos[i] === t) { tp++; i--; }
    while (j >= 0 && neg[j] === t) { fp++; j--; }
    area += (fp - fp0) * (tp + tp0);
    if (tp !== tp0) ap += (tp - tp0) * (tp / (tp + fp));
  }
  return { aucRoc: area / (2 * pos.length * neg.length), averagePrecision: ap / pos.length };
}

/** numpy-style percentiles from a full Float64Array.prototype.sort. */
function jsPercentiles(values, ps) {
  const s = Float64Array.from(values).sort();
  return ps.map((p) => {
    const vi = (s.length - 1) * (p / 100);
    const lo = Math.floor(vi), g = vi - lo;
    const a = s[lo], b = s[Math.min(lo + 1, s.length - 1)];
    return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
  });
}

/** Binary confusion counts with the same input checks, in a plain JS loop. */
function jsConfusion(t, p) {
  let tp = 0, tn = 0, fp = 0, fn = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i], b = p[i];
    if (!Number.isInteger(a) || !Number.isInteger(b)) throw new Error('labels must be integers');
    if (a === 1) { if (b === 1) tp++; else fn++; } else if (b === 1) fp++; else tn++;
  }
  return { tp, tn, fp, fn, accuracy: (tp + tn) / t.length };
}

/** In-place quickselect (median of three, Hoare), the JS twin of the WASM kernel's. */
function select(a, k) {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const mid = lo + ((hi - lo) >> 1);
    if (a[mid] < a[lo]) [a[mid], a[lo]] = [a[lo], a[mid]];
    if (a[hi] < a[lo]) [a[hi], a[lo]] = [a[lo], a[hi]];
    if (a[hi] < a[mid]) [a[hi], a[mid]] = [a[mid], a[hi]];
    const pivot = a[mid];
    let i = lo - 1, j = hi + 1;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j) break;
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    if (k <= j) hi = j; else lo = j + 1;
  }
  return a[k];
}

/** Regression metrics in a plain JS loop, median absolute error by quickselect. */
function jsRegression(t, p) {
  const n = t.length;
  const abs = new Float64Array(n);
  let sa = 0, sq = 0, sy = 0, sp = 0, mx = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(t[i]) || !Number.isFinite(p[i])) throw new Error('values must be finite');
    const e = p[i] - t[i], ae = Math.abs(e);
    abs[i] = ae; sa += ae; sq += e * e; sy += t[i];
    sp += ae / Math.max(Math.abs(t[i]), 2.220446049250313e-16);
    if (ae > mx) mx = ae;
  }
  const mean = sy / n;
  let st = 0;
  for (let i = 0; i < n; i++) st += (t[i] - mean) ** 2;
  const m = n >> 1;
  let median = select(abs, m);
  if (n % 2 === 0) { let below = -Infinity; for (let i = 0; i < m; i++) if (abs[i] > below) below = abs[i]; median = (below + median) / 2; }
  return { mae: sa / n, mse: sq / n, r2: 1 - sq / st, mape: (100 * sp) / n, maxError: mx, medianError: median };
}

const close = (a, b, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
const agree = (label, pairs) => (r) => {
  for (const [x, y, get] of pairs) {
    if (!close(get(r[x]), get(r[y]))) throw new Error(`${label}: ${x}=${get(r[x])} vs ${y}=${get(r[y])}`);
  }
};

// --------------------------------------------------------------- runs
const PS = [50, 75, 90, 95, 99];
const rows = [];
function record(name, peer, t, ours, theirs, goal) {
  const ratio = t[theirs] / t[ours];
  rows.push({ name, peer, ours: t[ours], theirs: t[theirs], ratio, goal });
  console.log(`${name}: modelwatch ${fmt(t[ours])} ms, ${peer} ${fmt(t[theirs])} ms, ratio ${ratio.toFixed(2)}x (goal >= ${goal}x)`);
}

let t = compare({
  modelwatch: () => mw.scoreMetrics(yTrue, score),
  js: () => jsAucAp(yTrue, score),
}, { rounds: ROUNDS, check: agree('auc', [['modelwatch', 'js', (r) => r.aucRoc], ['modelwatch', 'js', (r) => r.averagePrecision]]) });
record('AUC-ROC + average precision, 1e6 rows (scores with 4 decimals)', 'pure JS (typed-array sorts + merge walk)', t, 'modelwatch', 'js', 5);

for (const [what, data] of [['float32 scores', score32], ['unrounded double scores', scoreFull]]) {
  t = compare({
    modelwatch: () => mw.scoreMetrics(yTrue, data),
    js: () => jsAucAp(yTrue, data),
  }, { rounds: ROUNDS, check: agree('auc', [['modelwatch', 'js', (r) => r.aucRoc], ['modelwatch', 'js', (r) => r.averagePrecision]]) });
  record(`AUC-ROC + average precision, 1e6 rows (${what})`, 'pure JS (typed-array sorts + merge walk)', t, 'modelwatch', 'js', 5);
}

t = compare({
  modelwatch: () => Array.from(mw.percentiles(latency, PS)),
  js: () => jsPercentiles(latency, PS),
}, { rounds: ROUNDS, check: (r) => r.modelwatch.forEach((v, i) => { if (v !== r.js[i]) throw new Error(`p${PS[i]}: ${v} vs ${r.js[i]}`); }) });
record('exact p50..p99 of 1e6 latencies', 'Float64Array.prototype.sort + interpolation', t, 'modelwatch', 'js', 3);

t = compare({
  modelwatch: () => mw.latencyStats(latency),
  js: () => jsPercentiles(latency, PS),
}, { rounds: ROUNDS });
record('latencyStats (moments + p50..p99) of 1e6 latencies', 'Float64Array.prototype.sort + interpolation (percentiles only)', t, 'modelwatch', 'js', 3);

t = compare({
  modelwatch: () => mw.classificationMetrics(yTrue, yPred),
  js: () => jsConfusion(yTrue, yPred),
}, { rounds: ROUNDS, check: agree('confusion', [['modelwatch', 'js', (r) => r.accuracy]]) });
record('binary confusion counts (+ all derived metrics), 1e6 rows', 'plain JS loop (counts only)', t, 'modelwatch', 'js', 1.5);

t = compare({
  modelwatch: () => mw.regressionMetrics(target, predicted),
  js: () => jsRegression(target, predicted),
}, { rounds: ROUNDS, check: agree('regression', [['modelwatch', 'js', (r) => r.mae], ['modelwatch', 'js', (r) => r.medianError], ['modelwatch', 'js', (r) => r.maxError]]) });
record('regression metrics (MAE..median error), 1e6 rows', 'plain JS loop + JS quickselect', t, 'modelwatch', 'js', 1.5);

// scikit-learn on the same rows, in its own process.
mkdirSync('bench/.out', { recursive: true });
writeFileSync('bench/.out/auc_y.f64', Buffer.from(yTrue.buffer));
writeFileSync('bench/.out/auc_s.f64', Buffer.from(score.buffer));
let sk = null;
try {
  const out = execFileSync('/usr/bin/python3', ['scripts/bench_sklearn.py', 'bench/.out/auc_y.f64', 'bench/.out/auc_s.f64', String(ROUNDS)], { encoding: 'utf8' });
  sk = JSON.parse(out);
  const ours = compare({ modelwatch: () => mw.scoreMetrics(yTrue, score) }, { rounds: ROUNDS }).modelwatch;
  const mine = mw.scoreMetrics(yTrue, score);
  if (!close(mine.aucRoc, sk.auc, 1e-12) || !close(mine.averagePrecision, sk.ap, 1e-12)) {
    throw new Error(`sklearn disagrees: auc ${sk.auc} vs ${mine.aucRoc}, ap ${sk.ap} vs ${mine.averagePrecision}`);
  }
  rows.push({ name: 'AUC-ROC + average precision, 1e6 rows (scores with 4 decimals)', peer: `scikit-learn ${sk.version} (roc_auc_score + average_precision_score, own process)`, ours, theirs: sk.ms, ratio: sk.ms / ours, goal: null });
  console.log(`sklearn: ${fmt(sk.ms)} ms vs modelwatch ${fmt(ours)} ms: ${(sk.ms / ours).toFixed(1)}x`);
} catch (e) {
  console.log(`scikit-learn comparison skipped: ${e.message}`);
}

const lines = [
  '## [core] metric kernels (Node, one process, same seeded data)',
  '',
  `1e6 rows; ${ROUNDS} interleaved rounds after 3 warm-up rounds; median per call. modelwatch times include copying the inputs into WASM memory and validating them.`,
  '',
  '| benchmark | peer | modelwatch (ms) | peer (ms) | ratio | goal |',
  '|---|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.peer} | ${fmt(r.ours)} | ${fmt(r.theirs)} | **${r.ratio.toFixed(2)}x** | ${r.goal ? `>= ${r.goal}x ${r.ratio >= r.goal ? '(met)' : '(NOT met)'}` : 'reported'} |`),
  '',
];
writeFileSync('bench/.out/core.md', lines.join('\n'));
