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

const STIRLING: StaticArray<f64> = [-2.955065359477124183e-2, 6.4102564102564102564e-3,
  -1.9175269175269175269e-3, 8.4175084175084175084e-4, -5.952380952380952381e-4,
  7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2];
const LOG_2PI: f64 = 1.8378770664093453;
const SQRT_2PI: f64 = 2.5066282746310002;
const PI2: f64 = Math.PI * Math.PI;
const E128: f64 = 3.402823669209385e38; // 2^128, scipy's rescaling step
const EM128: f64 = 2.938735877055719e-39; // 2^-128

/** log(n! / n^n) by Stirling's series, as scipy's _log_nfactorial_div_n_pow_n. */
function logNFactorialDivNPowN(n: f64): f64 {
  const rn = 1.0 / n;
  const z = rn / n;
  let poly: f64 = 0;
  for (let i = 0; i < 8; i++) poly = poly * z + unchecked(STIRLING[i]);
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

@inline function clipProb(p: f64): f64 {
  return min(max(p, 0.0), 1.0);
}

/**
 * Survival function of the exact distribution of the one-sample two-sided
 * statistic D_n at x: scipy.stats.kstwo.sf(x, n), following the case split
 * of scipy 1.10's _kolmogn(n, x, cdf=False) (Ruben-Gambino closed forms at
 * the ends, 2 x Smirnov's one-sided tail where it is exact or accurate, the
 * Durbin matrix (Marsaglia-Tsang-Wang) or Pomeranz recursion for small n x^2,
 * Pelz-Good's asymptotic series for large n).
 */
export function kolmogorovSf(n: f64, x: f64): f64 {
  if (isNaN(x) || !(n > 0)) return NaN;
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

/**
 * Smirnov's one-sided tail P(D+_n >= x) by the Birnbaum-Tingey sum
 * x sum_{v <= n(1-x)} C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), each term
 * taken in log space (log C(n, v) accumulated as a compensated sum of
 * log((n - v) / (v + 1))). scipy evaluates the same sum in double-double
 * arithmetic; this f64 version agrees to about 1e-12 relative on the
 * fixtures (see test/shared/golden/drift.test.ts).
 */
function smirnov(n: f64, x: f64): f64 {
  if (x <= 0) return 1.0;
  if (x >= 1) return 0.0;
  const last = Math.floor(n * (1.0 - x));
  const logC = new Sum();
  const terms = new Sum();
  for (let v: f64 = 0; v <= last; v++) {
    const a = x + v / n;
    const b = 1.0 - a;
    if (b > 0 || v == n) {
      const lt = logC.value + (v - 1) * Math.log(a) + (n - v > 0 ? (n - v) * Math.log1p(-a) : 0.0);
      if (lt > -745) terms.add(Math.exp(lt));
    }
    logC.add(Math.log((n - v) / (v + 1)));
  }
  return terms.value * x;
}

/** n x n matrix product into out (row-major f64). */
function matmul(a: usize, b: usize, out: usize, m: i32): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s: f64 = 0;
      for (let q = 0; q < m; q++) s += load<f64>(a + (<usize>(i * m + q) << 3)) * load<f64>(b + (<usize>(q * m + j) << 3));
      store<f64>(out + (<usize>(i * m + j) << 3), s);
    }
  }
}

