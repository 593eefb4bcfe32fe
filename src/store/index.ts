// The on-device store: predictions and ground truth in IndexedDB (idb), in
// columnar chunks, one transaction per batch, joined by id on read.
export { openStore, Store } from './store.js';
export { IdAllocator, MAX_BLOCK } from './ids.js';
export { StoreError, isQuotaError } from './errors.js';
export { isPersisted } from './watermark.js';
export { SCHEMA_VERSION, ID_BLOCK, ID_BLOCK_BITS } from './schema.js';
export type {
  StoreSchema,
  PredictionChunk,
  PredictionExtras,
  LabelChunk,
  SummaryRecord,
  AlertRecord,
  OutboxRecord,
  NewOutboxRecord,
  OutboxCommit,
  OrphanChunk,
} from './schema.js';
export type { RowsById } from './lookup.js';
export type {
  PredictionBatch,
  LabelBatch,
  RangeQuery,
  LabeledQuery,
  LabeledColumns,
  CoverageWindows,
  FoldBatch,
  FoldFn,
  StoreEvent,
  StoreOptions,
  StoreStats,
  CompactReason,
} from './types.js';
