// Generators and comparisons shared by the property suites. Values sit on
// coarse grids so that ties (the hard case for rank-based metrics) are common.
import fc from 'fast-check';
import { expect } from 'vitest';

/** One seed for every suite: failures replay exactly. */
export const SEED = 20240611;

/** fc.assert parameters with the fixed seed. */
export const runs = (numRuns: number): { seed: number; numRuns: number } => ({ seed: SEED, numRuns });

/** |actual - expected| <= tol * max(1, |expected|); NaN matches NaN only. */
export function close(actual: number | undefined, expected: number, tol = 1e-12, what = ''): void {
  if (Number.isNaN(expected)) {
    expect(actual, what).toBeNaN();
    return;
  }
  expect(typeof actual, what).toBe('number');
  const err = Math.abs(actual! - expected);
  if (!(err <= tol * Math.max(1, Math.abs(expected)))) {
    expect.fail(`${what}: expected ${expected}, got ${actual} (|diff| ${err} > ${tol})`);
  }
}

/** Closes over arrays element by element. */
export function closeAll(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i]!, tol, `${what}[${i}]`);
}

/** A probability on a grid of `steps` + 1 points in [0, 1] (ties are frequent). */
export const gridProb = (steps = 10): fc.Arbitrary<number> => fc.integer({ min: 0, max: steps }).map((i) => i / steps);

/** A double on a coarse grid: multiples of 1/4 in [-lim, lim]. */
export const gridDouble = (lim = 50): fc.Arbitrary<number> => fc.integer({ min: -4 * lim, max: 4 * lim }).map((i) => i / 4);

/** Binary labels with scores in [0, 1]: rows of [label, score]. */
export const binaryRows = (maxLength = 40, steps = 10): fc.Arbitrary<Array<[number, number]>> =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), gridProb(steps)), { minLength: 1, maxLength });

/** Binary rows that contain both classes. */
export const twoClassRows = (maxLength = 40, steps = 10): fc.Arbitrary<Array<[number, number]>> =>
  binaryRows(maxLength, steps).filter((rows) => rows.some((r) => r[0] === 1) && rows.some((r) => r[0] === 0));

export const col = <T>(rows: ReadonlyArray<readonly T[]>, j: number): T[] => rows.map((r) => r[j]!);

/** Moves element i to position perm order; a permutation as sort keys. */
export function permute<T>(xs: readonly T[], keys: readonly number[]): T[] {
  const idx = xs.map((_, i) => i).sort((a, b) => (keys[a]! - keys[b]!) || a - b);
  return idx.map((i) => xs[i]!);
}
