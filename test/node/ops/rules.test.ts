// The fleet's Prometheus rules and Grafana dashboard (scripts/ops/), checked
// with Debian's promtool: the rules load, their unit tests pass (and fail
// when a threshold is wrong), the rules give the library's own numbers on
// series written by modelwatch's Prometheus encoder, and the dashboard is a
// well-formed Grafana model whose every query parses and names only metrics
// that the encoder or the rules produce.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrometheus, init, mergeAll, summarize, summaryMetrics } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { deviceRows, deviceSummaries, rng } from '../../shared/sync/fixtures.js';

const PROMTOOL = process.env.MODELWATCH_PROMTOOL ?? '/usr/bin/promtool';
const OPS = join(import.meta.dirname, '../../../scripts/ops');
const RULES = join(OPS, 'modelwatch.rules.yml');
const DASHBOARD = join(OPS, 'grafana-dashboard.json');

let tmp: string;

beforeAll(async () => {
  // Loud, not skipped: scripts/setup.js installs Debian's `prometheus` package, which ships promtool.
  if (!existsSync(PROMTOOL)) throw new Error(`promtool not found at ${PROMTOOL}: install Debian's prometheus package (npm test's setup does) or set MODELWATCH_PROMTOOL`);
  await init();
  tmp = await mkdtemp(join(tmpdir(), 'modelwatch-ops-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Runs promtool (with `stdin` as its input, if given); resolves with its output and exit code instead of throwing. */
async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  return promtoolWith(undefined, ...args);
}

function promtoolWith(stdin: string | undefined, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** Record names of a rules file (its `record:` lines). */
async function recordNames(): Promise<Set<string>> {
  const text = await readFile(RULES, 'utf8');
  return new Set([...text.matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1]!));
}

describe('Prometheus rules (promtool)', () => {
  it('pass promtool check rules', async () => {
    const r = await promtool('check', 'rules', RULES);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it('pass their unit tests on synthetic series', async () => {
    const r = await promtool('test', 'rules', join(OPS, 'modelwatch.rules.test.yml'), join(OPS, 'modelwatch.baseline.test.yml'));
    expect(r.out, r.out).not.toContain('FAILED');
    expect(r.code, r.out).toBe(0);
  });

  it('unit tests fail when a threshold of the table is wrong', async () => {
    // Precision's critical bound 0.85 -> 0.80: the test's precision (0.840) is then a warning, not critical.
    const rules = (await readFile(RULES, 'utf8')).replace('(model_version:modelwatch_precision:ratio1h <  bool 0.85)', '(model_version:modelwatch_precision:ratio1h <  bool 0.80)');
    expect(rules).toContain('bool 0.80)');
    await writeFile(join(tmp, 'modelwatch.rules.yml'), rules);
    await copyFile(join(OPS, 'modelwatch.rules.test.yml'), join(tmp, 'modelwatch.rules.test.yml'));
    const r = await promtool('test', 'rules', join(tmp, 'modelwatch.rules.test.yml'));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('metric="precision"');
  });
});

describe('the synced series (promtool check metrics)', () => {
  it("the encoder's exposition of binary, 3-class and regression models passes promtool's lint", async () => {
    const text = encodePrometheus([...deviceSummaries(1, 0, 300), ...multiclassSummaries(1, 0, 200), ...regressionSummaries(1, 0, 100)], { labels: { device: 'd1' } });
    const r = await promtoolWith(text, 'check', 'metrics');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    // The lint is live: a gauge with a histogram's suffix fails it.
    const bad = await promtoolWith('# HELP x_sum y\n# TYPE x_sum gauge\nx_sum 1\n', 'check', 'metrics');
    expect(bad.code).not.toBe(0);
  });
});

// ------------------------------------------------------- end to end (encoder)

interface Sample {
  series: string;
  value: number;
}

/** The samples of a text exposition (format 0.0.4), one per line that is not a comment. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const value = line.slice(at + 1);
    out.push({ series: line.slice(0, at), value: value === '+Inf' ? Infinity : value === 'NaN' ? NaN : Number(value) });
  }
  return out;
}

/** Summaries of a regression device: y around 100, errors around 5 %, latencies log-normal around 20 ms. */
function regressionSummaries(device: number, w: number, n: number): Summary[] {
  const r = rng(5000 + 100 * device + w);
  const start = 1_700_000_000_000 + w * 60_000;
  const y = new Float64Array(n);
  const prediction = new Float64Array(n);
  const latencyMs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = 50 + 100 * r();
    prediction[i] = y[i]! * (1 + 0.1 * (r() - 0.5));
    latencyMs[i] = 20 * Math.exp(0.5 * (r() - 0.5));
  }
  return summarize({
    task: 'regression',
    predictions: {
      model: 'price', version: 'v2', segments: [''],
      id: Float64Array.from({ length: n }, (_, i) => device * 1e6 + w * 1e3 + i),
      timestamp: Float64Array.from({ length: n }, (_, i) => start + i),
      prediction, score: new Float64Array(n).fill(NaN), latencyMs, segment: new Uint16Array(n),
    },
    labels: y,
    window: { start, end: start + 60_000 },
  });
}

/** Summaries of a 3-class device: the label is the prediction 70 % of the time, else a random class. */
function multiclassSummaries(device: number, w: number, n: number): Summary[] {
  const r = rng(9000 + 100 * device + w);
  const start = 1_700_000_000_000 + w * 60_000;
  const prediction = new Float64Array(n);
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    prediction[i] = Math.floor(3 * r() * r() * 1.3) % 3; // classes of unequal frequency
    label[i] = r() < 0.15 ? NaN : r() < 0.7 ? prediction[i]! : Math.floor(3 * r());
  }
  return summarize({
    task: 'multiclass',
    predictions: {
      model: 'species', version: 'v3', segments: [''],
      id: Float64Array.from({ length: n }, (_, i) => device * 1e6 + w * 1e3 + i),
      timestamp: Float64Array.from({ length: n }, (_, i) => start + i),
      prediction, score: new Float64Array(n).fill(NaN), latencyMs: new Float64Array(n).fill(8), segment: new Uint16Array(n),
    },
    labels: label,
    window: { start, end: start + 60_000 },
  });
}

/** Per series key (model, version, segment), the merge of a list of summaries. */
function bySeries(list: readonly Summary[]): Summary[] {
  const m = new Map<string, Summary[]>();
  for (const s of list) {
    const k = JSON.stringify([s.model, s.modelVersion, s.segment]);
    m.set(k, [...(m.get(k) ?? []), s]);
  }
  return [...m.values()].map((g) => mergeAll(g));
}

describe('rules on series from encodePrometheus', () => {
  it('give the library summary metrics of the fleet and latency quantiles within the encoder bound', async () => {
    // Each device pushes its cumulative state: window 0 until minute 30, windows 0 + 1 after.
    // At minute 61 the rules' [1h] range holds both states, so every increase is window 1.
    const devices = [0, 1, 2];
    const window1: Summary[] = [];
    const latency1: number[] = [];
    const series = new Map<string, [number, number]>();
    const push = (text: string, state: 0 | 1): void => {
      for (const s of parseExposition(text)) {
        const v = series.get(s.series) ?? [0, 0];
        v[state] = s.value;
        series.set(s.series, v);
      }
    };
    for (const d of devices) {
      const w0 = [...deviceSummaries(d, 0, 300 + 50 * d), ...regressionSummaries(d, 0, 200), ...multiclassSummaries(d, 0, 150)];
      const w1 = [...deviceSummaries(d, 1, 400 + 70 * d), ...regressionSummaries(d, 1, 250 + 10 * d), ...multiclassSummaries(d, 1, 300 + 40 * d)];
      window1.push(...w1);
      latency1.push(...deviceRows(d, 1, 400 + 70 * d).latencyMs);
      const labels = { job: 'modelwatch', instance: 'pushgateway:9091', device: `d${d}` };
      push(encodePrometheus(bySeries(w0), { labels }), 0);
      push(encodePrometheus(bySeries([...w0, ...w1]), { labels }), 1);
    }
    // A series first written in the second state counts from 0 (as if it had been pushed as 0 before).
    const input = [...series].map(([name, [a, b]]) => `      - series: '${name}'\n        values: '${a}x30 ${b}x60'`).join('\n');

    const churn = summaryMetrics(mergeAll(window1.filter((s) => s.model === 'churn').map((s) => ({ ...s, segment: '' }))));
    const price = summaryMetrics(mergeAll(window1.filter((s) => s.model === 'price')));
    const c = churn.classificationMetrics!;
    const k = summaryMetrics(mergeAll(window1.filter((s) => s.model === 'species'))).classificationMetrics!;
    const r = price.regressionMetrics!;
    expect(c.precision).not.toBeCloseTo(c.recall, 6); // distinct numbers, so a swapped formula shows
    expect(k.precision).not.toBeCloseTo(k.f1Score, 6);
    const within = (expr: string, want: number, tol: number): string =>
      `      - expr: 'abs(${expr} - ${want}) <= bool ${tol}'\n        eval_time: 61m\n        exp_samples:\n          - labels: '${labelsOf(expr)}'\n            value: 1`;
    function labelsOf(expr: string): string {
      const model = /model="([^"]+)"/.exec(expr)![1]!;
      return `{job="modelwatch",model="${model}",version="${{ churn: 'v1', price: 'v2', species: 'v3' }[model]}"}`;
    }
    const exact = 1e-12;
    const sorted = Float64Array.from(latency1, (v) => v / 1000).sort();
    const orderStat = (q: number): number => sorted[Math.ceil(q * sorted.length) - 1]!;
    const tests = (precision: number): string[] => [
      within('model_version:modelwatch_accuracy:ratio1h{model="churn"}', c.accuracy, exact),
      within('model_version:modelwatch_precision:ratio1h{model="churn"}', precision, exact),
      within('model_version:modelwatch_recall:ratio1h{model="churn"}', c.recall, exact),
      within('model_version:modelwatch_f1_score:ratio1h{model="churn"}', c.f1Score, exact),
      within('model_version:modelwatch_label_coverage:ratio1h{model="churn"}', churn.coverage, exact),
      within('model_version:modelwatch_predictions:increase1h{model="churn"}', churn.count, 1e-9),
      // Multiclass: support-weighted over 3 classes of unequal frequency.
      within('model_version:modelwatch_accuracy:ratio1h{model="species"}', k.accuracy, exact),
      within('model_version:modelwatch_precision:ratio1h{model="species"}', k.precision, exact),
      within('model_version:modelwatch_recall:ratio1h{model="species"}', k.recall, exact),
      within('model_version:modelwatch_f1_score:ratio1h{model="species"}', k.f1Score, exact),
      within('model_version:modelwatch_mape:ratio1h{model="price"}', r.mape, 1e-9),
      within('model_version:modelwatch_r2_score:ratio1h{model="price"}', r.r2Score, 1e-9),
      // histogram_quantile on exact counts: within a relative 2.2 % (scale 5) of the order statistic.
      within('model_version:modelwatch_latency_seconds:p50_1h{model="churn"}', orderStat(0.5), 0.022 * orderStat(0.5)),
      within('model_version:modelwatch_latency_seconds:p99_1h{model="churn"}', orderStat(0.99), 0.022 * orderStat(0.99)),
    ];
    const file = (precision: number): string =>
      `rule_files:\n  - ${RULES}\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${input}\n    promql_expr_test:\n${tests(precision).join('\n')}\n`;
    const path = join(tmp, 'e2e.test.yml');
    await writeFile(path, file(c.precision));
    const res = await promtool('test', 'rules', path);
    expect(res.out, res.out.slice(0, 4000)).not.toContain('FAILED');
    expect(res.code).toBe(0);

    // The same file expecting a precision 1 % off must fail: the check is not vacuous.
    await writeFile(path, file(c.precision * 1.01));
    const bad = await promtool('test', 'rules', path);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('modelwatch_precision');
  });
});

// ------------------------------------------------------------ the dashboard

/** Metric names written by encodePrometheus for the task kinds the dashboard shows. */
function encoderMetrics(): Set<string> {
  const text = encodePrometheus([...deviceSummaries(0, 0, 200), ...regressionSummaries(0, 0, 50)]);
  const names = new Set<string>();
  for (const s of parseExposition(text)) names.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s.series)![0]);
  return names;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Metric names an expression selects: identifiers outside strings, label matchers and ranges, not called as functions. */
function selectedMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\(?))/g)) {
    const word = m[0];
    if (m[1] === '(' || PROMQL_WORDS.has(word.toLowerCase()) || /^\d/.test(word)) continue;
    out.push(word);
  }
  return out;
}

interface Panel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  gridPos?: { x?: unknown; y?: unknown; w?: unknown; h?: unknown };
  datasource?: { type?: unknown; uid?: unknown };
  targets?: { refId?: unknown; expr?: unknown; datasource?: { uid?: unknown } }[];
}

/**
 * Structural check of a Grafana dashboard model (schemaVersion 39): what an
 * import needs and what this dashboard promises. Returns the problems found.
 */
function validateDashboard(d: Record<string, unknown>, known: Set<string>): string[] {
  const bad: string[] = [];
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  if (typeof d.title !== 'string' || d.title === '') bad.push('title: missing');
  if (typeof d.uid !== 'string' || !/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid)) bad.push('uid: 1..40 of [a-zA-Z0-9_-]');
  if (!isInt(d.schemaVersion) || d.schemaVersion < 36) bad.push('schemaVersion: an integer >= 36');
  const time = d.time as { from?: unknown; to?: unknown } | undefined;
  if (typeof time?.from !== 'string' || typeof time.to !== 'string') bad.push('time: { from, to }');
  const vars = (d.templating as { list?: { name?: unknown; type?: unknown; query?: unknown }[] } | undefined)?.list;
  if (!Array.isArray(vars)) bad.push('templating.list: missing');
  const names = new Set((vars ?? []).map((v) => v.name));
  if (names.size !== (vars ?? []).length) bad.push('templating.list: duplicate names');
  const ds = (vars ?? []).find((v) => v.type === 'datasource');
  if (!ds || ds.query !== 'prometheus' || ds.name !== 'ds') bad.push('templating: a datasource variable "ds" of type prometheus');
  const panels = d.panels as Panel[] | undefined;
  if (!Array.isArray(panels) || panels.length === 0) return [...bad, 'panels: none'];
  const ids = new Set<unknown>();
  const types = new Set(['stat', 'table', 'timeseries', 'heatmap', 'gauge', 'bargauge', 'text', 'row']);
  const usedVar = (s: string): void => {
    for (const m of s.matchAll(/\$\{?([a-zA-Z_]\w*)/g)) if (!names.has(m[1]) && !m[1]!.startsWith('__')) bad.push(`variable $${m[1]} is not defined`);
  };
  for (const [i, p] of panels.entries()) {
    const at = `panels[${i}] (${String(p.title)})`;
    if (!isInt(p.id) || ids.has(p.id)) bad.push(`${at}.id: a unique integer`);
    ids.add(p.id);
    if (typeof p.type !== 'string' || !types.has(p.type)) bad.push(`${at}.type: ${String(p.type)}`);
    if (typeof p.title !== 'string' || p.title === '') bad.push(`${at}.title: missing`);
    const g = p.gridPos;
    if (!g || !isInt(g.x) || !isInt(g.y) || !isInt(g.w) || !isInt(g.h) || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) bad.push(`${at}.gridPos: integers within the 24-column grid`);
    if (p.datasource?.type !== 'prometheus' || p.datasource.uid !== '${ds}') bad.push(`${at}.datasource: { type: 'prometheus', uid: '\${ds}' }`);
    if (!Array.isArray(p.targets) || p.targets.length === 0) {
      bad.push(`${at}.targets: none`);
      continue;
    }
    const refs = new Set<unknown>();
    for (const [j, t] of p.targets.entries()) {
      if (typeof t.refId !== 'string' || refs.has(t.refId)) bad.push(`${at}.targets[${j}].refId: unique in the panel`);
      refs.add(t.refId);
      if (typeof t.expr !== 'string' || t.expr === '') {
        bad.push(`${at}.targets[${j}].expr: missing`);
        continue;
      }
      usedVar(t.expr);
      const metrics = selectedMetrics(t.expr);
      if (metrics.length === 0) bad.push(`${at}.targets[${j}]: selects no metric`);
      for (const m of metrics) if (!known.has(m)) bad.push(`${at}.targets[${j}]: ${m} is neither synced nor recorded`);
    }
  }
  for (const v of vars ?? []) if (typeof (v.query as { query?: unknown } | undefined)?.query === 'string') usedVar((v.query as { query: string }).query);
  return bad;
}

