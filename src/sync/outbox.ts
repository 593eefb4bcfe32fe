// The engine's view of its outbox records: pending entries, the cumulative
// state ('otlp'/'prometheus') and quarantined entries, each under its own
// destination. Every change is one commitOutbox, so no crash leaves a summary
// both queued and folded, queued twice, or nowhere.
import type { OutboxRecord } from '../store/index.js';
import type { OutboxStore } from './types.js';

/** Payload of a summary waiting in the outbox. */
export interface EntryPayload {
  kind: 'summary';
  key: string;
  /** serializeSummary text. */
  text: string;
}

/** Payload of raw rows waiting in the outbox (only with allowRawRows). */
export interface RowsPayload {
  kind: 'rows';
  key: string;
  rows: unknown[];
}

/** Payload of the cumulative state ('otlp', 'prometheus'). */
interface StatePayload {
  kind: 'state';
  /** Every summary entry with seq <= upTo is included. */
  upTo: number;
  startMs: number;
  texts: string[];
  /** How the state is laid out at the receiver (Prometheus: 'series' = one Pushgateway group per series). */
  layout?: string;
}

/** Payload of an entry the endpoint refused for good: kept with why, out of the delivery queue. */
interface QuarantinePayload {
  kind: 'quarantined';
  entry: EntryPayload | RowsPayload;
  status?: number;
  reason: string;
  at: number;
}

/** A pending entry. */
export interface Entry {
  seq: number;
  payload: EntryPayload | RowsPayload;
}

/** The stored cumulative state. */
export interface State {
  seqs: number[];
  upTo: number;
  startMs: number;
  texts: string[];
  layout?: string;
}

/** Records of one destination in a store's outbox. */
export class Outbox {
  entries: Entry[] = [];
  state: State | undefined;
  private quarantine: Entry[] = [];
  private loaded: Promise<void> | undefined;
  private readonly stateDestination: string;
  private readonly quarantineDestination: string;

  constructor(
    private readonly store: OutboxStore,
    private readonly destination: string,
    private readonly readLimit: number,
    private readonly now: () => number,
  ) {
    this.stateDestination = `${destination}#state`;
    this.quarantineDestination = `${destination}#quarantine`;
  }

  /** Entries in quarantine. */
  get quarantined(): number {
    return this.quarantine.length;
  }

  /** Forgets what was read: the next load() reads the store again (another tab may have delivered). */
  reset(): void {
    this.loaded = undefined;
  }

  /** Reads this destination's records (once, and again after reset()). */
  load(): Promise<void> {
    this.loaded ??= this.read().catch((e: unknown) => {
      this.loaded = undefined;
      throw e;
    });
    return this.loaded;
  }

  private async read(): Promise<void> {
    const records: OutboxRecord[] = await this.store.outbox(this.readLimit);
    const entries: Entry[] = [];
    const quarantine: Entry[] = [];
    let state: State | undefined;
    const stale: number[] = [];
    for (const r of records) {
      if (r.seq === undefined) continue;
      if (r.destination === this.destination) entries.push({ seq: r.seq, payload: r.payload as Entry['payload'] });
      else if (r.destination === this.quarantineDestination) quarantine.push({ seq: r.seq, payload: (r.payload as QuarantinePayload).entry });
      else if (r.destination === this.stateDestination) {
        const p = r.payload as StatePayload;
        if (state) stale.push(...state.seqs);
        state = { seqs: [r.seq], upTo: p.upTo, startMs: p.startMs, texts: p.texts, ...(p.layout ? { layout: p.layout } : {}) };
      }
    }
    entries.sort((a, b) => a.seq - b.seq);
    // Entries at or below the state's upTo were folded in before a crash cut the clean-up short
    // (outboxes written before state and clean-up became one transaction).
    const folded = state ? entries.filter((e) => e.seq <= state.upTo).map((e) => e.seq) : [];
    if (folded.length || stale.length) await this.store.commitOutbox({ remove: [...folded, ...stale] });
    this.entries = state ? entries.filter((e) => e.seq > state.upTo) : entries;
    this.state = state;
    this.quarantine = quarantine;
  }

