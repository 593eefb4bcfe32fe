// Side-by-side timing: the contenders run interleaved in one process on the
// same data, after warm-up, and we report medians and their ratio. A single
// absolute time proves nothing on a noisy machine; a ratio of medians taken
// round by round is robust to drift that affects both sides alike.
import { performance } from 'node:perf_hooks';

/** mulberry32: a small seeded PRNG; returns doubles in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times each contender (name -> fn) `rounds` times after `warmup` untimed
 * runs, interleaving contenders within each round. Returns name -> median ms.
 * `check` receives each contender's last result so a benchmark can assert the
 * contenders agree (a fast wrong answer is no result).
 */
export function compare(contenders, { warmup = 3, rounds = 15, check } = {}) {
  const names = Object.keys(contenders);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const results = {};
  for (let r = 0; r < warmup; r++) for (const n of names) results[n] = contenders[n]();
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so neither side always runs first (cache, GC debt).
    for (let j = 0; j < names.length; j++) {
      const n = names[(r + j) % names.length];
      const t0 = performance.now();
      results[n] = contenders[n]();
      times[n].push(performance.now() - t0);
    }
  }
  if (check) check(results);
  return Object.fromEntries(names.map((n) => [n, median(times[n])]));
}

export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(4));
