// Clock-shifted runs of the suites that read the wall clock (vite.config.ts
// appends these projects; `npm test`, hence CI, runs them). A test that takes
// "now" from the machine passes or fails by the hour it runs at: label chunks
// stamped less than pendingLabelMs before a test's `now` (23:00-24:00 UTC),
// sync windows that end while a test runs, local dates when the zone is not
// UTC. So each file listed below runs again at fixed points on the clock:
// in the last hour before UTC midnight, with midnight falling during the run,
// just after midnight, and across a daylight-saving change of a local zone.
//
// The shift is libfaketime (LD_PRELOAD): each process's clock starts at the
// point and runs on. It covers the whole process tree of Chromium (page and
// module Workers alike, which a patched Date in the page would not) and the
// Node test process (vitest passes a project's `env` to the fork it spawns).
// The start is absolute ("@<epoch>", FAKETIME_FMT=%s), not an offset taken
// when this config loads, because a project may start minutes later.
// Monotonic clocks get the same constant shift, so timers are unaffected
// (leaving them unshifted, FAKETIME_DONT_FAKE_MONOTONIC=1, slows Chromium's
// start-up to about a minute). test/support/clock.setup.ts fails a file whose
// clock or zone was not shifted: a missing libfaketime cannot pass unnoticed.
import { existsSync, readdirSync } from 'node:fs';
import type { TestProjectInlineConfiguration } from 'vitest/config';

const DAY = 86_400_000;

/** Test files whose code under test reads the wall clock; see the audit in README.md (Test isolation). */
export const CLOCK_SENSITIVE = {
  node: ['test/node/monitor/fallback.test.ts', 'test/node/monitor/windows.test.ts'],
  browser: [
    'test/browser/store/store.test.ts',
    'test/browser/monitor/sync.test.ts',
    'test/browser/monitor/sync-crash.test.ts',
    'test/browser/sync/engine.test.ts',
  ],
};

/** One point on the clock a clock-shifted project starts at. */
export interface ClockPoint {
  /** Project name suffix. */
  name: string;
  /** ms since the epoch the clock reads when the project's processes start (then it runs on). */
  at: number;
  /** IANA zone of the processes (TZ). */
  tz: string;
}

/** Last Sunday of `month` (0-based) of `year`, at 01:00 UTC: when the EU changes daylight-saving time. */
function euChange(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, last.getUTCDate() - last.getUTCDay(), 1);
}

/** The next EU daylight-saving change after `now`. */
export function nextDstChange(now: number): number {
  const year = new Date(now).getUTCFullYear();
  const changes = [year, year + 1].flatMap((y) => [euChange(y, 2), euChange(y, 9)]);
  return changes.filter((t) => t > now).sort((a, b) => a - b)[0]!;
}

/**
 * The points, around the UTC midnight that ends the current UTC day: 23:30
 * (the hour before it), 23:59:58 (midnight falls during the run) and
 * 00:00:01, each in a zone whose local date differs from the UTC date there;
 * and 2 s before the next daylight-saving change in Europe/Berlin.
 */
export function clockPoints(now = Date.now()): ClockPoint[] {
  // One point of your own, e.g. to reproduce a failure: MODELWATCH_CLOCK_AT=2026-11-29T23:59:58Z [MODELWATCH_CLOCK_TZ=Europe/Berlin].
  const custom = process.env.MODELWATCH_CLOCK_AT;
  if (custom) {
    const at = Date.parse(custom);
    if (!Number.isFinite(at)) throw new Error(`MODELWATCH_CLOCK_AT=${custom}: expected an ISO 8601 time`);
    return [{ name: 'custom', at, tz: process.env.MODELWATCH_CLOCK_TZ || 'UTC' }];
  }
  const midnight = Math.floor(now / DAY) * DAY + DAY;
  return [
    { name: '2330Z', at: midnight - 30 * 60_000, tz: 'Pacific/Kiritimati' },
    { name: 'midnight', at: midnight - 2000, tz: 'Asia/Kolkata' },
    { name: '0000Z', at: midnight + 1000, tz: 'America/Los_Angeles' },
    { name: 'dst', at: nextDstChange(now) - 2000, tz: 'Europe/Berlin' },
  ];
}

/** libfaketime's library, or undefined where it is not installed (Debian: apt-get install faketime). */
export function libfaketime(): string | undefined {
  const candidates = ['/usr/lib/faketime/libfaketime.so.1'];
  try {
    for (const d of readdirSync('/usr/lib')) candidates.push(`/usr/lib/${d}/faketime/libfaketime.so.1`);
  } catch {
    // no /usr/lib: not Linux
  }
  return candidates.find((p) => existsSync(p));
}

/** Environment that starts a process's clock at `p.at` (then it runs on) in zone `p.tz`. */
export function clockEnv(p: ClockPoint): Record<string, string> {
  const lib = libfaketime();
  return {
    TZ: p.tz,
    ...(lib ? { LD_PRELOAD: lib, FAKETIME: `@${Math.floor(p.at / 1000)}`, FAKETIME_FMT: '%s' } : {}),
  };
}

/** Minutes east of UTC of zone `tz` at time `t` (as -getTimezoneOffset() would say there). */
export function utcOffsetMinutes(tz: string, t: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(t).find((x) => x.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** What a clock-shifted file checks before it runs (see clock.setup.ts). */
export interface ClockCheck {
  name: string;
  at: number;
  tz: string;
  /** utcOffsetMinutes(tz, at), computed outside the shifted process. */
  offsetMinutes: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    clock: ClockCheck;
  }
}

type BrowserConfig = NonNullable<NonNullable<TestProjectInlineConfiguration['test']>['browser']>;

/**
 * The clock-shifted projects: for every point, `node@<point>` and
 * `browser@<point>` over CLOCK_SENSITIVE. `browser(env)` builds the browser
 * settings of the main browser project with `env` added to the environment of
 * the browser it launches (only Chromium is shifted: a cheap, sufficient check
 * of code that is the same on every engine).
 */
export function clockProjects(browser: (env: Record<string, string>) => BrowserConfig, points = clockPoints()): TestProjectInlineConfiguration[] {
  return points.flatMap((p): TestProjectInlineConfiguration[] => {
    const env = clockEnv(p);
    const provide = { clock: { name: p.name, at: p.at, tz: p.tz, offsetMinutes: utcOffsetMinutes(p.tz, p.at) } };
    const setupFiles = ['test/support/clock.setup.ts'];
    return [
      {
        extends: true,
        test: { name: `node@${p.name}`, environment: 'node', include: CLOCK_SENSITIVE.node, env, provide, setupFiles, testTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: `browser@${p.name}`,
          include: CLOCK_SENSITIVE.browser,
          globalSetup: ['test/browser/monitor/receiver.setup.ts'],
          provide,
          setupFiles,
          testTimeout: 120_000,
          browser: browser({ ...process.env, ...env } as Record<string, string>),
        },
      },
    ];
  });
}