describe('Grafana dashboard', () => {
  let dashboard: Record<string, unknown>;
  let known: Set<string>;
  beforeAll(async () => {
    dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Record<string, unknown>;
    known = new Set([...encoderMetrics(), ...(await recordNames())]);
  });

  it('is a well-formed dashboard model naming only synced or recorded metrics', () => {
    expect(validateDashboard(dashboard, known)).toEqual([]);
    // The spec chapter's panels are all there.
    const titles = (dashboard.panels as Panel[]).map((p) => String(p.title)).join('\n');
    for (const t of ['Accuracy', 'Precision, recall, F1', 'AUC-ROC', 'MAPE', 'R²', 'p50', 'p99', 'coverage', 'metrics summary']) expect(titles).toContain(t);
  });

  it('the validator catches what it claims to', () => {
    const broken = structuredClone(dashboard) as { panels: Panel[] };
    broken.panels[1]!.id = broken.panels[0]!.id;
    broken.panels[2]!.targets![0]!.expr = 'rate(modelwatch_made_up_total{model=~"$nosuch"}[5m])';
    broken.panels[3]!.gridPos = { x: 20, y: 0, w: 8, h: 4 };
    const problems = validateDashboard(broken as unknown as Record<string, unknown>, known).join('\n');
    expect(problems).toContain('.id: a unique integer');
    expect(problems).toContain('modelwatch_made_up_total is neither synced nor recorded');
    expect(problems).toContain('$nosuch is not defined');
    expect(problems).toContain('gridPos');
  });

  it('every query parses (promtool check rules on a throwaway rules file)', async () => {
    const exprs: string[] = [];
    for (const p of dashboard.panels as Panel[]) for (const t of p.targets ?? []) exprs.push(String(t.expr));
    // Variables as Grafana would interpolate them into a regex matcher.
    const rules = exprs.map((e, i) => `      - record: dashboard:query:${i}\n        expr: ${JSON.stringify(e.replace(/\$\{?(\w+)\}?/g, '.*'))}`).join('\n');
    const path = join(tmp, 'dashboard.rules.yml');
    await writeFile(path, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
    const r = await promtool('check', 'rules', path);
    expect(r.out).toContain(`SUCCESS: ${exprs.length} rules found`);
    // A broken query is caught the same way.
    await writeFile(path, `groups:\n  - name: dashboard\n    rules:\n      - record: dashboard:bad\n        expr: "sum by (le (x)"\n`);
    expect((await promtool('check', 'rules', path)).code).not.toBe(0);
  });
});
