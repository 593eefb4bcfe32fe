// The Node half of the kill loop (test/integration/kill.test.ts and
// scripts/kill-loop.js): serves the page (Vite, same origin for every launch so
// the origin's IndexedDB is the same), launches Chromium as its own process
// group on a persistent profile, SIGKILLs the whole group at random moments
// (half of them right after the page said a flush started), relaunches, and
// compares what the store holds with what flush() acknowledged.
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin, ViteDevServer } from 'vite';
import { killGroup, launch, serve, until } from './chromium.js';
import type { Launched } from './chromium.js';
import type { Ack, Plan, StateReport, Todo, ValueRun } from './protocol.js';
import { rng } from '../../support/rng.js';

const PAGE = '/test/integration/kill/';

export interface LoopOptions {
  /** Kills to perform. */
  kills: number;
  /** A fresh database name every this many kills (bounds the rows each launch re-reads). */
  round?: number;
  /** Rows per batch (the monitor's batchSize). */
  batch?: number;
  /** Seed of the kill schedule. */
  seed?: number;
  /** Longest wait for a launch to report the store's state. */
  openTimeoutMs?: number;
  /** Keep a copy of the profile as each kill left it, and of the one before a wipe (kept with MODELWATCH_KEEP_PROFILE). */
  snapshots?: boolean;
  /** Extra Chromium flags. */
  args?: string[];
  log?: (line: string) => void;
}

/** What a kill loop found. */
export interface LoopResult {
  kills: number;
  midFlushKills: number;
  /** Launches that reported the store's state, and those that could not open it. */
  opened: number;
  failedOpens: string[];
  ackedPredictions: number;
  ackedLabels: number;
  /** Acknowledged rows missing after a relaunch with no reset event. */
  lostPredictions: number;
  lostLabels: number;
  /** Ids stored more than once. */
  duplicatedPredictions: number;
  duplicatedLabels: number;
  /** Joined rows whose label belongs to another prediction. */
  misjoined: number;
  /** Acknowledged ids that had been acknowledged before (an id handed out twice). */
  reusedIds: number;
  /** Reset events seen, and acknowledged rows the browser dropped with them. */
  resets: StateReport['resets'];
  droppedWithReset: { predictions: number; labels: number };
  /** Reset events on a relaunch that found every acknowledged row (there were some): a monitor crying wolf. */
  falseResets: number;
  /** Relaunches that found the id counter behind the mark in the same database (no reset; see src/store/watermark.ts). */
  idRaises: number;
  /** Labels logged for predictions the browser dropped, and how many of those joined a row. */
  labelsForDropped: number;
  persisted: (boolean | undefined)[];
  openMs: number[];
  /** IndexedDB files of the origin right after each kill that preceded a reset, and its LevelDB LOG after. */
  evidence: string[];
  elapsedMs: number;
}


function expand(runs: [number, number][]): Set<number> {
  const s = new Set<number>();
  for (const [id, n] of runs) for (let k = 0; k < n; k++) s.add(id + k);
  return s;
}

async function body(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return JSON.parse(Buffer.concat(parts).toString() || 'null');
}


/** Files (name and size) of the origin's IndexedDB folders in the profile. */
function idbFiles(profile: string): string {
  const dir = join(profile, 'Default', 'IndexedDB');
  if (!existsSync(dir)) return '(no IndexedDB folder)';
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, `${prefix}${f}/`);
      else out.push(`${prefix}${f} ${st.size}`);
    }
  };
  walk(dir, '');
  return out.join('\n');
}

function leveldbLog(profile: string): string {
  const dir = join(profile, 'Default', 'IndexedDB');
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((d) => d.endsWith('.leveldb') && existsSync(join(dir, d, 'LOG')))
    .map((d) => `${d}/LOG:\n${readFileSync(join(dir, d, 'LOG'), 'utf8')}`)
    .join('\n');
}

