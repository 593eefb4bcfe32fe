// Wire form of summaries: versioned JSON whose bulky count vectors are packed
// into short strings, validated field by field on the way in.
//
// Packed counts: base64url (no padding) of varints, each coding the step
// from the previous count (starting at 0). A token's first byte holds a
// continuation bit, a 2-bit kind and the low 5 bits of m; further bytes add 7
// bits each (LEB128). Kind 0 repeats the previous count m times, kind 1 adds
// m, kind 2 subtracts m. Neighbouring buckets of a histogram hold similar
// counts, so steps are short (a quarter smaller than plain counts at 1e5
// rows) and a run of empty buckets costs a byte. A decoded count below 0 or
// at or above 2^53 is rejected.
import { InputError } from '../errors.js';
import { describe } from '../core/input.js';
import { ExpHistogram, MAX_MAX_SIZE, MAX_SCALE, MIN_SCALE } from './sketch.js';
import type { Buckets, SketchJSON, Summary } from './types.js';
import { checkSummary, invalid, LIMITS } from './validate.js';

/** Version written by serializeSummary; parseSummary reads only this one. */
export const SUMMARY_VERSION = 1;
const FORMAT = 'modelwatch.summary';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

const MAX_COUNT = 2 ** 53 - 1;

function base64(bytes: Uint8Array, n: number): string {
  let out = '';
  for (let i = 0; i < n; i += 3) {
    const a = bytes[i]!, b = i + 1 < n ? bytes[i + 1]! : 0, c = i + 2 < n ? bytes[i + 2]! : 0;
    const w = (a << 16) | (b << 8) | c;
    out += B64[(w >> 18) & 63]! + B64[(w >> 12) & 63]!;
    if (i + 1 < n) out += B64[(w >> 6) & 63]!;
    if (i + 2 < n) out += B64[w & 63]!;
  }
  return out;
}

function unbase64(text: string, path: string): Uint8Array {
  if (text.length % 4 === 1) invalid(path, 'is not valid base64url (truncated)');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? B64_INDEX[code]! : -1;
    if (v < 0) invalid(`${path}[${i}]`, `holds ${JSON.stringify(text[i])}, which is not a base64url character`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 255;
    }
  }
  return out.subarray(0, j);
}

const REPEAT = 0, UP = 1, DOWN = 2;

/** Packs non-negative integer counts. */
export function packCounts(counts: ArrayLike<number>): string {
  const bytes = new Uint8Array(counts.length * 9 + 9);
  let n = 0;
  const put = (kind: number, m: number): void => {
    let rest = Math.floor(m / 32);
    bytes[n++] = (rest > 0 ? 128 : 0) | (kind << 5) | (m % 32);
    while (rest > 0) {
      const next = Math.floor(rest / 128);
      bytes[n++] = (next > 0 ? 128 : 0) | (rest % 128);
      rest = next;
    }
  };
  let prev = 0;
  for (let i = 0; i < counts.length; ) {
    const c = counts[i]!;
    if (c === prev) {
      let run = 1;
      while (i + run < counts.length && counts[i + run] === prev) run++;
      put(REPEAT, run);
      i += run;
    } else {
      put(c > prev ? UP : DOWN, Math.abs(c - prev));
      prev = c;
      i++;
    }
  }
  return base64(bytes, n);
}

/**
 * A running allowance of decoded counts, shared by every summary of one
 * request: a packed run of 3 bytes can stand for 16,384 counts (128 KB), so a
 * receiver bounds the total it will decode, not only the text it reads.
 */
export interface DecodeBudget {
  /** Counts still allowed; decoding past zero throws BODY_TOO_COMPLEX. */
  counts: number;
}

function spend(budget: DecodeBudget | undefined, m: number, path: string): void {
  if (!budget) return;
  budget.counts -= m;
  if (budget.counts < 0) throw new InputError('BODY_TOO_COMPLEX', path, 'decodes to more counts than this reader allows per request; send fewer summaries per request.');
}

