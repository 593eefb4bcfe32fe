// createMonitor: buffers, ids, timers, reports, baselines, degradation, SLA,
// alerts, and sync of closed-window summaries (option `sync`; the rules for
// windows and late labels are in ../worker/sync.ts).
export { createMonitor } from './monitor.js';
export type { Monitor, MonitorEvent, PredictionInput, Timer, WindowSpec } from './monitor.js';
export type { MonitorOptions, MonitorSyncOptions } from './options.js';
export {
  detectDegradation,
  detectTrends,
  dashboardStatus,
  statusOf,
  relativeChange,
  directionOf,
  AlertLatch,
  DEFAULT_THRESHOLDS,
  DEFAULT_STATUS,
  LOWER_IS_WORSE,
  HIGHER_IS_WORSE,
} from './degradation.js';
export type * from '../worker/protocol.js';
