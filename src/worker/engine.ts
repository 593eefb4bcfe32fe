// The engine: owns the WASM core, the store and the live summaries. It runs
// inside the module Worker (worker.ts exposes it with comlink) or, where no
// Worker exists, in the caller's thread behind the same async API.
//
// Reports are computed from raw rows with [core]'s metric functions, so a
// report equals classificationMetrics / regressionMetrics / rankingMetrics /
// latencyStats on the same rows. Rows past retention are folded into daily
// window summaries ([summaries]) before the store deletes them.

import { init } from '../core/wasm.js';
import { InputError, StateError } from '../errors.js';
import { latencySla, latencyStats } from '../metrics/latency.js';
import { rankingMetrics } from '../metrics/ranking.js';
import type { RankingQuery } from '../metrics/ranking.js';
import { regressionMetrics } from '../metrics/regression.js';
import { AlertLatch, dashboardStatus, detectDegradation, detectTrends } from '../monitor/degradation.js';
import { ID_BLOCK, StoreError, isPersisted, openStore } from '../store/index.js';
import type { FoldBatch, PredictionBatch, PredictionChunk, Store, StoreOptions } from '../store/index.js';
import {
  CONFIDENCE_BUCKETS,
  LATENCY_BUCKETS_S,
  mergeSummaries,
  parseSummary,
  serializeSummary,
  summarize,
} from '../summary/index.js';
import type { Summary } from '../summary/index.js';
import { binaryScored, multiclassScored, pick, pickVectors } from './scores.js';
import type { ClassScores } from './scores.js';
import { startSync } from './sync.js';
import type { SyncBridge } from './sync.js';
import { KeptWrites, plainEvent } from './writes.js';
import type { WriteHooks, WriteJob } from './writes.js';
import type {
  Alert,
  CheckResult,
  EngineApi,
  EngineConfig,
  EngineEvent,
  IngestBatch,
  LabelIngest,
  LiveView,
  MetricValues,
  Report,
  ReportQuery,
  SeriesPoint,
  WindowMetrics,
} from './protocol.js';

const DAY = 86_400_000;
/** Most points of one series (ten years of days). */
const MAX_PERIODS = 3660;
/** Model name suffix of the pseudo-model that stores ranking relevance (see ingestLabels). */
const RELEVANCE = '\u0000relevance';
/** Store meta key of a model version's persisted baseline (null once cleared). */
const baselineMeta = (model: string, version: string): string => JSON.stringify(['baseline', model, version]);
/** Model name suffix of the summary record where earlier versions kept the baseline (moved to meta on open). */
const LEGACY_BASELINE = '\u0000baseline';
/** Live summaries cover all time: one window wide enough for any timestamp. */
const ALL_TIME = { start: -8.64e15, end: 8.64e15 };

/** Rows of a window, all (for totals and latency) and labeled (for metrics). */
interface Rows {
  /** All predictions in range: timestamp, latency, segment name index. */
  all: { timestamp: Float64Array; latencyMs: Float64Array; segment: Uint16Array; segments: string[]; id: Float64Array };
  /** Labeled predictions in range. */
  lab: {
    timestamp: Float64Array;
    prediction: Float64Array;
    score: Float64Array;
    label: Float64Array;
    segment: Uint16Array;
    segments: string[];
    id: Float64Array;
    /** Multiclass probability vectors of the labeled rows (NaN where a row has none), if any chunk has them. */
    classScores?: ClassScores;
  };
  /** Prediction timestamp of each superseded label in the range read (see buildReport). */
  duplicateAt: Float64Array;
  /** Ranking: the judged query of each labeled row (aligned with lab). */
  queries?: (RankingQuery | undefined)[];
}

function concat(parts: Float64Array[]): Float64Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float64Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The persisted baseline: store meta, else the record of an earlier version, moved to meta. */
async function savedBaseline(s: Store, c: EngineConfig): Promise<MetricValues | undefined> {
  const key = baselineMeta(c.model, c.version);
  const saved = await s.getMeta(key);
  if (saved !== undefined) return (saved ?? undefined) as MetricValues | undefined;
  const [legacy] = await s.summaries({ model: c.model + LEGACY_BASELINE, version: c.version });
  const values = legacy?.data as MetricValues | undefined;
  if (values) await s.setMeta(key, values);
  return values;
}

