// Every error modelwatch throws. Each class has a stable `name` and each error
// a stable `code`, because comlink carries only name, message and stack across
// a worker boundary: callers switch on these, never on message text.

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'NOT_INITIALIZED'
  | 'WASM_LOAD_FAILED'
  | 'KERNEL_ABORTED'
  | 'EMPTY_INPUT'
  | 'LENGTH_MISMATCH'
  | 'NOT_NUMERIC'
  | 'NON_FINITE'
  | 'NEGATIVE_VALUE'
  | 'PROBABILITY_OUT_OF_RANGE'
  | 'NON_INTEGER_LABEL'
  | 'NOT_BINARY'
  | 'TOO_MANY_CLASSES'
  | 'SHAPE_MISMATCH'
  | 'INVALID_K'
  | 'TOO_FEW_VALUES'
  | 'INVALID_OPTION'
  // [summaries] a serialized or merged summary was rejected
  | 'INVALID_SUMMARY'
  | 'UNSUPPORTED_VERSION'
  | 'INCOMPATIBLE_SUMMARY'
  // [fleet-trust] a merge whose sums would leave the finite range; a sketch coarser than a receiver takes
  | 'MERGE_OVERFLOW'
  | 'SCALE_TOO_LOW'
  // [fleet-trust] a late-label correction that would give a device more labels than predictions in a series
  | 'CORRECTION_EXCEEDS_COUNT'
  | 'INVALID_ID'
  | 'DUPLICATE_ID'
  | 'IDS_EXHAUSTED'
  | 'QUOTA_EXCEEDED'
  | 'STORE_CLOSED'
  | 'STORE_FAILED'
  | 'VERSION_BLOCKED'
  | 'NO_FOLD'
  // [monitor] the monitor was used after close(), or its worker failed
  | 'MONITOR_CLOSED'
  | 'WORKER_FAILED'
  // [monitor] a batch was not written after its retries and was handed back ('write-failed' event)
  | 'WRITE_FAILED'
  // [sync] an endpoint without https; raw rows without allowRawRows
  | 'INSECURE_ENDPOINT'
  | 'RAW_NOT_ALLOWED'
  // [fleet-trust] the receiver: a body over its size or nesting limits, a fleet limit, a damaged journal
  | 'BODY_TOO_LARGE'
  | 'BODY_TOO_COMPLEX'
  | 'LIMIT_EXCEEDED'
  | 'UNAUTHORIZED'
  | 'JOURNAL_CORRUPT'
  | 'JOURNAL_FAILED'
  | 'RECEIVER_CLOSED';

/** Base class: every modelwatch error is one of these. */
export class ModelwatchError extends Error {
  override name = 'ModelwatchError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** An argument was rejected. `argument` names it (e.g. `yProb[12]`). */
export class InputError extends ModelwatchError {
  override name = 'InputError';
  readonly argument: string;

  constructor(code: ErrorCode, argument: string, message: string) {
    super(code, `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** The library was used in a state that does not allow the call. */
export class StateError extends ModelwatchError {
  override name = 'StateError';
}
