// The fleet state on disk, so that a restart loses nothing acknowledged:
// journal.ndjson gets one line per accepted delivery, written and fsync'd
// before the 2xx answer; every `compactEvery` deliveries (or 64 MB) the whole
// state goes to snapshot.json (write a temporary file, fsync, rename, fsync
// the directory) and the journal starts over. Lines carry a sequence number
// and the snapshot the last one it holds, so a crash between the rename and
// the truncation replays nothing twice. A crash in the middle of a write
// leaves a partial last line, which was never acknowledged: it is cut off on
// start and reported. A damaged line anywhere else stops the start
// (JOURNAL_CORRUPT): skipping it would silently lose acknowledged data.
import { open, mkdir, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from '../errors.js';
import { deliveryFromJSON, deliveryToJSON } from './state.js';
import type { Delivery, FleetState, Snapshot } from './state.js';

/** What opening the journal found. */
export interface Recovery {
  /** Deliveries held by the snapshot (its last sequence number). */
  snapshotSeq: number;
  /** Journal lines replayed on top of the snapshot. */
  replayed: number;
  /** Bytes of a partial last line cut off (a crash mid-write); 0 normally. */
  truncatedBytes: number;
}

/** Journal bytes past which a snapshot is written regardless of the delivery count. */
const COMPACT_BYTES = 64 * 1024 * 1024;

function corrupt(message: string, cause?: unknown): StateError {
  return new StateError('JOURNAL_CORRUPT', `modelwatch receiver: ${message}; move the directory aside to start empty, or restore it from a backup.`, { cause });
}

/** An open journal directory. */
export class Journal {
  private sinceSnapshot = 0;
  private broken: unknown;

  private constructor(
    private readonly dir: string,
    private fh: FileHandle,
    private size: number,
  ) {}

  /** Opens (creating) `dir` and loads its snapshot and journal into `state`. */
  static async open(dir: string, state: FleetState): Promise<{ journal: Journal; recovery: Recovery }> {
    await mkdir(dir, { recursive: true });
    const snapPath = join(dir, 'snapshot.json');
    const snapText = await readFile(snapPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (snapText !== undefined) {
      let snap: Snapshot;
      try {
        snap = JSON.parse(snapText) as Snapshot;
        if (snap.format !== 'modelwatch-receiver-snapshot' || snap.version !== 1) throw new Error(`format ${String(snap.format)} version ${String(snap.version)}`);
        state.restore(snap);
      } catch (e) {
        throw corrupt(`${snapPath} cannot be read (${(e as Error).message})`, e);
      }
    }
    const snapshotSeq = state.seq;
    const path = join(dir, 'journal.ndjson');
    const fh = await open(path, 'a+');
    const bytes = await fh.readFile();
    let replayed = 0;
    let start = 0;
    let good = 0;
    let truncatedBytes = 0;
    while (start < bytes.length) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      const last = nl < 0 || nl === bytes.length - 1;
      let d: Delivery | undefined;
      try {
        if (nl < 0) throw new Error('no end of line');
        d = deliveryFromJSON(JSON.parse(bytes.subarray(start, end).toString('utf8')));
      } catch (e) {
        if (!last) throw corrupt(`${path} holds a damaged line at byte ${start} (${(e as Error).message})`, e);
        truncatedBytes = bytes.length - start;
        break;
      }
      if (d.seq > snapshotSeq) {
        state.replay(d);
        replayed++;
      }
      good = end + 1;
      start = end + 1;
    }
    if (truncatedBytes > 0) {
      await fh.truncate(good);
      await fh.datasync();
    }
    const journal = new Journal(dir, fh, good);
    journal.sinceSnapshot = replayed;
    return { journal, recovery: { snapshotSeq, replayed, truncatedBytes } };
  }

  /**
   * Appends a delivery and waits for it to reach the disk. On failure the
   * journal is cut back to its previous end (so a delivery the sender was told
   * failed is never replayed), and if even that fails the journal refuses
   * every later append until a restart.
   */
  async append(d: Delivery): Promise<void> {
    if (this.broken) throw new StateError('JOURNAL_FAILED', 'modelwatch receiver: the journal could not be repaired after a failed write; restart the receiver.', { cause: this.broken });
    const line = Buffer.from(deliveryToJSON(d) + '\n', 'utf8');
    try {
      // A write may be short (a full disk, a file size limit): write the rest, or fail trying.
      for (let at = 0; at < line.length; ) at += (await this.fh.write(line, at, line.length - at, null)).bytesWritten;
      await this.fh.datasync();
    } catch (error) {
      try {
        await this.fh.truncate(this.size);
      } catch (again) {
        this.broken = again;
      }
      throw new StateError('JOURNAL_FAILED', `modelwatch receiver: could not write the journal (${(error as Error).message}); the delivery was not stored.`, { cause: error });
    }
    this.size += line.length;
    this.sinceSnapshot++;
  }

  /** Whether a snapshot is due. */
  due(every: number): boolean {
    return this.sinceSnapshot >= every || this.size >= COMPACT_BYTES;
  }

  /** Writes the state as the snapshot and empties the journal. */
  async compact(state: FleetState): Promise<void> {
    const tmp = join(this.dir, 'snapshot.json.tmp');
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(state.toSnapshot()));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, 'snapshot.json'));
    // The rename is durable only once the directory entry is (POSIX fsync on a directory).
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    await this.fh.truncate(0);
    await this.fh.datasync();
    this.size = 0;
    this.sinceSnapshot = 0;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