  /** Queues payloads (and the caller's meta values) in one commit. */
  async add(payloads: readonly (EntryPayload | RowsPayload)[], meta?: Readonly<Record<string, unknown>>): Promise<void> {
    const createdAt = this.now();
    const seqs = await this.store.commitOutbox({ add: payloads.map((payload) => ({ createdAt, destination: this.destination, payload })), ...(meta ? { meta } : {}) });
    payloads.forEach((payload, i) => this.entries.push({ seq: seqs[i]!, payload }));
  }

  /** Removes delivered entries and moves refused ones to quarantine, in one commit. */
  async settle(delivered: readonly Entry[], refused: readonly Entry[] = [], why: { status?: number; reason: string } = { reason: '' }): Promise<void> {
    if (delivered.length === 0 && refused.length === 0) return;
    const at = this.now();
    const moved = refused.map((e): QuarantinePayload => ({ kind: 'quarantined', entry: e.payload, reason: why.reason, at, ...(why.status !== undefined ? { status: why.status } : {}) }));
    const seqs = await this.store.commitOutbox({
      add: moved.map((payload) => ({ createdAt: at, destination: this.quarantineDestination, payload })),
      remove: [...delivered, ...refused].map((e) => e.seq),
    });
    refused.forEach((e, i) => this.quarantine.push({ seq: seqs[i]!, payload: e.payload }));
    this.drop([...delivered, ...refused]);
  }

  /** Puts every quarantined entry back in the queue (after the receiver was fixed); returns how many. */
  async requeue(): Promise<number> {
    const back = this.quarantine;
    if (back.length === 0) return 0;
    const createdAt = this.now();
    const seqs = await this.store.commitOutbox({
      add: back.map((e) => ({ createdAt, destination: this.destination, payload: e.payload })),
      remove: back.map((e) => e.seq),
    });
    this.quarantine = [];
    back.forEach((e, i) => this.entries.push({ seq: seqs[i]!, payload: e.payload }));
    return back.length;
  }

  /** Replaces `gone` entries by `added` payloads in one commit (a merge has a new key: a crash must not leave both). */
  async replace(gone: readonly Entry[], added: readonly EntryPayload[]): Promise<void> {
    const createdAt = this.now();
    const seqs = await this.store.commitOutbox({ add: added.map((payload) => ({ createdAt, destination: this.destination, payload })), remove: gone.map((e) => e.seq) });
    this.drop(gone);
    added.forEach((payload, i) => this.entries.push({ seq: seqs[i]!, payload }));
    this.entries.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Writes a new state holding the old one and `folded` (a prefix of the
   * queue in seq order, apart from entries moved to quarantine) and removes
   * what it replaces, in one commit.
   */
  async commitState(texts: string[], startMs: number, folded: readonly Entry[], layout?: string): Promise<void> {
    if (folded.length === 0 && (layout === undefined || layout === this.state?.layout)) return;
    const upTo = Math.max(this.state?.upTo ?? 0, ...folded.map((e) => e.seq));
    const payload: StatePayload = { kind: 'state', upTo, startMs, texts, ...(layout ? { layout } : {}) };
    const [seq] = await this.store.commitOutbox({
      add: [{ createdAt: this.now(), destination: this.stateDestination, payload }],
      remove: [...(this.state?.seqs ?? []), ...folded.map((e) => e.seq)],
    });
    this.state = { seqs: [seq!], upTo, startMs, texts, ...(layout ? { layout } : {}) };
    this.drop(folded);
  }

  private drop(gone: readonly Entry[]): void {
    const set = new Set(gone.map((e) => e.seq));
    this.entries = this.entries.filter((e) => !set.has(e.seq));
  }
}
