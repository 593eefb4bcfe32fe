// Seeded generators for the golden fixtures. scripts/gen_fixtures.py holds the
// same generators; both must produce bit-identical float64 arrays, so they use
// only operations that round the same in CPython and V8: mulberry32 on 32-bit
// integers, +, -, *, /, Math.floor and Math.sqrt (no log/exp: libm and V8 may
// differ in the last ulp). Keep the two files in step, draw for draw.

/** mulberry32 (Tommy Ettinger), every step kept unsigned 32-bit. */
export class Rng {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  u32(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    const a = this.a;
    let t = Math.imul(a ^ (a >>> 15), 1 | a) >>> 0;
    t = (((t + Math.imul(t ^ (t >>> 7), 61 | t)) >>> 0) ^ t) >>> 0;
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** 53-bit double in [0, 1). */
  uniform(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  int(m: number): number {
    return Math.floor(this.uniform() * m);
  }
}

export interface BinaryParams {
  seed: number;
  n: number;
  rate: number;
  signal: number;
  ties: number;
  thr: number;
  flip: number;
  transform?: 'unit' | 'heavy' | 'wide';
}

/** Binary labels, predictions and scores (see gen_binary in the Python script). */
export function genBinary(p: BinaryParams): { yTrue: Float64Array; yPred: Float64Array; score: Float64Array } {
  const rng = new Rng(p.seed);
  const yTrue = new Float64Array(p.n), yPred = new Float64Array(p.n), score = new Float64Array(p.n);
  const transform = p.transform ?? 'unit';
  for (let i = 0; i < p.n; i++) {
    const y = rng.uniform() < p.rate ? 1 : 0;
    let s = p.signal * y + (1 - p.signal) * rng.uniform();
    if (p.ties > 0) s = Math.floor(s * p.ties) / p.ties;
    let pred = s >= p.thr ? 1 : 0;
    if (rng.uniform() < p.flip) pred = 1 - pred;
    if (transform === 'heavy') s = 1 / (s + 0.01);
    else if (transform === 'wide') s = s * 2000 - 1000;
    yTrue[i] = y;
    yPred[i] = pred;
    score[i] = s;
  }
  return { yTrue, yPred, score };
}

export interface MulticlassParams {
  seed: number;
  n: number;
  labels: number[];
  acc: number;
  skew: boolean;
  cover: boolean;
  prob: boolean;
  signal?: number;
  ties?: number;
}

/** Multiclass labels and an optional n x C probability matrix (rows). */
export function genMulticlass(p: MulticlassParams): { yTrue: Float64Array; yPred: Float64Array; prob?: Float64Array[] } {
  const rng = new Rng(p.seed);
  const c = p.labels.length;
  const signal = p.signal ?? 0, ties = p.ties ?? 0;
  const yTrue = new Float64Array(p.n), yPred = new Float64Array(p.n);
  const prob: Float64Array[] = [];
  for (let i = 0; i < p.n; i++) {
    const u1 = rng.uniform();
    const u2 = rng.uniform();
    const u3 = rng.uniform();
    let t: number;
    if (p.cover && i < c) t = i;
    else if (p.skew) t = Math.floor(u1 * u1 * c);
    else t = Math.floor(u1 * c);
    const pr = u2 < p.acc ? t : Math.floor(u3 * c);
    yTrue[i] = p.labels[t]!;
    yPred[i] = p.labels[pr]!;
    if (p.prob) {
      const raw = new Float64Array(c);
      let total = 0;
      for (let j = 0; j < c; j++) {
        let r = rng.uniform() + (j === t ? signal : 0);
        if (ties > 0) r = Math.floor(r * ties) / ties;
        r = r + 0.0625;
        raw[j] = r;
        total = total + r;
      }
      prob.push(raw.map((r) => r / total));
    }
  }
  return p.prob ? { yTrue, yPred, prob } : { yTrue, yPred };
}

export type Dist = 'uniform' | 'positive' | 'ties' | 'heavy' | 'cubic' | 'sqrt';

function baseValue(rng: Rng, dist: Dist): number {
  const u = rng.uniform();
  switch (dist) {
    case 'uniform': return u * 2 - 1;
    case 'positive': return u;
    case 'ties': return Math.floor(u * 4) / 4;
    case 'heavy': return 1 / (u + 0.01);
    case 'cubic': return u * u * u * 1000;
    case 'sqrt': return Math.sqrt(u) * 10;
  }
}

export interface RegressionParams {
  seed: number;
  n: number;
  dist: Dist;
  noise: number;
  scale: number;
  shift: number;
  zeroRate: number;
}

export function genRegression(p: RegressionParams): { yTrue: Float64Array; yPred: Float64Array } {
  const rng = new Rng(p.seed);
  const yTrue = new Float64Array(p.n), yPred = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) {
    let y = baseValue(rng, p.dist) * p.scale + p.shift;
    if (rng.uniform() < p.zeroRate) y = 0;
    const e = (rng.uniform() - 0.5) * p.noise * p.scale;
    yTrue[i] = y;
    yPred[i] = p.noise !== 0 ? y + e : y;
  }
  return { yTrue, yPred };
}

export interface SegmentParams {
  n: number;
  segSeed: number;
  segKind: 'number' | 'string' | 'mixed';
  segCount: number;
  segNames: string[];
}

export function genSegments(p: SegmentParams): (number | string)[] {
  const rng = new Rng(p.segSeed);
  const out: (number | string)[] = [];
  for (let i = 0; i < p.n; i++) {
    const j = rng.int(p.segCount);
    const name = p.segNames[j % p.segNames.length]!;
    if (p.segKind === 'number') out.push(j * 3 - 5);
    else if (p.segKind === 'string') out.push(name);
    else out.push(j % 2 === 0 ? j : name);
  }
  return out;
}

export interface LatencyParams {
  seed: number;
  n: number;
  dist: 'uniform' | 'ties' | 'heavy' | 'cubic' | 'sqrt';
  scale: number;
}

export function genLatency(p: LatencyParams): Float64Array {
  const rng = new Rng(p.seed);
  const dist: Dist = p.dist === 'uniform' ? 'positive' : p.dist;
  const out = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) out[i] = baseValue(rng, dist) * p.scale;
  return out;
}