/** Unpacks counts, rejecting anything longer than maxLength, negative or malformed. */
export function unpackCounts(text: unknown, maxLength: number, path: string, budget?: DecodeBudget): Float64Array {
  if (typeof text !== 'string') invalid(path, `is ${describe(text)}; expected a packed count string`);
  if (text.length > maxLength * 12 + 16) invalid(path, `is ${text.length} characters long; at most ${maxLength} counts are allowed`);
  const bytes = unbase64(text, path);
  const out: number[] = [];
  let prev = 0;
  let i = 0;
  while (i < bytes.length) {
    let b = bytes[i++]!;
    const kind = (b >> 5) & 3;
    let m = b & 31, mult = 32;
    while (b & 128) {
      if (i >= bytes.length) invalid(path, 'ends inside a number (truncated)');
      b = bytes[i++]!;
      m += (b & 127) * mult;
      mult *= 128;
      if (m > MAX_COUNT) invalid(path, 'holds a step above 2^53');
    }
    if (m === 0 || kind > DOWN) invalid(`${path}[${out.length}]`, `holds an invalid token (kind ${kind}, step ${m})`);
    if (kind === REPEAT) {
      if (out.length + m > maxLength) invalid(path, `decodes to more than ${maxLength} counts`);
      spend(budget, m, path);
      for (let k = 0; k < m; k++) out.push(prev);
    } else {
      spend(budget, 1, path);
      prev += kind === UP ? m : -m;
      if (prev < 0 || prev > MAX_COUNT) invalid(`${path}[${out.length}]`, `decodes to the count ${prev}; counts are integers in [0, 2^53)`);
      out.push(prev);
    }
    if (out.length > maxLength) invalid(path, `decodes to more than ${maxLength} counts`);
  }
  return Float64Array.from(out);
}

/**
 * Serializable form of a sketch. Sums travel as compensated [hi, lo] pairs; a
 * sketch of values beyond ~1e154 in magnitude has an infinite sum of squares
 * and cannot be serialized (JSON has no Infinity).
 */
export function sketchToJSON(h: ExpHistogram): SketchJSON {
  const empty = h.count === 0;
  return {
    scale: h.scale,
    maxSize: h.maxSize,
    count: h.count,
    zeroCount: h.zeroCount,
    sum: [...h.sumPair],
    sumSq: [...h.sumSqPair],
    min: empty ? null : h.min,
    max: empty ? null : h.max,
    positive: { offset: h.positive.offset, counts: packCounts(h.positive.counts) },
    negative: { offset: h.negative.offset, counts: packCounts(h.negative.counts) },
  };
}

function obj(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(path, `is ${describe(value)}; expected an object`);
  return value as Record<string, unknown>;
}

function num(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(path, `is ${describe(value)}; expected a finite number`);
  return value;
}

function int(value: unknown, path: string, lo: number, hi: number): number {
  const v = num(value, path);
  if (!Number.isInteger(v) || v < lo || v > hi) invalid(path, `is ${v}; expected an integer in [${lo}, ${hi}]`);
  return v;
}

function pair(value: unknown, path: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) invalid(path, `is ${describe(value)}; expected [hi, lo]`);
  return [num(value[0], `${path}[0]`), num(value[1], `${path}[1]`)];
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length > LIMITS.name) invalid(path, `is ${describe(value)}; expected a string of at most ${LIMITS.name} characters`);
  return value;
}

function numArray(value: unknown, path: string, max: number): number[] {
  if (!Array.isArray(value)) invalid(path, `is ${describe(value)}; expected an array`);
  if (value.length > max) invalid(path, `has ${value.length} entries; at most ${max} are allowed`);
  return value.map((x, i) => num(x, `${path}[${i}]`));
}

function buckets(value: unknown, path: string, maxSize: number, budget: DecodeBudget | undefined): Buckets {
  const o = obj(value, path);
  return {
    offset: int(o['offset'], `${path}.offset`, -(2 ** 31), 2 ** 31 - 1),
    counts: unpackCounts(o['counts'], maxSize, `${path}.counts`, budget),
  };
}

