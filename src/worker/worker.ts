// The module Worker entry: exposes one engine with comlink. Created by
// createMonitor with `new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' })`.
import { expose } from 'comlink';
import { createEngine } from './engine.js';
import { installErrorTransfer } from './errors.js';
import type { EngineApi } from './protocol.js';

installErrorTransfer();
const engine: EngineApi = createEngine();
expose(engine);

/** What the worker exposes (import with `import type`). */
export type WorkerApi = EngineApi;
