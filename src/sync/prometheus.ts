// Prometheus text exposition (format 0.0.4) of summaries: what a Pushgateway
// takes from each device and what a fleet receiver serves on GET /metrics.
//
// Counters end in _total; ratios such as accuracy are gauges; confidence is a
// classic histogram on the spec's buckets. Latency is a classic histogram on
// the spec's buckets merged with a fixed exponential grid read from the
// summary's latency sketch (see PrometheusOptions.exponentialScale): both
// sources count values exactly, so sums over devices are exact. Counters and
// histograms of a summary are totals since the series began, which is why a
// device pushes its cumulative state: pushing the same state twice is harmless.
import { InputError } from '../errors.js';
import { describe } from '../core/input.js';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_S, summaryMetrics } from '../summary/index.js';
import type { ExpHistogram, Summary } from '../summary/index.js';

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Default scale of the latency histogram's exponential `le` grid: 32 bounds
 * per doubling, histogram_quantile within 2.2% (scale 6 halves that and
 * doubles the series). It is below the summaries' sketch scale (6), so their
 * counts are exact at every bound.
 */
export const DEFAULT_EXPONENTIAL_SCALE = 5;
/** Default range, in seconds, covered by the exponential `le` grid (0.1 ms to 10 s). */
export const DEFAULT_EXPONENTIAL_RANGE_S: readonly [number, number] = [1e-4, 10];
const MAX_EXPORT_SCALE = 8;
/** Most grid bounds one range may hold: bounds the series a device pushes. */
const MAX_GRID = 8192;

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  lines: string[];
}

/** Escapes a label value (backslash, double quote, newline), as the format requires. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** A sample value as Prometheus reads it (+Inf, -Inf, NaN spelled its way). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Options of encodePrometheus. */
export interface PrometheusOptions {
  /** Labels added to every sample (e.g. { device: 'abc' } for a receiver); names must match [a-zA-Z_][a-zA-Z0-9_]*. */
  labels?: Labels;
  /** Metric name prefix (default 'modelwatch'). */
  prefix?: string;
  /**
   * Scale e (integer 0..8, default 5) of the exponential bounds added to the
   * latency histogram: le = base^k ms written in seconds, base = 2^(2^-e),
   * with counts read exactly from the latency sketch. null writes the spec's
   * buckets only. histogram_quantile interpolates linearly inside a bucket
   * (a, a·base], so for quantiles inside `exponentialRange` it lands within
   * a relative base − 1 of the order statistic of rank ⌈q·n⌉ (2.2% at scale
   * 5, 1.1% at 6), about twice the sketch's own (base − 1)/(base + 1),
   * which estimates at the bucket's geometric middle. Every device must use
   * the same scale and range for `sum by (le)` to add up.
   */
  exponentialScale?: number | null;
  /** [min, max] in seconds (default [1e-4, 10]) covered by the exponential bounds; beyond it only the spec's bounds and +Inf remain. */
  exponentialRange?: readonly [number, number];
}

/** 2^(2^-m) for m = 0..8 by repeated square roots: IEEE square roots are correctly rounded, so every JS engine gets the same doubles (Math.pow need not). */
const ROOTS: number[] = [2];
for (let m = 1; m <= MAX_EXPORT_SCALE; m++) ROOTS.push(Math.sqrt(ROOTS[m - 1]!));

/**
 * base^k in seconds for base = 2^(2^-e): the same double, hence the same
 * `le` string, on every device and engine (Prometheus matches `le` as text).
 */
function gridSeconds(k: number, e: number): number {
  const q = k >> e;
  const r = k - (q << e);
  let v = 1;
  for (let b = 0; b < e; b++) if ((r >> b) & 1) v *= ROOTS[e - b]!;
  // 2^q by exact doublings: Math.pow need not be exact.
  for (let i = 0; i < q; i++) v *= 2;
  for (let i = 0; i > q; i--) v /= 2;
  return v / 1000;
}

/** The grid of one encodePrometheus call: scale, index range and `le` texts. */
interface Grid {
  scale: number;
  lo: number;
  hi: number;
  seconds: Float64Array;
  texts: string[];
}