/** Creates an engine; `open()` must be called first. */
export function createEngine(): EngineApi {
  let cfg: EngineConfig | undefined;
  let store: Store | undefined;
  let baseline: MetricValues | undefined;
  let latch = new AlertLatch();
  /** version -> segment -> live summary. */
  const live = new Map<string, Map<string, Summary>>();
  let latencies = new Float64Array(0);
  let latHead = 0;
  let latCount = 0;
  let relBlock: { next: number; end: number } | undefined;
  let sync: SyncBridge | undefined;
  let onEvent: ((event: EngineEvent) => void) | undefined;
  /** How the store was opened, to reopen it the same way (see recover). */
  let storeOptions: StoreOptions | undefined;
  let reopening: Promise<void> | undefined;
  let writes = new KeptWrites({ attempts: 1, backoffMs: 0, maxRows: 0 });
  /** Batches handed back since the last flush(): flush() rejects with them. */
  let handedBack: { rows: number; error: StoreError }[] = [];

  // Events go to the monitor; in worker mode `onEvent` is a comlink proxy whose
  // calls return promises (rejected once the page is gone): never unhandled.
  function emit(event: EngineEvent): void {
    try {
      const r = onEvent?.(event) as unknown;
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // A failing listener must not break the engine.
    }
  }

  const need = (): { c: EngineConfig; s: Store } => {
    if (!cfg || !store) throw new StateError('STORE_CLOSED', 'the monitor engine is not open (call open() first, or it was closed)');
    return { c: cfg, s: store };
  };

  // Folds rows leaving retention into one summary record per (version, day),
  // holding one serialized summary per segment and the chunk keys folded, so a
  // batch folded twice (a retried compaction) is not counted twice.
  async function fold(batch: FoldBatch): Promise<void> {
    const { c, s } = need();
    const p = batch.predictions;
    if (p.model !== c.model) return; // the relevance pseudo-model has nothing to summarize
    const days = new Set<number>();
    for (let i = 0; i < p.timestamp.length; i++) days.add(Math.floor(p.timestamp[i]! / DAY) * DAY);
    for (const day of days) {
      const existing = (await s.summaries({ model: p.model, version: p.version, from: day, to: day + 1 })).find((r) => r.windowMs === DAY);
      const data = (existing?.data ?? { chunkKeys: [], summaries: [] }) as { chunkKeys: number[]; summaries: string[] };
      if (batch.chunkKeys.some((k) => data.chunkKeys.includes(k))) continue;
      const bySegment = new Map(data.summaries.map((t) => parseSummary(t)).map((x) => [x.segment, x] as const));
      const labelled = c.task === 'ranking' ? {} : { labels: batch.label, labelDelayMs: batch.feedbackDelayMs };
      for (const sum of summarize({ task: c.task, predictions: p, ...labelled, window: { start: day, end: day + DAY } })) {
        const prev = bySegment.get(sum.segment);
        bySegment.set(sum.segment, prev ? mergeSummaries(prev, sum) : sum);
      }
      await s.putSummary({
        model: p.model,
        version: p.version,
        windowStart: day,
        windowMs: DAY,
        data: { chunkKeys: [...data.chunkKeys, ...batch.chunkKeys], summaries: [...bySegment.values()].map(serializeSummary) },
      });
    }
  }

  // Fresh ids for relevance rows, from blocks of their own (a batch is far
  // smaller than a block, so a batch never straddles two).
  async function relevanceIds(s: Store, n: number): Promise<Float64Array> {
    if (!relBlock || relBlock.end - relBlock.next < n) {
      const block = await s.reserveIdBlock();
      relBlock = { next: block * ID_BLOCK, end: (block + 1) * ID_BLOCK };
    }
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = relBlock.next++;
    return out;
  }

  // Writes still being issued (ranking labels first reserve ids) must land
  // before a read, so a report sees everything sent before it was asked for.
  const inflight = new Set<Promise<unknown>>();
  // Writes waiting for the sync close lock (labels, backfilled rows: see
  // sync.ts). Reads and flush() wait for them too; a window close does not
  // (it holds the lock they wait for, and its settle() would never end).
  const queued = new Set<Promise<unknown>>();
  function waited<T>(p: Promise<T>): Promise<T> {
    queued.add(p);
    const drop = () => queued.delete(p);
    p.then(drop, drop);
    return p;
  }
  function tracked<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    const drop = () => inflight.delete(p);
    p.then(drop, drop);
    return p;
  }

  // A store closed under the engine (another tab's upgrade or deleteDatabase,
  // the browser terminating the connection) is reopened before the next write,
  // once for all writes waiting; sync moves to the new connection. A newer
  // schema makes openStore throw VERSION_BLOCKED, which no retry can fix.
  async function recover(): Promise<void> {
    if (!store || !store.isClosed || !storeOptions || !cfg) return;
    const c = cfg;
    const o = storeOptions;
    reopening ??= (async () => {
      const fresh = await openStore(o);
      const old = sync;
      store = fresh;
      if (old && c.sync) {
        sync = undefined;
        await old.stop().catch(() => undefined);
        sync = await startSync(fresh, c, c.sync, windowSummaries);
      }
    })().finally(() => (reopening = undefined));
    await reopening;
  }

  // Waits for every write issued so far. The store's own flush() rethrows the
  // failure of any attempt, also of one the engine then retried with success:
  // what was not written the engine reports itself (handedBack, write-failed).
  async function settle(): Promise<void> {
    await Promise.allSettled([...inflight]);
    await store?.flush().catch(() => undefined);
  }

  // Runs one batch write through the kept writes: retried, else handed back.
  function keep(job: WriteJob, attempt: () => Promise<void>): Promise<void> {
    const hooks: WriteHooks = {
      attempt: async () => {
        await recover();
        await attempt();
      },
      handBack: emit,
    };
    const p = writes.run(job, hooks);
    p.catch((error: unknown) => handedBack.push({ rows: job.batch.id.length, error: error as StoreError }));
    return tracked(p);
  }

  async function read(q: ReportQuery): Promise<Rows> {
    await Promise.allSettled([...queued]);
    await Promise.allSettled([...inflight]);
    await recover();
    const { c, s } = need();
    const range = { model: c.model, from: q.from, to: q.to, ...(q.version !== undefined ? { version: q.version } : {}) };
    // One read: the labeled join and the raw chunks (for totals and latency over every row).
    const lab = await s.readLabeled({ ...range, withChunks: true, ...(c.minFeedbackDelayMs !== undefined ? { minFeedbackDelayMs: c.minFeedbackDelayMs } : {}) });
    const chunks = lab.chunks!;
    const all = gather(chunks, q.from, q.to, lab.segments);
    const rows: Rows = {
      all,
      lab: {
        timestamp: lab.timestamp, prediction: lab.prediction, score: lab.score, label: lab.label, segment: lab.segment, segments: lab.segments, id: lab.id,
        ...(c.task === 'multiclass' && lab.classScores ? { classScores: lab.classScores } : {}),
      },
      duplicateAt: lab.duplicateAt,
    };
    if (c.task === 'ranking') rows.queries = await rankingQueries(s, c, q, chunks, lab.id);
    return rows;
  }

  // Summaries of the rows in [from, to) for sync: one per version, segment and
  // window of `windowMs` (aligned to multiples of it, cut to [from, to)), with
  // the labels stored by now (for ranking, the judged queries).
  async function windowSummaries(from: number, to: number, windowMs: number): Promise<Summary[]> {
    await settle();
    const { c, s } = need();
    const range = { model: c.model, from, to };
    // Ranking labels live apart (see rankingQueries); other tasks read chunks and labels at once.
    const lab = c.task === 'ranking' ? undefined : await s.readLabeled({ ...range, withChunks: true });
    const chunks = lab ? lab.chunks! : await s.readChunks(range);
    if (chunks.length === 0) return [];
    const out = new Map<string, Summary>();
    const row = new Map<number, number>();
    if (lab) for (let i = 0; i < lab.id.length; i++) row.set(lab.id[i]!, i);
    const queries = c.task === 'ranking' ? await rankingQueries(s, c, range, chunks, concat(chunks.map((ch) => ch.id))) : undefined;
    let offset = 0;
    for (const ch of chunks) {
      const n = ch.id.length;
      const labelled: { labels?: Float64Array; labelDelayMs?: Float64Array; rankings?: (RankingQuery | undefined)[] } = {};
      if (lab) {
        const labels = new Float64Array(n).fill(NaN);
        const delay = new Float64Array(n).fill(NaN);
        for (let i = 0; i < n; i++) {
          const r = row.get(ch.id[i]!);
          if (r === undefined) continue;
          labels[i] = lab.label[r]!;
          delay[i] = lab.feedbackDelayMs[r]!;
        }
        labelled.labels = labels;
        labelled.labelDelayMs = delay;
      } else if (queries) {
        labelled.rankings = queries.slice(offset, offset + n);
      }
      offset += n;
      const first = Math.floor(Math.max(from, ch.t0) / windowMs);
      const last = Math.floor(Math.min(to - 1, ch.t1) / windowMs);
      for (let k = first; k <= last; k++) {
        const window = { start: Math.max(from, k * windowMs), end: Math.min(to, (k + 1) * windowMs) };
        for (const sum of summarize({ task: c.task, predictions: ch, ...labelled, window })) {
          const key = `${ch.version}\u0000${sum.segment}\u0000${window.start}`;
          const prev = out.get(key);
          out.set(key, prev ? mergeSummaries(prev, sum) : sum);
        }
      }
    }
    return [...out.values()];
  }

  // Ranked lists come from the prediction chunks' extras; relevant sets from
  // the relevance pseudo-model (see ingestLabels), latest write wins.
  async function rankingQueries(s: Store, c: EngineConfig, q: ReportQuery, chunks: PredictionChunk[], ids: Float64Array): Promise<(RankingQuery | undefined)[]> {
    const ranked = new Map<number, number[]>();
    for (const ch of chunks) {
      const r = ch.extras?.ranked;
      if (!r) continue;
      for (let i = 0; i < ch.id.length; i++) ranked.set(ch.id[i]!, Array.from(r.items.subarray(r.offsets[i]!, r.offsets[i + 1]!)));
    }
    const rel = await s.readChunks({ model: c.model + RELEVANCE, from: q.from, to: 8.64e15 });
    rel.sort((a, b) => a.key - b.key);
    const relevant = new Map<number, { at: number; items: number[] }>();
    for (const ch of rel) {
      const r = ch.extras?.ranked;
      if (!r) continue;
      for (let i = 0; i < ch.id.length; i++) {
        const pid = ch.prediction[i]!;
        const prev = relevant.get(pid);
        if (prev && prev.at > ch.timestamp[i]!) continue;
        relevant.set(pid, { at: ch.timestamp[i]!, items: Array.from(r.items.subarray(r.offsets[i]!, r.offsets[i + 1]!)) });
      }
    }
    return Array.from(ids, (id) => {
      const list = ranked.get(id);
      const judged = relevant.get(id);
      return list && judged ? { ranked: list, relevant: judged.items } : undefined;
    });
  }

  function windowMetrics(rows: Rows, allIdx: ArrayLike<number>, labIdx: ArrayLike<number>): WindowMetrics {
    const { c } = need();
    const total = allIdx.length;
    const labeled = labIdx.length;
    const coverage = total ? labeled / total : NaN;
    const out: WindowMetrics = { total, labeled, coverage, values: { total, labeled, coverage } };
    const lat: number[] = [];
    for (let i = 0; i < allIdx.length; i++) {
      const v = rows.all.latencyMs[allIdx[i]!]!;
      if (v === v) lat.push(v);
    }
    if (lat.length > 0) {
      out.latency = latencyStats(lat);
      out.values['latencyP50'] = out.latency.p50;
      out.values['latencyP99'] = out.latency.p99;
      out.values['latencyMean'] = out.latency.mean;
    }
    if (labeled === 0) return out;
    const y = pick(rows.lab.label, labIdx);
    const p = pick(rows.lab.prediction, labIdx);
    if (c.task === 'binary' || c.task === 'multiclass') {
      // Score metrics cover the labeled rows that have a score (binary) or a
      // full probability vector (multiclass); see scores.ts for the rule.
      const vectors = rows.lab.classScores;
      const { result: r, scoredRows } =
        c.task === 'binary'
          ? binaryScored(y, p, pick(rows.lab.score, labIdx))
          : multiclassScored(y, p, vectors ? pickVectors(vectors, labIdx) : undefined);
      out.classification = r;
      out.scoredRows = scoredRows;
      Object.assign(out.values, { accuracy: r.accuracy, precision: r.precision, recall: r.recall, f1Score: r.f1Score, errorRate: 1 - r.accuracy });
      for (const k of ['aucRoc', 'averagePrecision', 'falsePositiveRate', 'falseNegativeRate'] as const) {
        const v = r[k];
        if (v !== undefined) out.values[k] = v;
      }
    } else if (c.task === 'regression') {
      const r = regressionMetrics(y, p);
      out.regression = r;
      Object.assign(out.values, { mae: r.mae, mse: r.mse, rmse: r.rmse, r2Score: r.r2Score, mape: r.mape, maxError: r.maxError, medianError: r.medianError });
    } else {
      const qs: RankingQuery[] = [];
      for (let i = 0; i < labIdx.length; i++) {
        const q = rows.queries?.[labIdx[i]!];
        if (q) qs.push(q);
      }
      if (qs.length > 0) {
        const r = rankingMetrics(qs, c.k);
        out.ranking = r;
        Object.assign(out.values, { precisionAtK: r.precisionAtK, recallAtK: r.recallAtK, ndcgAtK: r.ndcgAtK, mrr: r.mrr });
      }
    }
    return out;
  }

  function indicesIn(t: Float64Array, from: number, to: number, extra?: (i: number) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < t.length; i++) if (t[i]! >= from && t[i]! < to && (!extra || extra(i))) out.push(i);
    return out;
  }

  function buildReport(q: ReportQuery, rows: Rows): Report {
    const { c } = need();
    const allIdx = indicesIn(rows.all.timestamp, q.from, q.to);
    const labIdx = indicesIn(rows.lab.timestamp, q.from, q.to);
    const whole = windowMetrics(rows, allIdx, labIdx);
    const segments: Record<string, WindowMetrics> = {};
    const names = new Set([...rows.all.segments]);
    for (const name of names) {
      const a = allIdx.filter((i) => rows.all.segments[rows.all.segment[i]!] === name);
      if (a.length === 0) continue;
      const l = labIdx.filter((i) => rows.lab.segments[rows.lab.segment[i]!] === name);
      segments[name] = windowMetrics(rows, a, l);
    }
    const lat = Float64Array.from(allIdx.map((i) => rows.all.latencyMs[i]!)).filter((v) => v === v);
    // check() reads its trend's whole range: count only this window's duplicates.
    let duplicateLabels = 0;
    for (const t of rows.duplicateAt) if (t >= q.from && t < q.to) duplicateLabels++;
    return {
      ...whole,
      from: q.from,
      to: q.to,
      model: c.model,
      ...(q.version !== undefined ? { version: q.version } : {}),
      task: c.task,
      segments,
      duplicateLabels,
      sla: latencySla(lat, c.sla),
    };
  }

  function buildSeries(q: ReportQuery & { periodMs: number }, rows: Rows): SeriesPoint[] {
    if (!(q.periodMs > 0)) throw new InputError('INVALID_OPTION', 'periodMs', `is ${q.periodMs}; expected a positive number of ms`);
    if ((q.to - q.from) / q.periodMs > MAX_PERIODS) {
      throw new InputError('INVALID_OPTION', 'window', `spans more than ${MAX_PERIODS} periods of ${q.periodMs} ms; use a shorter window or longer periods`);
    }
    const out: SeriesPoint[] = [];
    for (let a = q.from; a < q.to; a += q.periodMs) {
      const b = Math.min(q.to, a + q.periodMs);
      out.push({ from: a, to: b, ...windowMetrics(rows, indicesIn(rows.all.timestamp, a, b), indicesIn(rows.lab.timestamp, a, b)) });
    }
    return out;
  }

  async function raise(alerts: Alert[], cleared: string[], at: number): Promise<Alert[]> {
    const { c, s } = need();
    for (const key of cleared) await s.addAlert({ at, model: c.model, version: c.version, kind: 'clear', data: { key } });
    const out: Alert[] = [];
    for (const a of alerts) {
      const seq = await s.addAlert({ at: a.at, model: a.model, version: a.version, kind: a.kind, data: a });
      out.push({ ...a, seq });
    }
    return out;
  }

  // One label batch as attempts: each attempt writes only the parts earlier
  // ones did not finish, so a retry never stores a label twice (a duplicate
  // would count in duplicateLabels).
  function labelWriter(b: LabelIngest): () => Promise<void> {
    let labelsDone = false;
    let relevanceDone = !b.relevant;
    let relevanceIdsOf: Float64Array | undefined;
    return async () => {
      const { c, s } = need();
      const parts: Promise<void>[] = [];
      if (!labelsDone) parts.push(s.putLabels({ id: b.id, label: b.label, labeledAt: b.labeledAt }).then(() => void (labelsDone = true)));
      if (!relevanceDone && b.relevant) {
        const relevant = b.relevant;
        // The store's label column holds one number; the relevant set of a
        // ranking label is kept as a chunk of a pseudo-model ('<model>\0relevance')
        // with its own ids: prediction = the judged prediction's id,
        // timestamp = labeledAt, extras.ranked = the relevant items.
        parts.push((async () => {
          const n = b.id.length;
          const id = (relevanceIdsOf ??= await relevanceIds(s, n));
          await s.putPredictions({
            model: c.model + RELEVANCE, version: '', id, timestamp: b.labeledAt, prediction: b.id,
            score: new Float64Array(n).fill(NaN), latencyMs: new Float64Array(n).fill(NaN),
            segment: new Uint16Array(n), segments: [''], extras: { ranked: relevant },
          });
          relevanceDone = true;
        })());
      }
      for (const r of await Promise.allSettled(parts)) if (r.status === 'rejected') throw r.reason;
    };
  }

  const api: EngineApi = {
    async open(config, factory, listener, headers) {
      if (store) throw new StateError('INVALID_OPTION', 'the engine is already open');
      await init();
      cfg = config;
      onEvent = listener;
      writes = new KeptWrites(config.writeRetry);
      handedBack = [];
      latencies = new Float64Array(config.latencyWindow);
      // Every store event goes to the monitor as plain data (no list of types to keep up to date).
      storeOptions = {
        name: config.dbName, maxAgeMs: config.retentionMs, fold, ...(factory ? { factory } : {}),
        onEvent: (e) => emit(plainEvent(e) as EngineEvent),
      };
      store = await openStore(storeOptions);
      // Rebuild alert de-duplication and the baseline from what was persisted.
      const records = (await store.alerts()).filter((r) => r.model === config.model);
      const active = new Set<string>();
      for (const r of records) {
        if (r.kind === 'clear') active.delete((r.data as { key: string }).key);
        else {
          const a = r.data as Alert;
          active.add(`${a.metric}:${a.severity}`);
        }
      }
      latch = new AlertLatch(active);
      baseline = config.baseline ?? (await savedBaseline(store, config));
      if (config.sync) {
        try {
          sync = await startSync(store, config, config.sync, windowSummaries, headers);
        } catch (e) {
          store.close();
          store = undefined;
          cfg = undefined;
          throw e;
        }
      }
      return { alerts: records.filter((r) => r.kind !== 'clear').map((r) => ({ ...(r.data as Alert), ...(r.seq !== undefined ? { seq: r.seq } : {}) })) };
    },

    reserveIdBlock() {
      return need().s.reserveIdBlock();
    },

    async ingest(b: IngestBatch) {
      const { c } = need();
      const batch: PredictionBatch = {
        model: c.model, version: b.version, id: b.id, timestamp: b.timestamp, prediction: b.prediction,
        score: b.score, latencyMs: b.latencyMs, segment: b.segment, segments: b.segments,
      };
      if (b.classScores || b.ranked) batch.extras = { ...(b.classScores ? { classScores: b.classScores } : {}), ...(b.ranked ? { ranked: b.ranked } : {}) };
      const job: WriteJob = { kind: 'predictions', batch: b };
      // With sync, a batch holding backfills records their ids first (sync.ts rows()).
      const write = sync
        ? waited(sync.rows(batch, (intent) => keep(job, async () => {
          await intent();
          await need().s.putPredictions(batch);
        })))
        : keep(job, () => need().s.putPredictions(batch));
      // Live view: the batch's summaries merged into the all-time live ones.
      let bySeg = live.get(b.version);
      if (!bySeg) live.set(b.version, (bySeg = new Map()));
      for (const sum of summarize({ task: c.task, predictions: batch, window: ALL_TIME })) {
        const prev = bySeg.get(sum.segment);
        bySeg.set(sum.segment, prev ? mergeSummaries(prev, sum) : sum);
      }
      const w = latencies.length;
      for (let i = 0; i < b.latencyMs.length; i++) {
        const v = b.latencyMs[i]!;
        if (v !== v) continue;
        latencies[latHead] = v;
        latHead = (latHead + 1) % w;
        if (latCount < w) latCount++;
      }
      await write;
    },

    async ingestLabels(b: LabelIngest) {
      need();
      const job: WriteJob = { kind: 'labels', batch: b };
      const write = labelWriter(b);
      // With sync, the batch is recorded for late-label corrections first, under the close lock (sync.ts labels()).
      if (!sync) return keep(job, write);
      await waited(sync.labels(b, (intent) => keep(job, async () => {
        await intent();
        await write();
      })));
    },

    async flush() {
      need();
      await Promise.allSettled([...queued]);
      await settle();
      const failed = handedBack;
      handedBack = [];
      const first = failed[0]?.error;
      if (failed.length === 1) throw first;
      if (failed.length > 1) {
        const rows = failed.reduce((n, f) => n + f.rows, 0);
        throw new StoreError('WRITE_FAILED', `${failed.length} batches (${rows} rows) were not written; each was handed back in a 'write-failed' event (first: ${first!.message})`, { cause: first });
      }
    },


    async report(q) {
      return buildReport(q, await read(q));
    },

    async series(q) {
      return buildSeries(q, await read(q));
    },

    async captureBaseline(q) {
      const { c, s } = need();
      const r = buildReport(q, await read(q));
      baseline = r.values;
      await s.setMeta(baselineMeta(c.model, c.version), baseline);
      return baseline;
    },

    async setBaseline(values) {
      const { c, s } = need();
      baseline = values;
      // null, not a deletion: a cleared baseline must not come back from the legacy record.
      await s.setMeta(baselineMeta(c.model, c.version), values ?? null);
    },

    async check(q): Promise<CheckResult> {
      const { c } = need();
      const seriesFrom = Math.min(q.from, q.to - q.periods * q.periodMs);
      const rows = await read({ ...q, from: seriesFrom });
      const report = buildReport(q, rows);
      const series = buildSeries({ ...q, from: q.to - q.periods * q.periodMs }, rows);
      const findings = baseline
        ? detectDegradation(report.values, baseline, { thresholds: c.thresholds, history: report.labeled, minHistory: c.minHistory })
        : [];
      const trendMetrics = Object.keys(report.values).filter((k) => k !== 'total' && k !== 'labeled');
      const trend = detectTrends(series.filter((p) => p.labeled > 0 || p.total > 0).map((p) => p.values), { alpha: c.alpha, metrics: trendMetrics });
      const status = dashboardStatus(report.values, c.status, baseline);
      const at = q.to;
      const firing: Alert[] = findings.map((f) => ({
        at, model: c.model, version: q.version ?? c.version, kind: 'degradation', metric: f.metric, severity: f.severity, finding: f,
        message: `${f.metric} ${f.changePct.toFixed(1)}% vs baseline (${f.baseline.toPrecision(4)} -> ${f.current.toPrecision(4)})`,
      }));
      for (const m of ['latencyP50', 'latencyP99', 'coverage'] as const) {
        const row = status.rows[m];
        if (!row || (row.status !== 'warning' && row.status !== 'critical')) continue;
        if (firing.some((a) => a.metric === m && a.severity === row.status)) continue;
        firing.push({
          at, model: c.model, version: q.version ?? c.version, kind: m === 'coverage' ? 'coverage' : 'sla', metric: m, severity: row.status,
          message: `${m} is ${row.value.toPrecision(4)} (${row.status}: good ${row.rule.better === 'higher' ? '>' : '<'} ${row.rule.good}, critical beyond ${row.rule.critical})`,
        });
      }
      for (const t of trend) {
        if (t.health === 'declining' && t.significant && baseline && t.metric in baseline) {
          firing.push({
            at, model: c.model, version: q.version ?? c.version, kind: 'trend', metric: `trend:${t.metric}`, severity: 'warning',
            message: `${t.metric} is declining (slope ${t.slope.toPrecision(3)} per period, p = ${t.pValue.toPrecision(3)})`,
          });
        }
      }
      const keyOf = (a: Alert) => `${a.metric}:${a.severity}`;
      const { raised, cleared } = latch.update(firing.map(keyOf));
      const alerts = await raise(firing.filter((a) => raised.includes(keyOf(a))), cleared, at);
      return { report, baseline, findings, trend, status, alerts, cleared };
    },

    async live(): Promise<LiveView> {
      const { c } = need();
      const persisted = await isPersisted();
      const counts: LiveView['counts'] = { [c.model]: {} };
      const latB = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
      const confB = new Array<number>(CONFIDENCE_BUCKETS.length + 1).fill(0);
      let total = 0;
      for (const [version, bySeg] of live) {
        const byClass: Record<string, number> = {};
        for (const sum of bySeg.values()) {
          total += sum.count;
          if (sum.predicted) sum.predicted.classes.forEach((k, i) => (byClass[String(k)] = (byClass[String(k)] ?? 0) + sum.predicted!.counts[i]!));
          else byClass['value'] = (byClass['value'] ?? 0) + sum.count;
          sum.latencyBuckets.forEach((v, i) => (latB[i]! += v));
          sum.confidenceBuckets.forEach((v, i) => (confB[i]! += v));
        }
        counts[c.model]![version] = byClass;
      }
      const window = latCount < latencies.length ? latencies.subarray(0, latCount) : latencies;
      return {
        counts,
        total,
        latencyBuckets: { le: [...LATENCY_BUCKETS_S, Infinity], counts: latB },
        confidenceBuckets: { le: [...CONFIDENCE_BUCKETS, Infinity], counts: confB },
        latency: latCount > 0 ? latencyStats(window) : undefined,
        sla: latencySla(window, c.sla),
        persisted,
      };
    },

    async alerts(q) {
      const { c, s } = need();
      const records = await s.alerts(q);
      return records
        .filter((r) => r.model === c.model && r.kind !== 'clear')
        .map((r) => ({ ...(r.data as Alert), ...(r.seq !== undefined ? { seq: r.seq } : {}) }));
    },

    async compact(now) {
      const r = await need().s.compact(now !== undefined ? { now } : {});
      return { chunks: r.chunks, rows: r.rows };
    },

    async syncStatus() {
      need();
      return sync ? sync.status() : { state: 'disabled', outbox: 0, delivered: 0 };
    },

    async setOnline(online) {
      need();
      sync?.setOnline(online);
    },

    async syncNow(at) {
      need();
      if (!sync) throw new StateError('INVALID_OPTION', 'the monitor has no sync option: pass sync: { endpoint, format } to createMonitor');
      return sync.syncNow(at);
    },

    async syncBeacon() {
      return sync?.beacon() ?? [];
    },

    async close() {
      // Batches waiting for a retry are handed back now, not dropped.
      writes.stop();
      await Promise.allSettled([...queued]);
      await Promise.allSettled([...inflight]);
      await reopening?.catch(() => undefined);
      const s = store;
      if (!s) return;
      const stopping = sync;
      sync = undefined;
      await stopping?.stop().catch(() => undefined);
      try {
        await settle();
      } finally {
        s.close();
        store = undefined;
        cfg = undefined;
        storeOptions = undefined;
        onEvent = undefined;
        live.clear();
      }
    },
  };
  return api;
}

