// Set-up that `npm test` and `npm run demo` do for themselves on a fresh
// machine (npm runs this as their `pre` script): install npm dependencies if
// missing, and for tests the system packages the suites use: the three
// browser engines (Chromium; Firefox ESR; WebKitGTK's WebKitWebDriver, whose
// libwebkit2gtk dependency ships MiniBrowser, with Xvfb since MiniBrowser has
// no headless mode; see test/support/engines.ts), and Prometheus and its
// Pushgateway for the integration tests.
// Plain Node, no dependencies: it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
  if (!has('/usr/bin/prometheus')) wanted.push('prometheus');
  if (!has('/usr/bin/prometheus-pushgateway')) wanted.push('prometheus-pushgateway');
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
