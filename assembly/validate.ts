// Input checks, one pass each, reporting the first offending index so that the
// TypeScript layer can name the element in its error message.

/** What a column must satisfy. Mirrored by `Check` in src/core/exports.ts. */
export const CHECK_FINITE: i32 = 0;
export const CHECK_INTEGER: i32 = 1;
export const CHECK_UNIT: i32 = 2;
export const CHECK_NON_NEGATIVE: i32 = 3;

/** Index of the first of n f64 at ptr failing `check`, or -1 if all pass. */
export function firstInvalid(ptr: usize, n: i32, check: i32): i32 {
  // One loop per check keeps the per-element work branch-free.
  if (check == CHECK_FINITE) {
    for (let i = 0; i < n; i++) { const x = at(ptr, i); if (x - x != 0.0) return i; }
  } else if (check == CHECK_INTEGER) {
    for (let i = 0; i < n; i++) {
      const x = at(ptr, i);
      if (!(Math.floor(x) == x && Math.abs(x) <= 9007199254740991.0)) return i;
    }
  } else if (check == CHECK_UNIT) {
    for (let i = 0; i < n; i++) { const x = at(ptr, i); if (!(x >= 0.0 && x <= 1.0)) return i; }
  } else {
    for (let i = 0; i < n; i++) { const x = at(ptr, i); if (!(x - x == 0.0 && x >= 0.0)) return i; }
  }
  return -1;
}

@inline function at(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + (<usize>i << 3));
}
