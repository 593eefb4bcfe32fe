// `npm run bench`: runs every benchmark, each in its own process (so one's
// heap and JIT state cannot skew another's), then writes BENCHMARKS.md from
// the markdown sections they leave in bench/.out/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const suites = [
  ['core', 'bench/core.bench.js'],
  ['summary', 'bench/summary.bench.js'],
  ['store', 'bench/store/run.js'],
  ['monitor', 'bench/monitor/run.js'],
];
const only = process.argv.slice(2);
mkdirSync('bench/.out', { recursive: true });
let failed = false;
for (const [name, file] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  if (!existsSync(file)) continue;
  console.log(`\n=== ${name}: node ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' });
  if (r.status !== 0) { failed = true; console.error(`${name} benchmark failed (exit ${r.status})`); }
}

function version(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]; } catch { return 'not found'; }
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmarks',
  '',
  'Produced by `npm run bench` (bench/run.js). Every comparison runs the contenders side by side in one',
  'process (one page for browser benchmarks) on the same seeded data, interleaved round by round after',
  'warm-up, and reports the ratio of medians. Absolute times on this shared machine are noisy; ratios are',
  'what the goals are stated in.',
  '',
  `- Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
  `- Node ${process.version}; ${version('/usr/bin/chromium', ['--version'])}; ${version('/usr/bin/python3', ['-c', 'import sklearn,numpy;print("scikit-learn",sklearn.__version__,"numpy",numpy.__version__)'])}`,
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  '',
];
const sections = suites
  .map(([name]) => `bench/.out/${name}.md`)
  .filter((f) => existsSync(f))
  .map((f) => readFileSync(f, 'utf8').trim() + '\n');
writeFileSync('BENCHMARKS.md', [...header, ...sections].join('\n'));
console.log('\nwrote BENCHMARKS.md');
process.exit(failed ? 1 : 0);
