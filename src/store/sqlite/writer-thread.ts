// The SQLite writer thread (started by writer.ts; runs from the compiled build, dist/). It owns a
// second connection to the store file and does the sender's hot store work: durable "sending"
// marks, outcomes, and claims of the next batch. Requests and replies cross the thread boundary
// as one JSON string each: cheaper than a structured clone of the same objects (profiled: ~100 µs
// of main-thread time per message for the clone, ~30 for this).
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { claimBatch } from '../sql/claims.js';
import { addSuppression } from '../sql/suppressions.js';
import { lowerThisThreadPriority } from '../../process/thread-priority.js';
import { SqliteDriver, SQLITE_DIALECT } from './driver.js';
import type { ClaimRequest, WireOutcome, WriteRequest, WriterReply, WriterRequest } from './writer-wire.js';

/** Niceness of the writer thread (0 is the default, 19 the lowest priority). */
const WRITER_NICE = 10;

const { file } = workerData as { file: string };
const port = parentPort!;
const db = new Database(file);
const driver = new SqliteDriver(db);

// This thread mostly waits on fsync; when it wakes while the event loop is busy building and
// transmitting messages, the loop should keep the CPU. bench/send: +4.5% throughput, paired runs.
lowerThisThreadPriority(WRITER_NICE);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 10000');
// Each commit of marks and outcomes rewrites a dozen pages or more (rows, five indexes, events),
// mostly the same hot pages again and again. Checkpointing every 10,000 WAL pages rather than SQLite's
// 1,000 copies each hot page into the database once per 40 MB instead of ten times, and stalls
// the marks behind a checkpoint a tenth as often (bench/send: +9% throughput; 40,000 gained nothing).
db.pragma('wal_autocheckpoint = 10000');

type Marked = { campaign_id: number; attempts: number };

// A delivery planned with its Message-ID (all since planning assigns them) is marked without
// writing it again: naming message_id in SET would rewrite its index entry on every send.
const markPlanned = db.prepare<unknown[], Marked>(`UPDATE deliveries SET status = 'sending', attempts = attempts + 1,
  first_attempt_at = coalesce(first_attempt_at, ?), updated_at = ?, worker = ?, relay = ?
  WHERE id = ? AND status IN ('pending', 'deferred') AND claimed_by = ? AND message_id IS NOT NULL RETURNING campaign_id, attempts`);
const mark = db.prepare<unknown[], Marked>(`UPDATE deliveries SET status = 'sending', attempts = attempts + 1, message_id = ?,
  first_attempt_at = coalesce(first_attempt_at, ?), updated_at = ?, worker = ?, relay = ?
  WHERE id = ? AND status IN ('pending', 'deferred') AND claimed_by = ? RETURNING campaign_id, attempts`);
const outcome = db.prepare<unknown[], { campaign_id: number }>(`UPDATE deliveries SET status = ?, code = ?, enhanced = ?, response = ?, next_attempt_at = ?,
  claimed_by = NULL, claim_expires = NULL, updated_at = ?
  WHERE id = ? AND status = 'sending' RETURNING campaign_id`);
const event = db.prepare(`INSERT INTO events (campaign_id, delivery_id, at, type, attempt, code, enhanced, response, message_id, duration_ms, detail)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);

const write = db.transaction(({ marks, outcomes, at }: WriteRequest) => {
  for (const o of outcomes) writeOutcome(o);
  for (const m of marks) {
    const row = markPlanned.get(at, at, m.worker, m.relay, m.deliveryId, m.worker) ?? mark.get(m.messageId, at, at, m.worker, m.relay, m.deliveryId, m.worker);
    if (!row) throw new Error(`delivery ${m.deliveryId} is no longer pending or no longer claimed by ${m.worker}; refusing to send it`);
    event.run(row.campaign_id, m.deliveryId, at, 'sending', row.attempts, null, null, null, m.messageId, null, null);
  }
});

function writeOutcome(o: WireOutcome): void {
  const row = outcome.get(o.status, o.code ?? null, o.enhanced ?? null, o.response ?? null, o.nextAttemptAt, o.at, o.deliveryId);
  if (!row) return; // settled elsewhere meanwhile (recovered as unknown by another process)
  event.run(row.campaign_id, o.deliveryId, o.at, o.status, o.attempt, o.code ?? null, o.enhanced ?? null, o.response ?? null, o.messageId, Math.round(o.durationMs), o.detail ?? null);
  // A hard bounce suppresses its address with the outcome (never over an existing suppression).
  if (o.suppression) driver.drive(addSuppression(o.suppression, new Date(o.at)));
}

// IMMEDIATE: it reads (the campaign) before it writes; a deferred one could not wait for the lock.
const claim = db.transaction(({ campaignId, owner, limit, at, leaseMs }: ClaimRequest) => {
  const rows = driver.drive(claimBatch(SQLITE_DIALECT, campaignId, owner, limit, new Date(at), leaseMs));
  for (const r of rows) r.contact = JSON.parse(r.contact);
  return rows;
});

// Only a durable mark needs its commit on disk before the reply. Outcomes alone and claims may
// wait for the next durable commit (WAL + NORMAL skips the fsync): losing one to a power cut
// leaves a delivery "sending" (reported unknown, never resent) or unclaimed (claimed again).
function run(request: WriterRequest): string | undefined {
  if (request.kind === 'claim') return JSON.stringify(claim.immediate(request.claim));
  write(request.write);
  return undefined;
}

port.on('message', ({ id, request }: { id: number; request: string }) => {
  const parsed = JSON.parse(request) as WriterRequest;
  const durable = parsed.kind === 'write' && parsed.write.marks.length > 0;
  let reply: WriterReply;
  try {
    // db.pragma each time, never a statement prepared once: SQLite applies PRAGMA synchronous
    // when the statement is compiled, so re-running a prepared one does not reliably switch it
    // (tried: the first re-run left the setting unchanged). A mark must never miss its fsync.
    if (!durable) db.pragma('synchronous = NORMAL');
    reply = { id, result: run(parsed) };
  } catch (err) {
    // The code (SQLITE_BUSY…) crosses too: it tells a retry worth making from a refused mark.
    const code = (err as { code?: unknown }).code;
    reply = { id, error: String((err as Error)?.message ?? err), code: typeof code === 'string' ? code : undefined };
  } finally {
    if (!durable) db.pragma('synchronous = FULL');
  }
  port.postMessage(reply);
});
