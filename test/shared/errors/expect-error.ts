// One assertion for every rejected input: the class, the stable name and code,
// the argument (with element index), a message that says how to fix it, and
// that a valid call right after still gives the right answer.
import { describe, expect, it } from 'vitest';
import { InputError, ModelwatchError, classificationMetrics, latencyStats } from '../../../src/index.js';
import type { ErrorCode, StateError } from '../../../src/index.js';
import * as o from '../../support/oracle.js';

/** Words each code's message must contain: the fix, not just the complaint. */
export const HINTS: Partial<Record<ErrorCode, RegExp>> = {
  EMPTY_INPUT: /at least one/,
  LENGTH_MISMATCH: /one value per row|has \d+ elements but/,
  NOT_NUMERIC: /number|array|pass/i,
  NON_FINITE: /finite/,
  NEGATIVE_VALUE: />= 0/,
  PROBABILITY_OUT_OF_RANGE: /\[0, 1\]/,
  NON_INTEGER_LABEL: /integer/,
  NOT_BINARY: /0 and 1/,
  TOO_MANY_CLASSES: /1024/,
  SHAPE_MISMATCH: /one score per|one column per|per class|rows/,
  INVALID_K: /integer >= 1/,
  TOO_FEW_VALUES: /at least 2/,
  INVALID_OPTION: /use|pass|must|needs|in \(0, 1\)|\[0, 100\]|> 0/,
};

export interface Expected {
  code: ErrorCode;
  /** Exact `argument` (e.g. 'yTrue[1]'). */
  argument: string;
  cls?: typeof InputError | typeof StateError;
  /** Whether to check a valid call afterwards (not possible before init). */
  canary?: boolean;
}

/** A cheap valid call checked against the oracle: proves the module still works. */
export function stillCorrect(): void {
  const t = [0, 1, 2, 2, 1, 0, 1], p = [0, 2, 2, 1, 1, 0, 0];
  expect(classificationMetrics(t, p).confusionMatrix).toEqual(o.classification(t, p).confusionMatrix);
  const v = [5, 1, 4, 2, 3, 9, 0.5];
  const e = o.latency(v);
  expect(latencyStats(v).p90).toBe(e.p[90]);
}

/** Calls f, which must throw exactly as described; then checks a valid call. */
export function expectError(f: () => unknown, want: Expected): ModelwatchError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) expect.fail(`expected ${want.code} for ${want.argument}, but the call returned`);
  const cls = want.cls ?? InputError;
  if (!(thrown instanceof cls)) {
    expect.fail(`expected ${cls.name} ${want.code} for ${want.argument}, got ${String(thrown)}`);
  }
  const e = thrown as ModelwatchError & { argument?: string };
  expect(e).toBeInstanceOf(ModelwatchError);
  expect(e).toBeInstanceOf(Error);
  expect(e.name).toBe(cls.name);
  expect(e.code).toBe(want.code);
  if (cls === InputError) {
    expect(e.argument).toBe(want.argument);
    expect(e.message.startsWith(`${want.argument}: `), e.message).toBe(true);
  } else {
    expect(e.message).toContain(want.argument);
  }
  const hint = HINTS[want.code];
  if (hint) expect(e.message).toMatch(hint);
  // comlink and postMessage carry plain fields: name and code must survive.
  expect(JSON.parse(JSON.stringify({ name: e.name, code: e.code }))).toEqual({ name: cls.name, code: want.code });
  expect(structuredClone({ name: e.name, code: e.code, message: e.message })).toEqual({ name: cls.name, code: want.code, message: e.message });
  if (want.canary ?? true) stillCorrect();
  return e;
}

/** Smuggles an ill-typed argument past the compiler, as JavaScript callers can. */
export const bad = (x: unknown): never => x as never;

/** One rejected call: its label, the call, the code and the argument it must name. */
export type Case = [label: string, call: () => unknown, code: ErrorCode, argument: string];

/** A describe block with one expectError test per case. */
export function table(name: string, cases: Case[]): void {
  describe(name, () => {
    it.each(cases)('%s', (_label, call, code, argument) => {
      expectError(call, { code, argument });
    });
  });
}
