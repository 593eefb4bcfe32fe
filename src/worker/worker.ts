// The module Worker entry: exposes one engine with comlink. Created by
// createMonitor with `new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' })`.
import { expose, releaseProxy } from 'comlink';
import { createEngine } from './engine.js';
import { installErrorTransfer } from './errors.js';
import type { EngineApi } from './protocol.js';

installErrorTransfer();
const engine: EngineApi = createEngine();
/** The monitor's event listener and headers function: comlink proxies over MessagePorts of their own, released on close. */
let proxies: ({ [releaseProxy]?: () => void } | undefined)[] = [];
expose({
  ...engine,
  open(config, factory, onEvent, headers) {
    proxies = [onEvent as (typeof proxies)[number], headers as (typeof proxies)[number]];
    return engine.open(config, factory, onEvent, headers);
  },
  async close() {
    try {
      await engine.close();
    } finally {
      for (const p of proxies) p?.[releaseProxy]?.();
      proxies = [];
    }
  },
} satisfies EngineApi);

/** What the worker exposes (import with `import type`). */
export type WorkerApi = EngineApi;
