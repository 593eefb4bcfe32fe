import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { clockProjects } from './test/support/clock.js';

// Browser tests run in a real headless Chromium. Debian's /usr/bin/chromium
// is the default (CI installs it); MODELWATCH_CHROMIUM points elsewhere, and an
// empty value lets Playwright use its own downloaded browser.
const chromium = process.env.MODELWATCH_CHROMIUM ?? '/usr/bin/chromium';

const browserArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

// Suites under test/shared run in both Node and Chromium; test/node and
// test/browser hold what only makes sense in one of them; test/integration
// drives real servers and browsers from Node.
// .ci/run asks for a JSON report to count passed and failed tests.
const jsonReport = process.env.MODELWATCH_VITEST_JSON;

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
        // Pushgateway, a Chromium profile on a small disk): one file at a time.
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
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/shared/**/*.test.ts', 'test/browser/**/*.test.ts'],
          // A real fleet receiver on 127.0.0.1 for the monitor's sync tests.
          globalSetup: ['test/browser/monitor/receiver.setup.ts'],
          testTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                ...(chromium ? { executablePath: chromium } : {}),
                args: browserArgs,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      // The suites that read the wall clock, again at 23:30 and 23:59:58 UTC,
      // at 00:00:01 UTC and across a DST change (test/support/clock.ts).
      ...clockProjects((env) => ({
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({ launchOptions: { ...(chromium ? { executablePath: chromium } : {}), args: browserArgs, env } }),
        instances: [{ browser: 'chromium' }],
      })),
    ],
  },
});
