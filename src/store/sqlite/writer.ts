import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { OutcomeRecord, SendingMark } from '../types.js';

/**
 * The sender's hot writes ("sending" marks and outcomes) run on a worker thread with its own
 * connection. The fsync a durable mark needs then blocks that thread, not the event loop that
 * is building and transmitting the other messages in flight.
 *
 * The worker is plain JavaScript evaluated from this string, so it runs the same from the
 * compiled build and from the TypeScript sources under vitest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 10000');
const mark = db.prepare(\`UPDATE deliveries SET status = 'sending', attempts = attempts + 1, message_id = ?,
  first_attempt_at = coalesce(first_attempt_at, ?), updated_at = ?, worker = ?, relay = ?
  WHERE id = ? AND status IN ('pending', 'deferred') AND claimed_by = ? RETURNING campaign_id, attempts\`);
const outcome = db.prepare(\`UPDATE deliveries SET status = ?, code = ?, enhanced = ?, response = ?, next_attempt_at = ?,
  claimed_by = NULL, claim_expires = NULL, updated_at = ?
  WHERE id = ? AND status = 'sending' RETURNING campaign_id\`);
const event = db.prepare(\`INSERT INTO events (campaign_id, delivery_id, at, type, attempt, code, enhanced, response, message_id, duration_ms, detail)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)\`);
const apply = db.transaction((marks, outcomes, at) => {
  for (const o of outcomes) {
    const row = outcome.get(o.status, o.code ?? null, o.enhanced ?? null, o.response ?? null, o.nextAttemptAt ?? null, o.at, o.deliveryId);
    if (!row) continue; // settled elsewhere meanwhile (recovered as unknown by another process)
    event.run(row.campaign_id, o.deliveryId, o.at, o.status, o.attempt, o.code ?? null, o.enhanced ?? null, o.response ?? null, o.messageId, Math.round(o.durationMs), o.detail ?? null);
  }
  for (const m of marks) {
    const row = mark.get(m.messageId, at, at, m.worker, m.relay, m.deliveryId, m.worker);
    if (!row) throw new Error('delivery ' + m.deliveryId + ' is no longer pending or no longer claimed by ' + m.worker + '; refusing to send it');
    event.run(row.campaign_id, m.deliveryId, at, 'sending', row.attempts, null, null, null, m.messageId, null, null);
  }
});
parentPort.on('message', ({ id, batch }) => {
  const { marks, outcomes, at } = JSON.parse(batch);
  // Outcomes alone may wait for the next durable commit (WAL + NORMAL skips the fsync).
  const lazy = marks.length === 0;
  try {
    if (lazy) db.pragma('synchronous = NORMAL');
    apply(marks, outcomes, at);
    parentPort.postMessage({ id });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  } finally {
    if (lazy) db.pragma('synchronous = FULL');
  }
});
`;

/** Serialised (plain numbers, no Dates) so it crosses the thread boundary cheaply. */
interface WireOutcome extends Omit<OutcomeRecord, 'at' | 'nextAttemptAt'> {
  at: number;
  nextAttemptAt: number | null;
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(file: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver } });
    this.worker.unref();
    this.worker.on('message', ({ id, error }: { id: number; error?: string }) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.worker.unref();
      if (error) w?.reject(new Error(error));
      else w?.resolve();
    });
    this.worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  write(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void> {
    const id = this.nextId++;
    const wire: WireOutcome[] = outcomes.map((o) => ({ ...o, at: o.at.getTime(), nextAttemptAt: o.nextAttemptAt ? o.nextAttemptAt.getTime() : null }));
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Keep the process alive while a write is outstanding, and only then.
      this.worker.ref();
      // One JSON string crosses the thread boundary cheaper than a structured clone of the same
      // objects (profiled: ~100 µs of main-thread time per message for the clone, ~30 for this).
      this.worker.postMessage({ id, batch: JSON.stringify({ marks, outcomes: wire, at: now.getTime() }) });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
