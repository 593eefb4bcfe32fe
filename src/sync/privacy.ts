// The privacy floor: what of a closed window may leave the device, decided
// before its summaries enter the outbox (so the engine never holds a row it
// must not send, and a crash keeps the decision: see src/worker/sync.ts).
//
// - Segment allow-list: a segment not on the list leaves merged with the
//   window's other unlisted segments as 'other', so the fleet's totals still
//   add up and no free-text segment name (a user id passed by mistake, a
//   rare city) leaves the device.
// - Minimum rows: a series' window with fewer than minRowsPerWindow
//   predictions is held, then merged into the same series' next window
//   (mergeSummaries: exact counts, the window spans both) until the merge
//   reaches the floor. A small cell of a summary (2 predictions, 1 label) is
//   close to the rows themselves; 20 rows keep one row's weight in every
//   count at 5 % or less. A held series still leaves once maxHoldMs passed
//   since its first held window began: the floor delays, it never drops.
import { mergeSummaries, parseSummary, serializeSummary } from '../summary/index.js';
import type { Summary } from '../summary/index.js';
import { seriesKey } from './key.js';

/** Default minRowsPerWindow: one row weighs at most 5 % of any count sent. */
export const DEFAULT_MIN_ROWS_PER_WINDOW = 20;
/** Default maxHoldMs: a sparse series leaves at least daily. */
export const DEFAULT_MAX_HOLD_MS = 86_400_000;
/** Segment name of the merged unlisted segments. */
export const OTHER_SEGMENT = 'other';

/** One held series: its merged summary (serializeSummary text), the start of its first held window and its count. */
export interface HeldSeries {
  text: string;
  since: number;
  /** Predictions held (the summary's count). */
  count: number;
}

/** Held series by seriesKey: plain strings and numbers, so it persists as a store meta value. */
export type Held = Record<string, HeldSeries>;

/** Settings of the floor after defaults. */
export interface FloorSettings {
  minRows: number;
  maxHoldMs: number;
}

/**
 * Renames segments not on `allow` (and not '') to 'other' and merges the
 * renamed summaries of one version and window. Without a list, returns the
 * summaries unchanged.
 */
export function applyAllowList(summaries: readonly Summary[], allow: ReadonlySet<string> | undefined): Summary[] {
  if (!allow) return [...summaries];
  // An app segment literally named 'other' merges with the renamed ones.
  const merged = new Map<string, Summary>();
  for (const s of summaries) {
    const t = s.segment === '' || allow.has(s.segment) ? s : { ...s, segment: OTHER_SEGMENT };
    const k = `${seriesKey(t)}|${t.window.start}|${t.window.end}`;
    const prev = merged.get(k);
    merged.set(k, prev ? mergeSummaries(prev, t) : t);
  }
  return [...merged.values()];
}

/**
 * Applies the minimum-rows floor to the summaries of windows closing now
 * (any order; processed by window start) given what was held before.
 * Returns what leaves and what stays held; neither input is changed.
 * `upTo` is the end of the closed range: held series with no new rows leave
 * once upTo - since >= maxHoldMs.
 */
export function applyFloor(summaries: readonly Summary[], held: Readonly<Held>, upTo: number, o: FloorSettings): { send: Summary[]; held: Held } {
  const next: Held = { ...held };
  const send: Summary[] = [];
  const ordered = [...summaries].sort((a, b) => a.window.start - b.window.start);
  for (const s of ordered) {
    const key = seriesKey(s);
    const h = next[key];
    const merged = h ? mergeSummaries(parseSummary(h.text), s) : s;
    const since = h ? h.since : s.window.start;
    if (merged.count >= o.minRows || s.window.end - since >= o.maxHoldMs) {
      send.push(merged);
      delete next[key];
    } else next[key] = { text: serializeSummary(merged), since, count: merged.count };
  }
  for (const [key, h] of Object.entries(next)) {
    if (upTo - h.since >= o.maxHoldMs) {
      send.push(parseSummary(h.text));
      delete next[key];
    }
  }
  return { send, held: next };
}

/**
 * The floor for late-label corrections (count 0, so rows are labels here): a
 * series' corrections are merged and held until they carry minRows labels,
 * or maxHoldMs passed since the first; and while the series has a window
 * held (`windows`), its corrections wait for it, so they never reach a
 * receiver before the predictions they label. Returns what leaves and what
 * stays held.
 */
export function applyCorrectionFloor(corrections: readonly Summary[], held: Readonly<Held>, windows: Readonly<Held>, upTo: number, o: FloorSettings): { send: Summary[]; held: Held } {
  const next: Held = { ...held };
  for (const c of [...corrections].sort((a, b) => a.window.start - b.window.start)) {
    const key = seriesKey(c);
    const h = next[key];
    const merged = h ? mergeSummaries(parseSummary(h.text), c) : c;
    next[key] = { text: serializeSummary(merged), since: h ? h.since : c.window.start, count: merged.labeled };
  }
  const send: Summary[] = [];
  for (const [key, h] of Object.entries(next)) {
    if (windows[key] === undefined && (h.count >= o.minRows || upTo - h.since >= o.maxHoldMs)) {
      send.push(parseSummary(h.text));
      delete next[key];
    }
  }
  return { send, held: next };
}

/** Predictions held now (for status and tests). */
export function heldRows(held: Readonly<Held>): number {
  let n = 0;
  for (const h of Object.values(held)) n += h.count;
  return n;
}
