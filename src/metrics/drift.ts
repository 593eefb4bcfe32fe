// Drift of one numeric column (scores, or a feature) or of class labels
// between a reference sample and a current one, on raw rows. Each function
// names the implementation it equals; the golden fixtures hold it to that.
import { InputError } from '../errors.js';
import { Check } from '../core/exports.js';
import { type Numbers, column, describe, numbers, options, requireNonEmpty } from '../core/input.js';
import { core, withScope } from '../core/wasm.js';
import type { BinnedDriftResult, ChiSquareResult, DriftBins, KsResult, MetricWarning } from './types.js';

function samples(reference: Numbers, current: Numbers): [Numbers, Numbers] {
  const r = numbers(reference, 'reference');
  const c = numbers(current, 'current');
  requireNonEmpty(r.length, 'reference');
  requireNonEmpty(c.length, 'current');
  return [r, c];
}

/** D+, D-, Wasserstein-1 of two validated samples. */
function compare(reference: Numbers, current: Numbers): [number, number, number] {
  return withScope((s) => {
    const rPtr = column(s, reference, Check.Finite, 'reference');
    const cPtr = column(s, current, Check.Finite, 'current');
    const out = s.alloc(24);
    s.k.ecdfCompare(rPtr, reference.length, cPtr, current.length, out);
    const [dPlus = NaN, dMinus = NaN, w = NaN] = s.readF64(out, 3);
    return [dPlus, dMinus, w];
  });
}

/**
 * Two-sample Kolmogorov-Smirnov test, two-sided: equal to scipy 1.10's
 * `ks_2samp(reference, current)` (method 'auto'): the statistic is the largest
 * gap between the two empirical CDFs; the p-value is exact (lattice-path
 * counting) when both samples hold at most 10,000 values, and otherwise the
 * exact one-sample Kolmogorov distribution at n = round(n1 n2 / (n1 + n2)).
 */
export function ksTest(reference: Numbers, current: Numbers): KsResult {
  const [r, c] = samples(reference, current);
  const [dPlus, dMinus] = compare(r, c);
  // scipy takes the 'less' side only when it is strictly larger.
  const d = dMinus > dPlus ? dMinus : dPlus;
  return withScope((s) => {
    const out = s.alloc(24);
    s.k.ksPValue(r.length, c.length, d, out);
    const [statistic = NaN, pValue = NaN, method = 0] = s.readF64(out, 3);
    return { statistic, pValue, method: method === 0 ? 'exact' : 'asymp' };
  });
}

/** Wasserstein-1 (earth mover's) distance, = scipy 1.10's `wasserstein_distance(reference, current)`. */
export function wassersteinDistance(reference: Numbers, current: Numbers): number {
  const [r, c] = samples(reference, current);
  return compare(r, c)[2];
}

/** Population standard deviation (numpy.std, ddof 0), two passes. */
function std(values: Numbers): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  return Math.sqrt(sq / values.length);
}

/**
 * Evidently's normalized Wasserstein distance ('wasserstein' stattest, the
 * default for numeric columns with more than 1,000 reference rows):
 * wasserstein_distance(reference, current) / max(std(reference), 0.001),
 * with numpy's population standard deviation. Evidently flags drift at >= 0.1.
 */
export function normalizedWasserstein(reference: Numbers, current: Numbers): number {
  const [r, c] = samples(reference, current);
  const w = compare(r, c)[2];
  return w / Math.max(std(r), 0.001);
}

/** Options of psi and jensenShannonDistance. */
export interface BinningOptions {
  /**
   * 'auto' (default, Evidently's rule): numeric bins when the reference has
   * more than 20 distinct values, else one bin per distinct value;
   * 'numeric' or 'categorical' force one of the two.
   */
  kind?: 'auto' | 'numeric' | 'categorical';
}

/**
 * Evidently's get_binned_data: Sturges bins over the pooled sample (numpy's
 * histogram_bin_edges(..., 'sturges'), numpy.histogram counting) or one bin
 * per distinct value; counts become fractions of each sample, and empty bins
 * get Evidently's epsilon: the sample's smallest non-zero fraction / 1e6 when
 * that fraction is <= 1e-4, else 1e-4 (so PSI and Jensen-Shannon stay finite).
 */
export function driftBins(reference: Numbers, current: Numbers, opts?: BinningOptions): DriftBins {
  const [r, c] = samples(reference, current);
  const kind = options(opts, 'options').kind ?? 'auto';
  if (kind !== 'auto' && kind !== 'numeric' && kind !== 'categorical') {
    throw new InputError('INVALID_OPTION', 'options.kind', `is ${describe(kind)}; pass 'auto', 'numeric' or 'categorical'.`);
  }
  const maxDistinct = kind === 'auto' ? 20 : kind === 'numeric' ? -1 : 0x7fffffff;
  const { k, edges, ref, cur } = binCounts(r, c, maxDistinct);
  const bins = Math.abs(k);
  return {
    kind: k > 0 ? 'numeric' : 'categorical',
    edges: edges.subarray(0, k > 0 ? bins + 1 : bins),
    reference: fillZeros(ref.map((v) => v / r.length)),
    current: fillZeros(cur.map((v) => v / c.length)),
  };
}

