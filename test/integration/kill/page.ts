// The browser half of test/integration/kill.test.ts, run by a Chromium that
// the test SIGKILLs (its whole process group) at random moments. On every
// launch it first reads what the store holds (a main-thread openStore, which
// also reports a reset), then logs through createMonitor in its module Worker
// exactly as an app would: a batch of predictions, labels for the batch before,
// `await flush()`, and only then tells the test which ids were acknowledged.
// Every prediction's value is unique (session * 1e9 + n) and every label is
// the value of the prediction it was logged for, so a joined row whose label
// differs from its prediction is a label joined to the wrong prediction.
import { openDB } from 'idb';
import { createMonitor, openStore } from '../../../src/index.js';
import type { StoreEvent } from '../../../src/index.js';
import type { Ack, Plan, Run, StateReport, Todo } from './protocol.js';

const ALL = { from: 0, to: 8.64e15 };

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/** Sorted ids as runs of consecutive ids, and how many ids occur more than once. */
function runsOf(ids: Float64Array): { runs: Run[]; dups: number } {
  ids.sort();
  const runs: Run[] = [];
  let dups = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const last = runs[runs.length - 1];
    if (i > 0 && id === ids[i - 1]) dups++;
    else if (last && last[0] + last[1] === id) last[1]++;
    else runs.push([id, 1]);
  }
  return { runs, dups };
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function state(plan: Plan): Promise<StateReport> {
  const events: StoreEvent[] = [];
  const t0 = performance.now();
  const store = await openStore({ name: plan.db, onEvent: (e) => events.push(e) });
  const openMs = performance.now() - t0;
  try {
    const chunks = await store.readChunks({ model: plan.model, ...ALL });
    const preds = runsOf(concat(chunks.map((c) => c.id)));
    const joined = await store.readLabeled({ model: plan.model, ...ALL });
    let misjoined = 0;
    for (let i = 0; i < joined.id.length; i++) if (joined.label[i] !== joined.prediction[i]) misjoined++;
    // Every label the store holds, joined or not (pending and orphaned ones included).
    const raw = await openDB(plan.db);
    const labelParts: Float64Array[] = [];
    let idRaises: unknown[];
    try {
      idRaises = ((await raw.get('meta', 'idRaises')) as unknown[] | undefined) ?? [];
      for (const c of (await raw.getAll('labelChunks')) as { id: Float64Array }[]) labelParts.push(c.id);
      for (const c of (await raw.getAll('orphans')) as { id: Float64Array }[]) labelParts.push(c.id);
    } finally {
      raw.close();
    }
    const labels = runsOf(concat(labelParts));
    const stats = await store.stats();
    return {
      session: plan.session,
      openMs,
      predictions: preds.runs,
      predictionDups: preds.dups,
      labels: labels.runs,
      labelDups: labels.dups,
      joined: joined.id.length,
      misjoined,
      resetsAtOpen: events.filter((e) => e.type === 'reset').length,
      // Every reset this database recorded, including those the Worker's
      // open found after an earlier state report (the app saw them through
      // monitor.on): Chromium can drop the origin mid-launch.
      resets: stats.resets.map((r) => ({ ...r.event, at: r.at })),
      persisted: stats.persisted,
      idRaises: idRaises.length,
    };
  } finally {
    store.close();
  }
}

async function main(): Promise<void> {
  const plan = (await (await fetch(`./plan${location.search}`)).json()) as Plan;
  if (plan.session < 0) return; // a tab of an earlier launch, restored by the browser
  const todo = (await (await post('./state', await state(plan))).json()) as Todo;
  const monitor = await createMonitor({
    task: 'regression',
    model: plan.model,
    version: 'v1',
    dbName: plan.db,
    batchSize: plan.batch,
    worker: new Worker(new URL('../../../src/worker/worker.ts', import.meta.url), { type: 'module' }),
  });
  let n = 0;
  const value = () => plan.session * 1e9 + n++;
  // Labels for predictions of earlier sessions (possibly lost with a wiped
  // database): they must never join a prediction logged now.
  for (const [id0, count, v0] of todo.labels) for (let k = 0; k < count; k++) monitor.logLabel(id0 + k, v0 + k);
  if (todo.labels.length > 0) {
    await monitor.flush();
    await post('./ack', { session: plan.session, predictions: [], labels: todo.labels } satisfies Ack);
  }
  let previous: [number, number][] = [];
  for (let batch = 0; ; batch++) {
    const logged: [number, number][] = [];
    for (let i = 0; i < plan.batch; i++) {
      const v = value();
      logged.push([monitor.logPrediction(v, undefined, 1), v]);
    }
    for (const [id, v] of previous) monitor.logLabel(id, v);
    const flushed = monitor.flush();
    // Tells the test a flush started (not awaited, so a kill can land mid-flush).
    void post('./flush', { session: plan.session, batch });
    await flushed;
    await post('./ack', { session: plan.session, predictions: runsWithValues(logged), labels: runsWithValues(previous) } satisfies Ack);
    previous = logged;
  }
}

/** [id, value] pairs (ids ascending, values following them) as runs [firstId, count, firstValue]. */
function runsWithValues(pairs: [number, number][]): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const [id, v] of pairs) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === id && last[2] + last[1] === v) last[1]++;
    else out.push([id, 1, v]);
  }
  return out;
}

main().catch((e: unknown) => {
  const err = e as { name?: string; code?: string; message?: string; stack?: string };
  void post('./error', { name: err.name, code: err.code, message: err.message ?? String(e), stack: err.stack });
});
