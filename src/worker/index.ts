// The worker boundary: the engine (usable in-thread) and the protocol types.
// The Worker entry itself is worker.ts, loaded by URL, never imported.
export { createEngine } from './engine.js';
export { installErrorTransfer } from './errors.js';
export type * from './protocol.js';
