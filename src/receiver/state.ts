// The fleet state: one merged summary per series, and per device the
// idempotency keys it has delivered (namespaced by kind, so a raw-rows key can
// never shadow a summary key, and by device, so no device can shadow
// another's), each with the time it was accepted. Pure: no I/O, so the same
// code plans a delivery, commits it and replays it from the journal.
//
// Late-label corrections (summaries of kind 'correction': labels of a window
// the device delivered earlier, no predictions) merge into the series like
// any summary. Each is valid on its own, so what stops a hostile device from
// pushing labels past predictions is a tally per device and series of the
// predictions and labels it delivered: a correction that would take the
// device's labels past its own predictions is refused (CORRECTION_EXCEEDS_COUNT),
// whatever other devices contributed to the series.
import { InputError } from '../errors.js';
import { mergeSummaries, parseSummary, relativeErrorAtScale, summaryToJSON } from '../summary/index.js';
import type { ExpHistogram, Summary } from '../summary/index.js';
import { seriesKey } from '../sync/index.js';
import type { Batch } from '../sync/index.js';
import { LimitError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** What one ingest did. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; argument: string; message: string }[];
}

/** An accepted delivery: what the journal holds, one line each. */
export interface Delivery {
  seq: number;
  /** Acceptance time (ms), which starts its keys' time to live. */
  t: number;
  device: string;
  summaries: { key: string; summary: Summary }[];
  /** Keys of accepted raw-rows batches (the rows go to onRows, not to the journal). */
  rows: string[];
}

/** A planned delivery: the result to answer and what to commit once it is durable. */
export interface Plan {
  result: IngestResult;
  delivery?: Delivery;
  /** The series after the delivery, merged and checked. */
  merged: Map<string, Summary>;
  rows: { key: string; rows: unknown[] }[];
}

/** Predictions and labels one device delivered to one series. */
interface Tally {
  count: number;
  labeled: number;
}

interface DeviceState {
  /** Namespaced key ('s|' summary, 'r|' rows) -> acceptance time, oldest first. */
  keys: Map<string, number>;
  /** seriesKey -> what this device delivered to it (bounded by maxSeriesPerDevice series it created, plus series it joined). */
  tallies: Map<string, Tally>;
  /** Series this device created. */
  created: number;
  lastSeen: number;
}

const SUMMARY_NS = 's|';
const ROWS_NS = 'r|';

/** The sketches of a summary, by field path. */
function sketches(s: Summary): [string, ExpHistogram][] {
  const out: [string, ExpHistogram][] = [['latency', s.latency], ['confidence', s.confidence], ['feedbackDelay', s.feedbackDelay]];
  if (s.regression) out.push(['regression.absError', s.regression.absError]);
  return out;
}

/** Serializable state (snapshot file). */
export interface Snapshot {
  format: 'modelwatch-receiver-snapshot';
  version: 1;
  seq: number;
  series: { creator: string; summary: unknown }[];
  /** `tallies` ([seriesKey, count, labeled]) is absent in snapshots of earlier versions: they restore with none. */
  devices: { id: string; created: number; lastSeen: number; keys: [string, number][]; tallies?: [string, number, number][] }[];
}

export class FleetState {
  readonly series = new Map<string, { summary: Summary; creator: string }>();
  readonly devices = new Map<string, DeviceState>();
  totalKeys = 0;
  seq = 0;
  private lastGlobalPrune = -Infinity;

  constructor(private readonly o: ResolvedOptions) {}

