// Drift kernels over raw rows: the two empirical CDFs compared in one merge
// walk (Kolmogorov-Smirnov statistic, Wasserstein-1 distance), the KS p-value
// of scipy 1.10's ks_2samp, the binning Evidently uses for PSI and
// Jensen-Shannon, and the chi-square survival function.
import { Sum } from './sum';
import { toKey, fromKey, radixSortU64 } from './sort';
import { logGamma } from './trend';

@inline function f(ptr: usize, i: i32): f64 {
  return load<f64>(ptr + (<usize>i << 3));
}

@inline function key(ptr: usize, i: i32): u64 {
  return load<u64>(ptr + (<usize>i << 3));
}

/** Sorts n f64 at src into order-preserving u64 keys; returns a fresh block holding them sorted (caller frees). */
function sortedKeys(src: usize, n: i32): usize {
  const keys = heap.alloc(<usize>max(n, 1) << 3);
  const tmp = heap.alloc(<usize>max(n, 1) << 3);
  for (let i = 0; i < n; i++) store<u64>(keys + (<usize>i << 3), toKey(f(src, i)));
  const sorted = radixSortU64(keys, tmp, n);
  if (sorted == keys) { heap.free(tmp); return keys; }
  heap.free(keys);
  return tmp;
}

/**
 * Compares the empirical CDFs of a (na) and b (nb), both non-empty and finite.
 * out (f64): 0 max over the pooled values v of F_a(v) - F_b(v); 1 max of
 * F_b(v) - F_a(v), clipped at 0; 2 the Wasserstein-1 distance.
 *
 * F(v) counts values <= v (numpy searchsorted side='right') divided by the
 * sample size, as in scipy.stats.ks_2samp and scipy's _cdf_distance; the
 * distance is the sum over consecutive pooled values of |F_a - F_b| times the
 * gap (scipy.stats.wasserstein_distance with p = 1).
 */
export function ecdfCompare(a: usize, na: i32, b: usize, nb: i32, out: usize): void {
  const ka = sortedKeys(a, na);
  const kb = sortedKeys(b, nb);
  const fa = <f64>na, fb = <f64>nb;
  let i = 0, j = 0;
  let dPlus: f64 = -Infinity, dMinus: f64 = -Infinity;
  const w = new Sum();
  while (i < na || j < nb) {
    const va = i < na ? key(ka, i) : u64.MAX_VALUE;
    const vb = j < nb ? key(kb, j) : u64.MAX_VALUE;
    const v = va < vb ? va : vb;
    while (i < na && key(ka, i) == v) i++;
    while (j < nb && key(kb, j) == v) j++;
    const diff = <f64>i / fa - <f64>j / fb;
    if (diff > dPlus) dPlus = diff;
    if (-diff > dMinus) dMinus = -diff;
    if (i < na || j < nb) {
      const na2 = i < na ? key(ka, i) : u64.MAX_VALUE;
      const nb2 = j < nb ? key(kb, j) : u64.MAX_VALUE;
      const next = na2 < nb2 ? na2 : nb2;
      w.add(Math.abs(diff) * (fromKey(next) - fromKey(v)));
    }
  }
  store<f64>(out, dPlus);
  store<f64>(out + 8, max(dMinus, 0.0));
  store<f64>(out + 16, w.value);
  heap.free(kb);
  heap.free(ka);
}

// ---------------------------------------------------------------------------
// Exact two-sided p-value of the two-sample KS statistic (scipy 1.10).

/**
 * P(D_{n,n} >= h/n) for equal sample sizes: scipy's
 * _compute_prob_outside_square (alternating sum of binomial ratios evaluated
 * Horner-style to avoid cancellation).
 */
function probOutsideSquare(n: f64, h: f64): f64 {
  let p: f64 = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1: f64 = 1;
    for (let j: f64 = 0; j < h; j++) p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
    p = p1 * (1.0 - p);
    k -= 1;
  }
  return 2 * p;
}

