// The demo's on-device model: logistic regression trained in the page on a
// synthetic "will this user accept the offer" task. Nothing is downloaded.
// The world that generates data can drift: `drift` flips the effect of the
// first feature (concept drift: same inputs, a different relation to the
// label), which costs the trained model about 30 points of accuracy.

export const FEATURES = 4;

/** Seeded PRNG (mulberry32) so that a page load replays the same stream. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Roughly normal: the sum of 4 uniforms, centred and scaled to unit variance. */
function normal(rand: () => number): number {
  return (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3);
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The world: draws inputs and their (true) outcome. */
export class World {
  drift = false;
  private readonly rand: () => number;

  constructor(seed = 7) {
    this.rand = rng(seed);
  }

  /** One input and the probability that its true label is 1. */
  sample(): { x: Float64Array; p: number } {
    const x = new Float64Array(FEATURES);
    for (let j = 0; j < FEATURES; j++) x[j] = normal(this.rand);
    const w0 = this.drift ? -4 : 4;
    const z = w0 * x[0]! - 2.5 * x[1]! + 1.2 * x[2]! + 0.5 * x[3]! - 0.2;
    return { x, p: sigmoid(z) };
  }

  /** The true label of an input with probability p of being 1. */
  label(p: number): number {
    return this.rand() < p ? 1 : 0;
  }
}

/** Logistic regression, trained by full-batch gradient descent. */
export class Model {
  readonly w = new Float64Array(FEATURES);
  b = 0;

  /** Probability of class 1. */
  predict(x: Float64Array): number {
    let z = this.b;
    for (let j = 0; j < FEATURES; j++) z += this.w[j]! * x[j]!;
    return sigmoid(z);
  }

  /** Fits n samples from the world (before any drift). */
  static train(world: World, n = 4000, epochs = 300, rate = 0.5): Model {
    const xs: Float64Array[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const { x, p } = world.sample();
      xs.push(x);
      ys.push(world.label(p));
    }
    const m = new Model();
    const g = new Float64Array(FEATURES);
    for (let e = 0; e < epochs; e++) {
      g.fill(0);
      let gb = 0;
      for (let i = 0; i < n; i++) {
        const err = m.predict(xs[i]!) - ys[i]!;
        for (let j = 0; j < FEATURES; j++) g[j]! += err * xs[i]![j]!;
        gb += err;
      }
      for (let j = 0; j < FEATURES; j++) m.w[j]! -= (rate * g[j]!) / n;
      m.b -= (rate * gb) / n;
    }
    return m;
  }
}
