// Set-up that `npm test` and `npm run demo` do for themselves on a fresh
// machine (npm runs this as their `pre` script): install npm dependencies if
// missing, and for tests the system packages the suites use: the three
// browser engines (Chromium; Firefox ESR; WebKitGTK's WebKitWebDriver, whose
// libwebkit2gtk dependency ships MiniBrowser, with Xvfb since MiniBrowser has
// no headless mode; see test/support/engines.ts), Prometheus and its
// Pushgateway for the integration tests, libfaketime for the clock-shifted
// runs, promtool for the checks of the fleet's Prometheus rules.
// Plain Node, no dependencies: it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const what = process.argv[2] ?? 'test';
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
const has = (path) => existsSync(path);

if (!has('node_modules/.package-lock.json')) {
  console.log('setup: installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (what === 'test') {
  const wanted = [];
  const chromium = process.env.MODELWATCH_CHROMIUM ?? '/usr/bin/chromium';
  if (chromium !== '' && !has(chromium)) {
    if (process.env.MODELWATCH_CHROMIUM) {
      console.error(`setup: MODELWATCH_CHROMIUM=${chromium} does not exist`);
      process.exit(1);
    }
    wanted.push('chromium');
  }
  // Same defaults and overrides as test/support/engines.ts.
  const firefox = process.env.MODELWATCH_FIREFOX || '/usr/bin/firefox-esr';
  if (!has(firefox)) {
    if (process.env.MODELWATCH_FIREFOX) {
      console.error(`setup: MODELWATCH_FIREFOX=${firefox} does not exist`);
      process.exit(1);
    }
    wanted.push('firefox-esr');
  }
  if (!has(process.env.MODELWATCH_WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver')) wanted.push('webkit2gtk-driver');
  if (!has(process.env.MODELWATCH_XVFB || '/usr/bin/Xvfb')) wanted.push('xvfb');
  // Debian's prometheus package also ships promtool (test/node/ops/rules.test.ts).
  if (!has('/usr/bin/prometheus') || !has('/usr/bin/promtool')) wanted.push('prometheus');
  if (!has('/usr/bin/prometheus-pushgateway')) wanted.push('prometheus-pushgateway');
  // libfaketime runs the clock-sensitive suites at set times (test/support/clock.ts).
  const libs = has('/usr/lib') ? readdirSync('/usr/lib').map((d) => `/usr/lib/${d}/faketime/libfaketime.so.1`) : [];
  if (![...libs, '/usr/lib/faketime/libfaketime.so.1'].some(has)) wanted.push('faketime');
  if (wanted.length > 0) {
    const root = process.getuid?.() === 0;
    if (!root || !has('/usr/bin/apt-get')) {
      console.error(`setup: the tests need ${wanted.join(', ')}; install them (Debian: sudo apt-get install -y ${wanted.join(' ')}).`);
      process.exit(1);
    }
    console.log(`setup: apt-get install ${wanted.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...wanted], { stdio: 'inherit', env });
  }
}
