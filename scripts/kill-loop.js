// `node scripts/kill-loop.js [kills=300] [seed]`: the kill loop of
// test/integration/kill.test.ts at full length. Chromium (its whole process
// group) is SIGKILLed `kills` times, half of them right after a flush started,
// while the page logs through createMonitor's module Worker; after every
// relaunch on the same profile the acknowledged rows are checked. Writes the
// result to bench/.out/kill-loop.json and prints the markdown row recorded in
// BENCHMARKS.md (Durability). About 6-8 s per kill on 2 busy cores.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const kills = Number(process.argv[2] ?? 300);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
const out = 'bench/.out/kill-loop.json';
mkdirSync('bench/.out', { recursive: true });
const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', 'test/integration/kill.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, MODELWATCH_KILLS: String(kills), MODELWATCH_KILL_SEED: String(seed), MODELWATCH_KILL_OUT: out },
});
const r = JSON.parse(readFileSync(out, 'utf8'));
const wipes = r.resets.length;
console.log(
  `\n| ${r.kills} (${r.midFlushKills} mid-flush) | ${r.opened} / ${r.opened + r.failedOpens.length} | ` +
    `${r.ackedPredictions.toLocaleString('en-US')} / ${r.ackedLabels.toLocaleString('en-US')} | ` +
    `${r.lostPredictions} / ${r.lostLabels} | ${r.duplicatedPredictions} / ${r.duplicatedLabels} | ${r.misjoined} | ${r.reusedIds} | ` +
    `${wipes} (${r.droppedWithReset.predictions.toLocaleString('en-US')} predictions, ${r.droppedWithReset.labels.toLocaleString('en-US')} labels dropped by the browser; ${r.labelsForDropped.toLocaleString('en-US')} late labels for them, none joined) | ` +
    `${Math.round(r.elapsedMs / 60000)} min, seed ${seed} |`,
);
process.exit(run.status ?? 1);
