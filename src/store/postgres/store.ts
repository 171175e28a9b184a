import type pg from 'pg';
import { PresslineError } from '../../errors.js';
import type { Contact } from '../../lists/contact.js';
import { skippedRowDetail } from '../rows.js';
import { eventRow, type Op } from '../sql/adapter.js';
import { SqlStore } from '../sql/sql-store.js';
import type { DeliveryStatus, NewDeliveryOptions, OutcomeRecord, RateKey, RateSlot, SendingMark, SkippedRow } from '../types.js';
import { createPool, PgConnection, type PostgresStoreOptions } from './connection.js';
import { CHUNK, drive, insertEvents, POSTGRES_DIALECT, retryDeadlock } from './driver.js';
import { PgRateLedger } from './rate-ledger.js';
import { writeBatchArgs } from './write-batch.js';

export { migratePostgres, type PostgresStoreOptions } from './connection.js';

/**
 * Connects (lazily) and starts bringing the schema up to date; every method waits for that.
 * Synchronous so callers that build a store without awaiting (test helpers) can use it.
 */
export function connectPostgresStore(url: string, options: PostgresStoreOptions = {}): PgStore {
  return new PgStore(createPool(url, options), options.schema);
}

/** Opens the PostgreSQL store at `url` and applies pending migrations before returning. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PgStore> {
  const store = connectPostgresStore(url, options);
  try {
    await store.ready();
  } catch (err) {
    await store.close().catch(() => {});
    if (err instanceof PresslineError) throw err;
    // The driver's error stays attached (cause), so a caller can tell a server still starting up.
    throw Object.assign(new PresslineError('STORE', `cannot open the PostgreSQL store: ${(err as Error).message}; check DATABASE_URL`), { cause: err });
  }
  return store;
}

/**
 * The scale-out store: PostgreSQL through a connection pool. Same semantics as SqliteStore, and
 * the same SQL for all it shares (src/store/sql/); compare-and-set changes are single guarded
 * UPDATEs (READ COMMITTED re-checks the guard on the latest row version), multi-row changes are
 * transactions, and claims use FOR UPDATE SKIP LOCKED so workers on several machines never take
 * the same delivery.
 */
export class PgStore extends SqlStore {
  declare readonly kind: 'postgres';
  private readonly conn: PgConnection;
  private readonly ledger: PgRateLedger;

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string | undefined,
  ) {
    // Event ids: a transaction may commit after a later one that took a higher id.
    super('postgres', false, POSTGRES_DIALECT);
    this.conn = new PgConnection(pool, schema);
    this.ledger = new PgRateLedger(this.conn);
  }

  /** Resolves when the schema is up to date; the version and what this open applied. */
  async ready(): Promise<{ version: number; applied: number[] }> {
    return this.conn.migrated;
  }

  protected async exec<T>(op: Op<T>): Promise<T> {
    // Each statement on whichever pooled connection is free (or the open write group's).
    return drive((sql, args) => this.conn.query(sql, args), op);
  }

  protected async transaction<T>(op: Op<T>): Promise<T> {
    return this.conn.tx((c) => drive((sql, args) => c.query(sql, args), op));
  }

  protected override retryOnDeadlock<T>(write: () => Promise<T>): Promise<T> {
    return retryDeadlock(write);
  }

  async addDeliveries(campaignId: number, contacts: Contact[], status: DeliveryStatus, now: Date, options: NewDeliveryOptions = {}): Promise<number> {
    const { detail, notBefore, messageId } = options;
    const type = status === 'pending' ? 'planned' : status;
    return this.conn.tx(async (c) => {
      let added = 0;
      for (let i = 0; i < contacts.length; i += CHUNK) {
        const chunk = contacts.slice(i, i + CHUNK);
        // One statement per chunk (unnest): rows keep the list's order (ids ascend with it), a
        // key seen before (in the table or earlier in the chunk) is skipped, and each inserted
        // delivery gets its event in the same statement. SQLite inserts row by row instead.
        const { rows } = await c.query(
          `WITH input AS (
             SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[], $13::text[])
               WITH ORDINALITY AS t(email, key, domain, language, outlet, contact, next_attempt_at, message_id, n)
           ), ins AS (
             INSERT INTO deliveries (campaign_id, email, key, domain, language, outlet, contact, status, updated_at, next_attempt_at, message_id)
             SELECT $1::bigint, email, key, domain, language, outlet, contact, $9::text, $10::timestamptz, next_attempt_at, message_id FROM input ORDER BY n
             ON CONFLICT (campaign_id, key) DO NOTHING
             RETURNING id
           ), ev AS (
             INSERT INTO events (campaign_id, delivery_id, at, type, detail)
             SELECT $1::bigint, id, $10::timestamptz, $11::text, $12::text FROM ins ORDER BY id
           )
           SELECT count(*) AS n FROM ins`,
          [
            campaignId, chunk.map((x) => x.email), chunk.map((x) => x.key), chunk.map((x) => x.domain), chunk.map((x) => x.language),
            chunk.map((x) => x.outlet), chunk.map((x) => JSON.stringify(x)), chunk.map((x) => notBefore?.(x) ?? null), status, now, type,
            detail ?? null, chunk.map((x) => messageId?.(x) ?? null),
          ],
        );
        added += rows[0]!.n;
      }
      return added;
    });
  }

  async addSkipped(campaignId: number, rows: SkippedRow[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    await this.conn.tx(async (c) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        await c.query(
          `INSERT INTO skipped_rows (campaign_id, file, line, email, reason, created_at)
           SELECT $1::bigint, file, line, email, reason, $6::timestamptz FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) WITH ORDINALITY AS t(file, line, email, reason, n) ORDER BY n`,
          [campaignId, chunk.map((r) => r.file), chunk.map((r) => r.line), chunk.map((r) => r.email), chunk.map((r) => r.reason), now],
        );
        await insertEvents((sql, args) => c.query(sql, args), chunk.map((r) => eventRow(campaignId, null, now, 'skipped', skippedRowDetail(r))));
      }
    });
  }

  async writeBatch(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void> {
    if (marks.length === 0 && outcomes.length === 0) return;
    // One statement, so one transaction and one round trip (see the function in migration 7).
    // A mark that fails raises inside it, and nothing of the batch is written.
    const args = writeBatchArgs(marks, outcomes, now);
    const params = args.map((_, i) => `$${i + 1}`).join(', ');
    await retryDeadlock(() => this.conn.query(`SELECT pressline_write_batch(${params})`, args));
  }

  takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }> {
    return this.ledger.takeRateSlots(keys, owner, now, staleBefore);
  }

  endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void> {
    return this.ledger.endRateSlots(slots, owner, now);
  }

  beginWriteGroup(): Promise<void> {
    return this.conn.beginGroup();
  }

  commitWriteGroup(): Promise<void> {
    return this.conn.commitGroup();
  }

  rollbackWriteGroup(): Promise<void> {
    return this.conn.rollbackGroup();
  }

  /** Ends the pool (idempotent); queries in progress finish first. */
  close(): Promise<void> {
    return this.conn.close();
  }
}
