// The fleet receiver for Node (sub-path export 'modelwatch/receiver'): takes
// modelwatch JSON batches over HTTP, refuses what one device could use to
// break the fleet (bodies over size or shape limits, inconsistent or coarse
// summaries, merges that would overflow, request floods, unbounded devices,
// series and keys), de-duplicates per device, merges per series, keeps the
// state on disk, and serves the fleet aggregate in Prometheus text.
//
//   import { createServer } from 'node:http';
//   import { init } from 'modelwatch';
//   import { createReceiver } from 'modelwatch/receiver';
//   await init();
//   const receiver = await createReceiver({ dir: '/var/lib/modelwatch', authorize: (req) => ... });
//   createServer(receiver.handler).listen(8080);
//
// Node only (node:fs, node:http): the root entry does not import it, so a
// browser app never needs Node's types.
export { createReceiver } from './receiver.js';
export type { Receiver } from './receiver.js';
export type { ReceiverOptions } from './options.js';
export type { IngestResult } from './state.js';
export type { Recovery } from './journal.js';
export { LimitError } from './errors.js';
export type { Limit } from './errors.js';
export { scanJson } from './scan.js';
export type { ShapeLimits } from './scan.js';
