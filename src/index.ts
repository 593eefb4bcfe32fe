// modelwatch: in-process model performance monitoring.
export { init, isInitialized } from './core/wasm.js';
export type { WasmSource } from './core/wasm.js';
export type { Numbers } from './core/input.js';
export * from './metrics/index.js';
export { ModelwatchError, InputError, StateError } from './errors.js';
export type { ErrorCode } from './errors.js';
export * from './store/index.js';
// [summaries] mergeable summaries and the exponential histogram sketch
export * from './summary/index.js';
// [monitor] createMonitor and the pure degradation / status / trend rules
export * from './monitor/index.js';
// [sync] outbox sender, OTLP / Prometheus / JSON encoders (the fleet receiver
// is Node-only: 'modelwatch/receiver')
export * from './sync/index.js';
// [estimate] calibration, drift and CBPE are exported through ./metrics/index.js above.