/** Reads a sketch's wire form; checkSummary checks how its parts agree. */
export function sketchFromJSON(value: unknown, path: string, budget?: DecodeBudget): ExpHistogram {
  const o = obj(value, path);
  const maxSize = int(o['maxSize'], `${path}.maxSize`, 2, MAX_MAX_SIZE);
  const h = new ExpHistogram({ maxSize, maxScale: int(o['scale'], `${path}.scale`, MIN_SCALE, MAX_SCALE) });
  h.count = num(o['count'], `${path}.count`);
  h.zeroCount = num(o['zeroCount'], `${path}.zeroCount`);
  h.sumPair = pair(o['sum'], `${path}.sum`);
  h.sumSqPair = pair(o['sumSq'], `${path}.sumSq`);
  h.min = o['min'] === null ? Infinity : num(o['min'], `${path}.min`);
  h.max = o['max'] === null ? -Infinity : num(o['max'], `${path}.max`);
  h.positive = buckets(o['positive'], `${path}.positive`, maxSize, budget);
  h.negative = buckets(o['negative'], `${path}.negative`, maxSize, budget);
  return h;
}

/** The summary as a JSON-ready object (what serializeSummary stringifies). */
export function summaryToJSON(s: Summary): Record<string, unknown> {
  checkSummary(s, 'summary');
  const out: Record<string, unknown> = {
    format: FORMAT,
    version: SUMMARY_VERSION,
    ...(s.kind !== undefined ? { kind: s.kind } : {}),
    task: s.task,
    model: s.model,
    modelVersion: s.modelVersion,
    segment: s.segment,
    window: { start: s.window.start, end: s.window.end },
    count: s.count,
    labeled: s.labeled,
    latency: sketchToJSON(s.latency),
    confidence: sketchToJSON(s.confidence),
    latencyBuckets: s.latencyBuckets,
    confidenceBuckets: s.confidenceBuckets,
    feedbackDelay: sketchToJSON(s.feedbackDelay),
  };
  if (s.predicted) out['predicted'] = s.predicted;
  if (s.confusion) out['confusion'] = { classes: s.confusion.classes, cells: packCounts(s.confusion.cells) };
  if (s.scores) out['scores'] = { bins: s.scores.bins, positive: packCounts(s.scores.positive), negative: packCounts(s.scores.negative) };
  if (s.regression) {
    const { absError, ...sums } = s.regression;
    out['regression'] = { ...sums, absError: sketchToJSON(absError) };
  }
  if (s.ranking) out['ranking'] = s.ranking;
  return out;
}

/** Compact JSON text of a summary (version SUMMARY_VERSION). */
export function serializeSummary(s: Summary): string {
  return JSON.stringify(summaryToJSON(s));
}

const TASKS = ['binary', 'multiclass', 'regression', 'ranking'];

/**
 * Reads a summary from JSON text or a parsed object, rejecting anything
 * malformed, truncated, inconsistent or oversized with an InputError whose
 * `argument` is the offending field's path ('UNSUPPORTED_VERSION' for an
 * unknown version, 'INVALID_SUMMARY' otherwise).
 */
export function parseSummary(input: unknown): Summary {
  return parseSummaryWithin(input, undefined);
}

/**
 * parseSummary for readers of untrusted input: `budget` bounds the counts
 * decoded (BODY_TOO_COMPLEX past it) and is shared by the summaries of one
 * request. (A separate function keeps parseSummary unary, safe in `.map`.)
 */
