import type { ErrorCode } from '../errors.js';
import { ModelwatchError } from '../errors.js';

/** The on-device store failed or was used in a state that forbids the call; `cause` holds the platform error. */
export class StoreError extends ModelwatchError {
  override name = 'StoreError';

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Whether a platform error means the origin ran out of storage quota. */
export function isQuotaError(e: unknown): boolean {
  if (e instanceof StoreError) return e.code === 'QUOTA_EXCEEDED';
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'QuotaExceededError';
}