function gather(chunks: PredictionChunk[], from: number, to: number, names: string[]): Rows['all'] {
  // Segment indices are per chunk; map every row to an index into `names`
  // (extended with names the labeled read did not see).
  const segments = [...names];
  const index = new Map(segments.map((s, i) => [s, i]));
  const ts: Float64Array[] = [];
  const lat: Float64Array[] = [];
  const ids: Float64Array[] = [];
  const seg: Uint16Array[] = [];
  for (const c of chunks) {
    const keep: number[] = [];
    for (let i = 0; i < c.timestamp.length; i++) if (c.timestamp[i]! >= from && c.timestamp[i]! < to) keep.push(i);
    const local = c.segments.map((s) => {
      let k = index.get(s);
      if (k === undefined) {
        k = segments.push(s) - 1;
        index.set(s, k);
      }
      return k;
    });
    ts.push(pick(c.timestamp, keep));
    lat.push(pick(c.latencyMs, keep));
    ids.push(pick(c.id, keep));
    seg.push(Uint16Array.from(keep, (i) => local[c.segment[i]!]!));
  }
  const segment = new Uint16Array(seg.reduce((n, s) => n + s.length, 0));
  let o = 0;
  for (const s of seg) {
    segment.set(s, o);
    o += s.length;
  }
  return { timestamp: concat(ts), latencyMs: concat(lat), id: concat(ids), segment, segments };
}
