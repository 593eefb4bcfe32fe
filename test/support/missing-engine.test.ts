// Stands in for the browser project of an engine this machine lacks
// (vite.config.ts puts it in that project's place): the run then counts a
// failure for the engine instead of passing without it.
import { expect, it } from 'vitest';

it(`runs the browser suite in ${process.env.MODELWATCH_MISSING_ENGINE}`, () => {
  expect.fail(`${process.env.MODELWATCH_MISSING_ENGINE} cannot run here: ${process.env.MODELWATCH_MISSING_WHY}`);
});
