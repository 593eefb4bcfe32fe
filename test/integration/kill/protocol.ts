// What the kill-loop page and the test tell each other (JSON over HTTP to the
// test's own server, same origin as the page).
import type { StoreEvent } from '../../../src/index.js';

/** Consecutive ids: [first id, count]. */
export type Run = [number, number];
/** Consecutive ids with consecutive values: [first id, count, value of the first]. */
export type ValueRun = [number, number, number];

/** What the page does on this launch. */
export interface Plan {
  session: number;
  db: string;
  model: string;
  batch: number;
}

/** The test's answer to a state report: labels to log first, for predictions of earlier sessions. */
export interface Todo {
  labels: ValueRun[];
}

/** What the store holds when the page opens it, right after the relaunch. */
export interface StateReport {
  session: number;
  openMs: number;
  predictions: Run[];
  predictionDups: number;
  labels: Run[];
  labelDups: number;
  /** Rows readLabeled joins, and those whose label is not their prediction's value. */
  joined: number;
  misjoined: number;
  /** Resets recorded in this database (stats().resets), and how many of them this open reported. */
  resets: StoreEvent[];
  resetsAtOpen: number;
  persisted: boolean | undefined;
  /** Times the store found the id counter of this database behind the mark and raised it silently (meta 'idRaises', src/store/watermark.ts). */
  idRaises: number;
}

/** Ids whose flush() resolved. */
export interface Ack {
  session: number;
  predictions: ValueRun[];
  labels: ValueRun[];
}
