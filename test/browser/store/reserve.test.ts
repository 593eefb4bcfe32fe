// The quota reserve: bytes a store with a fold keeps so that, when the origin
// is full, fold can persist its summaries before raw rows are deleted. Its use
// at a real quota is tested in test/integration/quota.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { InputError, openStore } from '../../../src/index.js';
import type { Store } from '../../../src/index.js';
import { drop, freshName } from './helpers.js';

const open: Store[] = [];
const names: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  for (const n of names.splice(0)) await drop(n);
});

// The reserve lives in a database of its own (released by deleting it, which
// frees room in every engine); the store's meta no longer holds one.
async function reserveOf(name: string): Promise<unknown> {
  const main = await openDB(name);
  try {
    expect(await main.get('meta', 'quotaReserve')).toBeUndefined();
  } finally {
    main.close();
  }
  const db = await openDB(`${name}:quota-reserve`);
  try {
    return db.objectStoreNames.contains('reserve') ? await db.get('reserve', 0) : undefined;
  } finally {
    db.close();
  }
}

async function opened(options: Parameters<typeof openStore>[0]): Promise<string> {
  const name = freshName('reserve');
  names.push(name);
  open.push(await openStore({ name, ...options }));
  open.at(-1)!.close();
  return name;
}

describe('quota reserve', () => {
  it('holds 4 MiB of incompressible bytes by default when there is a fold', async () => {
    const r = await reserveOf(await opened({ fold: () => undefined }));
    expect(r).toBeInstanceOf(Uint8Array);
    const bytes = r as Uint8Array;
    expect(bytes.length).toBe(4 << 20);
    // Random, not zeros (Chromium compresses values): about 256 distinct bytes.
    expect(new Set(bytes.subarray(0, 4096)).size).toBeGreaterThan(200);
  });

  it('takes the size asked for, none for 0, and none without a fold (nothing could compact)', async () => {
    expect(((await reserveOf(await opened({ fold: () => undefined, quotaReserveBytes: 100_000 }))) as Uint8Array).length).toBe(100_000);
    expect(await reserveOf(await opened({ fold: () => undefined, quotaReserveBytes: 0 }))).toBeUndefined();
    expect(await reserveOf(await opened({}))).toBeUndefined();
  });

  it('rejects a size that is not a whole number of bytes >= 0', async () => {
    for (const bad of [-1, 1.5, NaN, '1']) {
      await expect(openStore({ name: freshName('reserve'), quotaReserveBytes: bad as number })).rejects.toSatisfy(
        (e) => e instanceof InputError && e.code === 'INVALID_OPTION' && e.message.includes('quotaReserveBytes'),
      );
    }
  });
});
