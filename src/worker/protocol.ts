// The worker boundary in one file: every type that crosses between the
// monitor (main thread) and the engine (module Worker, or in-thread where no
// Worker exists). comlink carries calls as messages; batches travel as
// transferred ArrayBuffers, so nothing here holds a function or a class.

import type { RowColumns, Task } from '../columns/index.js';
import type { ErrorCode } from '../errors.js';
import type { PredictionExtras, StoreEvent } from '../store/index.js';
import type {
  ClassificationResult,
  LatencyStats,
  RankingResult,
  RegressionResult,
  SlaResult,
  TrendResult,
} from '../metrics/types.js';
import type { FlushResult, SyncHeaders, SyncOptions, SyncRequest, SyncTuning } from '../sync/types.js';

/**
 * A batch from the main thread: the shared row columns (ids were allocated
 * there), the version, and per-row extras in the store's own layout.
 */
export interface IngestBatch extends RowColumns, Pick<PredictionExtras, 'classScores' | 'ranked'> {
  version: string;
}

/** Ground truth; for ranking, `label` is the number of relevant items and `relevant` lists them. */
export interface LabelIngest {
  id: Float64Array;
  label: Float64Array;
  labeledAt: Float64Array;
  relevant?: { offsets: Uint32Array; items: Float64Array };
}

/** An error as plain data: structured clone (a Worker's postMessage) keeps neither an Error's class nor its `code`. */
export interface ErrorInfo {
  name: string;
  /** The modelwatch code (StoreError, InputError, ...); absent for a platform error such as AbortError. */
  code?: ErrorCode;
  message: string;
}

/** A value as it crosses the worker boundary: every Error field becomes an ErrorInfo. */
export type Plain<E> = { [K in keyof E]: E[K] extends Error ? ErrorInfo : E[K] };

/**
 * Every StoreEvent, as plain data. Derived from the store's union, so a new
 * StoreEvent type crosses the boundary (and reaches monitor.on) unchanged.
 */
export type StoreEventInfo = StoreEvent extends infer E ? (E extends StoreEvent ? Plain<E> : never) : never;

/**
 * A batch the engine could not write, handed back after its retries (or at
 * once, for an error no retry can fix): the rows themselves, with their ids,
 * so the app can keep them elsewhere or resubmit them (Monitor.resubmit).
 */
export type WriteFailedEvent = {
  type: 'write-failed';
  /** Rows in the batch. */
  rows: number;
  /** Write attempts made. */
  attempts: number;
  /** The last failure. */
  error: ErrorInfo;
} & ({ kind: 'predictions'; batch: IngestBatch } | { kind: 'labels'; batch: LabelIngest });

/** What the engine reports to the monitor, besides answers to calls. */
export type EngineEvent = StoreEventInfo | WriteFailedEvent;

/** How the engine retries a batch it could not write before handing it back. */
export interface WriteRetry {
  /** Attempts in all (1: no retry). */
  attempts: number;
  /** Wait before the first retry (ms); doubled for each further one. */
  backoffMs: number;
  /** Rows kept for retry at most; a batch that would exceed this is handed back at once. */
  maxRows: number;
}

/** Relative change thresholds (fractions; the spec chapter's defaults). */
export interface DegradationThresholds {
  /** Lower-is-worse metrics: warning below -warning (default 0.05), critical below -critical (default 0.10). */
  lowerIsWorse: { warning: number; critical: number };
  /** Higher-is-worse metrics: warning above +warning (default 0.10), critical above +critical (default 0.20). */
  higherIsWorse: { warning: number; critical: number };
}

/** One row of the dashboard table: good above `good`, critical beyond `critical`, warning between. */
export interface StatusRule {
  /** 'higher': bigger values are better; 'lower': smaller values are better. */
  better: 'higher' | 'lower';
  good: number;
  critical: number;
  /** Compare the relative change against a baseline instead of the raw value. */
  relative?: boolean;
}

