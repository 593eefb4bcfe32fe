import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { IdAllocator, SCHEMA_VERSION, openStore } from '../../../src/index.js';
import { writeV1 } from '../../fixtures/store/v1.js';
import type { V1Data } from '../../fixtures/store/v1.js';
import data from '../../fixtures/store/v1-data.json';
import { drop, freshName } from './helpers.js';

const fixture = data as V1Data;

describe('upgrade from schema version 1', () => {
  it('keeps every prediction and the surviving label of each id, and hands out ids above the old ones', async () => {
    const name = freshName('upgrade');
    await writeV1(name, fixture);
    const store = await openStore({ name });
    try {
      const raw = await openDB(name);
      expect(raw.version).toBe(SCHEMA_VERSION);
      expect(Array.from(raw.objectStoreNames)).not.toContain('labels');
      raw.close();

      // Oracle: v1 semantics, the last label written per id.
      const label = new Map<number, { label: number; labeledAt: number }>();
      for (const l of fixture.labels) label.set(l.id, l);
      for (const version of ['v1', 'v2']) {
        const chunks = fixture.chunks.filter((c) => c.version === version);
        const rows = chunks.flatMap((c) => c.id.map((id, i) => ({ id, t: c.timestamp[i]!, score: c.score[i]! })));
        const from = Math.min(...rows.map((r) => r.t));
        const to = Math.max(...rows.map((r) => r.t)) + 1;
        const got = await store.readLabeled({ model: 'm', version, from, to });
        const labeled = rows.filter((r) => label.has(r.id));
        expect(got.coverage).toEqual({ predictions: rows.length, labeled: labeled.length, eligible: labeled.length });
        expect(Array.from(got.id)).toEqual(labeled.map((r) => r.id));
        expect(Array.from(got.label)).toEqual(labeled.map((r) => label.get(r.id)!.label));
        expect(Array.from(got.score)).toEqual(labeled.map((r) => r.score));
        expect(Array.from(got.feedbackDelayMs)).toEqual(labeled.map((r) => label.get(r.id)!.labeledAt - r.t));
      }
      const st = await store.stats();
      expect(st.rows).toBe(fixture.chunks.reduce((s, c) => s + c.id.length, 0));
      expect(st.labels).toBe(label.size);
      const maxOld = Math.max(...fixture.chunks.flatMap((c) => c.id));
      const alloc = await IdAllocator.create(() => store.reserveIdBlock());
      expect(alloc.next()).toBeGreaterThan(maxOld);
    } finally {
      store.close();
      await drop(name);
    }
  });
});
