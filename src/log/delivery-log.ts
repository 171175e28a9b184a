import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ownerIsDead } from '../process/owner.js';
import type { LoggedEvent, Store } from '../store/types.js';
import { formatLogLines } from './log-line.js';

/**
 * `logs/<store>-<campaign>.ndjson` (see deliveryLogFile): one JSON line (pino's format) per event of the campaign, copied from the store's
 * events table in id order. Being a copy makes it complete by construction: planning (planned,
 * suppressed, skipped), every attempt and outcome, suppressions found at claim time, recoveries,
 * cancellations and bounces all reach it, whichever process or command recorded them. And a line
 * is written only once its event is committed, so the file never claims more than the store.
 *
 * Each line carries its `eventId`; the last one in the file says where to go on. After a crash,
 * the next catch-up (any later run, or planning, cancelling, bounce processing) cuts a half-written
 * last line and copies what is missing, so no line is lost and none is written twice.
 */
export interface DeliveryLog {
  /**
   * Appends the campaign's events the file does not have yet; the number of lines written. Never
   * fails: a file that cannot be written (disk full) is reported once on stderr, and the store
   * still holds every event (`pressline log`).
   */
  catchUp(): Promise<number>;
  /**
   * Catches up every `intervalMs` (a tick is skipped while a copy still runs) until `stop`, which
   * makes the last copy: for a campaign while it sends.
   */
  follow(intervalMs: number): { stop(): Promise<number> };
}

/** Events read per query while catching up. */
const PAGE = 2_000;
/**
 * PostgreSQL only: how far below the highest id in the file a late commit is still looked for
 * (a transaction that took its ids before another one and committed after it). Our transactions
 * are short and write at most a few dozen events each, so a late one lands well within this.
 */
const LATE_WINDOW = 1_000;
/** A lock file older than this was left by a process that died while writing: taken over. */
const STALE_LOCK_MS = 30_000;
const LOCK_POLL_MS = 20;

/** What is known of the file: its size, the highest event id in it, and the ids near the top. */
interface FileState {
  size: number;
  lastId: number;
  /** Ids above lastId − LATE_WINDOW (kept only where ids may commit out of order). */
  recent: Set<number>;
}

/**
 * The log file of a campaign: named by the store's instance id too, so two stores (a reset file,
 * a move to PostgreSQL, a second install) sharing a logs folder never write into one file.
 */
export async function deliveryLogFile(store: Store, dir: string, campaignId: number): Promise<string> {
  return join(dir, `${await store.instanceId()}-${campaignId}.ndjson`);
}

