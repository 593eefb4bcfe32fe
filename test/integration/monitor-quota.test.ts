// The monitor at a real storage quota (issue #10, item 5): Chromium with its
// profile on a 20 MiB tmpfs (support/small-disk.ts), the engine in a Worker.
// Once the app's other data fills the origin, batches meet QuotaExceededError:
// the store reports it (reaching monitor.on as plain data), folds the oldest
// rows and retries; what still does not fit is retried by the engine and then
// handed back in 'write-failed' events, so flush() rejects. After the app
// frees space and resubmits, every logged row is in the store exactly once,
// raw or inside a summary of folded rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallDiskChromium } from './support/small-disk.js';
import type { SmallDisk } from './support/small-disk.js';
import type { Accounting, EventInfo, Outcome } from './monitor-quota/page.js';

/** Rows per batch, as page.ts (a value import would run the page in Node). */
const BATCH = 16_384;
let disk: SmallDisk | undefined;

beforeAll(async () => {
  disk = await smallDiskChromium(20, 'test/integration/monitor-quota/index.html', 'mqReady');
}, 120_000);

afterAll(async () => {
  await disk?.close();
});

describe('monitor at the storage quota (Chromium, profile on a 20 MiB tmpfs, engine in a Worker)', () => {
  it('retries after compaction, hands back what cannot fit, rejects flush(), and after resubmit() every logged row is stored once', async () => {
    const page = disk!.page;
    await page.evaluate(() => window.mq.open(`mq-${Date.now()}`, 2));
    await page.evaluate((n) => window.mq.log(n), BATCH);
    expect(await page.evaluate(() => window.mq.flush())).toEqual({ ok: true });
    const filled = await page.evaluate(() => window.mq.fillOrigin());

    // 1. The origin is full: batches meet the quota, the store folds the
    // oldest rows, the retries go in, flush() resolves.
    await page.evaluate((n) => window.mq.log(n), 6 * BATCH);
    const small: Outcome = await page.evaluate(() => window.mq.flush());
    const first: EventInfo[] = await page.evaluate(() => window.mq.events());
    const show = (events: EventInfo[]) => JSON.stringify(events.map((e) => [e.type, e.kind ?? e.reason, e.rows, e.attempts, e.error?.code ?? e.error?.name]));
    console.log(`filled ${filled} B of other data; then: flush ${JSON.stringify(small)}, events ${show(first)}`);
    const quota = first.filter((e) => e.type === 'quota-exceeded');
    expect(quota.length).toBeGreaterThan(0);
    // The store's event reached monitor.on from the Worker as plain data with its code.
    for (const e of quota) expect(e.error).toMatchObject({ name: 'StoreError', code: 'QUOTA_EXCEEDED' });
    expect(first.some((e) => e.type === 'compacted' && e.reason === 'quota' && e.rows! > 0)).toBe(true);
    expect(first.filter((e) => e.type === 'write-failed' || e.type === 'error')).toEqual([]);
    expect(small).toEqual({ ok: true });

    // 2. Two batches with probability vectors (~6.3 MB each) cannot fit, even
    // after folding: retried, then handed back whole; flush() rejects.
    const logged = await page.evaluate((n) => window.mq.log(n, true), 2 * BATCH);
    const full: Outcome = await page.evaluate(() => window.mq.flush());
    const second: EventInfo[] = (await page.evaluate(() => window.mq.events())).slice(first.length);
    console.log(`${logged} rows logged; flush ${JSON.stringify(full)}; events ${show(second)}`);
    const failed = second.filter((e) => e.type === 'write-failed');
    expect(failed).toHaveLength(2);
    for (const e of failed) {
      expect(e).toMatchObject({ kind: 'predictions', rows: BATCH, attempts: 2, error: { name: 'StoreError', code: 'QUOTA_EXCEEDED' } });
      expect(e.ids).toHaveLength(BATCH);
    }
    expect(full).toMatchObject({ ok: false, error: { name: 'StoreError', code: 'WRITE_FAILED' } });
    expect(second.filter((e) => e.type === 'error')).toEqual([]);

    // 3. The app frees space and resubmits: written, with their ids.
    await page.evaluate(() => window.mq.freeOrigin());
    expect(await page.evaluate(() => window.mq.resubmit())).toEqual({ resubmitted: 2 * BATCH, flush: { ok: true } });

    // 4. Every logged row is stored once: raw, or counted in a summary of folded rows.
    const a: Accounting = await page.evaluate(() => window.mq.account());
    console.log(`accounting: ${JSON.stringify(a)}`);
    expect(a.logged).toBe(9 * BATCH);
    expect(a.raw).toBe(a.rawDistinctLogged);
    expect(a.raw + a.summarized).toBe(a.logged);
    expect(a.summarized).toBeGreaterThan(0);
  });
});
