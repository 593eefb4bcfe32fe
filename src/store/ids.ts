// Prediction ids: assigned synchronously (no IndexedDB per call), unique
// across tabs, workers and reloads of one database, and increasing within a
// session so that one session's ids are also in time order.
//
// An id is block * 2^22 + n. Blocks come from a counter in the `meta` store,
// bumped in a readwrite transaction: IndexedDB runs readwrite transactions on
// one store one at a time across all connections, so two tabs never get the
// same block, and the counter is durable before a block is used, so a reload
// never reuses one. The allocator always holds a spare block, reserved ahead,
// so the switch at the end of a block (every 4,194,304 ids) stays synchronous.

import { StateError } from '../errors.js';
import { ID_BLOCK } from './schema.js';

/** Largest block number whose ids stay below 2^53. */
export const MAX_BLOCK = 2 ** (53 - 22) - 1;

/** Hands out unique ids synchronously from reserved blocks. */
export class IdAllocator {
  private nextId = 0;
  private end = 0;
  private spare: number | undefined;
  private refill: Promise<void> | undefined;
  private failure: unknown;

  private constructor(private readonly reserve: () => Promise<number>) {}

  /** Reserves a block and a spare; `reserve` returns a fresh block number (e.g. `store.reserveIdBlock`). */
  static async create(reserve: () => Promise<number>): Promise<IdAllocator> {
    const a = new IdAllocator(reserve);
    const [first, spare] = await Promise.all([reserve(), reserve()]);
    a.use(first);
    a.spare = spare;
    return a;
  }

  /** The next id. Throws StateError IDS_EXHAUSTED only if a block and its spare ran out before the spare's replacement arrived. */
  next(): number {
    if (this.nextId === this.end) this.switchBlock();
    return this.nextId++;
  }

  /** Fills `out` with consecutive fresh ids (faster than calling next() per row). */
  fill(out: Float64Array): Float64Array {
    let i = 0;
    while (i < out.length) {
      if (this.nextId === this.end) this.switchBlock();
      const n = Math.min(out.length - i, this.end - this.nextId);
      for (let k = 0; k < n; k++) out[i + k] = this.nextId + k;
      this.nextId += n;
      i += n;
    }
    return out;
  }

  /** Resolves once a spare block is held again (after a switch). */
  async ready(): Promise<void> {
    await this.refill;
  }

  private use(block: number): void {
    if (!Number.isInteger(block) || block < 1 || block > MAX_BLOCK) {
      throw new StateError('IDS_EXHAUSTED', `id block ${block} is outside [1, ${MAX_BLOCK}]`);
    }
    this.nextId = block * ID_BLOCK;
    this.end = this.nextId + ID_BLOCK;
  }

  private switchBlock(): void {
    if (this.spare === undefined) {
      throw new StateError(
        'IDS_EXHAUSTED',
        'ids were requested faster than a block could be reserved; await allocator.ready() and retry',
        { cause: this.failure },
      );
    }
    this.use(this.spare);
    this.spare = undefined;
    this.refill = this.reserve().then(
      (b) => {
        this.spare = b;
      },
      (e: unknown) => {
        this.failure = e;
      },
    );
  }
}