export function parseSummaryWithin(input: unknown, budget: DecodeBudget | undefined): Summary {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > LIMITS.textLength) invalid('summary', `is ${input.length} characters long; at most ${LIMITS.textLength} are accepted`);
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new InputError('INVALID_SUMMARY', 'summary', `is not valid JSON (${(error as Error).message}); it may be truncated.`);
    }
  }
  const o = obj(value, 'summary');
  if (o['format'] !== FORMAT) invalid('summary.format', `is ${describe(o['format'])}; expected ${JSON.stringify(FORMAT)}`);
  if (o['version'] !== SUMMARY_VERSION) {
    throw new InputError('UNSUPPORTED_VERSION', 'summary.version', `is ${describe(o['version'])}; this modelwatch reads version ${SUMMARY_VERSION} only (upgrade the reader to read newer summaries).`);
  }
  if (typeof o['task'] !== 'string' || !TASKS.includes(o['task'])) invalid('summary.task', `is ${describe(o['task'])}; expected one of ${TASKS.join(', ')}`);
  const w = obj(o['window'], 'summary.window');
  if (o['kind'] !== undefined && o['kind'] !== 'correction') invalid('summary.kind', `is ${describe(o['kind'])}; expected 'correction' or no kind`);
  const s: Summary = {
    ...(o['kind'] === 'correction' ? { kind: 'correction' as const } : {}),
    task: o['task'] as Summary['task'],
    model: str(o['model'], 'summary.model'),
    modelVersion: str(o['modelVersion'], 'summary.modelVersion'),
    segment: str(o['segment'], 'summary.segment'),
    window: { start: num(w['start'], 'summary.window.start'), end: num(w['end'], 'summary.window.end') },
    count: num(o['count'], 'summary.count'),
    labeled: num(o['labeled'], 'summary.labeled'),
    latency: sketchFromJSON(o['latency'], 'summary.latency', budget),
    confidence: sketchFromJSON(o['confidence'], 'summary.confidence', budget),
    latencyBuckets: numArray(o['latencyBuckets'], 'summary.latencyBuckets', 64),
    confidenceBuckets: numArray(o['confidenceBuckets'], 'summary.confidenceBuckets', 64),
    feedbackDelay: sketchFromJSON(o['feedbackDelay'], 'summary.feedbackDelay', budget),
  };
  if (o['predicted'] !== undefined) {
    const p = obj(o['predicted'], 'summary.predicted');
    s.predicted = { classes: numArray(p['classes'], 'summary.predicted.classes', LIMITS.classes), counts: numArray(p['counts'], 'summary.predicted.counts', LIMITS.classes) };
  }
  if (o['confusion'] !== undefined) {
    const c = obj(o['confusion'], 'summary.confusion');
    const classes = numArray(c['classes'], 'summary.confusion.classes', LIMITS.classes);
    s.confusion = { classes, cells: Array.from(unpackCounts(c['cells'], classes.length * classes.length, 'summary.confusion.cells', budget)) };
  }
  if (o['scores'] !== undefined) {
    const c = obj(o['scores'], 'summary.scores');
    const bins = int(c['bins'], 'summary.scores.bins', 1, LIMITS.bins);
    s.scores = {
      bins,
      positive: unpackCounts(c['positive'], bins, 'summary.scores.positive', budget),
      negative: unpackCounts(c['negative'], bins, 'summary.scores.negative', budget),
    };
  }
  if (o['regression'] !== undefined) {
    const r = obj(o['regression'], 'summary.regression');
    const f = (k: string): number => num(r[k], `summary.regression.${k}`);
    s.regression = {
      n: f('n'), sumY: f('sumY'), sumY2: f('sumY2'), sumE: f('sumE'), sumE2: f('sumE2'), sumAbsE: f('sumAbsE'),
      sumApe: f('sumApe'), maxAbsE: f('maxAbsE'), absError: sketchFromJSON(r['absError'], 'summary.regression.absError', budget),
    };
  }
  if (o['ranking'] !== undefined) {
    const r = obj(o['ranking'], 'summary.ranking');
    s.ranking = {
      ks: numArray(r['ks'], 'summary.ranking.ks', LIMITS.ks),
      queries: num(r['queries'], 'summary.ranking.queries'),
      withoutRelevant: num(r['withoutRelevant'], 'summary.ranking.withoutRelevant'),
      precision: numArray(r['precision'], 'summary.ranking.precision', LIMITS.ks),
      recall: numArray(r['recall'], 'summary.ranking.recall', LIMITS.ks),
      ndcg: numArray(r['ndcg'], 'summary.ranking.ndcg', LIMITS.ks),
      reciprocalRank: num(r['reciprocalRank'], 'summary.ranking.reciprocalRank'),
    };
  }
  checkSummary(s, 'summary');
  return s;
}
