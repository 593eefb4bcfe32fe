// The 'otlp' and 'prometheus' delivery modes: the device sends its cumulative
// state per series (OTLP CUMULATIVE points; a Pushgateway keeps the last push
// per group), so a retried or repeated push carries the same totals and
// nothing is counted twice. The outbox keeps that state as one record with
// the highest sequence number folded into it (outbox.ts).
//
// A round: the stored state plus every pending entry, merged per series, is
// cut into requests (parts). Each series is in exactly one part, and each
// part holds whole series, so a part the receiver takes is a consistent
// state of its series; the state record moves only once every part of the
// round was answered. A round cut short re-sends its parts later: the same
// (or, after a reload, newer) totals, never a double count.
//
// Prometheus: a Pushgateway PUT replaces a whole group, so two PUTs to one
// group would leave only the second. Each series therefore has its own group
// (job/device/model/version/segment: the labels the series already carries,
// so series and label names are unchanged) and no split ever sends a part of
// a group. A device that pushed with the earlier layout (one group per
// device) empties that group before its first push in this layout (until
// then the two would be summed twice): a PUT with an empty body, which the
// Pushgateway documents as deleting the group's metrics, rather than a
// DELETE, which a CORS proxy set up for PUT may refuse at preflight.
//
// A refused series (a non-retryable status for its push alone) keeps its
// stored totals and its new entries go to quarantine. If the receiver had
// taken an earlier push of that series whose answer was lost, it now sees the
// older totals until the quarantine is re-queued: the one case where a
// series may go back.
import { mergeSummaries, parseSummary, serializeSummary } from '../summary/index.js';
import type { Summary } from '../summary/index.js';
import { seriesKey } from './key.js';
import type { DeliveryMode, Part, Plan, PlanLimits } from './mode.js';
import { encodeOtlp } from './otlp.js';
import type { Entry, Outbox } from './outbox.js';
import { encodePrometheus, PROMETHEUS_CONTENT_TYPE, pushgatewayUrl } from './prometheus.js';
import type { SyncEvent, SyncRequest } from './types.js';

const utf8 = new TextEncoder();

/** How one cumulative format groups and writes series. */
export interface StateFormat {
  /** Series that must travel together (Prometheus: each alone, one group each; OTLP: all, cut as needed). */
  groups<T extends { summary: Summary }>(series: T[]): T[][];
  /** The request for these series; `compact` asks for the smallest form with the same totals. */
  request(series: readonly Summary[], at: { startMs: number; timeMs: number }, compact: boolean): SyncRequest;
  /** Whether the compact form is smaller than the full one. */
  compacts: boolean;
  /** Layout tag stored with the state, and what to send once before the first push in that layout. */
  layout?: { name: string; migrate: SyncRequest };
}

/** OTLP/HTTP JSON: any subset of series is a valid request of its own. */
export function otlpFormat(o: { endpoint: string; deviceId: string; resource: Record<string, string> }): StateFormat {
  return {
    groups: (series) => (series.length ? [series] : []),
    request: (series, at) => ({
      url: o.endpoint,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(encodeOtlp(series, { deviceId: o.deviceId, startMs: at.startMs, timeMs: at.timeMs, resource: o.resource })),
    }),
    compacts: false,
  };
}

/** Pushgateway: one group per series, replaced with PUT. */
export function prometheusFormat(o: { endpoint: string; deviceId: string; job: string }): StateFormat {
  return {
    groups: (series) => series.map((s) => [s]),
    request: (series, _at, compact) => {
      const s = series[0]!;
      return {
        url: pushgatewayUrl(o.endpoint, o.job, o.deviceId, { model: s.model, version: s.modelVersion, segment: s.segment }),
        method: 'PUT',
        headers: { 'content-type': PROMETHEUS_CONTENT_TYPE },
        // Compact: the spec chapter's buckets only (same exact totals), about 5% of the size.
        body: encodePrometheus(series, compact ? { exponentialScale: null } : {}),
      };
    },
    compacts: true,
    layout: { name: 'series', migrate: { url: pushgatewayUrl(o.endpoint, o.job, o.deviceId), method: 'PUT', headers: { 'content-type': PROMETHEUS_CONTENT_TYPE }, body: '' } },
  };
}

