// Loads the one WASM module in browsers (Vite, workers) and in Node 20, and
// gives wrappers a scoped way to move typed arrays in and out of its memory.
import { ModelwatchError, StateError } from '../errors.js';
import type { Kernels } from './exports.js';

/** What `init` can load the module from; the default is the bundled file. */
export type WasmSource = URL | string | BufferSource | WebAssembly.Module | Response;

let kernels: Kernels | undefined;
let loading: Promise<void> | undefined;

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** Decodes an AssemblyScript string (UTF-16, byte length stored before it). */
function readString(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (!memory || ptr === 0) return '';
  const bytes = new Uint32Array(memory.buffer)[(ptr - 4) >>> 2] ?? 0;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

async function instantiate(source: WasmSource | undefined): Promise<WebAssembly.Instance> {
  const loaded: { memory?: WebAssembly.Memory } = {};
  const imports = {
    env: {
      // AssemblyScript calls abort on a failed internal assertion; surface it
      // as an error instead of a silent trap.
      abort(msg: number, file: number, line: number, column: number): never {
        throw new ModelwatchError(
          'KERNEL_ABORTED',
          `modelwatch kernel aborted: ${readString(loaded.memory, msg)} (${readString(loaded.memory, file)}:${line}:${column})`,
        );
      },
    },
  };
  // Literal `new URL(..., import.meta.url)` so that bundlers copy the file.
  const url = source ?? new URL('./modelwatch.wasm', import.meta.url);
  let result: WebAssembly.Instance;
  if (url instanceof WebAssembly.Module) {
    result = await WebAssembly.instantiate(url, imports);
  } else if (url instanceof Response) {
    result = (await WebAssembly.instantiateStreaming(url, imports)).instance;
  } else if (ArrayBuffer.isView(url) || url instanceof ArrayBuffer) {
    result = (await WebAssembly.instantiate(url, imports)).instance;
  } else {
    const href = url instanceof URL ? url : new URL(url, globalThis.location?.href);
    if (href.protocol === 'file:' && isNode()) {
      // A variable specifier keeps browser bundlers from resolving node:fs.
      const fsName = 'node:fs/promises';
      const fs = (await import(/* @vite-ignore */ fsName)) as { readFile(path: URL): Promise<Uint8Array<ArrayBuffer>> };
      result = (await WebAssembly.instantiate(await fs.readFile(href), imports)).instance;
    } else {
      const response = await fetch(href);
      if (!response.ok) throw new Error(`HTTP ${response.status} fetching ${href.href}`);
      result = (await WebAssembly.instantiateStreaming(response, imports)).instance;
    }
  }
  loaded.memory = result.exports['memory'] as WebAssembly.Memory;
  return result;
}

/**
 * Loads the WASM core. Idempotent: later calls return the first call's
 * promise, so the module is fetched and compiled once per realm (page, worker
 * or Node process). Call it before any metric function.
 */
export function init(source?: WasmSource): Promise<void> {
  loading ??= instantiate(source).then(
    (instance) => {
      kernels = instance.exports as unknown as Kernels;
    },
    (error: unknown) => {
      loading = undefined; // allow a retry, e.g. after going back online
      throw new ModelwatchError('WASM_LOAD_FAILED', `modelwatch: could not load its WebAssembly core: ${String(error)}`, { cause: error });
    },
  );
  return loading;
}

/** Whether `init()` has completed. */
export function isInitialized(): boolean {
  return kernels !== undefined;
}

/** The loaded kernels; throws a StateError before `init()` has completed. */
export function core(): Kernels {
  if (!kernels) {
    throw new StateError('NOT_INITIALIZED', 'modelwatch is not initialized: call `await init()` once before computing metrics.');
  }
  return kernels;
}

/**
 * Allocations for one kernel call, freed together. Views over linear memory are
 * re-created on every access because any allocation may grow (and so detach)
 * the memory buffer.
 */
export class Scope {
  readonly k: Kernels = core();
  private readonly owned: number[] = [];

  /** Reserves `bytes` bytes (at least 8) and returns their offset. */
  alloc(bytes: number): number {
    const ptr = this.k.alloc(Math.max(8, bytes));
    this.owned.push(ptr);
    return ptr;
  }

  /** Copies numbers into a fresh f64 block and returns its offset. */
  f64(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 8);
    this.f64View().set(values, ptr >>> 3);
    return ptr;
  }

  f64View(): Float64Array {
    return new Float64Array(this.k.memory.buffer);
  }

  i32View(): Int32Array {
    return new Int32Array(this.k.memory.buffer);
  }

  /** A copy of n f64 starting at ptr. */
  readF64(ptr: number, n: number): Float64Array {
    return this.f64View().slice(ptr >>> 3, (ptr >>> 3) + n);
  }

  /** Frees everything this scope allocated. */
  free(): void {
    for (const ptr of this.owned) this.k.free(ptr);
    this.owned.length = 0;
  }
}

/** Runs fn with a fresh Scope, freeing it afterwards even on error. */
export function withScope<T>(fn: (s: Scope) => T): T {
  const scope = new Scope();
  try {
    return fn(scope);
  } finally {
    scope.free();
  }
}
