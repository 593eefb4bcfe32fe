// The module Worker entry: exposes one engine with comlink. Created by
// createMonitor with `new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' })`.
import { expose, releaseProxy } from 'comlink';
import { createEngine } from './engine.js';
import { installErrorTransfer } from './errors.js';
import type { EngineApi } from './protocol.js';

installErrorTransfer();
const engine: EngineApi = createEngine();
/** The monitor's event listener: a comlink proxy over a MessagePort of its own, released on close. */
let listener: { [releaseProxy]?: () => void } | undefined;
expose({
  ...engine,
  open(config, factory, onEvent) {
    listener = onEvent as typeof listener;
    return engine.open(config, factory, onEvent);
  },
  async close() {
    try {
      await engine.close();
    } finally {
      listener?.[releaseProxy]?.();
      listener = undefined;
    }
  },
} satisfies EngineApi);

/** What the worker exposes (import with `import type`). */
export type WorkerApi = EngineApi;