  /**
   * What `batch` would do, computed without changing anything: duplicates
   * dropped, bad or coarse summaries rejected per entry, the rest merged and
   * checked. Throws LimitError if the batch needs a device, series or key slot
   * past a limit (then nothing of it may be stored).
   */
  plan(batch: Batch, now: number): Plan {
    const o = this.o;
    const dev = this.devices.get(batch.device);
    if (!dev && this.devices.size >= o.maxDevices) {
      this.pruneAll(now);
      if (this.devices.size >= o.maxDevices) throw new LimitError('devices', `this receiver remembers at most ${o.maxDevices} devices (options.maxDevices).`, 3600);
    }
    if (dev) this.expire(dev, now);
    const result: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
    const merged = new Map<string, Summary>();
    const tallies = new Map<string, Tally>();
    const seen = new Set<string>();
    const summaries: Delivery['summaries'] = [];
    let created = 0;
    const reject = (index: number, e: InputError): void => {
      result.rejected.push({ index, code: e.code, argument: e.argument, message: e.message });
    };
    batch.entries.forEach((e, index) => {
      if (e.error || !e.summary) {
        reject(index, e.error ?? new InputError('INVALID_SUMMARY', `batch.entries[${index}]`, 'missing summary'));
        return;
      }
      const ns = SUMMARY_NS + e.key;
      if (seen.has(ns) || dev?.keys.has(ns)) {
        result.duplicates++;
        return;
      }
      const s = e.summary;
      const coarse = this.coarse(s, `batch.entries[${index}].summary`);
      if (coarse) return reject(index, coarse);
      const k = seriesKey(s);
      const had = tallies.get(k) ?? dev?.tallies.get(k) ?? { count: 0, labeled: 0 };
      const tally = { count: had.count + s.count, labeled: had.labeled + s.labeled };
      if (tally.labeled > tally.count) {
        return reject(index, new InputError('CORRECTION_EXCEEDS_COUNT', `batch.entries[${index}].summary.labeled`, `would bring the labels device ${JSON.stringify(batch.device)} delivered for this series to ${tally.labeled}, more than the ${tally.count} predictions it delivered; a correction carries labels of predictions already delivered (send the window's summary first).`));
      }
      const prev = merged.get(k) ?? this.series.get(k)?.summary;
      if (!prev) {
        if (this.series.size + created >= o.maxSeries) throw new LimitError('series', `the fleet holds ${o.maxSeries} series (options.maxSeries); a new (task, model, version, segment) waits.`, 3600);
        if ((dev?.created ?? 0) + created >= o.maxSeriesPerDevice) throw new LimitError('series', `device ${JSON.stringify(batch.device)} created ${o.maxSeriesPerDevice} series (options.maxSeriesPerDevice).`, 3600);
        created++;
      }
      let next: Summary;
      try {
        next = prev ? mergeSummaries(prev, s) : s;
        if (prev) {
          const widened = this.coarse(next, `batch.entries[${index}].summary`, 'merged into the fleet');
          if (widened) throw widened;
        }
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        if (!prev) created--;
        return reject(index, error);
      }
      merged.set(k, next);
      tallies.set(k, tally);
      seen.add(ns);
      summaries.push({ key: e.key, summary: s });
      result.accepted++;
    });
    const rows: Plan['rows'] = [];
    for (const r of batch.rows) {
      const ns = ROWS_NS + r.key;
      if (seen.has(ns) || dev?.keys.has(ns)) continue;
      seen.add(ns);
      rows.push(r);
    }
    if (seen.size > 0 && this.totalKeys + seen.size > o.maxKeys) {
      this.pruneAll(now);
      if (this.totalKeys + seen.size > o.maxKeys) throw new LimitError('keys', `this receiver remembers at most ${o.maxKeys} idempotency keys (options.maxKeys).`, 600);
    }
    const plan: Plan = { result, merged, rows };
    if (seen.size > 0) plan.delivery = { seq: this.seq + 1, t: now, device: batch.device, summaries, rows: rows.map((r) => r.key) };
    return plan;
  }

  /** Makes a planned delivery part of the state (after it is durable). */
  commit(d: Delivery, merged: Map<string, Summary>): void {
    let dev = this.devices.get(d.device);
    if (!dev) this.devices.set(d.device, (dev = { keys: new Map(), tallies: new Map(), created: 0, lastSeen: d.t }));
    dev.lastSeen = Math.max(dev.lastSeen, d.t);
    for (const [k, s] of merged) {
      const prev = this.series.get(k);
      if (prev) prev.summary = s;
      else {
        this.series.set(k, { summary: s, creator: d.device });
        dev.created++;
      }
    }
    const add = (ns: string): void => {
      if (!dev.keys.has(ns)) this.totalKeys++;
      dev.keys.set(ns, d.t);
    };
    for (const s of d.summaries) {
      add(SUMMARY_NS + s.key);
      const k = seriesKey(s.summary);
      const t = dev.tallies.get(k) ?? { count: 0, labeled: 0 };
      dev.tallies.set(k, { count: t.count + s.summary.count, labeled: t.labeled + s.summary.labeled });
    }
    for (const r of d.rows) add(ROWS_NS + r);
    // The oldest keys of this device go first (Map order is acceptance order).
    for (const ns of dev.keys.keys()) {
      if (dev.keys.size <= this.o.maxKeysPerDevice) break;
      dev.keys.delete(ns);
      this.totalKeys--;
    }
    this.seq = Math.max(this.seq, d.seq);
  }

