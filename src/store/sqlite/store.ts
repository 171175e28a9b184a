import type Database from 'better-sqlite3';
import type { Contact } from '../../lists/contact.js';
import { skippedRowDetail, toDelivery } from '../rows.js';
import { eventRow, type Op } from '../sql/adapter.js';
import { SqlStore } from '../sql/sql-store.js';
import type { Delivery, DeliveryStatus, NewDeliveryOptions, OutcomeRecord, RateKey, RateSlot, SendingMark, SkippedRow } from '../types.js';
import { SqliteDriver, SQLITE_DIALECT } from './driver.js';
import type { MigrationResult } from './open.js';
import { SqliteRateLedger } from './rate-ledger.js';
import { SqliteWriter } from './writer.js';

export { openSqliteStore } from './open.js';

/**
 * The embedded store: one SQLite file, synchronous underneath, async at the interface. The SQL it
 * shares with PostgreSQL runs through SqliteDriver; claims and the hot writes run on a worker
 * thread (writer.ts), the rate ledger in rate-ledger.ts.
 */
export class SqliteStore extends SqlStore {
  declare readonly kind: 'sqlite';
  private readonly driver: SqliteDriver;
  private readonly ledger: SqliteRateLedger;
  /** Started on the first hot write; `send` needs it, `report` and friends never do. */
  private writer: SqliteWriter | undefined;

  constructor(
    readonly db: Database.Database,
    private readonly migration: MigrationResult = { version: 0, applied: [] },
  ) {
    super('sqlite', true, SQLITE_DIALECT);
    this.driver = new SqliteDriver(db);
    this.ledger = new SqliteRateLedger(db);
  }

  /** The schema version after opening, and the steps this open applied. */
  async ready(): Promise<MigrationResult> {
    return this.migration;
  }

  protected async exec<T>(op: Op<T>): Promise<T> {
    return this.driver.drive(op);
  }

  protected async transaction<T>(op: Op<T>, options: { serialised?: boolean } = {}): Promise<T> {
    const tx = this.db.transaction(() => this.driver.drive(op));
    return options.serialised ? tx.immediate() : tx();
  }

  async addDeliveries(campaignId: number, contacts: Contact[], status: DeliveryStatus, now: Date, options: NewDeliveryOptions = {}): Promise<number> {
    const { detail, notBefore, messageId } = options;
    const at = now.getTime();
    const insert = this.driver.prepare(
      `INSERT INTO deliveries (campaign_id, email, key, domain, language, outlet, contact, status, updated_at, next_attempt_at, message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, key) DO NOTHING`,
    );
    const type = status === 'pending' ? 'planned' : status;
    return this.transaction(
      (function* (): Op<number> {
        let added = 0;
        const events = [];
        for (const c of contacts) {
          const info = insert.run(campaignId, c.email, c.key, c.domain, c.language, c.outlet, JSON.stringify(c), status, at, notBefore?.(c)?.getTime() ?? null, messageId?.(c) ?? null);
          if (info.changes === 0) continue;
          added++;
          events.push(eventRow(campaignId, Number(info.lastInsertRowid), now, type, detail ?? null));
        }
        yield { kind: 'events', rows: events };
        return added;
      })(),
    );
  }

  async addSkipped(campaignId: number, rows: SkippedRow[], now: Date): Promise<void> {
    const insert = this.driver.prepare('INSERT INTO skipped_rows (campaign_id, file, line, email, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    await this.transaction(
      (function* (): Op<void> {
        for (const r of rows) insert.run(campaignId, r.file, r.line, r.email, r.reason, now.getTime());
        yield { kind: 'events', rows: rows.map((r) => eventRow(campaignId, null, now, 'skipped', skippedRowDetail(r))) };
      })(),
    );
  }

  /** On the writer thread, like the marks that follow it: the event loop keeps sending meanwhile. */
  override async claimBatch(campaignId: number, owner: string, limit: number, now: Date, leaseMs: number): Promise<Delivery[]> {
    const rows = await this.hotWriter().claim({ campaignId, owner, limit, at: now.getTime(), leaseMs });
    return rows.map(toDelivery);
  }

  async writeBatch(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void> {
    return this.hotWriter().write(marks, outcomes, now);
  }

  private hotWriter(): SqliteWriter {
    this.writer ??= new SqliteWriter(this.db.name);
    return this.writer;
  }

  takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }> {
    return this.ledger.takeRateSlots(keys, owner, now, staleBefore);
  }

  endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void> {
    return this.ledger.endRateSlots(slots, owner, now);
  }

  // A plain BEGIN/COMMIT around many store calls: each call's own db.transaction() becomes a
  // savepoint inside it (better-sqlite3 nests that way), so a failed call still undoes only itself
  // until the caller rolls the group back. IMMEDIATE: the write lock up front, as for any writer.
  async beginWriteGroup(): Promise<void> {
    if (this.db.inTransaction) throw new Error('a write group is already open on this SQLite store');
    this.db.exec('BEGIN IMMEDIATE');
  }

  async commitWriteGroup(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  async rollbackWriteGroup(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.db.close();
  }
}
