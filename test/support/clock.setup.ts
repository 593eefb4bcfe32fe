// Setup file of the clock-shifted projects (test/support/clock.ts): refuses
// to run a file whose clock or zone is not the point it was meant to run at,
// so that a missing libfaketime or a dropped TZ fails instead of passing at
// the machine's own time.
import { inject } from 'vitest';

const c = inject('clock');
const now = Date.now();
// The processes start at c.at and their clock runs on; a file starts within minutes.
if (!(now >= c.at - 1000 && now < c.at + 15 * 60_000)) {
  throw new Error(
    `clock-shifted project ${c.name}: the clock reads ${new Date(now).toISOString()}, expected ${new Date(c.at).toISOString()} or a little later. ` +
      'Is libfaketime installed (Debian: apt-get install faketime)?',
  );
}
const offset = -new Date(c.at).getTimezoneOffset();
if (offset !== c.offsetMinutes) {
  throw new Error(`clock-shifted project ${c.name}: UTC offset at the point is ${offset} min, expected ${c.offsetMinutes} min (TZ=${c.tz})`);
}
