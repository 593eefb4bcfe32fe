// The receiver's journal on disk: a crash mid-write (a partial last line) is
// cut off and reported, a damaged line before the last stops the start with a
// typed error, and a crash between writing a snapshot and emptying the
// journal replays nothing twice.
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError, summaryToJSON } from '../../../src/index.js';
import type { Summary } from '../../../src/index.js';
import { createReceiver } from '../../../src/receiver/index.js';
import { deviceSummaries } from '../../shared/sync/fixtures.js';
import { batchOf, receiverSuite } from './helpers.js';

const tempDir = receiverSuite('journal');

const view = (agg: Summary[]): string[] => agg.map((s) => JSON.stringify(summaryToJSON(s))).sort();

/** A directory holding three acknowledged deliveries (no snapshot yet). */
async function filled(): Promise<{ dir: string; before: string[]; keys: number }> {
  const dir = tempDir();
  const r = await createReceiver({ dir });
  for (let d = 0; d < 3; d++) await r.ingest(batchOf(`d${d}`, deviceSummaries(d, 0, 25)));
  return { dir, before: view(r.aggregate()), keys: r.keys };
}

describe('receiver journal', () => {
  it('a partial last line (a crash mid-write, never acknowledged) is cut off and reported', async () => {
    const { dir, before, keys } = await filled();
    const path = join(dir, 'journal.ndjson');
    const good = readFileSync(path).length;
    const torn = '{"seq":4,"t":1700000000000,"device":"d9","summaries":[{"key":"d9|churn';
    appendFileSync(path, torn);
    const r = await createReceiver({ dir });
    expect(r.recovery).toEqual({ snapshotSeq: 0, replayed: 3, truncatedBytes: torn.length });
    expect(view(r.aggregate())).toEqual(before);
    expect(r.keys).toBe(keys);
    expect(readFileSync(path).length).toBe(good);
    expect(r.metrics()).toMatch(new RegExp(`modelwatch_receiver_journal_truncated_bytes ${torn.length}`));
    // New deliveries append after the cut.
    await r.ingest(batchOf('d7', deviceSummaries(7, 0, 25)));
    const again = await createReceiver({ dir });
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(again.devices).toBe(4);
  });

  it('a damaged line before the last stops the start with JOURNAL_CORRUPT (acknowledged data is never skipped silently)', async () => {
    const { dir } = await filled();
    const path = join(dir, 'journal.ndjson');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[1] = lines[1]!.slice(0, 40) + '#' + lines[1]!.slice(41);
    writeFileSync(path, lines.join('\n'));
    let error: unknown;
    try {
      await createReceiver({ dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('JOURNAL_CORRUPT');
    expect((error as StateError).message).toMatch(/journal\.ndjson holds a damaged line at byte \d+/);
  });

  it('a crash after the snapshot is written but before the journal is emptied replays nothing twice', async () => {
    const { dir, before } = await filled();
    const path = join(dir, 'journal.ndjson');
    const journal = readFileSync(path);
    const r = await createReceiver({ dir });
    await r.compact();
    expect(readFileSync(path).length).toBe(0);
    writeFileSync(path, journal); // as if the truncation never happened
    const back = await createReceiver({ dir });
    expect(back.recovery).toEqual({ snapshotSeq: 3, replayed: 0, truncatedBytes: 0 });
    expect(view(back.aggregate())).toEqual(before);
  });

  it('a summary rejected or counted as a duplicate writes no journal line', async () => {
    const dir = tempDir();
    const r = await createReceiver({ dir });
    const sums = deviceSummaries(0, 0, 25);
    await r.ingest(batchOf('d0', sums));
    const size = readFileSync(join(dir, 'journal.ndjson')).length;
    expect((await r.ingest(batchOf('d0', sums))).duplicates).toBe(sums.length);
    expect(readFileSync(join(dir, 'journal.ndjson')).length).toBe(size);
  });
});

describe('receiver journal on a disk that refuses writes', () => {
  it('a failed journal write stores nothing, rejects with JOURNAL_FAILED (the handler answers 503), and the journal is cut back', async () => {
    // A real write failure: the child's file size limit (ulimit -f, in KiB) stops the journal mid-line (EFBIG).
    // The child runs the built package (dist/, as test/node/package.test.ts does: `npm run build:ts` first).
    const dir = tempDir();
    const bodies = Array.from({ length: 6 }, (_, d) => batchOf(`d${d}`, deviceSummaries(d, 0, 25).slice(0, 1)));
    const bodiesFile = join(dir, '..', `${dir.split('/').pop()}-bodies.json`);
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    const script = `
      process.on('SIGXFSZ', () => {}); // the write fails with EFBIG instead of the signal killing the process
      const { readFileSync } = await import('node:fs');
      const { createReceiver } = await import(${JSON.stringify(new URL('../../../dist/receiver/index.js', import.meta.url).href)});
      const r = await createReceiver({ dir: ${JSON.stringify(dir)} });
      const out = [];
      for (const body of JSON.parse(readFileSync(${JSON.stringify(bodiesFile)}, 'utf8'))) {
        try { out.push({ accepted: (await r.ingest(body)).accepted }); } catch (e) { out.push({ name: e.name, code: e.code }); }
      }
      console.log(JSON.stringify({ out, keys: r.keys, count: r.aggregate().reduce((a, s) => a + s.count, 0) }));
    `;
    const { execFileSync } = await import('node:child_process');
    const text = execFileSync('bash', ['-c', `ulimit -f 6 && exec "${process.execPath}" --input-type=module -e "$0"`, script], { encoding: 'utf8' });
    rmSync(bodiesFile);
    const child = JSON.parse(text) as { out: { accepted?: number; name?: string; code?: string }[]; keys: number; count: number };
    const ok = child.out.filter((o) => o.accepted === 1).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(bodies.length);
    for (const o of child.out.slice(ok)) expect(o).toEqual({ name: 'StateError', code: 'JOURNAL_FAILED' });
    // Nothing refused was stored, in memory or on disk: a restart sees exactly the acknowledged ones.
    expect(child.keys).toBe(ok);
    const back = await createReceiver({ dir });
    expect(back.recovery.truncatedBytes).toBe(0);
    expect(back.keys).toBe(ok);
    expect(back.aggregate().reduce((a, s) => a + s.count, 0)).toBe(child.count);
  });
});
