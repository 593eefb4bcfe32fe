// Main-thread column buffers: preallocated typed arrays that logPrediction
// appends to in O(1) without allocating. A full buffer is handed over whole
// (its ArrayBuffers are transferred, then replaced); a partial one is sliced
// to its length, because structured clone of a view copies its whole buffer.

import type { IngestBatch, LabelIngest } from '../worker/protocol.js';

/** Prediction rows of one model version. */
export class PredictionBuffer {
  n = 0;
  id!: Float64Array;
  timestamp!: Float64Array;
  prediction!: Float64Array;
  score!: Float64Array;
  latencyMs!: Float64Array;
  segment!: Uint16Array;
  classScores: Float64Array | undefined;
  hasClassScores = false;
  /** Ranking lists: offsets into `items` (rows + 1). */
  rankedOffsets: number[] | undefined;
  rankedItems: number[] | undefined;

  constructor(
    readonly version: string,
    readonly capacity: number,
    readonly classes: number,
  ) {
    this.alloc();
  }

  private alloc(): void {
    const c = this.capacity;
    this.id = new Float64Array(c);
    this.timestamp = new Float64Array(c);
    this.prediction = new Float64Array(c);
    this.score = new Float64Array(c);
    this.latencyMs = new Float64Array(c);
    this.segment = new Uint16Array(c);
    if (this.classes > 0) this.classScores = new Float64Array(c * this.classes).fill(NaN);
    this.hasClassScores = false;
    this.rankedOffsets = undefined;
    this.rankedItems = undefined;
  }

  /** Records a ranked list for row `i` (rows before it without one get empty lists). */
  setRanked(i: number, items: ArrayLike<number>): void {
    if (!this.rankedOffsets) this.rankedOffsets = [0];
    const off = this.rankedOffsets;
    const list = (this.rankedItems ??= []);
    while (off.length <= i) off.push(list.length);
    for (let k = 0; k < items.length; k++) list.push(items[k]!);
    off.push(list.length);
  }

  /** Takes the rows as a batch and empties the buffer; `transfer` receives the buffers to move. */
  take(segments: string[]): { batch: IngestBatch; transfer: ArrayBuffer[] } {
    const n = this.n;
    const whole = n === this.capacity;
    const cut = <T extends Float64Array | Uint16Array>(a: T, len = n): T => (whole && len === a.length ? a : (a.slice(0, len) as T));
    const batch: IngestBatch = {
      version: this.version,
      id: cut(this.id),
      timestamp: cut(this.timestamp),
      prediction: cut(this.prediction),
      score: cut(this.score),
      latencyMs: cut(this.latencyMs),
      segment: cut(this.segment),
      segments: segments.slice(),
    };
    if (this.classScores && this.hasClassScores) batch.classScores = { classes: this.classes, values: cut(this.classScores, n * this.classes) };
    if (this.rankedOffsets && this.rankedItems) {
      const off = this.rankedOffsets;
      while (off.length <= n) off.push(this.rankedItems.length);
      batch.ranked = { offsets: Uint32Array.from(off), items: Float64Array.from(this.rankedItems) };
    }
    const transfer = [batch.id, batch.timestamp, batch.prediction, batch.score, batch.latencyMs, batch.segment].map((a) => a.buffer as ArrayBuffer);
    if (batch.classScores) transfer.push(batch.classScores.values.buffer as ArrayBuffer);
    if (batch.ranked) transfer.push(batch.ranked.offsets.buffer as ArrayBuffer, batch.ranked.items.buffer as ArrayBuffer);
    this.n = 0;
    // Full buffers were handed over (and will be detached): start fresh ones.
    if (whole) this.alloc();
    else {
      this.hasClassScores = false;
      this.rankedOffsets = undefined;
      this.rankedItems = undefined;
      if (this.classScores) this.classScores.fill(NaN);
    }
    return { batch, transfer };
  }
}

/** Ground-truth rows. */
export class LabelBuffer {
  n = 0;
  id!: Float64Array;
  label!: Float64Array;
  labeledAt!: Float64Array;
  relevantOffsets: number[] | undefined;
  relevantItems: number[] | undefined;

  constructor(readonly capacity: number) {
    this.alloc();
  }

  private alloc(): void {
    this.id = new Float64Array(this.capacity);
    this.label = new Float64Array(this.capacity);
    this.labeledAt = new Float64Array(this.capacity);
  }

  setRelevant(items: ArrayLike<number>): void {
    const off = (this.relevantOffsets ??= [0]);
    const list = (this.relevantItems ??= []);
    for (let k = 0; k < items.length; k++) list.push(items[k]!);
    off.push(list.length);
  }

  take(): { batch: LabelIngest; transfer: ArrayBuffer[] } {
    const n = this.n;
    const batch: LabelIngest = { id: this.id.slice(0, n), label: this.label.slice(0, n), labeledAt: this.labeledAt.slice(0, n) };
    const transfer = [batch.id.buffer, batch.label.buffer, batch.labeledAt.buffer] as ArrayBuffer[];
    if (this.relevantOffsets && this.relevantItems) {
      batch.relevant = { offsets: Uint32Array.from(this.relevantOffsets), items: Float64Array.from(this.relevantItems) };
      transfer.push(batch.relevant.offsets.buffer as ArrayBuffer, batch.relevant.items.buffer as ArrayBuffer);
    }
    this.n = 0;
    this.relevantOffsets = undefined;
    this.relevantItems = undefined;
    return { batch, transfer };
  }
}
