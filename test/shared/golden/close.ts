// Comparison helpers for the golden tests: relative closeness with NaN == NaN,
// failures that name the fixture case and field, and the worst relative error
// seen per metric, which each suite prints at its end.
import type { BinaryParams } from '../../support/gen.js';

/** A number as the fixtures store it: JSON has no NaN or Infinity. */
export type Encoded = number | 'NaN' | 'Infinity' | '-Infinity';

export function decode(x: Encoded): number {
  if (typeof x === 'number') return x;
  if (x === 'NaN') return NaN;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  throw new Error(`fixture holds ${JSON.stringify(x)} where a number belongs`);
}

/** The reference and tolerance header every fixture file carries. */
export interface FixtureFile<C> {
  generator: string;
  references: Record<string, string>;
  cases: C[];
}

/** Fixture cases either name generator parameters or hold inputs literally. */
export interface BinaryGen extends BinaryParams {
  kind: 'binary';
}

/**
 * |a - e| / max(|a|, |e|): 0 when identical (including NaN vs NaN and equal
 * infinities), Infinity when one is NaN or the signs of infinity differ.
 */
export function relativeError(actual: number, expected: number): number {
  if (Object.is(actual, expected) || actual === expected) return 0;
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Infinity;
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return Infinity;
  return Math.abs(actual - expected) / Math.max(Math.abs(actual), Math.abs(expected));
}

interface Worst {
  err: number;
  where: string;
}

/** Collects comparisons for one metric family. */
export class Golden {
  private readonly worst = new Map<string, Worst>();
  private count = 0;

  constructor(readonly family: string) {}

  /**
   * Fails unless actual is within rel (relative) of expected; NaN equals NaN.
   * Records the error under `field` (array indices dropped) for the summary.
   */
  expectClose(actual: number | undefined, expected: Encoded, caseName: string, field: string, rel = 1e-9): void {
    const e = decode(expected);
    if (typeof actual !== 'number') {
      throw new Error(`${this.family} case ${caseName}: ${field} is ${String(actual)}, expected ${e}`);
    }
    const err = relativeError(actual, e);
    this.count++;
    const key = field.replace(/\[\d+\]/g, '[]');
    const w = this.worst.get(key);
    if (!w || err > w.err) this.worst.set(key, { err, where: `${caseName} ${field}` });
    if (!(err <= rel)) {
      throw new Error(
        `${this.family} case ${caseName}: ${field} = ${actual}, expected ${e} (relative error ${err.toExponential(3)} > ${rel})`,
      );
    }
  }

  /** Element-wise expectClose after checking the length. */
  expectArrayClose(actual: ArrayLike<number> | undefined, expected: readonly Encoded[], caseName: string, field: string, rel = 1e-9): void {
    if (!actual || actual.length !== expected.length) {
      throw new Error(`${this.family} case ${caseName}: ${field} has length ${actual?.length}, expected ${expected.length}`);
    }
    for (let i = 0; i < expected.length; i++) this.expectClose(actual[i], expected[i]!, caseName, `${field}[${i}]`, rel);
  }

  /** Exact equality for counts, labels and codes. */
  expectEqual<T>(actual: T, expected: T, caseName: string, field: string): void {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(`${this.family} case ${caseName}: ${field} = ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  }

  /** The largest relative error of any field (0 if all were exact). */
  maxError(): number {
    let m = 0;
    for (const w of this.worst.values()) m = Math.max(m, w.err);
    return m;
  }

  /** One line per field: worst relative error and where it occurred. */
  summary(): string {
    const rows = [...this.worst.entries()].sort((a, b) => b[1].err - a[1].err);
    const lines = rows.map(([field, w]) => `  ${field.padEnd(34)} ${w.err.toExponential(2)}  (${w.where})`);
    return `${this.family}: worst relative error ${this.maxError().toExponential(2)} over ${this.count} comparisons\n${lines.join('\n')}`;
  }
}

/** Copies of literal fixture inputs as Float64Array (NaN/Infinity decoded). */
export function f64(values: readonly Encoded[]): Float64Array {
  return Float64Array.from(values, decode);
}