/**
 * The proportion of lattice paths from (0, 0) to (m, n) that leave the band
 * |x/m - y/n| < h/lcm: scipy's _compute_outer_prob_inside_method (Hodges'
 * inside method, with Viehmann's recursion for 1 - p, arXiv:2102.08037).
 */
function outerProbInside(m0: f64, n0: f64, g: f64, h: f64): f64 {
  let m = m0, n = n0;
  if (m < n) { const t = m; m = n; n = t; }
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj: f64 = 0;
  let maxj: f64 = min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = <i32>min(2 * maxj + 2, n + 1);
  const A = heap.alloc(<usize>lenA << 3);
  for (let q = 0; q < lenA; q++) store<f64>(A + (<usize>q << 3), 1.0);
  for (let q = <i32>minj; q < <i32>min(maxj, <f64>lenA); q++) store<f64>(A + (<usize>q << 3), 0.0);
  for (let i: f64 = 1; i <= m; i++) {
    const lastminj = minj, lastlen = curlen;
    minj = max(Math.floor((ng * i - h) / mg) + 1, 0.0);
    minj = min(minj, n);
    maxj = min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) { heap.free(A); return 1.0; }
    let val: f64 = minj == 0 ? 0.0 : 1.0;
    const len = <i32>(maxj - minj);
    const shift = <i32>(minj - lastminj);
    for (let jj = 0; jj < len; jj++) {
      const j = <f64>jj + minj;
      val = (f(A, jj + shift) * i + val * j) / (i + j);
      store<f64>(A + (<usize>jj << 3), val);
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      const to = min(<i32>(maxj - minj + (lastlen - curlen)), lenA);
      for (let q = len; q < to; q++) store<f64>(A + (<usize>q << 3), 1.0);
    }
  }
  const r = f(A, <i32>(maxj - minj) - 1);
  heap.free(A);
  return r;
}

function gcd(a: f64, b: f64): f64 {
  while (b != 0) { const t = a % b; a = b; b = t; }
  return a;
}

/**
 * Two-sided p-value of ks_2samp(method='auto') for sample sizes n1, n2 and
 * statistic d. out (f64): 0 the statistic as scipy reports it (h / lcm in the
 * exact branch), 1 the p-value, 2 the method used (0 exact, 1 asymptotic).
 *
 * 'auto' is exact when max(n1, n2) <= 10000. The exact branch rounds
 * d * lcm(n1, n2) to the integer h (numpy's round-half-even), then counts
 * lattice paths; if that result is not a probability it falls back to the
 * asymptotic branch, as scipy does. The asymptotic branch is
 * kstwo.sf(d, round(n1 n2 / (n1 + n2))): see kolmogorovSf.
 */
export function ksPValue(n1: i32, n2: i32, d: f64, out: usize): void {
  const a = <f64>n1, b = <f64>n2;
  let exact = max(n1, n2) <= 10000;
  let p: f64 = NaN;
  if (exact) {
    const g = gcd(a, b);
    const lcm = Math.floor(a / g) * b;
    const h = nearest(d * lcm);
    d = h / lcm;
    if (h == 0) p = 1.0;
    else if (n1 == n2) p = probOutsideSquare(a, h);
    else p = outerProbInside(a, b, g, h);
    if (!(p >= 0 && p <= 1)) exact = false;
  }
  if (!exact) {
    const big = max(a, b), small = min(a, b);
    p = kolmogorovSf(nearest(big * small / (big + small)), d);
  }
  store<f64>(out, d);
  store<f64>(out + 8, min(max(p, 0.0), 1.0));
  store<f64>(out + 16, exact ? 0.0 : 1.0);
}

// ---------------------------------------------------------------------------
// The one-sample Kolmogorov distribution kstwo.sf(x, n), after scipy 1.10's
// scipy/stats/_ksstats.py (_kolmogn with cdf=False) and cephes' smirnov.