export interface TrendParams {
  seed: number;
  n: number;
  x: 'default' | 'uniform' | 'ties' | 'shifted';
  slope: number;
  intercept: number;
  noise: number;
  heavy: boolean;
}

/** x is undefined for 'default' (0, 1, 2, ...: linearTrend's own default). */
export function genTrend(p: TrendParams): { x?: Float64Array; y: Float64Array } {
  const rng = new Rng(p.seed);
  const x = new Float64Array(p.n), y = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) {
    let xi: number;
    if (p.x === 'default') xi = i;
    else if (p.x === 'uniform') xi = rng.uniform() * 100;
    else if (p.x === 'ties') xi = Math.floor(rng.uniform() * 5);
    else xi = 1000000 + i;
    const u = rng.uniform();
    const e = p.heavy ? p.noise / (u + 0.01) : p.noise * (u - 0.5);
    x[i] = xi;
    y[i] = p.intercept + p.slope * xi + e;
  }
  return p.x === 'default' ? { y } : { x, y };
}

export interface RankingParams {
  seed: number;
  queries: number;
  items: number;
  rel: number;
  listLen: number;
  graded: boolean;
  levels: number;
  dup: boolean;
  strings: boolean;
}

export interface GeneratedQuery {
  /** Item to gain, in first-insertion order (as a Python dict). */
  relevant: Map<number | string, number>;
  ranked: (number | string)[];
}

export function genRanking(p: RankingParams): GeneratedQuery[] {
  const rng = new Rng(p.seed);
  const name = (i: number): number | string => (p.strings ? `i${i}` : i);
  const out: GeneratedQuery[] = [];
  for (let q = 0; q < p.queries; q++) {
    const relevant = new Map<number | string, number>();
    for (let r = 0; r < p.rel; r++) {
      const item = name(rng.int(p.items));
      const g = p.graded ? rng.int(p.levels) + 1 : 1;
      relevant.set(item, g);
    }
    let ranked: (number | string)[];
    if (p.dup) {
      ranked = Array.from({ length: p.listLen }, () => name(rng.int(p.items)));
    } else {
      const perm = Array.from({ length: p.items }, (_, i) => i);
      for (let i = 0; i < p.listLen; i++) {
        const j = i + rng.int(p.items - i);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      ranked = perm.slice(0, p.listLen).map(name);
    }
    out.push({ relevant, ranked });
  }
  return out;
}

// [estimate] drift samples and class labels (gen_sample / gen_classes in the Python script).

export interface SampleParams {
  seed: number;
  n: number;
  shift: number;
  scale: number;
  ties: number;
}

/** (u1 + u2 + u3 - 1.5) * scale + shift, floored to 1/ties when ties > 0. */
export function genSample(p: SampleParams): Float64Array {
  const rng = new Rng(p.seed);
  const out = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) {
    let v = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * p.scale + p.shift;
    if (p.ties > 0) v = Math.floor(v * p.ties) / p.ties;
    out[i] = v;
  }
  return out;
}

export interface ClassParams {
  seed: number;
  n: number;
  classes: number;
  skew: boolean;
}

/** Class labels floor(u * C), or floor(u * u * C) when skewed. */
export function genClasses(p: ClassParams): Float64Array {
  const rng = new Rng(p.seed);
  const out = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) {
    const u = rng.uniform();
    out[i] = Math.floor((p.skew ? u * u : u) * p.classes);
  }
  return out;
}
