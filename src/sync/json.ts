// modelwatch's own JSON wire format, for custom receivers: a batch of
// summaries (summaryToJSON objects) from one device, each with its
// idempotency key, and raw rows only when the sender was allowed to send them.
import { InputError } from '../errors.js';
import { parseSummaryWithin } from '../summary/index.js';
import type { DecodeBudget, Summary } from '../summary/index.js';
import { idempotencyKey } from './key.js';

/** The `format` field of a batch. */
export const BATCH_FORMAT = 'modelwatch-batch';
/** Version of the batch format. */
export const BATCH_VERSION = 1;

/** A summary in a batch, checked: `summary` is set, or `error` says why not. */
export interface BatchEntry {
  key: string;
  summary?: Summary;
  error?: InputError;
}

/** A parsed batch. */
export interface Batch {
  device: string;
  entries: BatchEntry[];
  /** Raw rows, present only when the sender opted in (allowRawRows). */
  rows: { key: string; rows: unknown[] }[];
}

/**
 * Body of a batch, built from already-serialized summaries (serializeSummary
 * text) so that the outbox's text goes out without a parse and re-stringify.
 */
export function encodeBatch(device: string, summaries: readonly { key: string; text: string }[], rows: readonly { key: string; rows: unknown[] }[] = []): string {
  const entries = summaries.map((e) => `{"key":${JSON.stringify(e.key)},"summary":${e.text}}`).join(',');
  const raw = rows.length ? `,"rows":${JSON.stringify(rows)}` : '';
  return `{"format":"${BATCH_FORMAT}","version":${BATCH_VERSION},"device":${JSON.stringify(device)},"entries":[${entries}]${raw}}`;
}

function bad(path: string, message: string): never {
  throw new InputError('INVALID_SUMMARY', path, message);
}

/** Longest correction id in a key (ids are sequence numbers; this bounds what a key may carry). */
const MAX_CORRECTION_ID = 256;

/**
 * The key a summary must arrive under: its window's key, or for a correction
 * that key plus 'correction' and the id the device gave it (any non-empty id
 * of at most MAX_CORRECTION_ID characters; it only has to be new).
 */
function expectedKey(device: string, summary: Summary, key: string): string {
  if (summary.kind !== 'correction') return idempotencyKey(device, summary);
  const prefix = `${idempotencyKey(device, { ...summary, kind: undefined })}|correction|`;
  let id = '';
  try {
    id = key.startsWith(prefix) ? decodeURIComponent(key.slice(prefix.length)) : '';
  } catch {
    // Not percent-encoded: no id.
  }
  return idempotencyKey(device, summary, id.length > 0 && id.length <= MAX_CORRECTION_ID ? id : '<id>');
}

/**
 * Reads a batch. A malformed envelope throws InputError; a bad summary inside
 * a good envelope is reported on its entry, so one bad summary does not cost
 * the others. Each entry's key must equal idempotencyKey(device, summary).
 * `budget` bounds the counts decoded over all entries (see DecodeBudget).
 */
export function parseBatch(input: unknown, maxEntries = 10_000, budget?: DecodeBudget): Batch {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      bad('batch', `is not valid JSON (${(e as Error).message}).`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('batch', 'is not a JSON object.');
  const o = value as Record<string, unknown>;
  if (o['format'] !== BATCH_FORMAT) bad('batch.format', `is ${JSON.stringify(o['format'])}; expected "${BATCH_FORMAT}".`);
  if (o['version'] !== BATCH_VERSION) throw new InputError('UNSUPPORTED_VERSION', 'batch.version', `is ${JSON.stringify(o['version'])}; this receiver reads version ${BATCH_VERSION}.`);
  const device = o['device'];
  if (typeof device !== 'string' || device.length === 0 || device.length > 256) bad('batch.device', 'must be a non-empty string of at most 256 characters.');
  const list = o['entries'];
  if (!Array.isArray(list) || list.length > maxEntries) bad('batch.entries', `must be an array of at most ${maxEntries} entries.`);
  const entries: BatchEntry[] = list.map((e: unknown, i: number) => {
    const path = `batch.entries[${i}]`;
    const r = (e ?? {}) as Record<string, unknown>;
    const key = typeof r['key'] === 'string' ? r['key'] : '';
    try {
      // encodeBatch embeds summaries as objects; a string would be a second,
      // unscanned JSON document inside the body (receivers bound the body's
      // nesting before parsing it, not strings within it).
      if (typeof r['summary'] === 'string') bad(`${path}.summary`, 'is a string; a batch holds summaries as JSON objects.');
      const summary = parseSummaryWithin(r['summary'], budget);
      const expected = expectedKey(device, summary, key);
      if (key !== expected) bad(`${path}.key`, `is ${JSON.stringify(key)} but the summary's key is ${JSON.stringify(expected)}.`);
      return { key, summary };
    } catch (error) {
      if (error instanceof InputError) return { key, error };
      throw error;
    }
  });
  const rows: Batch['rows'] = [];
  if (o['rows'] !== undefined) {
    if (!Array.isArray(o['rows'])) bad('batch.rows', 'must be an array.');
    (o['rows'] as unknown[]).forEach((r, i) => {
      const x = (r ?? {}) as Record<string, unknown>;
      if (typeof x['key'] !== 'string' || !Array.isArray(x['rows'])) bad(`batch.rows[${i}]`, 'must be { key: string, rows: [] }.');
      rows.push({ key: x['key'], rows: x['rows'] });
    });
  }
  return { device, entries, rows };
}
