// Late labels ([fleet-trust]): labels that reach the device after their
// prediction's window was closed and sent travel as corrections (summaries of
// kind 'correction', src/summary/build.ts correctionOf), so the fleet's totals
// converge to what the device knows.
//
// How a label is known to be late, crash-safely, with no change to how labels
// are stored: while sync runs, every label batch is first recorded as an
// intent (its ids, labels and labeledAt, and the sync cursor at that moment)
// in a store meta record of its own (so a batch costs its own size, however
// many wait), then written, both under the close lock (sync.ts), so no
// window closes in between. At the next close the intents are resolved
// against what the store holds (rowsById) and the corrections are queued in
// the outbox transaction that also clears the intents and moves the cursor:
// a crash leaves both or neither, so no correction is lost or sent twice.
// An intent whose label was never stored (a crash between the two writes,
// or a write that failed and was handed back) finds no label and is dropped.
//
// A label is late when its prediction's timestamp is before the cursor its
// intent recorded (its window had closed). What is sent, per prediction:
// - its first label arrived late: the correction carries it (if several
//   arrived late before the next close, the latest, as local reports use);
// - it had a label when its window closed (or an earlier correction carried
//   one), and another arrives: that label supersedes one the fleet already
//   counted. A summary can only add, so this one is not sent; it is counted
//   in `superseded` (local reports use it; the fleet keeps the first);
//   The same label (value and labeledAt) stored twice counts here too: one
//   copy may have been counted at close;
// - its prediction was logged after its window had closed (a backfill, which
//   was never sent): its labels are not sent either (`notSent`);
// - its prediction is no longer stored (past retention) or not yet (a label
//   before its prediction): nothing to correct; the store reports labels of
//   unknown or folded predictions as orphans.
// Ranking judgments are not corrected (their relevant sets live apart).
import type { Task } from '../columns/index.js';
import type { PredictionChunk, RowsById } from '../store/index.js';
import { correctionOf, mergeSummaries, summarize } from '../summary/index.js';
import type { Summary } from '../summary/index.js';

/** Label batches recorded before they were written: columns, with the cursor each arrived at. */
export interface LateIntents {
  id: number[];
  label: number[];
  labeledAt: number[];
  /** The sync cursor (end of the last closed window) when the label arrived. */
  cursor: number[];
}

/** Predictions logged into windows already closed (never sent): ids and timestamps. */
export interface Backfills {
  id: number[];
  timestamp: number[];
}

/** Counts of late labels since sync first ran on this database (store meta). */
export interface LateStats {
  /** Late first labels sent as corrections. */
  corrected: number;
  /** Late labels that replaced one the fleet had counted: kept locally, not sent. */
  superseded: number;
  /** Late labels of predictions that were never sent (backfills): not sent. */
  notSent: number;
}

/** Reads a meta value as intents (anything else: none). */
export function asIntents(v: unknown): LateIntents | undefined {
  const o = v as Partial<LateIntents> | undefined;
  return o && Array.isArray(o.id) && Array.isArray(o.label) && Array.isArray(o.labeledAt) && Array.isArray(o.cursor) ? (o as LateIntents) : undefined;
}

/** Reads a meta value as backfills (anything else: none). */
export function asBackfills(v: unknown): Backfills {
  const o = v as Partial<Backfills> | undefined;
  return o && Array.isArray(o.id) && Array.isArray(o.timestamp) ? (o as Backfills) : { id: [], timestamp: [] };
}

/** `prev` plus one label batch that arrived at `cursor`. */
export function appendIntents(prev: LateIntents | undefined, b: { id: Float64Array; label: Float64Array; labeledAt: Float64Array }, cursor: number): LateIntents {
  const out: LateIntents = prev ? { id: [...prev.id], label: [...prev.label], labeledAt: [...prev.labeledAt], cursor: [...prev.cursor] } : { id: [], label: [], labeledAt: [], cursor: [] };
  for (let i = 0; i < b.id.length; i++) {
    out.id.push(b.id[i]!);
    out.label.push(b.label[i]!);
    out.labeledAt.push(b.labeledAt[i]!);
    out.cursor.push(cursor);
  }
  return out;
}

/** What resolving the intents gives. */
export interface Resolution {
  /** One correction per version, segment and window (aligned to windowMs). */
  corrections: Summary[];
  stats: LateStats;
}

/**
 * A stored label's feedback delay: the app's, else labeledAt - timestamp (as
 * the store's join); a negative one (a clock that went back, a labeledAt
 * before the prediction) is unknown here, as summarize would refuse it and a
 * close that throws would hold back every later correction.
 */
