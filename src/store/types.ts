// The store's public types: what goes in, what comes out, what it reports.

import type { LabelColumns, PredictionColumns, RowColumns } from '../columns/index.js';
import type { PredictionChunk, PredictionExtras } from './schema.js';
import type { StoreError } from './errors.js';

/** A batch of predictions as the store takes it: the shared columns plus optional extras. */
export interface PredictionBatch extends PredictionColumns {
  extras?: PredictionExtras;
}

/** A batch of labels; `feedbackDelayMs` (NaN = compute as labeledAt - prediction timestamp) is optional. */
export interface LabelBatch extends LabelColumns {
  feedbackDelayMs?: Float64Array;
}

/** Which rows a read covers: one model (one or all versions), timestamps in [from, to). */
export interface RangeQuery {
  model: string;
  /** Omit to read every version of the model. */
  version?: string;
  from: number;
  to: number;
}

/** A read of labeled predictions. */
export interface LabeledQuery extends RangeQuery {
  /** Keep only labels that arrived at least this long after the prediction. */
  minFeedbackDelayMs?: number;
  /**
   * Also return the raw prediction chunks the read used (as readChunks would),
   * so a caller that needs both reads IndexedDB once.
   */
  withChunks?: boolean;
}

/** Labeled predictions as typed columns, ready for the metric kernels. */
export interface LabeledColumns extends RowColumns {
  /** Index into `versions` of each row's model version. */
  versionIndex: Uint16Array;
  versions: string[];
  label: Float64Array;
  labeledAt: Float64Array;
  /** Given by the app, else labeledAt - timestamp. */
  feedbackDelayMs: Float64Array;
  /** Rows in range; rows with a label; rows with a label old enough (the rows returned). */
  coverage: { predictions: number; labeled: number; eligible: number };
  /** Labels superseded by a later label of the same prediction, among the predictions read. */
  duplicateLabels: number;
  /**
   * The prediction timestamp of each label counted in `duplicateLabels`, so a
   * caller that read a wider range can count the duplicates of a sub-window.
   */
  duplicateAt: Float64Array;
  /** With `withChunks`: the prediction chunks overlapping the range, rows not trimmed. */
  chunks?: PredictionChunk[];
  /**
   * Class score vectors (multiclass `extras.classScores`) of the rows, row-major:
   * row i is values[i*classes .. (i+1)*classes). Present only when some chunk in
   * range has them. `classes` is the widest chunk's; a row without a vector is
   * all NaN, a row of a narrower chunk is NaN beyond its own width.
   */
  classScores?: { classes: number; values: Float64Array };
}

/** Coverage per window of [from, to). */
export interface CoverageWindows {
  windowStart: Float64Array;
  predictions: Uint32Array;
  labeled: Uint32Array;
  /** labeled / predictions (NaN for an empty window). */
  ratio: Float64Array;
}

/** Raw rows handed to `fold` before they are deleted: predictions joined with their latest label (NaN where none). */
export interface FoldBatch {
  predictions: PredictionColumns;
  label: Float64Array;
  labeledAt: Float64Array;
  feedbackDelayMs: Float64Array;
  /** Keys of the chunks these rows come from: a fold that records them can ignore a batch it already folded. */
  chunkKeys: number[];
}

/** Folds raw rows into window summaries; must have persisted them when it resolves. */
export type FoldFn = (batch: FoldBatch) => Promise<void> | void;

/** What the store reports to its owner. */
export type StoreEvent =
  | { type: 'quota-exceeded'; error: StoreError }
  | { type: 'compacted'; reason: CompactReason; chunks: number; rows: number; labelChunks: number }
  | { type: 'orphan-labels'; count: number; ids: Float64Array }
  | { type: 'blocked' }
  | { type: 'closed'; reason: 'versionchange' | 'terminated' | 'close' }
  | { type: 'reset'; reason: 'data-loss' | 'wiped'; expectedIdBlock: number; foundIdBlock: number; message: string };

/** What Store.stats() reports. */
export interface StoreStats {
  chunks: number;
  rows: number;
  labelChunks: number;
  labels: number;
  pendingLabelChunks: number;
  orphans: number;
  /** navigator.storage.persisted(): true = the browser will not evict this origin's data; undefined = unknown. */
  persisted: boolean | undefined;
  /** The id high-water mark kept outside IndexedDB (next free block), undefined where there is none. */
  idMark: number | undefined;
  /** Resets detected on open, oldest first (the newest 20): when, and the event reported then. */
  resets: { at: number; event: StoreEvent & { type: 'reset' } }[];
}

/** Why a compaction ran. */
export type CompactReason = 'retention' | 'quota';

/** Options of openStore; every one has a default. */
export interface StoreOptions {
  /** Database name (default 'modelwatch'). */
  name?: string;
  /** IndexedDB implementation (default globalThis.indexedDB). */
  factory?: IDBFactory;
  /** Raw rows older than this are folded and deleted (default 30 days). */
  maxAgeMs?: number;
  /** Raw prediction rows kept at most; the oldest beyond it are folded and deleted (default 20,000,000). */
  maxRows?: number;
  /** How long a label for an unknown prediction id waits before it is reported as an orphan (default 1 hour). */
  pendingLabelMs?: number;
  /** Keep input features sent in `extras.features` (default false: they are dropped). */
  storeFeatures?: boolean;
  /**
   * Durability of the transactions that write predictions and labels (what
   * flush() waits on). Default 'strict': the engine syncs to disk before the
   * write resolves, so an acknowledged row survives a browser, process tree
   * or OS kill. 'relaxed' is faster (see README, Durability) but then flush()
   * no longer promises that.
   */
  durability?: IDBTransactionDurability;
  /** Share of raw rows folded away when the quota runs out (default 0.25). */
  quotaCompactFraction?: number;
  /**
   * Bytes held in reserve and released when the quota runs out, so that `fold`
   * can persist its summaries before raw rows are deleted (default 4 MiB; 0 =
   * none). Without it a full origin could never compact: nothing may be
   * deleted before it is summarized, and the summaries could not be written.
   * Chromium lets one transaction overshoot the quota (by up to 1.3 MB seen
   * with 20,000-row batches), so the reserve must exceed the largest batch.
   */
  quotaReserveBytes?: number;
  /** How long to wait for other tabs to close old connections during an upgrade (default 10 s). */
  blockedTimeoutMs?: number;
  /** Folds rows into summaries before retention deletes them; without it nothing is ever deleted. */
  fold?: FoldFn;
  /** Receives the store's events. */
  onEvent?: (event: StoreEvent) => void;
  /**
   * The store's clock in ms since the epoch (default Date.now): it stamps when
   * label chunks were written and is the default `now` of compact() and
   * reconcileLabels(). Inject one to control the pending period and retention
   * exactly (tests, simulations, a server's own clock).
   */
  now?: () => number;
}