/** Engine configuration: the monitor's validated options that the engine needs. */
export interface EngineConfig {
  task: Task;
  model: string;
  /** Default model version. */
  version: string;
  dbName: string;
  /** Raw rows older than this become window summaries (ms). */
  retentionMs: number;
  /** Live latency window (rows). */
  latencyWindow: number;
  sla: { p50Ms: number; p99Ms: number };
  thresholds: DegradationThresholds;
  status: Record<string, StatusRule>;
  /** Labeled rows a window needs before degradation is judged. */
  minHistory: number;
  /** Significance level of the trend test. */
  alpha: number;
  /** Ranking cut-off for reports. */
  k: number;
  /** Given baseline (metric name -> value), or undefined. */
  baseline?: Record<string, number>;
  /** Keep labels only if at least this old (ms) when computing reports. */
  minFeedbackDelayMs?: number;
  /** Retries of failed batch writes. */
  writeRetry: WriteRetry;
  /** Summaries of closed windows go to this endpoint (see worker/sync.ts); absent = no sync. */
  sync?: SyncConfig;
}

/** Sync settings after the monitor's defaults and validation. */
export interface SyncConfig extends Pick<SyncOptions, 'endpoint' | 'format' | 'name'>, SyncTuning {
  headers: Record<string, string>;
  /** Time between delivery rounds (ms). */
  intervalMs: number;
  /** Given device id; else one is generated once and kept in the database. */
  deviceId?: string;
  /** Length of a summary window (ms); windows are aligned to multiples of it since the epoch. */
  windowMs: number;
  /** A window closes once its end is this far in the past (ms). */
  graceMs: number;
  /** The app's online switch at start (setOnline changes it). */
  online: boolean;
  /** The privacy floor (src/sync/privacy.ts); absent: off (the monitor always sets minRowsPerWindow and maxHoldMs). */
  minRowsPerWindow?: number;
  maxHoldMs?: number;
  segmentAllowList?: string[];
  rotateDeviceIdMs?: number;
}

/** Where sync stands. */
export interface SyncStatus {
  /**
   * 'disabled': no sync option; 'offline': the app or the network is offline;
   * 'error': the last delivery (or window close) failed and summaries wait;
   * 'syncing': summaries wait for the next delivery; 'online': nothing waits.
   */
  state: 'online' | 'offline' | 'syncing' | 'error' | 'disabled';
  /** Summaries waiting in the outbox (as this tab last read it). */
  outbox: number;
  /** Summaries delivered since the monitor started. */
  delivered: number;
  /** Predictions held back by the privacy floor (sync.minRowsPerWindow) until their series' next windows. */
  held?: number;
  /**
   * Labels that arrived after their window was sent, since sync first ran on
   * this database: sent as corrections; replacing a label the fleet already
   * counted (kept locally, not sent); of predictions never sent (backfills,
   * or windows sent under an earlier device id; not sent).
   */
  lateLabels?: { corrected: number; superseded: number; notSent: number };
  lastError?: string;
  deviceId?: string;
}

/** What syncNow did. */
export interface SyncNowResult {
  /** Summaries of the windows it closed. */
  enqueued: number;
  /** Summaries delivered while it ran: by its flush or by the engine's own, which may run first. */
  delivered: number;
  /** Summaries left in the outbox. */
  pending: number;
  /** Why delivery stopped early, if it did. */
  stopped?: FlushResult['stopped'];
}

/** A time window of a report, [from, to) in ms since the epoch. */
export interface ReportQuery {
  from: number;
  to: number;
  /** One version; omit for every version of the model. */
  version?: string;
}

/** The task's metrics, flattened to name -> value for degradation and status. */
export type MetricValues = Record<string, number>;

/** Metrics of one window (or one segment of it). */
export interface WindowMetrics {
  total: number;
  labeled: number;
  /** labeled / total (NaN without predictions). */
  coverage: number;
  classification?: ClassificationResult;
  /**
   * Binary and multiclass: labeled rows the score metrics (aucRoc,
   * averagePrecision, aucRocPerClass) cover, those with a score (binary) or a
   * full probability vector (multiclass). Fewer than `labeled` adds a
   * PARTIAL_SCORES warning; 0 leaves the score metrics out.
   */
  scoredRows?: number;
  regression?: RegressionResult;
  ranking?: RankingResult;
  latency?: LatencyStats;
  /** The task's headline metrics plus coverage and latency, flattened. */
  values: MetricValues;
}

/** A report of a window: totals, coverage, the task's metrics, by segment. */
export interface Report extends WindowMetrics {
  from: number;
  to: number;
  model: string;
  version?: string;
  task: Task;
  segments: Record<string, WindowMetrics>;
  /** Labels superseded by a later label of the same prediction. */
  duplicateLabels: number;
  sla: SlaResult;
}