function delayOf(given: number, labeledAt: number, timestamp: number): number {
  const d = given === given ? given : labeledAt - timestamp;
  return d >= 0 ? d : NaN;
}

/**
 * The corrections of the late labels among `intents`, given the store's rows
 * of their ids (`rows`) and the predictions logged after their window closed
 * (`backfilled`). Windows are [k windowMs, (k + 1) windowMs).
 */
export function resolveLate(task: Task, intents: LateIntents, rows: RowsById, windowMs: number, backfilled: ReadonlySet<number>): Resolution {
  const stats: LateStats = { corrected: 0, superseded: 0, notSent: 0 };
  const where = new Map<number, { chunk: PredictionChunk; row: number }>();
  const wanted = new Set(intents.id);
  for (const chunk of rows.chunks) for (let i = 0; i < chunk.id.length; i++) if (wanted.has(chunk.id[i]!)) where.set(chunk.id[i]!, { chunk, row: i });
  const stored = new Map<number, number[]>();
  for (let r = 0; r < rows.labels.id.length; r++) {
    const id = rows.labels.id[r]!;
    const list = stored.get(id);
    if (list) list.push(r);
    else stored.set(id, [r]);
  }
  // Late intents per prediction, as "label@labeledAt" (a retried write records a batch twice).
  const late = new Map<number, Set<string>>();
  intents.id.forEach((id, i) => {
    const at = where.get(id);
    if (!at || !(at.chunk.timestamp[at.row]! < intents.cursor[i]!)) return;
    const set = late.get(id) ?? new Set<string>();
    set.add(`${intents.label[i]!}@${intents.labeledAt[i]!}`);
    late.set(id, set);
  });
  // Chosen rows per chunk: row index, label, delay.
  const chosen = new Map<PredictionChunk, { row: number; label: number; delay: number }[]>();
  const L = rows.labels;
  for (const [id, keys] of late) {
    const { chunk, row } = where.get(id)!;
    const all = stored.get(id) ?? [];
    const arrivedLate = all.filter((r) => keys.has(`${L.label[r]!}@${L.labeledAt[r]!}`));
    if (arrivedLate.length === 0) continue; // never stored: nothing happened
    if (backfilled.has(id)) {
      stats.notSent += arrivedLate.length;
      continue;
    }
    const distinct = new Set(arrivedLate.map((r) => `${L.label[r]!}@${L.labeledAt[r]!}`)).size;
    if (arrivedLate.length < all.length || distinct < arrivedLate.length) {
      // A label of this prediction was counted already (at close, or by an
      // earlier correction); or the same label was stored twice, so one copy
      // may have been counted at close: sending it could count it twice.
      stats.superseded += arrivedLate.length;
      continue;
    }
    // The latest by labeledAt, ties to the later write (the store's join rule).
    let win = arrivedLate[0]!;
    for (const r of arrivedLate) if (L.labeledAt[r]! >= L.labeledAt[win]!) win = r;
    stats.superseded += arrivedLate.length - 1;
    stats.corrected++;
    const list = chosen.get(chunk) ?? [];
    list.push({ row, label: L.label[win]!, delay: delayOf(L.feedbackDelayMs[win]!, L.labeledAt[win]!, chunk.timestamp[row]!) });
    chosen.set(chunk, list);
  }
  const out = new Map<string, Summary>();
  for (const [ch, picks] of chosen) {
    const pick = (a: Float64Array): Float64Array => Float64Array.from(picks, (p) => a[p.row]!);
    const predictions = {
      model: ch.model, version: ch.version, segments: ch.segments, id: pick(ch.id), timestamp: pick(ch.timestamp), prediction: pick(ch.prediction),
      score: pick(ch.score), latencyMs: pick(ch.latencyMs), segment: Uint16Array.from(picks, (p) => ch.segment[p.row]!),
    };
    const labels = Float64Array.from(picks, (p) => p.label);
    const labelDelayMs = Float64Array.from(picks, (p) => p.delay);
    const windows = new Set(Array.from(predictions.timestamp, (t) => Math.floor(t / windowMs)));
    for (const k of windows) {
      const window = { start: k * windowMs, end: (k + 1) * windowMs };
      for (const s of summarize({ task, predictions, labels, labelDelayMs, window })) {
        if (s.labeled === 0) continue;
        const c = correctionOf(s);
        const key = `${c.modelVersion}\u0000${c.segment}\u0000${window.start}`;
        const prev = out.get(key);
        out.set(key, prev ? mergeSummaries(prev, c) : c);
      }
    }
  }
  return { corrections: [...out.values()], stats };
}
