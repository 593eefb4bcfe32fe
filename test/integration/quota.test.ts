// Storage quota exhaustion of the IndexedDB store in real Chromium and
// Firefox: no fake IndexedDB and no quota override (Chromium 156 reports a CDP
// quota override in navigator.storage.estimate() but does not make IndexedDB
// writes fail with it). Instead the browser profile lives on a 20 MiB tmpfs,
// so the engine's own disk-based quota is real and small (Chromium: a share
// of the disk; Firefox: a share of its free space).
// WebKit is not here: MiniBrowser under WebKitWebDriver runs an ephemeral
// session (its IndexedDB lives in memory, no profile directory to put on a
// small disk), so it has no disk quota to reach; see README "Browser engines". The page (quota/page.ts, served by Vite)
// writes predictions until the quota runs out; this side checks that the
// store reported it, folded the oldest rows into persisted summaries, and
// lost no row that was not summarized.
//
// Needs root (or CAP_SYS_ADMIN) to mount the tmpfs; without it the suite fails.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, firefox } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import type { Accounting, EventInfo, WriteOutcome } from './quota/page.js';
import { mountTmpfs, pageServer } from './support/small-disk.js';
import { CHROMIUM_PATH, FIREFOX_PATH, answerUnknownBidiCommands, missingEngine } from '../support/engines.js';

const TMPFS_MIB = 20;
const BATCH = 20_000; // rows: ~0.84 MB of columns per batch
const BIG = 1_200_000; // rows: ~24 MB compressed, more than the whole quota