function makeGrid(scale: number | null | undefined, range: readonly [number, number] | undefined): Grid | null {
  const e = scale === undefined ? DEFAULT_EXPONENTIAL_SCALE : scale;
  if (e === null) return null;
  if (typeof e !== 'number' || !Number.isInteger(e) || e < 0 || e > MAX_EXPORT_SCALE) {
    throw new InputError('INVALID_OPTION', 'options.exponentialScale', `is ${describe(e)}; pass an integer in [0, ${MAX_EXPORT_SCALE}] (or null for the spec's buckets only).`);
  }
  const r: unknown = range ?? DEFAULT_EXPONENTIAL_RANGE_S;
  const [min, max] = Array.isArray(r) && r.length === 2 ? (r as unknown[]) : [NaN, NaN];
  if (typeof min !== 'number' || typeof max !== 'number' || !(min > 0 && min < max && max < Infinity)) {
    throw new InputError('INVALID_OPTION', 'options.exponentialRange', `is ${describe(range)}; pass [min, max] in seconds with 0 < min < max < Infinity.`);
  }
  // Start from logarithms, then settle on the deterministic bounds: lo is the last bound <= min, hi the first >= max.
  let lo = Math.floor(Math.log2(min * 1000) * 2 ** e);
  while (gridSeconds(lo + 1, e) <= min) lo++;
  while (gridSeconds(lo, e) > min) lo--;
  let hi = Math.ceil(Math.log2(max * 1000) * 2 ** e);
  while (gridSeconds(hi - 1, e) >= max) hi--;
  while (gridSeconds(hi, e) < max) hi++;
  if (hi - lo + 1 > MAX_GRID) {
    throw new InputError('INVALID_OPTION', 'options.exponentialRange', `spans ${hi - lo + 1} bounds at scale ${e}; narrow the range or lower exponentialScale (at most ${MAX_GRID}).`);
  }
  const seconds = new Float64Array(hi - lo + 1);
  const texts: string[] = [];
  for (let k = lo; k <= hi; k++) {
    seconds[k - lo] = gridSeconds(k, e);
    texts.push(formatValue(seconds[k - lo]!));
  }
  return { scale: e, lo, hi, seconds, texts };
}

interface Bound {
  le: number;
  text: string;
  count: number;
}

/**
 * Cumulative counts of a latency sketch (ms) at the grid bounds, densely from
 * the lower edge of its lowest non-empty bucket up to the grid's top: a
 * missing (device, le) pair drops the device from `sum by (le)` at that le,
 * which is harmless only below its values (where it counts 0). A sketch
 * coarser than the grid counts its bucket at the next bound it shares with
 * the grid (a lower bound in between, exact at the shared bounds).
 */
function gridCounts(h: ExpHistogram, g: Grid): Bound[] {
  if (h.count === 0) return [];
  const e = g.scale;
  const s = h.scale;
  let below = h.zeroCount;
  for (const c of h.negative.counts) below += c;
  // Grid index of each non-empty bucket's upper edge (ascending), and its count.
  const ups: number[] = [];
  const counts: number[] = [];
  const f = s < e ? 2 ** (e - s) : 1;
  const { offset, counts: cs } = h.positive;
  for (let k = 0; k < cs.length; k++) {
    if (cs[k]! <= 0) continue;
    const i = offset + k;
    ups.push(s >= e ? (i >> (s - e)) + 1 : (i + 1) * f);
    counts.push(cs[k]!);
  }
  if (below === 0 && ups.length === 0) return [];
  const start = below > 0 || ups.length === 0 ? g.lo : Math.max(g.lo, ups[0]! - f);
  const out: Bound[] = [];
  let j = 0;
  let cum = below;
  for (let k = start; k <= g.hi; k++) {
    while (j < ups.length && ups[j]! <= k) cum += counts[j++]!;
    out.push({ le: g.seconds[k - g.lo]!, text: g.texts[k - g.lo]!, count: cum });
  }
  return out;
}

/**
 * The latency histogram's bounds: the spec's (exact from latencyBuckets) and
 * the grid's (exact from the sketch at or above the grid's scale), merged in
 * order. The running maximum changes nothing for a consistent summary; it
 * raises a coarse sketch's in-between lower bounds to the spec's count below
 * them, and keeps a forged summary's output monotone.
 */
function latencyBounds(s: Summary, g: Grid | null): { bounds: Bound[]; total: number } {
  const spec: Bound[] = [];
  let cum = 0;
  LATENCY_BUCKETS_S.forEach((le, i) => {
    cum += s.latencyBuckets[i] ?? 0;
    spec.push({ le, text: formatValue(le), count: cum });
  });
  const total = cum + (s.latencyBuckets[LATENCY_BUCKETS_S.length] ?? 0);
  // Stable sort: a spec bound equal to a grid bound comes first and is kept.
  const all = g ? [...spec, ...gridCounts(s.latency, g)].sort((a, b) => a.le - b.le) : spec;
  const bounds: Bound[] = [];
  let run = 0;
  for (const b of all) {
    if (bounds.length && bounds[bounds.length - 1]!.text === b.text) continue;
    run = Math.min(total, Math.max(run, b.count));
    bounds.push({ ...b, count: run });
  }
  return { bounds, total };
}

