// Seeded distributions for the summary tests, on the suites' one PRNG.
import { rng } from '../../support/rng.js';

export { rng };

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
