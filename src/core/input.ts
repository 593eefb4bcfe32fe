// Argument checks shared by every public function: shapes in TypeScript,
// per-element checks in one WASM pass. Errors name the argument and element.
import { InputError } from '../errors.js';
import { Check } from './exports.js';
import type { Scope } from './wasm.js';

/** Numbers as users hold them: plain arrays or any numeric typed array. */
export type Numbers = ArrayLike<number>;

/**
 * Accepts a typed array of numbers or a plain array whose elements are all
 * numbers; anything else (null, strings, BigInt arrays) is rejected rather than
 * coerced, since Float64Array.set would turn null into 0 silently.
 */
export function numbers(values: unknown, name: string): Numbers {
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      throw new InputError('NOT_NUMERIC', name, 'BigInt arrays are not supported; convert to Float64Array or number[].');
    }
    return values as unknown as Numbers;
  }
  if (Array.isArray(values)) {
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number') {
        throw new InputError('NOT_NUMERIC', `${name}[${i}]`, `expected a number, got ${describe(values[i])}.`);
      }
    }
    return values as Numbers;
  }
  throw new InputError('NOT_NUMERIC', name, `expected an array or typed array of numbers, got ${describe(values)}.`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 20 ? value.slice(0, 20) + '...' : value)}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : `${typeof value} ${String(value)}`;
}

export function requireNonEmpty(n: number, name: string): void {
  if (n === 0) throw new InputError('EMPTY_INPUT', name, 'is empty; pass at least one value.');
}

export function requireSameLength(n: number, m: number, name: string, other: string): void {
  if (n !== m) {
    throw new InputError('LENGTH_MISMATCH', name, `has ${m} elements but ${other} has ${n}; pass one value per row.`);
  }
}

const CHECK_FAILURE = {
  [Check.Finite]: ['NON_FINITE', 'must be a finite number (no NaN or Infinity)'],
  [Check.Integer]: ['NON_INTEGER_LABEL', 'class labels must be integers (encode string classes as 0..C-1 first)'],
  [Check.Unit]: ['PROBABILITY_OUT_OF_RANGE', 'probabilities must lie in [0, 1]'],
  [Check.NonNegative]: ['NEGATIVE_VALUE', 'must be a finite number >= 0'],
} as const;

/** Runs one WASM validation pass over n f64 at ptr and throws on the first failure. */
export function check(scope: Scope, ptr: number, n: number, kind: Check, name: string): void {
  const bad = scope.k.firstInvalid(ptr, n, kind);
  if (bad < 0) return;
  const value = scope.f64View()[(ptr >>> 3) + bad] ?? NaN;
  let [code, hint] = CHECK_FAILURE[kind];
  // A NaN fails every check; report it as what it is.
  if (!Number.isFinite(value)) [code, hint] = CHECK_FAILURE[Check.Finite];
  throw new InputError(code, `${name}[${bad}]`, `is ${value}; ${hint}.`);
}

/** Copies a column into WASM memory and validates it; returns its offset. */
export function column(scope: Scope, values: Numbers, kind: Check, name: string): number {
  const ptr = scope.f64(values);
  check(scope, ptr, values.length, kind, name);
  return ptr;
}

/** Validates k for the @k ranking metrics. */
export function requireK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new InputError('INVALID_K', 'k', `is ${describe(k)}; k must be an integer >= 1.`);
  }
  return k;
}

/** An options object: undefined means defaults; anything but a plain object is rejected. */
export function options<T extends object>(value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('INVALID_OPTION', name, `is ${describe(value)}; pass an options object or leave it out.`);
  }
  return value;
}