/** One day of a daily series. */
export interface SeriesPoint extends WindowMetrics {
  from: number;
  to: number;
}

export type Severity = 'warning' | 'critical';
export type Status = 'good' | 'warning' | 'critical' | 'no_data';

/** A metric that moved beyond a threshold relative to the baseline. */
export interface Finding {
  metric: string;
  direction: 'lower-is-worse' | 'higher-is-worse';
  baseline: number;
  current: number;
  /** (current - baseline) / |baseline|, in percent. */
  changePct: number;
  severity: Severity;
}

/** A metric's trend over the periods of a series. */
export interface MetricTrend extends TrendResult {
  metric: string;
  /** 'declining' when the metric gets worse (for higher-is-worse metrics the slope is positive). */
  health: 'declining' | 'improving' | 'stable';
}

/** The dashboard table of the spec chapter. */
export interface StatusReport {
  overall: Status;
  rows: Record<string, { value: number; status: Status; rule: StatusRule }>;
}

/** An alert: raised once per metric and severity until it clears. */
export interface Alert {
  seq?: number;
  at: number;
  model: string;
  version: string;
  kind: 'degradation' | 'sla' | 'coverage' | 'trend';
  metric: string;
  severity: Severity;
  message: string;
  finding?: Finding;
}

/** Result of a check: the report, its judgement and the alerts it raised. */
export interface CheckResult {
  report: Report;
  baseline: MetricValues | undefined;
  findings: Finding[];
  trend: MetricTrend[];
  status: StatusReport;
  /** Alerts raised by this check (already persisted). */
  alerts: Alert[];
  /** Alert keys (metric:severity) that cleared in this check. */
  cleared: string[];
}

/** Live counters of what was ingested since the engine started. */
export interface LiveView {
  /** model -> version -> predicted class (or 'value' for regression/ranking) -> count. */
  counts: Record<string, Record<string, Record<string, number>>>;
  total: number;
  /** Latency histogram (Prometheus buckets, seconds): per-bucket counts, last is +Inf. */
  latencyBuckets: { le: number[]; counts: number[] };
  confidenceBuckets: { le: number[]; counts: number[] };
  /** Exact stats of the last `latencyWindow` latencies. */
  latency: LatencyStats | undefined;
  sla: SlaResult;
  /** navigator.storage.persisted(): true = the browser keeps this origin's data under storage pressure; undefined = unknown. */
  persisted: boolean | undefined;
}

/** Where the engine runs. */
export type EngineMode = 'worker' | 'in-thread';

/** The engine's API: every method is callable through comlink. */
export interface EngineApi {
  /**
   * Opens the store. `onEvent` receives store events and batches handed back;
   * `headers` is the app's sync headers function, which cannot be cloned into
   * the config. In a Worker both arrive as comlink proxies (headers then returns a Promise).
   */
  open(config: EngineConfig, factory?: IDBFactory, onEvent?: (event: EngineEvent) => void, headers?: SyncHeaders): Promise<{ alerts: Alert[] }>;
  reserveIdBlock(): Promise<number>;
  ingest(batch: IngestBatch): Promise<void>;
  ingestLabels(batch: LabelIngest): Promise<void>;
  /**
   * Resolves when everything ingested before it is durable; rejects with
   * StoreError WRITE_FAILED when a batch since the last flush was handed back.
   */
  flush(): Promise<void>;
  report(q: ReportQuery): Promise<Report>;
  series(q: ReportQuery & { periodMs: number }): Promise<SeriesPoint[]>;
  captureBaseline(q: ReportQuery): Promise<MetricValues>;
  setBaseline(values: MetricValues | undefined): Promise<void>;
  check(q: ReportQuery & { periodMs: number; periods: number }): Promise<CheckResult>;
  live(): Promise<LiveView>;
  alerts(q: { from?: number; to?: number }): Promise<Alert[]>;
  compact(now?: number): Promise<{ chunks: number; rows: number }>;
  syncStatus(): Promise<SyncStatus>;
  setOnline(online: boolean): Promise<void>;
  /** Closes windows up to `at` (ms, exclusive) and delivers. */
  syncNow(at: number): Promise<SyncNowResult>;
  /** Requests for a pagehide keepalive flush, for the main thread to send. */
  syncBeacon(): Promise<SyncRequest[]>;
  close(): Promise<void>;
}
