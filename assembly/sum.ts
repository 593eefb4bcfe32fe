// Accurate summation shared by the kernels.
//
// numpy sums with pairwise summation (error ~ log2(n) ulp); a naive running sum
// drifts by up to n ulp, which on 1e5+ rows breaks 1e-12 agreement. We sum
// blocks of BLOCK terms plainly (cheap, vectorisable) and fold the block totals
// into a Neumaier-compensated accumulator: error ~ BLOCK ulp worst case, usually
// a fraction of an ulp, at nearly the cost of a plain loop.

/** Terms summed plainly before being folded into the compensated total. */
export const BLOCK: i32 = 256;

/** Neumaier (improved Kahan) accumulator. */
@final
export class Sum {
  s: f64 = 0;
  c: f64 = 0;

  @inline add(x: f64): void {
    const s = this.s;
    const t = s + x;
    if (Math.abs(s) >= Math.abs(x)) this.c += (s - t) + x;
    else this.c += (x - t) + s;
    this.s = t;
  }

  @inline get value(): f64 {
    return this.s + this.c;
  }
}

/** Sum of n f64 values starting at ptr. */
export function sumF64(ptr: usize, n: i32): f64 {
  const acc = new Sum();
  for (let b = 0; b < n; b += BLOCK) {
    const end = min(n, b + BLOCK);
    let s: f64 = 0;
    for (let i = b; i < end; i++) s += load<f64>(ptr + (<usize>i << 3));
    acc.add(s);
  }
  return acc.value;
}

/** Sum of (x - m)^2 over n f64 values at ptr. */
export function sumSqDev(ptr: usize, n: i32, m: f64): f64 {
  const acc = new Sum();
  for (let b = 0; b < n; b += BLOCK) {
    const end = min(n, b + BLOCK);
    let s: f64 = 0;
    for (let i = b; i < end; i++) {
      const d = load<f64>(ptr + (<usize>i << 3)) - m;
      s += d * d;
    }
    acc.add(s);
  }
  return acc.value;
}
