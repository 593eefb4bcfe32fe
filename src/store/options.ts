// The store's options: defaults, and validation at openStore() so that a bad
// option fails at once, naming itself, rather than at the first write.

import { InputError } from '../errors.js';
import type { FoldFn, StoreEvent, StoreOptions } from './types.js';

const DAY = 86_400_000;
const DEFAULT_RESERVE = 4 << 20;

/** StoreOptions with every default filled in. */
export interface Resolved {
  name: string;
  factory: IDBFactory | undefined;
  maxAgeMs: number;
  maxRows: number;
  pendingLabelMs: number;
  storeFeatures: boolean;
  durability: IDBTransactionDurability;
  quotaCompactFraction: number;
  quotaReserveBytes: number;
  blockedTimeoutMs: number;
  fold: FoldFn | undefined;
  onEvent: ((e: StoreEvent) => void) | undefined;
  now: () => number;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new InputError('INVALID_OPTION', name, `expected a positive number, got ${String(value)}`);
  }
  return value;
}

/** Checks the options and fills in the defaults; throws InputError INVALID_OPTION naming the bad one. */
export function resolve(o: StoreOptions): Resolved {
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) {
    throw new InputError('INVALID_OPTION', 'name', 'expected a non-empty database name');
  }
  const fraction = positive(o.quotaCompactFraction, 'quotaCompactFraction', 0.25);
  if (fraction > 1) throw new InputError('INVALID_OPTION', 'quotaCompactFraction', 'expected a share in (0, 1]');
  const reserve = o.quotaReserveBytes ?? DEFAULT_RESERVE;
  if (!Number.isInteger(reserve) || reserve < 0) {
    throw new InputError('INVALID_OPTION', 'quotaReserveBytes', `expected a whole number of bytes >= 0, got ${String(reserve)}`);
  }
  if (o.fold !== undefined && typeof o.fold !== 'function') {
    throw new InputError('INVALID_OPTION', 'fold', 'expected a function (batch) => Promise<void> | void');
  }
  if (o.now !== undefined && typeof o.now !== 'function') {
    throw new InputError('INVALID_OPTION', 'now', 'expected a clock function () => ms since the epoch');
  }
  return {
    name: o.name ?? 'modelwatch',
    factory: o.factory,
    maxAgeMs: positive(o.maxAgeMs, 'maxAgeMs', 30 * DAY),
    maxRows: positive(o.maxRows, 'maxRows', 20_000_000),
    pendingLabelMs: positive(o.pendingLabelMs, 'pendingLabelMs', 3_600_000),
    storeFeatures: o.storeFeatures === true,
    durability: o.durability ?? 'strict',
    quotaCompactFraction: fraction,
    quotaReserveBytes: reserve,
    blockedTimeoutMs: positive(o.blockedTimeoutMs, 'blockedTimeoutMs', 10_000),
    fold: o.fold,
    onEvent: o.onEvent,
    now: o.now ?? Date.now,
  };
}