/** Slots tried first for the bins: numeric bins need at most 66; most categorical columns fit too. */
const FIRST_CAP = 1090;

/**
 * Runs the driftBins kernel: k > 0 numeric bins, -k categories. Buffers start
 * small (WASM memory never shrinks, so a 1e6-row call must not reserve 1e6
 * slots) and grow to one slot per distinct value only when the kernel asks.
 */
function binCounts(r: Numbers, c: Numbers, maxDistinct: number): { k: number; edges: Float64Array; ref: Float64Array; cur: Float64Array } {
  return withScope((s) => {
    const rPtr = column(s, r, Check.Finite, 'reference');
    const cPtr = column(s, c, Check.Finite, 'current');
    let cap = FIRST_CAP;
    for (;;) {
      const edges = s.alloc((cap + 1) * 8), rc = s.alloc(cap * 8), cc = s.alloc(cap * 8);
      const k = s.k.driftBins(rPtr, r.length, cPtr, c.length, maxDistinct, edges, rc, cc, cap);
      if (k !== 0) {
        const m = Math.abs(k);
        return { k, edges: s.readF64(edges, k > 0 ? m + 1 : m), ref: s.readF64(rc, m), cur: s.readF64(cc, m) };
      }
      cap = r.length + c.length;
    }
  });
}

/** Evidently's zero fill (feel_zeroes=True), in place. */
function fillZeros(p: Float64Array): Float64Array {
  let least = Infinity;
  for (const v of p) if (v !== 0 && v < least) least = v;
  const eps = least <= 0.0001 ? least / 10 ** 6 : 0.0001;
  for (let i = 0; i < p.length; i++) if (p[i] === 0) p[i] = eps;
  return p;
}

/**
 * Population stability index, Evidently's 'psi' stattest: over the bins of
 * `driftBins`, sum of (ref - cur) * ln(ref / cur). Evidently flags drift at
 * >= 0.1 (0.1-0.25 is commonly read as moderate, above 0.25 as major).
 */
export function psi(reference: Numbers, current: Numbers, opts?: BinningOptions): BinnedDriftResult {
  const bins = driftBins(reference, current, opts);
  let value = 0;
  for (let i = 0; i < bins.reference.length; i++) {
    const a = bins.reference[i]!, b = bins.current[i]!;
    value += (a - b) * Math.log(a / b);
  }
  return { value, bins };
}

/**
 * Jensen-Shannon distance, Evidently's 'jensenshannon' stattest: scipy 1.10's
 * `scipy.spatial.distance.jensenshannon(ref, cur)` (natural log, each vector
 * normalized to sum 1 first) over the bins of `driftBins`. Between 0 and
 * sqrt(ln 2); Evidently flags drift at >= 0.1.
 */
export function jensenShannonDistance(reference: Numbers, current: Numbers, opts?: BinningOptions): BinnedDriftResult {
  const bins = driftBins(reference, current, opts);
  return { value: jensenShannon(bins.reference, bins.current), bins };
}

/** scipy.spatial.distance.jensenshannon(p, q) with base e. */
function jensenShannon(p: Float64Array, q: Float64Array): number {
  let sp = 0, sq = 0;
  for (let i = 0; i < p.length; i++) { sp += p[i]!; sq += q[i]!; }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp, b = q[i]! / sq, m = (a + b) / 2;
    // rel_entr(x, y) = x ln(x / y) for x > 0, 0 for x = 0.
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(js / 2);
}

/**
 * Chi-square test of the current class counts against the reference class
 * proportions, as Evidently's 'chisquare' stattest calls scipy 1.10's
 * `chisquare(f_obs, f_exp)`: over every class seen in either sample,
 * f_obs = current count, f_exp = reference count x (current n / reference n);
 * statistic sum (obs - exp)^2 / exp, p-value chi2.sf(statistic, classes - 1).
 * A class absent from the reference but present now gives an infinite
 * statistic and p = 0; with one class the p-value is undefined (NaN, warning).
 */
export function chiSquareClasses(reference: Numbers, current: Numbers): ChiSquareResult {
  const [r, c] = samples(reference, current);
  const counted = binCounts(r, c, 0x7fffffff);
  const bins = { classes: Array.from(counted.edges), ref: counted.ref, cur: counted.cur };
  const warnings: MetricWarning[] = [];
  const scale = c.length / r.length;
  let statistic = 0;
  for (let i = 0; i < bins.classes.length; i++) {
    const exp = bins.ref[i]! * scale, obs = bins.cur[i]!;
    statistic += ((obs - exp) ** 2) / exp;
  }
  const dof = bins.classes.length - 1;
  if (dof === 0) warnings.push({ code: 'ONE_CLASS', message: 'both samples hold one class only; the chi-square p-value is undefined (NaN)' });
  const pValue = dof === 0 ? NaN : core().chi2Sf(statistic, dof);
  return { statistic, pValue, dof, classes: bins.classes, warnings };
}