  /** Re-applies a journaled delivery (already checked when it was accepted). */
  replay(d: Delivery): void {
    const merged = new Map<string, Summary>();
    for (const { summary } of d.summaries) {
      const k = seriesKey(summary);
      const prev = merged.get(k) ?? this.series.get(k)?.summary;
      merged.set(k, prev ? mergeSummaries(prev, summary) : summary);
    }
    this.commit(d, merged);
  }

  /** A summary whose sketches are coarser than the receiver takes, as an InputError to report. */
  private coarse(s: Summary, path: string, what = 'is'): InputError | undefined {
    for (const [field, h] of sketches(s)) {
      if (h.scale < this.o.minScale) {
        return new InputError('SCALE_TOO_LOW', `${path}.${field}.scale`, `${what} at scale ${h.scale} (relative error ${(relativeErrorAtScale(h.scale) * 100).toPrecision(3)}%); this receiver keeps the fleet at scale >= ${this.o.minScale} (${(relativeErrorAtScale(this.o.minScale) * 100).toPrecision(3)}%).`);
      }
      if (h.maxSize < this.o.minSketchSize) {
        return new InputError('SCALE_TOO_LOW', `${path}.${field}.maxSize`, `is ${h.maxSize}; this receiver takes sketches with at least ${this.o.minSketchSize} buckets (a merge keeps the smaller budget).`);
      }
    }
    return undefined;
  }

  /** Forgets a device's keys older than the time to live. */
  private expire(dev: DeviceState, now: number): void {
    const horizon = now - this.o.keyTtlMs;
    for (const [ns, t] of dev.keys) {
      if (t >= horizon) break;
      dev.keys.delete(ns);
      this.totalKeys--;
    }
  }

  /** Expires every device's keys and forgets devices with none left and no recent delivery (at most once a minute). */
  private pruneAll(now: number): void {
    if (now - this.lastGlobalPrune < 60_000) return;
    this.lastGlobalPrune = now;
    for (const [id, dev] of this.devices) {
      this.expire(dev, now);
      if (dev.keys.size === 0 && dev.lastSeen < now - this.o.keyTtlMs) this.devices.delete(id);
    }
  }

  toSnapshot(): Snapshot {
    return {
      format: 'modelwatch-receiver-snapshot',
      version: 1,
      seq: this.seq,
      series: [...this.series.values()].map((x) => ({ creator: x.creator, summary: summaryToJSON(x.summary) })),
      devices: [...this.devices].map(([id, d]) => ({ id, created: d.created, lastSeen: d.lastSeen, keys: [...d.keys], tallies: [...d.tallies].map(([k, t]): [string, number, number] => [k, t.count, t.labeled]) })),
    };
  }

  /** Loads a snapshot into an empty state. */
  restore(snap: Snapshot): void {
    this.seq = snap.seq;
    for (const x of snap.series) {
      const summary = parseSummary(x.summary);
      this.series.set(seriesKey(summary), { summary, creator: x.creator });
    }
    for (const d of snap.devices) {
      const tallies = new Map((d.tallies ?? []).map(([k, count, labeled]): [string, Tally] => [k, { count, labeled }]));
      this.devices.set(d.id, { keys: new Map(d.keys), tallies, created: d.created, lastSeen: d.lastSeen });
      this.totalKeys += d.keys.length;
    }
  }
}

/** A delivery as one JSON line (summaries in their wire form). */
export function deliveryToJSON(d: Delivery): string {
  return JSON.stringify({ seq: d.seq, t: d.t, device: d.device, summaries: d.summaries.map((s) => ({ key: s.key, summary: summaryToJSON(s.summary) })), rows: d.rows });
}

/** Reads a journal line back; throws InputError if it is not one. */
export function deliveryFromJSON(value: unknown): Delivery {
  const o = value as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || typeof o['seq'] !== 'number' || typeof o['t'] !== 'number' || typeof o['device'] !== 'string' || !Array.isArray(o['summaries']) || !Array.isArray(o['rows'])) {
    throw new InputError('INVALID_SUMMARY', 'journal line', 'is not a delivery { seq, t, device, summaries, rows }.');
  }
  return {
    seq: o['seq'],
    t: o['t'],
    device: o['device'],
    summaries: (o['summaries'] as { key: string; summary: unknown }[]).map((s) => ({ key: String(s.key), summary: parseSummary(s.summary) })),
    rows: (o['rows'] as unknown[]).map(String),
  };
}