/** One series of a round: its stored text, its new total and the pending entries in it. */
interface Slot {
  old?: string;
  summary: Summary;
  entries: Entry[];
  refused: boolean;
}

/** Delivers the cumulative state of every series. */
export class CumulativeMode implements DeliveryMode {
  constructor(
    private readonly outbox: Outbox,
    private readonly format: StateFormat,
    private readonly now: () => number,
    private readonly emit: (e: SyncEvent) => void,
  ) {}

  /** The stored state and `entries`, merged per series. */
  private merged(entries: readonly Entry[]): { slots: Slot[]; startMs: number; folded: Entry[] } {
    const slots = new Map<string, Slot>();
    for (const t of this.outbox.state?.texts ?? []) {
      const s = parseSummary(t);
      slots.set(seriesKey(s), { old: t, summary: s, entries: [], refused: false });
    }
    let startMs = this.outbox.state?.startMs ?? Infinity;
    const folded: Entry[] = [];
    for (const e of entries) {
      if (e.payload.kind !== 'summary') continue;
      const s = parseSummary(e.payload.text);
      startMs = Math.min(startMs, s.window.start);
      folded.push(e);
      const k = seriesKey(s);
      const slot = slots.get(k);
      if (slot) {
        slot.summary = mergeSummaries(slot.summary, s);
        slot.entries.push(e);
      } else slots.set(k, { summary: s, entries: [e], refused: false });
    }
    return { slots: [...slots.values()], startMs, folded };
  }

  plan(limits: PlanLimits): Plan {
    const { slots, startMs, folded } = this.merged(this.outbox.entries);
    const at = { startMs, timeMs: Math.max(this.now(), ...slots.map((s) => s.summary.window.end)) };
    const parts: Part[] = [];
    const layout = this.format.layout;
    if (layout && this.outbox.state?.layout !== layout.name) parts.push(once(layout.migrate));
    for (const g of this.format.groups(slots)) parts.push(this.part(g, at, limits.compact ?? false));
    return {
      parts,
      finish: async () => {
        // Refused series keep their stored state; their entries went to quarantine.
        const kept = folded.filter((e) => !slots.some((s) => s.refused && s.entries.includes(e)));
        const texts = slots.flatMap((s) => (s.refused ? (s.old === undefined ? [] : [s.old]) : [serializeSummary(s.summary)]));
        await this.outbox.commitState(texts, startMs, kept, layout?.name);
        return kept.length;
      },
    };
  }

  private part(slots: Slot[], at: { startMs: number; timeMs: number }, compact: boolean): Part {
    const request = this.format.request(slots.map((s) => s.summary), at, compact);
    return {
      request,
      bytes: utf8.encode(request.body).length,
      split: () => {
        if (slots.length > 1) {
          const half = Math.ceil(slots.length / 2);
          return [this.part(slots.slice(0, half), at, compact), this.part(slots.slice(half), at, compact)];
        }
        return this.format.compacts && !compact ? [this.part(slots, at, true)] : null;
      },
      accept: () => Promise.resolve(0),
      refuse: async (status, reason) => {
        for (const s of slots) s.refused = true;
        const entries = slots.flatMap((s) => s.entries);
        await this.outbox.settle([], entries, { ...(status !== undefined ? { status } : {}), reason });
        this.emit({ type: 'quarantined', count: entries.length, reason, ...(status !== undefined ? { status } : {}), keys: entries.map((e) => e.payload.key) });
        return entries.length;
      },
    };
  }

  /** Full outbox: the oldest half is folded into the state record, losing nothing that is sent. */
  async shrink(_maxEntries: number, emit: (e: SyncEvent) => void): Promise<void> {
    const before = this.outbox.entries.length;
    const { slots, startMs, folded } = this.merged(this.outbox.entries.slice(0, Math.ceil(before / 2)));
    await this.outbox.commitState(slots.map((s) => serializeSummary(s.summary)), startMs, folded, this.outbox.state?.layout);
    emit({ type: 'coalesced', before, after: this.outbox.entries.length });
  }
}

/** A request sent once per round whose refusal loses nothing (a clean-up). */
function once(request: SyncRequest): Part {
  return { request, bytes: 0, split: () => null, accept: () => Promise.resolve(0), refuse: () => Promise.resolve(0) };
}