export function openDeliveryLog(store: Store, dir: string, campaignId: number): DeliveryLog {
  // Named once the store says who it is (the first copy); until then, the campaign's number.
  let file = join(dir, `${campaignId}.ndjson`);
  const keepRecent = !store.eventIdsInCommitOrder;
  let made = false;
  let known: FileState | undefined;
  let running: Promise<number> = Promise.resolve(0);
  let warned = false;

  /** `patient`: wait for another process's copy to finish (a last copy must not be skipped). */
  async function copyNew(patient: boolean): Promise<number> {
    if (!made) {
      mkdirSync(dir, { recursive: true });
      file = await deliveryLogFile(store, dir, campaignId);
    }
    made = true;
    const lockFile = `${file}.lock`;
    for (let waited = 0; !takeLock(lockFile); waited += LOCK_POLL_MS) {
      if (!patient || waited >= STALE_LOCK_MS) return 0; // the next catch-up goes on from here
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
    let fd: number | undefined;
    try {
      fd = openSync(file, 'a+');
      const size = fstatSync(fd).size;
      // Our own last write left the file as we know it, unless another process appended since.
      let state = known && known.size === size ? known : readState(fd, size, keepRecent);
      let written = 0;
      let scan = keepRecent ? Math.max(0, state.lastId - LATE_WINDOW) : state.lastId;
      for (;;) {
        const events = await store.eventsAfter(campaignId, scan, PAGE);
        const fresh = events.filter((e) => e.id > state.lastId || (keepRecent && !state.recent.has(e.id)));
        if (fresh.length > 0) {
          // The lines of one page are appended in one write.
          const text = formatLogLines(campaignId, fresh);
          writeSync(fd, text);
          state = advance(state, fresh, Buffer.byteLength(text), keepRecent);
          written += fresh.length;
        }
        if (events.length < PAGE) break;
        scan = events.at(-1)!.id;
      }
      known = state;
      return written;
    } finally {
      if (fd !== undefined) closeSync(fd);
      rmSync(lockFile, { force: true });
    }
  }

  let copying = 0;
  function catchUp(patient = true): Promise<number> {
    // One catch-up at a time in this process: a second caller waits for the one running.
    copying++;
    running = running
      .then(() => copyNew(patient))
      .catch((err: Error) => {
        known = undefined; // read the file again next time
        if (!warned) process.stderr.write(`pressline: could not write the delivery log ${file}: ${err.message}; the store keeps every event (pressline log ${campaignId})\n`);
        warned = true;
        return 0;
      })
      .finally(() => copying--);
    return running;
  }

  return {
    catchUp: () => catchUp(),
    follow(intervalMs) {
      const timer = setInterval(() => {
        if (copying === 0) void catchUp(false);
      }, intervalMs).unref();
      return {
        stop() {
          clearInterval(timer);
          return catchUp();
        },
      };
    },
  };
}

function advance(state: FileState, fresh: LoggedEvent[], bytes: number, keepRecent: boolean): FileState {
  let lastId = state.lastId;
  for (const e of fresh) lastId = Math.max(lastId, e.id);
  if (keepRecent) {
    for (const e of fresh) state.recent.add(e.id);
    for (const id of state.recent) if (id <= lastId - LATE_WINDOW) state.recent.delete(id);
  }
  return { size: state.size + bytes, lastId, recent: state.recent };
}

/**
 * Reads the file's state from its end: cuts a half-written last line (a crash mid-write), then
 * reads lines backwards until it has the highest event id, or with `keepRecent` every id within
 * LATE_WINDOW of it. Lines without an eventId (written before lines carried one) end the search.
 */
function readState(fd: number, size: number, keepRecent: boolean): FileState {
  const recent = new Set<number>();
  let lastId = 0;
  let end = size;
  let carry = Buffer.alloc(0);
  let first = true;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    let data = Buffer.concat([chunk.subarray(0, n), carry]);
    if (first) {
      first = false;
      const cut = data.lastIndexOf(0x0a) + 1;
      if (cut < data.length) {
        // A half-written last line: cut it, and copy its event again.
        size = start + cut;
        ftruncateSync(fd, size);
        data = data.subarray(0, cut);
      }
    }
    // Whole lines only; a line cut by the chunk's start is read with the next chunk.
    const from = start === 0 ? 0 : data.indexOf(0x0a) + 1;
    carry = data.subarray(0, from);
    const lines = data.subarray(from).toString('utf8').split('\n').filter(Boolean).reverse();
    for (const line of lines) {
      const id = eventIdOf(line);
      if (id === undefined) return { size, lastId, recent };
      lastId = Math.max(lastId, id);
      if (!keepRecent) return { size, lastId, recent };
      if (id <= lastId - LATE_WINDOW) return { size, lastId, recent };
      recent.add(id);
    }
    end = start;
  }
  return { size, lastId, recent };
}

function eventIdOf(line: string): number | undefined {
  try {
    const id = (JSON.parse(line) as { eventId?: unknown }).eventId;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An exclusive lock file, created only if absent and naming its holder (host:pid). One left behind
 * is taken over: at once when its holder was a process on this host that is gone (killed while
 * copying), else once it is STALE_LOCK_MS old.
 */
function takeLock(lockFile: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, `${hostname()}:${process.pid}`, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      const holder = readFileSync(lockFile, 'utf8');
      if (!ownerIsDead(holder) && Date.now() - statSync(lockFile).mtimeMs < STALE_LOCK_MS) return false;
      unlinkSync(lockFile);
    } catch {
      // Removed by its holder meanwhile: try again.
    }
  }
  return false;
}
