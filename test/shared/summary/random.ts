// Seeded random numbers for the summary tests and benchmark data.

/** mulberry32: a small, fast, seedable uniform generator on [0, 1). */
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

/** Standard normal draws (Box-Muller) from a uniform generator. */
export function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Named test distributions of n values. */
export function sample(kind: 'lognormal' | 'pareto' | 'bimodal' | 'constant', n: number, seed: number): Float64Array {
  const u = rng(seed);
  const z = normal(u);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'lognormal': out[i] = Math.exp(z()); break;
      // Pareto, x_m = 1, alpha = 1: a heavy tail spanning ~20 octaves at 1e6.
      case 'pareto': out[i] = 1 / (1 - u()); break;
      // Two latency modes: 70% around 5 ms, 30% around 200 ms.
      case 'bimodal': out[i] = u() < 0.7 ? Math.exp(Math.log(5) + 0.3 * z()) : Math.exp(Math.log(200) + 0.2 * z()); break;
      case 'constant': out[i] = 42.5; break;
    }
  }
  return out;
}
