// The root cause of the wipe, reproduced deterministically in a real
// Chromium: two readwrite transactions of one database left uncommitted with
// their undo logs on disk, then the browser's process group SIGKILLed. On the
// next start Chromium cannot revert both (each claims the database's lock,
// "Invalid locks on disk"), calls the backing store corrupt and deletes every
// IndexedDB database of the origin. The store's write lock keeps it from ever
// having two such transactions (test/browser/store/write-lock.test.ts); this
// test shows why it must, and that a wipe, if it happens anyway, is reported
// and does not make the store reuse an id.
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { ID_BLOCK } from '../../src/index.js';
import type { StoreEvent } from '../../src/index.js';
import { killGroup, launch, serve, until } from './kill/chromium.js';

interface Report {
  step: string;
  error?: string;
  ids?: number[];
  idMark?: number;
  rows?: number;
  events?: StoreEvent[];
  resets?: number;
  block?: number;
}

const work = mkdtempSync(join(tmpdir(), 'modelwatch-wipe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs setup (with `tx` uncommitted transactions), the kill, and the check, on a profile of its own. */
async function killWith(tx: number): Promise<{ setup: Report; check: Report; log: string }> {
  const reports: Report[] = [];
  const plugin: Plugin = {
    name: 'wipe-report',
    configureServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        if (!req.url?.startsWith('/test/integration/kill/wipe-report')) return next();
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          reports.push(JSON.parse(body) as Report);
          res.end('{}');
        });
      });
    },
  };
  const dir = join(work, `tx${tx}`);
  mkdirSync(join(dir, 'profile'), { recursive: true });
  const { server, base } = await serve(dir, plugin);
  const logFile = join(dir, 'chromium.log');
  const out = openSync(logFile, 'a');
  try {
    const page = `${base}test/integration/kill/wipe.html`;
    const first = launch(join(dir, 'profile'), `${page}?step=setup&tx=${tx}`, out);
    await until('the setup report', () => reports.length > 0, 60_000, 20);
    await killGroup(first);
    const second = launch(join(dir, 'profile'), `${page}?step=check`, out);
    await until('the check report', () => reports.length > 1, 60_000, 20);
    await killGroup(second);
  } finally {
    closeSync(out);
    await server.close();
  }
  return { setup: reports[0]!, check: reports[1]!, log: readFileSync(logFile, 'utf8') };
}

describe("Chromium's wipe after a kill with uncommitted readwrite transactions", () => {
  it("two of one database: Chromium deletes the origin's IndexedDB; the store reports the reset and hands out no id again", async () => {
    const { setup, check, log } = await killWith(2);
    expect(setup.error).toBeUndefined();
    expect(setup.rows).toBe(10);
    expect(check.error).toBeUndefined();
    // Chromium's own account: corrupt on open, deleted, recreated.
    expect(log).toContain('Got corruption');
    expect(log).toContain('IndexedDB recovering from a corrupted (and deleted) database');
    // Everything acknowledged before is gone...
    expect(check.rows).toBe(0);
    // ...and the store says so, with what it expected and what it found.
    const resets = check.events!.filter((e) => e.type === 'reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ reason: 'data-loss', expectedIdBlock: setup.idMark, foundIdBlock: 0 });
    expect(resets[0]!.message).toContain('database was corrupt');
    expect(check.resets).toBe(1);
    // No id of before is handed out again.
    expect(check.block! * ID_BLOCK).toBeGreaterThan(Math.max(...setup.ids!));
  });

  it('one (the control): Chromium reverts it and keeps every acknowledged row; no reset', async () => {
    const { setup, check, log } = await killWith(1);
    expect(setup.error).toBeUndefined();
    expect(check.error).toBeUndefined();
    expect(log).not.toContain('Got corruption');
    expect(check.rows).toBe(10);
    expect(check.events!.filter((e) => e.type === 'reset')).toEqual([]);
    expect(check.block! * ID_BLOCK).toBeGreaterThan(Math.max(...setup.ids!));
  });
});