/**
 * Text exposition of summaries, one series per (model, version, segment);
 * each summary should hold the series' totals (merge windows first). Needs
 * init() (gauges are read with summaryMetrics).
 *
 * Latency (`<prefix>_latency_seconds`) keeps the spec chapter's bounds
 * (0.01 .. 1 s) and adds the bounds base^k ms (in seconds) of a fixed
 * exponential grid (`exponentialScale`, default 5; `exponentialRange`,
 * default 0.1 ms .. 10 s), with counts exact at every bound: the spec's
 * from the summary's bucket counts, the grid's from its latency sketch,
 * whose bucket (base^i, base^(i+1)] is the grid's bucket. Each series
 * writes the grid densely from its lowest non-empty bucket to the range's
 * top (so `sum by (le)` over devices is exact at every le; about 32 series
 * per doubling of latency at scale 5), every le spelled identically on
 * every device. Hence, for
 * `histogram_quantile(q, sum by (le) (<prefix>_latency_seconds_bucket))`
 * with the quantile inside the range: within a relative base − 1 of the
 * order statistic of rank ⌈q·n⌉ (2.2% at scale 5, 1.1% at 6), because
 * Prometheus interpolates linearly inside an exact bucket (a, a·base]; an
 * interpolated quantile such as numpy's may differ from that order
 * statistic by the gap to its neighbour. A sketch coarser than the grid
 * (scale s < e: only with a small maxSize or extreme ranges) is exact only
 * at every 2^(e−s)-th bound and counts each bucket at its upper edge,
 * which widens the bound to 2^(2^-s)·base − 1. Below the range Prometheus
 * interpolates from 0, above it answers the range's top.
 */
