// Prometheus text exposition (format 0.0.4) of summaries: what a Pushgateway
// takes from each device and what a fleet receiver serves on GET /metrics.
//
// Counters end in _total; latency and confidence are classic histograms on
// the spec's buckets, read from the summary's exact per-bucket counts (so sums
// over devices are exact); ratios such as accuracy are gauges. Counters and
// histograms of a summary are totals since the series began, which is why a
// device pushes its cumulative state: pushing the same state twice is harmless.
import { InputError } from '../errors.js';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_S, summaryMetrics } from '../summary/index.js';
import type { Summary } from '../summary/index.js';

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

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
}

/**
 * Text exposition of summaries, one series per (model, version, segment);
 * each summary should hold the series' totals (merge windows first). Needs
 * init() (gauges are read with summaryMetrics).
 */
export function encodePrometheus(summaries: readonly Summary[], options: PrometheusOptions = {}): string {
  const prefix = options.prefix ?? 'modelwatch';
  if (!LABEL_NAME.test(prefix)) throw new InputError('INVALID_OPTION', 'options.prefix', `is ${JSON.stringify(prefix)}; use letters, digits and _ (not first).`);
  const extra = options.labels ?? {};
  for (const k of Object.keys(extra)) {
    if (!LABEL_NAME.test(k) || k.startsWith('__') || k === 'le') throw new InputError('INVALID_OPTION', `options.labels.${k}`, 'is not a valid Prometheus label name.');
  }
  const families = new Map<string, Family>();
  const family = (name: string, type: Family['type'], help: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help, type, lines: [] }));
    return f;
  };
  const sample = (name: string, type: Family['type'], help: string, labels: Labels, value: number, suffix = ''): void => {
    family(name, type, help).lines.push(`${prefix}_${name}${suffix}${labelText(labels)} ${formatValue(value)}`);
  };
  const histogram = (name: string, help: string, labels: Labels, bounds: readonly number[], perBucket: readonly number[], sum: number): void => {
    const f = family(name, 'histogram', help);
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += perBucket[i] ?? 0;
      const le = i < bounds.length ? formatValue(bounds[i]!) : '+Inf';
      f.lines.push(`${prefix}_${name}_bucket${labelText({ ...labels, le })} ${cumulative}`);
    }
    f.lines.push(`${prefix}_${name}_sum${labelText(labels)} ${formatValue(sum)}`);
    f.lines.push(`${prefix}_${name}_count${labelText(labels)} ${cumulative}`);
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
    }
    histogram('latency_seconds', 'Model call latency in seconds.', labels, LATENCY_BUCKETS_S, s.latencyBuckets, s.latency.sum / 1000);
    histogram('confidence', 'Prediction scores.', labels, CONFIDENCE_BUCKETS, s.confidenceBuckets, s.confidence.sum);
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
 * The Pushgateway URL of one device's group: {base}/metrics/job/{job}/device/{id}.
 * Values that are not plain path segments use the `@base64` form
 * (https://github.com/prometheus/pushgateway#url).
 */
export function pushgatewayUrl(base: string, job: string, deviceId: string): string {
  const part = (name: string, v: string): string => (SAFE_SEGMENT.test(v) ? `${name}/${v}` : `${name}@base64/${base64url(v) || '='}`);
  return `${base.replace(/\/+$/, '')}/metrics/${part('job', job)}/${part('device', deviceId)}`;
}
