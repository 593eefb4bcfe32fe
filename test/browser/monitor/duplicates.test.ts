// Duplicate labels in check(): its report counts the duplicates of its own
// window, not of the whole range it reads for the trend (issue #10, item 7).
import { describe, expect, it } from 'vitest';
import { createMonitor } from '../../../src/index.js';
import { drop, freshName } from '../store/helpers.js';

const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 4, 1);

describe.each([true, false])('check().report.duplicateLabels (worker: %s)', (worker) => {
  it("counts the report window's duplicates only, as report() does, with every day of the trend holding some", async () => {
    const name = freshName('dups');
    const m = await createMonitor({ task: 'binary', model: 'm', dbName: name, worker });
    // Day d gets 20 predictions, and 3 * d + 1 of them a second (superseding) label:
    // 1, 4, 7, ..., 19 duplicates; 70 over the week.
    const perDay: number[] = [];
    for (let d = 0; d < 7; d++) {
      const dups = 3 * d + 1;
      perDay.push(dups);
      for (let i = 0; i < 20; i++) {
        const t = DAY0 + d * DAY + i * 60_000;
        const id = m.logPrediction({ prediction: i % 2, score: 0.6, timestamp: t });
        m.logLabel(id, i % 2, t + 1000);
        if (i < dups) m.logLabel(id, 1 - (i % 2), t + 2000);
      }
    }
    await m.flush();
    for (const d of [0, 4, 6]) {
      const day = { from: DAY0 + d * DAY, to: DAY0 + (d + 1) * DAY };
      const report = await m.report(day);
      const checked = await m.check(day, { periods: 7 });
      expect(report.duplicateLabels).toBe(perDay[d]);
      expect(checked.report.duplicateLabels).toBe(perDay[d]);
      // The whole check report agrees with report() on the same window.
      expect(checked.report).toEqual(report);
    }
    const week = { from: DAY0, to: DAY0 + 7 * DAY };
    expect((await m.check(week, { periods: 7 })).report.duplicateLabels).toBe(70);
    await m.close();
    await drop(name);
  });
});
