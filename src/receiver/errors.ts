// The receiver's own error: a fleet limit was reached. Bad input stays an
// InputError (400, or 413 for BODY_TOO_LARGE / BODY_TOO_COMPLEX) and a
// journal that cannot be written a StateError (503).
import { ModelwatchError } from '../errors.js';

/** Which limit refused a request. */
export type Limit = 'rate' | 'devices' | 'series' | 'keys';

/**
 * A request refused by a fleet limit (HTTP 429): nothing of it was stored,
 * and the sender keeps it and retries after `retryAfterS` seconds.
 */
export class LimitError extends ModelwatchError {
  override name = 'LimitError';
  readonly limit: Limit;
  readonly retryAfterS: number;

  constructor(limit: Limit, message: string, retryAfterS: number) {
    super('LIMIT_EXCEEDED', message);
    this.limit = limit;
    this.retryAfterS = retryAfterS;
  }
}
