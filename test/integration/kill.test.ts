// Kill loop: a real Chromium on a persistent profile, its whole process group
// SIGKILLed at random moments (half of them right after a flush started)
// while the page logs through createMonitor's module Worker and awaits
// flush() after each batch; then relaunched on the same profile. Every
// acknowledged prediction and label must be there after every relaunch, once,
// and no label may join another prediction. Should the browser drop the
// database anyway, the store must say so (a 'reset' event) and never hand out
// an acknowledged id again; a reset while every acknowledged row is there is
// a false alarm and fails the test. MODELWATCH_KILLS sets the number of kills
// (scripts/kill-loop.js runs 300).
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killLoop } from './kill/loop.js';

const KILLS = Number(process.env.MODELWATCH_KILLS ?? 30);

describe(`Chromium SIGKILLed ${KILLS} times while the monitor's Worker writes`, () => {
  it('loses, duplicates and mis-joins no acknowledged row, opens every time, and never reuses an id', async () => {
    const r = await killLoop({
      kills: KILLS,
      round: Number(process.env.MODELWATCH_KILL_ROUND ?? 30),
      seed: Number(process.env.MODELWATCH_KILL_SEED ?? Date.now() % 1e9),
      snapshots: process.env.MODELWATCH_KILL_SNAPSHOTS === '1',
      args: process.env.MODELWATCH_KILL_ARGS ? process.env.MODELWATCH_KILL_ARGS.split(' ') : [],
      log: (l) => console.log(l),
    });
    if (process.env.MODELWATCH_KILL_OUT) writeFileSync(process.env.MODELWATCH_KILL_OUT, JSON.stringify(r, null, 1));
    const { evidence, openMs, persisted, ...summary } = r;
    console.log(JSON.stringify({ ...summary, openMsMax: Math.max(...openMs), persisted: [...new Set(persisted)] }, null, 1));
    for (const e of evidence) console.log(e);
    expect(r.failedOpens).toEqual([]);
    expect(r.kills).toBe(KILLS);
    expect(r.opened).toBeGreaterThanOrEqual(r.kills / 3);
    expect(r.midFlushKills).toBeGreaterThan(0);
    expect(r.ackedPredictions).toBeGreaterThan(0);
    expect(r.ackedLabels).toBeGreaterThan(0);
    expect(r.lostPredictions).toBe(0);
    expect(r.lostLabels).toBe(0);
    expect(r.duplicatedPredictions).toBe(0);
    expect(r.duplicatedLabels).toBe(0);
    expect(r.misjoined).toBe(0);
    expect(r.reusedIds).toBe(0);
    expect(r.falseResets).toBe(0);
  }, 120_000 + KILLS * 15_000);
});