/** P(D_n <= d) by Durbin's matrix (scipy's _kolmogn_DMTW). */
function kolmogDMTW(n: f64, d: f64): f64 {
  if (d >= 1.0) return 1.0;
  const nd = n * d;
  if (nd <= 0.5) return 0.0;
  const k = <i32>Math.ceil(nd);
  const h = <f64>k - nd;
  const m = 2 * k - 1;
  const bytes = <usize>(m * m) << 3;
  let H = heap.alloc(bytes), P = heap.alloc(bytes), T = heap.alloc(bytes);
  memory.fill(H, 0, bytes);
  memory.fill(P, 0, bytes);
  const v = heap.alloc(<usize>m << 3), w = heap.alloc(<usize>m << 3);
  let fac: f64 = 1.0;
  for (let j = 1; j <= m; j++) {
    store<f64>(w + (<usize>(j - 1) << 3), fac);
    fac /= <f64>j;
    store<f64>(v + (<usize>(j - 1) << 3), (1.0 - Math.pow(h, <f64>j)) * fac);
  }
  const tt = Math.pow(max(2 * h - 1.0, 0.0), <f64>m) - 2 * Math.pow(h, <f64>m);
  store<f64>(v + (<usize>(m - 1) << 3), (1.0 + tt) * fac);
  // H[i-1:, i] = w[:m-i+1] for i in 1..m-1; H[:, 0] = v; H[-1, :] = v reversed.
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) store<f64>(H + (<usize>(r * m + i) << 3), load<f64>(w + (<usize>(r - i + 1) << 3)));
  }
  for (let r = 0; r < m; r++) store<f64>(H + (<usize>(r * m) << 3), load<f64>(v + (<usize>r << 3)));
  for (let c = 0; c < m; c++) store<f64>(H + (<usize>((m - 1) * m + c) << 3), load<f64>(v + (<usize>(m - 1 - c) << 3)));
  for (let i = 0; i < m; i++) store<f64>(P + (<usize>(i * m + i) << 3), 1.0);
  let nn = <i64>n;
  let expnt: i32 = 0, hExpnt: i32 = 0;
  while (nn > 0) {
    if (nn % 2 != 0) {
      matmul(P, H, T, m);
      const t = P; P = T; T = t;
      expnt += hExpnt;
    }
    matmul(H, H, T, m);
    const t = H; H = T; T = t;
    hExpnt *= 2;
    if (Math.abs(load<f64>(H + (<usize>((k - 1) * m + (k - 1)) << 3))) > E128) {
      for (let q = 0; q < m * m; q++) store<f64>(H + (<usize>q << 3), load<f64>(H + (<usize>q << 3)) / E128);
      hExpnt += 128;
    }
    nn = nn / 2;
  }
  let p = load<f64>(P + (<usize>((k - 1) * m + (k - 1)) << 3));
  for (let i: f64 = 1; i <= n; i++) {
    p = i * p / n;
    if (Math.abs(p) < EM128) { p *= E128; expnt -= 128; }
  }
  if (expnt != 0) p = p * Math.pow(2.0, <f64>expnt);
  heap.free(w); heap.free(v); heap.free(T); heap.free(P); heap.free(H);
  return clipProb(p);
}

/** Row i's interval in the Pomeranz recursion (scipy's _pomeranz_compute_j1j2). */
function pomeranzJ(i: i32, n: i32, ll: i32, ceilf: i32, roundf: i32, out: usize): void {
  let j1: i32, j2: i32;
  if (i == 0) {
    j1 = -ll - ceilf - 1; j2 = ll + ceilf - 1;
  } else {
    const d = (i + 1) / 2, r = (i + 1) % 2;
    if (r == 0) {
      if (d == n + 1) { j1 = n - ll - ceilf - 1; j2 = n + ll + ceilf - 1; }
      else { j1 = d - 1 - ll - roundf - 1; j2 = d + ll - 1 + ceilf - 1; }
    } else {
      j1 = d - 1 - ll - 1; j2 = d + ll + roundf - 1;
    }
  }
  store<i32>(out, max(j1 + 2, 0));
  store<i32>(out + 4, min(j2, n));
}

/** P(D_n <= x) by Pomeranz's recursion (scipy's _kolmogn_Pomeranz; n <= 140). */
function kolmogPomeranz(nf: f64, x: f64): f64 {
  const n = <i32>nf;
  const t = nf * x;
  const ll = <i32>Math.floor(t);
  const fr = t - <f64>ll;
  const g = min(fr, 1.0 - fr);
  const ceilf = fr > 0 ? 1 : 0;
  const roundf = fr > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gp = heap.alloc(<usize>npwrs << 3), g2 = heap.alloc(<usize>npwrs << 3), g12 = heap.alloc(<usize>npwrs << 3);
  store<f64>(gp, 1.0); store<f64>(g2, 1.0); store<f64>(g12, 1.0);
  const a1 = g / nf, a2 = 2 * g / nf, a3 = (1 - 2 * g) / nf;
  for (let q = 1; q < npwrs; q++) {
    const o = <usize>q << 3;
    store<f64>(gp + o, load<f64>(gp + o - 8) * a1 / <f64>q);
    store<f64>(g2 + o, load<f64>(g2 + o - 8) * a2 / <f64>q);
    store<f64>(g12 + o, load<f64>(g12 + o - 8) * a3 / <f64>q);
  }
  let V0 = heap.alloc(<usize>npwrs << 3), V1 = heap.alloc(<usize>npwrs << 3);
  memory.fill(V0, 0, <usize>npwrs << 3);
  memory.fill(V1, 0, <usize>npwrs << 3);
  store<f64>(V1, 1.0);
  let V0s = 0, V1s = 0;
  const jj = heap.alloc(8);
  pomeranzJ(0, n, ll, ceilf, roundf, jj);
  let j1 = load<i32>(jj), j2 = load<i32>(jj + 4);
  let expnt: i32 = 0;
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    const tv = V0; V0 = V1; V1 = tv;
    const ts = V0s; V0s = V1s; V1s = ts;
    memory.fill(V1, 0, <usize>npwrs << 3);
    pomeranzJ(i, n, ll, ceilf, roundf, jj);
    j1 = load<i32>(jj); j2 = load<i32>(jj + 4);
    const pw = i == 1 || i == 2 * n + 1 ? gp : (i % 2 != 0 ? g2 : g12);
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pw[:ln2]); V1[:len] = conv[start:start + len]
      const base = k1 - V0s;
      const start = j1 - k1, len = j2 - j1 + 1;
      let vmax: f64 = -Infinity;
      for (let q = 0; q < len; q++) {
        const c = start + q; // conv index
        let s: f64 = 0;
        for (let a = max(0, c - ln2 + 1); a <= min(c, ln2 - 1); a++) {
          s += load<f64>(V0 + (<usize>(base + a) << 3)) * load<f64>(pw + (<usize>(c - a) << 3));
        }
        store<f64>(V1 + (<usize>q << 3), s);
      }
      for (let q = 0; q < npwrs; q++) vmax = max(vmax, load<f64>(V1 + (<usize>q << 3)));
      if (vmax > 0 && vmax < EM128) {
        for (let q = 0; q < npwrs; q++) store<f64>(V1 + (<usize>q << 3), load<f64>(V1 + (<usize>q << 3)) * E128);
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = load<f64>(V1 + (<usize>(n - V1s) << 3));
  for (let q = 1; q <= n; q++) {
    if (Math.abs(ans) > E128) { ans *= EM128; expnt += 128; }
    ans *= <f64>q;
  }
  if (expnt != 0) ans = ans * Math.pow(2.0, <f64>expnt);
  heap.free(jj); heap.free(V1); heap.free(V0); heap.free(g12); heap.free(g2); heap.free(gp);
  return clipProb(ans);
}

