// The monitor's 'day' and 'week' windows are UTC days, whatever the process's
// time zone: 24 hours each, also across a daylight-saving change, and the
// default `at` is the clock's now. Under TZ=UTC a local-day mistake would go
// unseen; the clock-shifted projects (test/support/clock.ts) run this file in
// zones whose local date differs from the UTC date, around UTC midnight and
// across a DST change.
import * as fake from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitor, init } from '../../../src/index.js';
import type { Monitor } from '../../../src/index.js';

const { IDBFactory } = fake;
// As in fallback.test.ts: idb checks instanceof against the IDB globals.
for (const k of ['IDBKeyRange', 'IDBRequest', 'IDBOpenDBRequest', 'IDBTransaction', 'IDBDatabase', 'IDBObjectStore', 'IDBIndex', 'IDBCursor', 'IDBCursorWithValue'] as const) {
  (globalThis as Record<string, unknown>)[k] ??= fake[k];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Europe/Berlin springs forward at 01:00 UTC on 2027-03-28 (a 23-hour local day).
const DST_DAY = Date.UTC(2027, 2, 28);

let m: Monitor;

beforeAll(async () => {
  await init();
  m = await createMonitor({ task: 'regression', model: 'w', indexedDB: new IDBFactory(), checkIntervalMs: 0 });
  // One row per hour over the nine days up to and including the DST day, and
  // one either side of that day's end, a millisecond apart.
  for (let t = DST_DAY - 8 * DAY; t < DST_DAY + DAY; t += HOUR) m.logPrediction({ prediction: 1, timestamp: t });
  m.logPrediction({ prediction: 1, timestamp: DST_DAY + DAY - 1 });
  m.logPrediction({ prediction: 1, timestamp: DST_DAY + DAY });
  await m.flush();
});

afterAll(async () => {
  await m.close();
});

describe("the monitor's day and week windows are UTC days", () => {
  it("'day' is the UTC day of `at`, 24 hours, across a DST change too", async () => {
    for (const at of [DST_DAY, DST_DAY + HOUR - 1, DST_DAY + HOUR, DST_DAY + DAY - 1]) {
      const r = await m.report('day', at);
      expect([r.from, r.to]).toEqual([DST_DAY, DST_DAY + DAY]);
      expect(r.total).toBe(25); // 24 hourly rows and the one a millisecond before the day's end
    }
    expect((await m.report('day', DST_DAY + DAY)).from).toBe(DST_DAY + DAY);
  });

  it("'week' is the 7 UTC days ending with the day of `at`; the daily series has 7 days of 24 hours", async () => {
    const r = await m.report('week', DST_DAY + 12 * HOUR);
    expect([r.from, r.to]).toEqual([DST_DAY - 6 * DAY, DST_DAY + DAY]);
    const s = await m.dailySeries('week', DST_DAY + 12 * HOUR);
    expect(s.map((p) => p.from)).toEqual(Array.from({ length: 7 }, (_, i) => DST_DAY - 6 * DAY + i * DAY));
    expect(s.map((p) => p.to - p.from)).toEqual(Array(7).fill(DAY));
    expect(s.map((p) => p.total)).toEqual([24, 24, 24, 24, 24, 24, 25]);
  });

  it("without `at`, 'day' and 'week' end with the UTC day of the clock's now", async () => {
    for (const w of ['day', 'week'] as const) {
      const before = Math.floor(Date.now() / DAY) * DAY;
      const r = await m.report(w);
      const after = Math.floor(Date.now() / DAY) * DAY;
      // UTC midnight may pass during the call.
      expect([before + DAY, after + DAY]).toContain(r.to);
      expect(r.to - r.from).toBe(w === 'day' ? DAY : 7 * DAY);
    }
  });
});
