// Trend regression: scipy.stats.linregress of y against x, with the two-sided
// p-value of the slope from Student's t distribution.
import { Sum } from './sum';

/** scipy's guard against division by zero when |r| = 1. */
const TINY: f64 = 1.0e-20;

// out layout (f64): 0 slope, 1 intercept, 2 r, 3 p-value, 4 stderr of slope,
// 5 stderr of intercept.

/** Linear regression of n >= 2 points (x, y). */
export function linregress(x: usize, y: usize, n: i32, out: usize): void {
  const nf = <f64>n;
  const sx = new Sum();
  const sy = new Sum();
  const y0 = load<f64>(y);
  let constant = true;
  for (let i = 0; i < n; i++) {
    const yi = load<f64>(y + (<usize>i << 3));
    sx.add(load<f64>(x + (<usize>i << 3)));
    sy.add(yi);
    constant = constant & (yi == y0);
  }
  const xm = sx.value / nf;
  // A constant series has no trend: use its value as the exact mean, so that
  // the rounding of sum / n (0.1 * 3 / 3 != 0.1) cannot invent a slope.
  const ym = constant ? y0 : sy.value / nf;
  const sxx = new Sum();
  const sxy = new Sum();
  const syy = new Sum();
  for (let i = 0; i < n; i++) {
    const dx = load<f64>(x + (<usize>i << 3)) - xm;
    const dy = load<f64>(y + (<usize>i << 3)) - ym;
    sxx.add(dx * dx);
    sxy.add(dx * dy);
    syy.add(dy * dy);
  }
  // np.cov(x, y, bias=1): means of the products of deviations.
  const ssxm = sxx.value / nf;
  const ssxym = sxy.value / nf;
  const ssym = syy.value / nf;
  let r: f64 = 0;
  if (ssxm != 0 && ssym != 0) {
    r = ssxym / Math.sqrt(ssxm * ssym);
    r = min(1.0, max(-1.0, r));
  }
  const slope = ssxym / ssxm;
  const intercept = ym - slope * xm;
  let p: f64;
  let seSlope: f64 = 0;
  let seIntercept: f64 = 0;
  if (n == 2) {
    p = load<f64>(y) == load<f64>(y + 8) ? 1.0 : 0.0;
  } else {
    const df = nf - 2;
    if (ssxm != 0 && ssym != 0) {
      // 1 - r^2 = SSE / Syy from the residuals. scipy forms 1 - r^2 from r,
      // which cancels for a close fit: its stderr and p-value are then off by
      // up to 1e-2 relative on 1e5 points (checked against 256-bit values in
      // test/shared/golden/trend.test.ts); the residual sum is accurate.
      const sse = new Sum();
      for (let i = 0; i < n; i++) {
        const e = (load<f64>(y + (<usize>i << 3)) - ym) - slope * (load<f64>(x + (<usize>i << 3)) - xm);
        sse.add(e * e);
      }
      const q = min(1.0, sse.value / syy.value); // 1 - r^2 = df / (df + t^2)
      // P(|T| >= t) = I_q(df/2, 1/2); r^2 is its complement. A perfect fit
      // (q = 0) has p = 0, where scipy's TINY guard leaves a tiny positive p.
      p = betaInc(0.5 * df, 0.5, q, r * r);
      seSlope = Math.sqrt(sse.value / sxx.value / df);
    } else {
      const t = r * Math.sqrt(df / ((1.0 - r + TINY) * (1.0 + r + TINY)));
      p = studentTwoSided(Math.abs(t), df);
      seSlope = Math.sqrt((1 - r * r) * ssym / ssxm / df);
    }
    seIntercept = seSlope * Math.sqrt(ssxm + xm * xm);
  }
  store<f64>(out, slope);
  store<f64>(out + 8, intercept);
  store<f64>(out + 16, r);
  store<f64>(out + 24, p);
  store<f64>(out + 32, seSlope);
  store<f64>(out + 40, seIntercept);
}

/**
 * P(|T| >= t) for Student's t with df degrees of freedom:
 * I_{df/(df+t^2)}(df/2, 1/2). Both df/(df+t^2) and its complement are formed
 * directly, so neither tail loses precision to cancellation.
 */
export function studentTwoSided(t: f64, df: f64): f64 {
  if (isNaN(t)) return NaN;
  if (t == Infinity) return 0.0;
  const t2 = t * t;
  const x = df / (df + t2);
  const y = t2 / (df + t2);
  return betaInc(0.5 * df, 0.5, x, y);
}

/** Regularized incomplete beta I_x(a, b), with y = 1 - x given exactly. */
export function betaInc(a: f64, b: f64, x: f64, y: f64): f64 {
  if (x <= 0) return 0.0;
  if (y <= 0) return 1.0;
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2);
  // otherwise use the symmetry I_x(a, b) = 1 - I_y(b, a).
  if (x > (a + 1.0) / (a + b + 2.0)) return 1.0 - betaIncCf(b, a, y, x);
  return betaIncCf(a, b, x, y);
}

function betaIncCf(a: f64, b: f64, x: f64, y: f64): f64 {
  const logFront = a * Math.log(x) + b * Math.log(y) - logBeta(a, b);
  return Math.exp(logFront) * betaCf(a, b, x) / a;
}

/** Continued fraction for I_x(a, b) (modified Lentz). */
function betaCf(a: f64, b: f64, x: f64): f64 {
  const FPMIN: f64 = 1e-300;
  const qab = a + b;
  const qap = a + 1.0;
  const qam = a - 1.0;
  let c: f64 = 1.0;
  let d: f64 = 1.0 - qab * x / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1.0 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const mf = <f64>m;
    const m2 = 2.0 * mf;
    let aa = mf * (b - mf) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1.0 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + mf) * (qab + mf) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1.0 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1.0 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1.0) < 1e-16) break;
  }
  return h;
}

/** ln B(a, b) = lnG(a) + lnG(b) - lnG(a + b). */
function logBeta(a: f64, b: f64): f64 {
  const big = max(a, b);
  const small = min(a, b);
  if (big < 10.0) return logGamma(a) + logGamma(b) - logGamma(a + b);
  // lnG(big) - lnG(big + small) from Stirling's series, without forming the
  // two large logs: subtracting them cost ~big*ln(big) ulps, 3e-11 relative
  // in the p-value at df = 5e4 (see test/shared/golden/trend.test.ts).
  const s = big + small;
  return logGamma(small) - (big - 0.5) * Math.log1p(small / big) - small * Math.log(s) + small
    + stirlingTail(big) - stirlingTail(s);
}

/** lnG(x) - ((x - 1/2) ln x - x + ln(2 pi)/2) for x >= 10 (error < 1e-16). */
function stirlingTail(x: f64): f64 {
  const r = 1.0 / x;
  const r2 = r * r;
  return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360))))));
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: f64): f64 {
  if (x < 0.5) {
    // Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1.0 - x);
  }
  const z = x - 1.0;
  let s: f64 = 0.99999999999980993;
  s += 676.5203681218851 / (z + 1.0);
  s += -1259.1392167224028 / (z + 2.0);
  s += 771.32342877765313 / (z + 3.0);
  s += -176.61502916214059 / (z + 4.0);
  s += 12.507343278686905 / (z + 5.0);
  s += -0.13857109526572012 / (z + 6.0);
  s += 9.9843695780195716e-6 / (z + 7.0);
  s += 1.5056327351493116e-7 / (z + 8.0);
  const t = z + 7.5;
  return 0.9189385332046727 + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