export function encodePrometheus(summaries: readonly Summary[], options: PrometheusOptions = {}): string {
  const prefix = options.prefix ?? 'modelwatch';
  if (!LABEL_NAME.test(prefix)) throw new InputError('INVALID_OPTION', 'options.prefix', `is ${JSON.stringify(prefix)}; use letters, digits and _ (not first).`);
  const extra = options.labels ?? {};
  for (const k of Object.keys(extra)) {
    if (!LABEL_NAME.test(k) || k.startsWith('__') || k === 'le') throw new InputError('INVALID_OPTION', `options.labels.${k}`, 'is not a valid Prometheus label name.');
  }
  const grid = makeGrid(options.exponentialScale, options.exponentialRange);
  const families = new Map<string, Family>();
  const family = (name: string, type: Family['type'], help: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help, type, lines: [] }));
    return f;
  };
  const sample = (name: string, type: Family['type'], help: string, labels: Labels, value: number, suffix = ''): void => {
    family(name, type, help).lines.push(`${prefix}_${name}${suffix}${labelText(labels)} ${formatValue(value)}`);
  };
  const histogram = (name: string, help: string, labels: Labels, bounds: readonly Bound[], total: number, sum: number): void => {
    const f = family(name, 'histogram', help);
    for (const b of bounds) f.lines.push(`${prefix}_${name}_bucket${labelText({ ...labels, le: b.text })} ${b.count}`);
    f.lines.push(`${prefix}_${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${total}`);
    f.lines.push(`${prefix}_${name}_sum${labelText(labels)} ${formatValue(sum)}`);
    f.lines.push(`${prefix}_${name}_count${labelText(labels)} ${total}`);
  };
  const classic = (bounds: readonly number[], perBucket: readonly number[]): { bounds: Bound[]; total: number } => {
    let cum = 0;
    const out = bounds.map((le, i) => ({ le, text: formatValue(le), count: (cum += perBucket[i] ?? 0) }));
    return { bounds: out, total: cum + (perBucket[bounds.length] ?? 0) };
  };

  for (const s of summaries) {
    const labels: Labels = { ...extra, model: s.model, version: s.modelVersion, segment: s.segment };
    sample('predictions_total', 'counter', 'Predictions made.', labels, s.count);
    sample('labeled_total', 'counter', 'Predictions with ground truth.', labels, s.labeled);
    if (s.predicted) {
      s.predicted.classes.forEach((c, i) => {
        sample('predicted_class_total', 'counter', 'Predictions by predicted class.', { ...labels, class: String(c) }, s.predicted!.counts[i]!);
      });
    }
    if (s.confusion) {
      const k = s.confusion.classes.length;
      let correct = 0;
      for (let i = 0; i < k; i++) correct += s.confusion.cells[i * k + i]!;
      sample('correct_total', 'counter', 'Labeled predictions equal to their label (fleet accuracy = sum(correct) / sum(labeled)).', labels, correct);
      // Per-class counts of the confusion matrix (rows true, columns predicted):
      // PromQL cannot match a series' label against another of its labels, so
      // the diagonal is written apart; fleet precision, recall and F1 are
      // ratios of their sums (scripts/ops/modelwatch.rules.yml).
      s.confusion.classes.forEach((cls, i) => {
        let tp = 0, fp = 0, fn = 0;
        for (let j = 0; j < k; j++) {
          if (j === i) tp = s.confusion!.cells[i * k + i]!;
          else {
            fp += s.confusion!.cells[j * k + i]!;
            fn += s.confusion!.cells[i * k + j]!;
          }
        }
        const cl = { ...labels, class: String(cls) };
        sample('true_positives_total', 'counter', 'Labeled predictions of this class whose label is this class.', cl, tp);
        sample('false_positives_total', 'counter', 'Labeled predictions of this class whose label is another class.', cl, fp);
        sample('false_negatives_total', 'counter', 'Labeled rows of this class predicted as another class.', cl, fn);
      });
    }
    if (s.regression) {
      // Sufficient sums of labeled regression rows (e = y - prediction), so
      // that MAPE and R² of any set of devices and any time range are ratios
      // of increases. Σy can fall, so it is a gauge (read it with delta()).
      const r = s.regression;
      sample('squared_error_total', 'counter', 'Sum of squared errors (y - prediction)² of labeled rows.', labels, r.sumE2);
      sample('abs_pct_error_total', 'counter', 'Sum of |y - prediction| / max(|y|, eps) of labeled rows (MAPE = 100 * this / labeled).', labels, r.sumApe);
      sample('label_squared_total', 'counter', 'Sum of y² of labeled rows.', labels, r.sumY2);
      sample('labels_summed', 'gauge', 'Sum of y of labeled rows since the series began (may fall; use delta()).', labels, r.sumY);
    }
    const lat = latencyBounds(s, grid);
    histogram('latency_seconds', 'Model call latency in seconds.', labels, lat.bounds, lat.total, s.latency.sum / 1000);
    const conf = classic(CONFIDENCE_BUCKETS, s.confidenceBuckets);
    histogram('confidence', 'Prediction scores.', labels, conf.bounds, conf.total, s.confidence.sum);
    const m = summaryMetrics(s);
    sample('label_coverage', 'gauge', 'Share of predictions with ground truth.', labels, m.coverage);
    const c = m.classificationMetrics;
    if (c) {
      sample('accuracy', 'gauge', 'Accuracy of labeled predictions.', labels, c.accuracy);
      sample('f1_score', 'gauge', 'Support-weighted F1 score.', labels, c.f1Score);
      if (c.aucRoc !== undefined) sample('auc_roc', 'gauge', 'AUC-ROC from score histograms (see the summary bounds).', labels, c.aucRoc);
    }
    const r = m.regressionMetrics;
    if (r) {
      sample('mae', 'gauge', 'Mean absolute error.', labels, r.mae);
      sample('rmse', 'gauge', 'Root mean squared error.', labels, r.rmse);
    }
  }
  let out = '';
  for (const [name, f] of families) {
    const full = `${prefix}_${name}`;
    out += `# HELP ${full} ${f.help}\n# TYPE ${full} ${f.type}\n${f.lines.join('\n')}\n`;
  }
  return out;
}

const SAFE_SEGMENT = /^[A-Za-z0-9_.:-]+$/;

/** base64url without padding, as the Pushgateway's `label@base64` path form expects. */
function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The Pushgateway URL of a group: {base}/metrics/job/{job}/device/{id}, then
 * `labels` in order (the sync engine adds model, version and segment: one
 * group per series). Values that are not plain path segments use the
 * `@base64` form (https://github.com/prometheus/pushgateway#url).
 */
export function pushgatewayUrl(base: string, job: string, deviceId: string, labels: Readonly<Record<string, string>> = {}): string {
  const part = (name: string, v: string): string => (SAFE_SEGMENT.test(v) ? `${name}/${v}` : `${name}@base64/${base64url(v) || '='}`);
  const more = Object.entries(labels).map(([k, v]) => `/${part(k, v)}`).join('');
  return `${base.replace(/\/+$/, '')}/metrics/${part('job', job)}/${part('device', deviceId)}${more}`;
}