// A persistent browser profile on the tmpfs, in the engine asked for.
async function launch(engine: 'chromium' | 'firefox', profile: string): Promise<BrowserContext> {
  const why = missingEngine(engine);
  if (why) throw new Error(why);
  if (engine === 'firefox') {
    answerUnknownBidiCommands();
    return firefox.launchPersistentContext(profile, { channel: 'moz-firefox', executablePath: FIREFOX_PATH, headless: true });
  }
  return chromium.launchPersistentContext(profile, {
    ...(CHROMIUM_PATH ? { executablePath: CHROMIUM_PATH } : {}),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

describe.each(['chromium', 'firefox'] as const)('IndexedDB store at the storage quota (%s, profile on a 20 MiB tmpfs)', (engine) => {
  let work: string | undefined;
  let profile: string | undefined;
  // The tmpfs: Chromium's whole profile; Firefox's storage folder only, since
  // its profile's own databases alone would fill 20 MiB.
  let disk: string | undefined;
  let mounted = false;
  let server: ViteDevServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'modelwatch-quota-'));
    profile = join(work, 'profile');
    disk = engine === 'firefox' ? join(profile, 'storage') : profile;
    execFileSync('mkdir', ['-p', disk]);
    mountTmpfs(disk, TMPFS_MIB);
    mounted = true;
    const served = await pageServer(join(work, 'vite'));
    server = served.server;
    const url = served.url;
    context = await launch(engine, profile);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(`${url}test/integration/quota/index.html`);
    await page.waitForFunction(() => window.quotaReady === true, null, { timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (mounted && disk) execFileSync('umount', [disk]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reports the quota, folds the oldest rows into summaries, keeps writing, and loses no unsummarized row', async () => {
    const fs = statfsSync(disk!);
    const diskBytes = fs.blocks * fs.bsize;
    await page.evaluate((name) => window.quota.open(name), `quota-${Date.now()}`);

    // 1. About three quotas' worth of predictions (Chromium compresses the
    // values: a 20,000-row batch takes ~0.4 MB), one batch after the other.
    const fill: WriteOutcome[] = await page.evaluate((n) => window.quota.write(90, n), BATCH);
    const afterFill: EventInfo[] = await page.evaluate(() => window.quota.events());
    const quotaEvents = afterFill.filter((e) => e.type === 'quota-exceeded');
    expect(quotaEvents.length).toBeGreaterThan(0);
    for (const e of quotaEvents) {
      expect(e.error).toMatchObject({ name: 'StoreError', code: 'QUOTA_EXCEEDED', cause: { name: 'QuotaExceededError', isDomException: true } });
    }
    const quotaCompactions = afterFill.filter((e) => e.type === 'compacted' && e.reason === 'quota');
    if (quotaCompactions.length === 0 || fill.some((o) => !o.ok || o.labelError)) {
      console.log(JSON.stringify(afterFill.map((e) => [e.type, e.during?.key, e.during?.write, e.rows, e.error?.cause?.name])), JSON.stringify(fill.map((o) => [o.key, o.ok, !o.labelError, o.usageBefore, o.error?.name, o.error?.message, o.labelError?.name])));
    }
    expect(quotaCompactions.length).toBeGreaterThan(0);
    expect(quotaCompactions.every((e) => e.rows! > 0)).toBe(true);
    // Folding a quarter of the raw rows frees far more than one batch, so the
    // retry of every batch that hit the quota went in.
    expect(fill.filter((o) => !o.ok || o.labelError)).toEqual([]);

    // Where Chromium drew the line: the usage before the first write that hit the quota.
    const first = quotaEvents[0]!.during!;
    const hit = fill.findIndex((o) => o.key === first.key);
    const batchBytes = fill[hit]!.usageBefore - fill[hit - 1]!.usageBefore; // the previous batch and its labels, as stored
    const reported = await page.evaluate(() => navigator.storage.estimate());
    console.log(
      `tmpfs ${diskBytes} B; first QuotaExceededError (batch ${hit}, writing ${first.write}) at usage ${fill[hit]!.usageBefore} B ` +
        `(${(fill[hit]!.usageBefore / diskBytes).toFixed(3)} of the disk) + a batch of ~${batchBytes} B; ` +
        `estimate() now says usage ${reported.usage}, quota ${reported.quota}; ` +
        `${quotaEvents.length} quota events, ${quotaCompactions.length} quota compactions folding ${quotaCompactions.map((e) => e.rows).join(', ')} rows`,
    );
    const hitWrite = fill[hit]!;
    expect(hitWrite.usageBefore).toBeLessThan(diskBytes); // the quota, not a full disk, stopped the write

    // 2. The app's other data takes what is left of the quota, to the last KB.
    // The next small batch hits the quota with no room even for the summaries
    // fold must persist before any row may be deleted: the store's reserve
    // makes that room, and the batch goes in.
    const filler = await page.evaluate(() => window.quota.fillOrigin());
    const eventsBefore = (await page.evaluate(() => window.quota.events())).length;
    const small: WriteOutcome[] = await page.evaluate(() => window.quota.write(1, 2_000));
    const fillerEvents = (await page.evaluate(() => window.quota.events())).slice(eventsBefore);
    console.log(`other data filled ${filler.bytes} B up to usage ${filler.usage} B; then ${JSON.stringify(fillerEvents.map((e) => [e.type, e.rows]))}`);
    expect(fillerEvents[0]).toMatchObject({ type: 'quota-exceeded', during: { key: small[0]!.key, write: 'predictions' } });
    expect(fillerEvents.some((e) => e.type === 'compacted' && e.reason === 'quota' && e.rows! > 0)).toBe(true);
    expect(small[0]).toMatchObject({ ok: true });
    expect(small[0]!.labelError).toBeUndefined();

    // 3. A batch larger than the whole quota: compaction cannot make room, the
    // write rejects, and the caller still holds the batch.
    const big: WriteOutcome[] = await page.evaluate((n) => window.quota.write(1, n), BIG);
    expect(big).toHaveLength(1);
    expect(big[0]!.ok).toBe(false);
    expect(big[0]!.error).toMatchObject({ name: 'StoreError', code: 'QUOTA_EXCEEDED', cause: { name: 'QuotaExceededError', isDomException: true } });

    // 4. The store keeps working: small batches go in.
    const after: WriteOutcome[] = await page.evaluate(() => window.quota.write(3, 5_000));
    expect(after.map((o) => o.ok && !o.labelError)).toEqual([true, true, true]);

    // 5. Every row handed to the store is there raw or inside a persisted summary, exactly once.
    const a: Accounting = await page.evaluate(() => window.quota.account());
    const allEvents: EventInfo[] = await page.evaluate(() => window.quota.events());
    const accepted = a.sent.filter((s) => s.ok);
    const rejected = a.sent.filter((s) => !s.ok);
    expect(rejected.map((s) => s.key)).toEqual([big[0]!.key]);
    expect(a.held).toEqual([{ key: big[0]!.key, rows: BIG, intact: true }]);

    const where = new Map<number, string[]>();
    const note = (key: number, place: string) => where.set(key, [...(where.get(key) ?? []), place]);
    for (const r of a.raw) {
      expect(r.identical, `raw chunk ${r.key} differs from the batch sent`).toBe(true);
      note(r.key, 'raw');
    }
    for (const s of a.summaries) {
      expect(s.chunkKeys).toHaveLength(1);
      expect(s.segmentCountsMatch, `summary of chunk ${s.chunkKeys[0]}`).toBe(true);
      note(s.chunkKeys[0]!, 'summary');
    }
    for (const s of accepted) expect(where.get(s.key), `batch ${s.key}`).toHaveLength(1);
    for (const s of rejected) expect(where.get(s.key), `rejected batch ${s.key}`).toBeUndefined();
    expect(where.size).toBe(accepted.length);

    // The same in rows and labels: raw + summarized = written.
    const byKey = new Map(accepted.map((s) => [s.key, s]));
    const rawRows = a.raw.reduce((t, r) => t + r.rows, 0);
    const summarizedRows = a.summaries.reduce((t, s) => t + s.count, 0);
    expect(rawRows + summarizedRows).toBe(accepted.reduce((t, s) => t + s.rows, 0));
    for (const s of a.summaries) expect(s.count).toBe(byKey.get(s.chunkKeys[0]!)!.rows);
    // A compaction that ran while a batch was being written (its predictions
    // in, its labels not yet) may fold that very batch when few raw rows are
    // left (Firefox's 10 MiB here): its summary then holds none of the labels
    // that came after, as for any label that arrives after its prediction
    // was folded. Every other summary holds all of its batch's labels.
    const compactedDuring = new Set(allEvents.filter((e) => e.type === 'compacted').map((e) => e.during?.key));
    for (const s of a.summaries) {
      const key = s.chunkKeys[0]!;
      const want = byKey.get(key)!.labeled;
      if (s.labeled !== want) expect({ key, labeled: s.labeled, compactedWhileWritten: compactedDuring.has(key) }).toEqual({ key, labeled: 0, compactedWhileWritten: true });
    }
    expect(a.rawLabeled).toBe(a.raw.reduce((t, r) => t + byKey.get(r.key)!.labeled, 0));

    // Compaction really folded rows (and only through the owner's fold).
    expect(a.summaries.length).toBeGreaterThan(0);
    expect(a.folds).toBeGreaterThanOrEqual(a.summaries.length);
    const compactedRows = allEvents
      .filter((e) => e.type === 'compacted')
      .reduce((t, e) => t + e.rows!, 0);
    expect(compactedRows).toBe(summarizedRows);
  });
});
