// The "one comlink call per prediction" contender: a worker that records one
// prediction per call.
import { expose } from 'comlink';

let n = 0;
let sum = 0;
expose({
  record(prediction: number, score: number, latencyMs: number): void {
    n++;
    sum += prediction + score + latencyMs;
  },
  count(): { n: number; sum: number } {
    return { n, sum };
  },
});