/** P(D_n <= x) by the Pelz-Good asymptotic series (scipy's _kolmogn_PelzGood). */
function kolmogPelzGood(n: f64, x: f64): f64 {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const z = Math.sqrt(n) * x;
  const z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0.0;
  let q = Math.exp(qlog);
  const PI4 = PI2 * PI2, PI6 = PI4 * PI2;
  const k1a = -z2, k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * PI2 / 4, k2c = PI4 * (1 - 2 * z2) / 16;
  const k3d = PI6 * (5 - 30 * z2) / 64, k3c = PI4 * (-60 * z2 + 212 * z4) / 16;
  const k3b = PI2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * Math.pow(z, 8);
  let K0: f64 = 0, K1: f64 = 0, K2: f64 = 0, K3: f64 = 0;
  const maxk = <i32>Math.ceil(16 * z / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = <f64>(2 * k - 1);
    const m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
    const qp = Math.pow(q, <f64>(8 * k));
    K0 = K0 * qp + 1.0;
    K1 = K1 * qp + (k1a + k1b * m2);
    K2 = K2 * qp + (k2a + k2b * m2 + k2c * m4);
    K3 = K3 * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  K0 = K0 * q * SQRT_2PI / z;
  K1 = K1 * q * SQRT_2PI / (6 * z4);
  K2 = K2 * q * SQRT_2PI / (72 * Math.pow(z, 7));
  K3 = K3 * q * SQRT_2PI / (6480 * Math.pow(z, 10));
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3.0) * z;
  let k2extra: f64 = 0, k3extra: f64 = 0;
  for (let k = maxk; k > 0; k--) {
    const kf = <f64>k;
    const ks = kf * kf;
    const qk = Math.pow(q, ks);
    const kspi = Math.PI * kf;
    k2extra += ks * qk;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks * qk;
  }
  K2 += k2extra * (PI2 * SQRT_2PI / (-36 * z3));
  K3 += k3extra * (PI2 * SQRT_2PI / (216 * z6));
  return K0 + K1 / Math.sqrt(n) + K2 / n + K3 / Math.pow(n, 1.5);
}

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
 * refCounts / curCounts (f64) receive the per-bin counts; each buffer has
 * cap slots (at least 66, enough for numeric bins up to 2^64 rows). Returns 0
 * when there are more than cap categories: call again with more room.
 */
export function driftBins(ref: usize, nr: i32, cur: usize, nc: i32, maxDistinct: i32, edges: usize, refCounts: usize, curCounts: usize, cap: i32): i32 {
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
    // Count the categories first: more than cap (the caller's buffers) asks
    // for a second call with room for all of them.
    let i = 0, j = 0, total = 0;
    while (i < nr || j < nc) {
      const va = i < nr ? key(kr, i) : u64.MAX_VALUE;
      const vb = j < nc ? key(kc, j) : u64.MAX_VALUE;
      const v = va < vb ? va : vb;
      while (i < nr && key(kr, i) == v) i++;
      while (j < nc && key(kc, j) == v) j++;
      total++;
    }
    if (total > cap) { heap.free(kc); heap.free(kr); return 0; }
    i = 0; j = 0;
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
