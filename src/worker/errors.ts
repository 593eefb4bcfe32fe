// comlink's default 'throw' handler carries only name, message and stack, so
// an InputError thrown in the worker would arrive as a plain Error without its
// `code`. This handler also carries `code` and `argument` and rebuilds the
// modelwatch class on the other side (by name), so callers can switch on
// `code` and use instanceof whether the engine runs in a Worker or in-thread.
// Non-modelwatch errors (QuotaExceededError, AbortError, ...) keep comlink's
// behaviour: a plain Error with their name.

import { transferHandlers } from 'comlink';
import type { TransferHandler } from 'comlink';
import { InputError, ModelwatchError, StateError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { StoreError } from '../store/errors.js';

interface Wire {
  isError: boolean;
  value: unknown;
}

interface ErrorWire {
  name: string;
  message: string;
  stack?: string;
  code?: ErrorCode;
  argument?: string;
}

const CLASSES: Record<string, { prototype: object }> = {
  ModelwatchError,
  InputError,
  StateError,
  StoreError,
};

// Rebuilds a modelwatch error of the right class from its wire form.
function wrapError(e: ErrorWire): Error {
  if (e.code !== undefined && e.name in CLASSES) {
    const err = new ModelwatchError(e.code, e.message);
    Object.setPrototypeOf(err, CLASSES[e.name]!.prototype);
    Object.assign(err, { name: e.name, stack: e.stack, ...(e.argument !== undefined ? { argument: e.argument } : {}) });
    return err;
  }
  return Object.assign(new Error(e.message), e);
}

let installed = false;

/** Installs the code-keeping 'throw' handler (idempotent; both sides need it). */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const base = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, Wire>;
  transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize(thrown: { value: unknown }): [Wire, Transferable[]] {
      const v = thrown.value;
      if (v instanceof Error) {
        const wire: ErrorWire = { name: v.name, message: v.message };
        if (v.stack !== undefined) wire.stack = v.stack;
        if (v instanceof ModelwatchError) wire.code = v.code;
        if (v instanceof InputError) wire.argument = v.argument;
        return [{ isError: true, value: wire }, []];
      }
      return [{ isError: false, value: v }, []];
    },
    deserialize(w: Wire): never {
      if (w.isError) throw wrapError(w.value as ErrorWire);
      throw w.value;
    },
  } as TransferHandler<unknown, unknown>);
}
