import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { clockProjects } from './test/support/clock.js';
import { webdriverio } from '@vitest/browser-webdriverio';
import type { BrowserProviderOption } from 'vitest/node';
import { CHROMIUM_PATH, ENGINES, FIREFOX_PATH, answerUnknownBidiCommands, missingEngine, startWebKitDriver, webkitCapabilities } from './test/support/engines.js';
import type { Engine, WebKitDriver } from './test/support/engines.js';

// Suites under test/shared run in Node and in every browser engine; test/node
// and test/browser hold what only makes sense in one of them; test/integration
// drives real servers and browsers from Node.
//
// The browser suite runs once per engine, each its own project:
//   browser          Chromium (Debian's /usr/bin/chromium, Playwright over CDP)
//   browser-firefox  Firefox ESR (Playwright over WebDriver BiDi)
//   browser-webkit   WebKitGTK's MiniBrowser (WebdriverIO, WebKitWebDriver, Xvfb)
// test/support/engines.ts knows where each lives and how to start it. An
// engine missing on this machine is not skipped: its project is replaced by
// one failing test that says what to install.
//
// .ci/run asks for a JSON report to count passed and failed tests.
const jsonReport = process.env.MODELWATCH_VITEST_JSON;

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

// MiniBrowser through WebKitWebDriver. @vitest/browser-webdriverio knows
// chrome, edge, firefox and safari only, and sends the instance's name as
// browserName; WebKitWebDriver refuses 'safari' and wants 'MiniBrowser'. So the
// instance is 'safari' (also: no headless mode) and the session's capabilities
// are replaced with MiniBrowser's. The provider owns its Xvfb display and
// driver: started when it opens the browser, stopped after the session is
// deleted (a globalSetup's teardown would run before that delete).
function miniBrowser(): BrowserProviderOption {
  const base = webdriverio({ hostname: '127.0.0.1', logLevel: 'warn' });
  return {
    ...base,
    providerFactory(project) {
      const p = base.providerFactory(project) as ReturnType<typeof base.providerFactory> & {
        options: Record<string, unknown>;
        buildCapabilities(): Record<string, unknown>;
        openBrowser(): Promise<unknown>;
      };
      let driver: Promise<WebKitDriver> | undefined;
      p.buildCapabilities = webkitCapabilities;
      const open = p.openBrowser.bind(p);
      p.openBrowser = async () => {
        driver ??= startWebKitDriver();
        p.options = { ...p.options, port: (await driver).port };
        return open();
      };
      const close = p.close.bind(p);
      p.close = async () => {
        try {
          await close();
        } finally {
          await (await driver?.catch(() => undefined))?.stop();
        }
      };
      return p;
    },
  };
}

const browserSuite = ['test/shared/**/*.test.ts', 'test/browser/**/*.test.ts'];

function browserProject(engine: Engine): TestProjectInlineConfiguration {
  const name = engine === 'chromium' ? 'browser' : `browser-${engine}`;
  const why = missingEngine(engine);
  if (why) {
    // Once per run: the config is loaded again by vitest's workers (they inherit the env).
    const said = `MODELWATCH_SAID_MISSING_${engine.toUpperCase()}`;
    if (!process.env[said]) console.warn(`\n*** ${engine} is MISSING: its browser suite does not run and counts as failed (${why}) ***\n`);
    process.env[said] = '1';
    return {
      extends: true,
      test: {
        name,
        environment: 'node',
        include: ['test/support/missing-engine.test.ts'],
        env: { MODELWATCH_MISSING_ENGINE: engine, MODELWATCH_MISSING_WHY: why },
      },
    };
  }
  if (engine === 'firefox') answerUnknownBidiCommands();
  const provider =
    engine === 'chromium'
      ? playwright({ launchOptions: { ...(CHROMIUM_PATH ? { executablePath: CHROMIUM_PATH } : {}), args: chromiumArgs } })
      : engine === 'firefox'
        ? playwright({ launchOptions: { channel: 'moz-firefox', executablePath: FIREFOX_PATH } })
        : miniBrowser();
  return {
    extends: true,
    test: {
      name,
      include: browserSuite,
      // A real fleet receiver on 127.0.0.1 for the monitor's sync tests.
      globalSetup: ['test/browser/monitor/receiver.setup.ts'],
      testTimeout: 120_000,
      browser: {
        enabled: true,
        headless: engine !== 'webkit',
        screenshotFailures: false,
        provider,
        instances: [{ browser: engine === 'webkit' ? 'safari' : engine }],
      },
    },
  };
}

export default defineConfig({
  server: { fs: { strict: false } },
  test: {
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/shared/**/*.test.ts', 'test/node/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        // Real servers and real browsers driven from Node (Prometheus,
        // Pushgateway, browser profiles on a small disk): one file at a time.
        extends: true,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      ...ENGINES.map(browserProject),
      // The suites that read the wall clock, again at 23:30 and 23:59:58 UTC,
      // at 00:00:01 UTC and across a DST change (test/support/clock.ts); Chromium only.
      ...clockProjects((env) => ({
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({ launchOptions: { ...(CHROMIUM_PATH ? { executablePath: CHROMIUM_PATH } : {}), args: chromiumArgs, env } }),
        instances: [{ browser: 'chromium' }],
      })),
    ],
  },
});