/** log(n! / n^n). */
function logNFactorialDivNPowN(n: f64): f64 {
  return logGamma(n + 1) - n * Math.log(n);
}

@inline function clipProb(p: f64): f64 {
  return min(max(p, 0.0), 1.0);
}

/**
 * Survival function of the exact distribution of the one-sample two-sided
 * statistic D_n at x (scipy.stats.kstwo.sf(x, n)).
 */
export function kolmogorovSf(n: f64, x: f64): f64 {
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  const t = n * x;
  if (t <= 1.0) {
    if (t <= 0.5) return 1.0;
    let prob: f64;
    if (n <= 140) {
      prob = 1.0;
      for (let i: f64 = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clipProb(1.0 - prob);
  }
  if (t >= n - 1) return clipProb(2 * Math.pow(1.0 - x, n));
  if (x >= 0.5) return clipProb(2 * smirnov(n, x));
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clipProb(1.0 - kolmogDMTW(n, x));
    if (nxsquared <= 4) return clipProb(1.0 - kolmogPomeranz(n, x));
    return clipProb(2 * smirnov(n, x));
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return clipProb(2 * smirnov(n, x));
  let cdf: f64;
  if (nxsquared >= 18.0) cdf = 1.0;
  else if (n <= 100000 && n * Math.pow(x, 1.5) <= 1.4) cdf = kolmogDMTW(n, x);
  else cdf = kolmogPelzGood(n, x);
  return clipProb(1.0 - cdf);
}

// The three helpers below are filled in by the asymptotic port; until then
// they return NaN so that a p-value outside the exact branch is never made up.
function smirnov(n: f64, x: f64): f64 { return NaN * n * x; }
function kolmogDMTW(n: f64, x: f64): f64 { return NaN * n * x; }
function kolmogPomeranz(n: f64, x: f64): f64 { return NaN * n * x; }
function kolmogPelzGood(n: f64, x: f64): f64 { return NaN * n * x; }

// ---------------------------------------------------------------------------
// Binning for PSI and Jensen-Shannon (Evidently's get_binned_data).

/**
 * Bins a reference (nr) and a current (nc) sample the way Evidently's
 * get_binned_data does, returning counts rather than fractions:
 * - more than maxDistinct distinct reference values: numpy's 'sturges' bins
 *   over the pooled sample (k = ceil(ptp / (ptp / (log2(nr + nc) + 1)))
 *   equal-width bins from its min to its max; edges i * step + min, the last
 *   edge the max), each bin [e_i, e_{i+1}) and the last closed, as
 *   numpy.histogram counts; writes k + 1 edges to edges and returns k;
 * - otherwise one bin per distinct value of either sample (ascending), its
 *   value written to edges; returns -k.
 * refCounts / curCounts (f64) receive the per-bin counts. Capacity needed:
 * max(66, distinct values of both samples) slots.
 */
export function driftBins(ref: usize, nr: i32, cur: usize, nc: i32, maxDistinct: i32, edges: usize, refCounts: usize, curCounts: usize): i32 {
  const kr = sortedKeys(ref, nr);
  const kc = sortedKeys(cur, nc);
  let distinct = 0;
  for (let i = 0; i < nr; i++) if (i == 0 || key(kr, i) != key(kr, i - 1)) distinct++;
  let k = 0;
  if (distinct > maxDistinct) {
    const k0r = key(kr, 0), k0c = key(kc, 0), k1r = key(kr, nr - 1), k1c = key(kc, nc - 1);
    const first = fromKey(k0r < k0c ? k0r : k0c);
    const last = fromKey(k1r > k1c ? k1r : k1c);
    // distinct > maxDistinct >= 0 values in the reference: first < last.
    const ptp = last - first;
    const width = ptp / (Math.log2(<f64>(nr + nc)) + 1.0);
    k = width > 0 ? <i32>Math.ceil(ptp / width) : 1;
    const step = ptp / <f64>k;
    for (let e = 0; e < k; e++) store<f64>(edges + (<usize>e << 3), <f64>e * step + first);
    store<f64>(edges + (<usize>k << 3), last);
    countInto(kr, nr, edges, k, refCounts);
    countInto(kc, nc, edges, k, curCounts);
  } else {
    let i = 0, j = 0;
    while (i < nr || j < nc) {
      const va = i < nr ? key(kr, i) : u64.MAX_VALUE;
      const vb = j < nc ? key(kc, j) : u64.MAX_VALUE;
      const v = va < vb ? va : vb;
      let cr = 0, cc = 0;
      while (i < nr && key(kr, i) == v) { i++; cr++; }
      while (j < nc && key(kc, j) == v) { j++; cc++; }
      store<f64>(edges + (<usize>k << 3), fromKey(v));
      store<f64>(refCounts + (<usize>k << 3), <f64>cr);
      store<f64>(curCounts + (<usize>k << 3), <f64>cc);
      k++;
    }
    k = -k;
  }
  heap.free(kc);
  heap.free(kr);
  return k;
}

/** numpy.histogram counts of n sorted keys over k bins with the given edges. */
function countInto(keys: usize, n: i32, edges: usize, k: i32, counts: usize): void {
  memory.fill(counts, 0, <usize>k << 3);
  let b = 0;
  for (let i = 0; i < n; i++) {
    const v = fromKey(key(keys, i));
    if (v < f(edges, 0) || v > f(edges, k)) continue;
    while (b < k - 1 && v >= f(edges, b + 1)) b++;
    const c = counts + (<usize>b << 3);
    store<f64>(c, load<f64>(c) + 1.0);
  }
}

// ---------------------------------------------------------------------------
// Chi-square survival function: Q(df / 2, x / 2), the regularized upper
// incomplete gamma function, as cephes' igamc (power series below, continued
// fraction above), which scipy.stats.chi2.sf evaluates.

const MACHEP: f64 = 1.11022302462515654042e-16;
const BIG: f64 = 4.503599627370496e15;
const BIGINV: f64 = 2.22044604925031308085e-16;

function igamSeries(a: f64, x: f64): f64 {
  const ax = Math.exp(a * Math.log(x) - x - logGamma(a));
  let r = a, c: f64 = 1, ans: f64 = 1;
  do {
    r += 1;
    c *= x / r;
    ans += c;
  } while (c / ans > MACHEP);
  return ans * ax / a;
}

function igamcFraction(a: f64, x: f64): f64 {
  const ax = Math.exp(a * Math.log(x) - x - logGamma(a));
  let y = 1.0 - a, z = x + y + 1.0, c: f64 = 0;
  let pkm2: f64 = 1.0, qkm2 = x, pkm1 = x + 1.0, qkm1 = z * x;
  let ans = pkm1 / qkm1;
  let t: f64;
  do {
    c += 1.0; y += 1.0; z += 2.0;
    const yc = y * c;
    const pk = pkm1 * z - pkm2 * yc;
    const qk = qkm1 * z - qkm2 * yc;
    if (qk != 0) {
      const r = pk / qk;
      t = Math.abs((ans - r) / r);
      ans = r;
    } else {
      t = 1.0;
    }
    pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
    if (Math.abs(pk) > BIG) { pkm2 *= BIGINV; pkm1 *= BIGINV; qkm2 *= BIGINV; qkm1 *= BIGINV; }
  } while (t > MACHEP);
  return ans * ax;
}

/** P(X > x) for X ~ chi-square with df > 0 degrees of freedom. */
export function chi2Sf(x: f64, df: f64): f64 {
  if (!(df > 0) || isNaN(x)) return NaN;
  if (x <= 0) return 1.0;
  if (x == Infinity) return 0.0;
  const a = df / 2, h = x / 2;
  if (h < 1.0 || h < a) return 1.0 - igamSeries(a, h);
  return igamcFraction(a, h);
}
