// The 'json' delivery mode: each closed window's summary goes once, as a
// delta, under its idempotency key; receivers drop a repeat by key, so a
// retry after a lost answer is harmless. A request is a batch of entries; a
// batch that is too large or refused is cut in halves until the refused
// entry is alone, and only that entry goes to quarantine.
import { mergeSummaries, parseSummary, serializeSummary } from '../summary/index.js';
import type { Summary } from '../summary/index.js';
import { encodeBatch } from './json.js';
import { idempotencyKey, seriesKey } from './key.js';
import type { DeliveryMode, Part, Plan, PlanLimits } from './mode.js';
import type { Entry, EntryPayload, Outbox } from './outbox.js';
import type { SyncEvent } from './types.js';

const utf8 = new TextEncoder();

/** Indexes of the entries a 2xx answer of createReceiver() says it refused ({ rejected: [{ index, message }] }). */
function refusedIndexes(body: string): Map<number, string> {
  const out = new Map<number, string>();
  try {
    const r = (JSON.parse(body) as { rejected?: unknown }).rejected;
    if (!Array.isArray(r)) return out;
    for (const x of r as { index?: unknown; message?: unknown }[]) {
      if (typeof x?.index === 'number') out.set(x.index, typeof x.message === 'string' ? x.message : 'refused by the receiver');
    }
  } catch {
    // Not JSON: a receiver that says nothing more than its status.
  }
  return out;
}

/** Delivers entries as modelwatch batches (json.ts). */
export class DeltaMode implements DeliveryMode {
  constructor(
    private readonly outbox: Outbox,
    private readonly o: { endpoint: string; deviceId: string; now: () => number },
    private readonly emit: (e: SyncEvent) => void,
  ) {}

  plan(limits: PlanLimits): Plan {
    const entries = this.outbox.entries;
    const parts: Part[] = [];
    for (let i = 0; i < entries.length; i += limits.batchSize) parts.push(this.part(entries.slice(i, i + limits.batchSize)));
    return { parts, finish: () => Promise.resolve(0) };
  }

  private part(entries: readonly Entry[]): Part {
    const sums: { key: string; text: string }[] = [];
    const rows: { key: string; rows: unknown[] }[] = [];
    for (const e of entries) {
      if (e.payload.kind === 'summary') sums.push({ key: e.payload.key, text: e.payload.text });
      else rows.push({ key: e.payload.key, rows: e.payload.rows });
    }
    const body = encodeBatch(this.o.deviceId, sums, rows);
    const quarantine = async (refused: readonly Entry[], delivered: readonly Entry[], status: number | undefined, reason: string): Promise<void> => {
      await this.outbox.settle(delivered, refused, { ...(status !== undefined ? { status } : {}), reason });
      if (refused.length) this.emit({ type: 'quarantined', count: refused.length, reason, ...(status !== undefined ? { status } : {}), keys: refused.map((e) => e.payload.key) });
    };
    return {
      request: { url: this.o.endpoint, method: 'POST', headers: { 'content-type': 'application/json' }, body },
      bytes: utf8.encode(body).length,
      split: () => {
        if (entries.length < 2) return null;
        const half = Math.ceil(entries.length / 2);
        return [this.part(entries.slice(0, half)), this.part(entries.slice(half))];
      },
      accept: async (status, text) => {
        // createReceiver answers 200 with the entries it refused as invalid: those go to quarantine, not away.
        const refused = refusedIndexes(text);
        const bad = entries.filter((_, i) => refused.has(i));
        const good = entries.filter((_, i) => !refused.has(i));
        await quarantine(bad, good, status, [...new Set(refused.values())].join('; ').slice(0, 500));
        return good.length;
      },
      refuse: async (status, reason) => {
        await quarantine(entries, [], status, reason);
        return entries.length;
      },
    };
  }

  /**
   * Full outbox: the oldest half is merged per series (mergeSummaries: exact
   * for counts, the window spans both), losing only window resolution; if
   * that cannot get below the bound (all distinct series), the oldest are
   * dropped and reported with a 'dropped' event.
   */
  async shrink(maxEntries: number, emit: (e: SyncEvent) => void): Promise<void> {
    const before = this.outbox.entries.length;
    const oldest = this.outbox.entries.slice(0, Math.ceil(before / 2));
    const groups = new Map<string, { entries: Entry[]; summary: Summary }>();
    for (const e of oldest) {
      if (e.payload.kind !== 'summary') continue;
      const s = parseSummary(e.payload.text);
      // Corrections merge with corrections only: merged into a window's
      // summary they would move under that window's new key as well.
      const k = `${seriesKey(s)}|${s.kind ?? ''}`;
      const g = groups.get(k);
      if (g) {
        g.entries.push(e);
        g.summary = mergeSummaries(g.summary, s);
      } else groups.set(k, { entries: [e], summary: s });
    }
    const merged = [...groups.values()].filter((g) => g.entries.length > 1);
    const payloads = merged.map((g): EntryPayload => ({
      kind: 'summary',
      // A merged correction: the first one's id and how many it holds, which no other merge repeats.
      key: idempotencyKey(this.o.deviceId, g.summary, g.summary.kind === 'correction' ? `${g.entries[0]!.payload.key}+${g.entries.length}` : undefined),
      text: serializeSummary(g.summary),
    }));
    await this.outbox.replace(merged.flatMap((g) => g.entries), payloads);
    const over = this.outbox.entries.length - maxEntries;
    if (over > 0) {
      await this.outbox.settle(this.outbox.entries.slice(0, over));
      emit({ type: 'dropped', count: over });
    }
    emit({ type: 'coalesced', before, after: this.outbox.entries.length });
  }
}