/** Runs the kill loop; cleans up its profile and server. */
export async function killLoop(o: LoopOptions): Promise<LoopResult> {
  const log = o.log ?? (() => undefined);
  const random = rng(o.seed ?? Date.now());
  const batch = o.batch ?? 4096;
  const round = o.round ?? Infinity;
  const openTimeoutMs = o.openTimeoutMs ?? 60_000;
  const work = mkdtempSync(join(tmpdir(), 'modelwatch-kill-'));
  const profile = join(work, 'profile');
  mkdirSync(profile);
  const started = Date.now();
  const lastKill = join(work, 'last-kill');

  const result: LoopResult = {
    kills: 0, midFlushKills: 0, opened: 0, failedOpens: [], ackedPredictions: 0, ackedLabels: 0,
    lostPredictions: 0, lostLabels: 0, duplicatedPredictions: 0, duplicatedLabels: 0, misjoined: 0, reusedIds: 0,
    resets: [], droppedWithReset: { predictions: 0, labels: 0 }, falseResets: 0, idRaises: 0, labelsForDropped: 0, persisted: [], openMs: [], evidence: [], elapsedMs: 0,
  };

  // The ledger of the current database: acknowledged predictions (id -> value) and labels.
  let db = '';
  let acked = new Map<number, number>();
  let ackedLabels = new Set<number>();
  /** Acknowledged predictions the browser dropped (with a reset event): their labels are still logged, and must orphan. */
  let dropped = new Map<number, number>();
  /** Silent raises and resets recorded in the current database so far. */
  let idRaises = 0;
  let seenResets = new Set<string>();
  /** Every id ever acknowledged, across rounds and resets: none may be handed out again. */
  const everAcked = new Set<number>();
  let session = 0;
  let state: StateReport | undefined;
  let flushes = -1;
  let planned = false;
  let suspicious = false;
  let pageError: string | undefined;

  const plugin: Plugin = {
    name: 'kill-loop',
    configureServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (!path.startsWith(PAGE)) return next();
        const reply = (value: unknown): void => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(value));
        };
        const route = path.slice(PAGE.length);
        if (route === 'plan') {
          // One page per launch: a tab Chromium restores after the kill has an
          // older session in its URL and is told to stand still.
          const asked = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('session'));
          if (asked !== session || planned) return reply({ session: -1, db: '', model: '', batch: 0 } satisfies Plan);
          planned = true;
          return reply({ session, db, model: 'killed', batch } satisfies Plan);
        }
        if (!['state', 'ack', 'flush', 'error'].includes(route)) return next();
        body(req).then((b) => {
          if (route === 'state') {
            const s = b as StateReport;
            if (s.session !== session || state !== undefined) return reply({ labels: [] } satisfies Todo);
            // Judged on arrival: this launch's own acknowledgements come after it.
            state = s;
            judge(s);
            reply({ labels: todo(s) } satisfies Todo);
          } else if (route === 'ack') {
            const a = b as Ack;
            if (a.session === session) ack(a);
            reply({});
          } else if (route === 'flush') {
            if ((b as { session: number }).session === session) flushes = (b as { batch: number }).batch;
            reply({});
          } else {
            pageError = JSON.stringify(b);
            reply({});
          }
        }, (e: unknown) => {
          res.writeHead(400);
          res.end(String(e));
        });
      });
    },
  };

  function ack(a: Ack): void {
    for (const [id0, n, v0] of a.predictions) {
      for (let k = 0; k < n; k++) {
        const id = id0 + k;
        if (everAcked.has(id)) result.reusedIds++;
        everAcked.add(id);
        acked.set(id, v0 + k);
        result.ackedPredictions++;
      }
    }
    for (const [id0, n] of a.labels) {
      for (let k = 0; k < n; k++) {
        if (dropped.has(id0 + k)) result.labelsForDropped++;
        ackedLabels.add(id0 + k);
        result.ackedLabels++;
      }
    }
  }

  /** Labels the page should log: acknowledged predictions whose label was neither acknowledged nor stored. */
  function todo(s: StateReport): ValueRun[] {
    const stored = expand(s.labels);
    const out: ValueRun[] = [];
    for (const [id, v] of [...acked, ...dropped].sort((a, b) => a[0] - b[0])) {
      if (ackedLabels.has(id) || stored.has(id)) continue;
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === id && last[2] + last[1] === v) last[1]++;
      else out.push([id, 1, v]);
    }
    return out;
  }

  /** Compares a relaunch's state with the ledger. */
  function judge(s: StateReport): void {
    result.opened++;
    result.openMs.push(s.openMs);
    result.persisted.push(s.persisted);
    result.duplicatedPredictions += s.predictionDups;
    result.duplicatedLabels += s.labelDups;
    result.misjoined += s.misjoined;
    const preds = expand(s.predictions);
    const labels = expand(s.labels);
    let lostP = 0;
    let lostL = 0;
    for (const id of acked.keys()) if (!preds.has(id)) lostP++;
    for (const id of ackedLabels) if (!labels.has(id)) lostL++;
    // Resets recorded since the last state report of this database (by this open or a Worker's open before it).
    // (By content and time: a wiped database starts a new record.)
    const resets = s.resets.filter((r) => !seenResets.has(JSON.stringify(r)));
    for (const r of resets) seenResets.add(JSON.stringify(r));
    if (resets.length > 0 || lostP > 0 || s.idRaises > idRaises) {
      suspicious = true;
      // The profile as the kill left it, before this launch opened it (MODELWATCH_KILL_SNAPSHOTS).
      if (existsSync(lastKill)) renameSync(lastKill, join(work, `before-session-${s.session}`));
    }
    if (resets.length > 0) {
      result.resets.push(...resets);
      result.droppedWithReset.predictions += lostP;
      result.droppedWithReset.labels += lostL;
      // A reset says the app's data is gone: with acknowledged rows all there, it is false.
      if (lostP + lostL === 0 && acked.size + ackedLabels.size > 0) result.falseResets++;
      log(`session ${s.session}: reset ${JSON.stringify(resets)} (${s.resetsAtOpen} found by this open); the browser dropped ${lostP} predictions and ${lostL} labels`);
      // What was dropped stays dropped: it leaves the ledger of what must be
      // there, and its labels (logged from now on) must never join.
      for (const id of [...ackedLabels]) if (!labels.has(id)) ackedLabels.delete(id);
      for (const [id, v] of [...acked]) {
        if (preds.has(id)) continue;
        acked.delete(id);
        ackedLabels.delete(id);
        dropped.set(id, v);
      }
    } else {
      result.lostPredictions += lostP;
      result.lostLabels += lostL;
      if (lostP + lostL > 0) log(`session ${s.session}: LOST ${lostP} predictions, ${lostL} labels with no reset event`);
    }
    if (s.idRaises > idRaises) log(`session ${s.session}: the id counter came back behind the mark (raised silently, ${s.idRaises} in ${db} so far)`);
    result.idRaises += Math.max(0, s.idRaises - idRaises);
    idRaises = s.idRaises;
    if (s.misjoined > 0 || s.predictionDups > 0) log(`session ${s.session}: ${s.misjoined} mis-joined, ${s.predictionDups} duplicated`);
  }

  let server: ViteDevServer | undefined;
  let browser: Launched | undefined;
  try {
    let base: string;
    ({ server, base } = await serve(work, plugin));
    const chromeLog = join(work, 'chromium.log');

    let lastFiles = '';
    for (;;) {
      const final = result.kills >= o.kills;
      const name = `kill-${Math.floor(Math.min(result.kills, o.kills - 1) / round)}`;
      if (name !== db) {
        db = name;
        acked = new Map();
        ackedLabels = new Set();
        dropped = new Map();
        idRaises = 0;
        seenResets = new Set();
      }
      session++;
      writeFileSync(chromeLog, `--- session ${session}\n`, { flag: 'a' });
      state = undefined;
      planned = false;
      flushes = -1;
      pageError = undefined;
      const out = openSync(chromeLog, 'a');
      browser = launch(profile, `${base}${PAGE.slice(1)}index.html?session=${session}`, out, o.args);
      const launchedAt = Date.now();
      // Where to kill: right after flush number k started, or at a random moment from launch.
      const midFlush = random() < 0.5;
      const k = Math.floor(random() * 5);
      const delay = random() * 5000;
      let killed = false;
      try {
        if (final) {
          await until('the final state report', () => state !== undefined || pageError !== undefined, openTimeoutMs);
        } else if (midFlush) {
          await until(`flush ${k}`, () => flushes >= k || pageError !== undefined, openTimeoutMs + 30_000, 1);
          killed = true;
          result.midFlushKills++;
        } else {
          await until('the random moment', () => Date.now() - launchedAt >= delay || pageError !== undefined, delay + 1000, 1);
          killed = true;
        }
      } catch (e) {
        if (state === undefined && pageError === undefined) result.failedOpens.push(`session ${session}: ${String(e)}`);
      }
      if (pageError !== undefined && state === undefined) result.failedOpens.push(`session ${session}: ${pageError}`);
      else if (pageError !== undefined) result.failedOpens.push(`session ${session} (after open): ${pageError}`);
      await killGroup(browser);
      closeSync(out);
      if (killed) result.kills++;
      // (Set by the server's handler meanwhile: TypeScript cannot see that.)
      if (suspicious) {
        const tail = readFileSync(chromeLog, 'utf8').split('\n').slice(-40).join('\n');
        result.evidence.push(`IndexedDB files after the kill before session ${session}:\n${lastFiles}\n${leveldbLog(profile)}\nChromium's output:\n${tail}`);
        suspicious = false;
      }
      lastFiles = idbFiles(profile);
      if (o.snapshots) {
        rmSync(lastKill, { recursive: true, force: true });
        cpSync(profile, lastKill, { recursive: true });
      }
      if (result.kills % 10 === 0 && killed) log(`${result.kills} kills, ${result.opened} opened, ${Math.round((Date.now() - started) / 1000)} s`);
      if (final) break;
    }
  } finally {
    if (browser) await killGroup(browser).catch(() => undefined);
    await server?.close();
    result.elapsedMs = Date.now() - started;
    writeFileSync(join(tmpdir(), 'modelwatch-kill-last.json'), JSON.stringify(result, null, 2));
    if (!process.env.MODELWATCH_KEEP_PROFILE) rmSync(work, { recursive: true, force: true });
    else log(`profile kept in ${work}`);
  }
  return result;
}
