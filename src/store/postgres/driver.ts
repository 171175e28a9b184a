import { postgresSearch } from '../search-fold.js';
import type pg from 'pg';
import type { Row } from '../rows.js';
import type { Dialect, EventRow, Op, Statement } from '../sql/adapter.js';

/** One statement on a connection (or on the pool): what the shared operations run on. */
export type QueryFn = (sql: string, args: unknown[]) => Promise<pg.QueryResult<Row>>;

/** PostgreSQL's side of the shared SQL (src/store/sql/adapter.ts): where its statements differ. */
export const POSTGRES_DIALECT: Dialect = {
  // Rows another worker is claiming right now are skipped, not waited for.
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  forUpdate: ' FOR UPDATE',
  // Each end of planning would otherwise see the other still planning (READ COMMITTED).
  planningLock: `SELECT pg_advisory_xact_lock(hashtext('pressline:finish-planning'))`,
  // Byte-wise, the way SQLite's default BINARY collation orders text, so both stores page alike.
  binary: (expr) => `${expr} COLLATE "C"`,
  inIds: (column) => `${column} = ANY(CAST(? AS bigint[]))`,
  idsArg: (ids) => ids,
  epochMs: (column) => `floor(extract(epoch FROM ${column}) * 1000)::bigint`,
  search: postgresSearch,
  // The page first, then one lookup per row (LATERAL): a plain join let the planner hash the
  // whole deliveries table for each page (12 ms at 100,000 recipients, against 1.5 ms).
  eventsAfter: `SELECT e.*, d.email, d.worker, d.relay
    FROM (SELECT * FROM events WHERE id > ? AND campaign_id = ? ORDER BY id LIMIT ?) e
    LEFT JOIN LATERAL (SELECT email, worker, relay FROM deliveries WHERE id = e.delivery_id) d ON true
    ORDER BY e.id`,
  // Rows locked in id order, as pressline_write_batch locks its rows, so a lease renewal and the
  // same sender's writes never wait on each other in a cycle.
  setClaimExpiry: `UPDATE deliveries d SET claim_expires = ?
    FROM (SELECT id FROM deliveries WHERE campaign_id = ? AND claimed_by = ? ORDER BY id FOR UPDATE) r WHERE d.id = r.id`,
  skippedRowsOrder: 'id',
};

const numbered = new Map<string, string>();

/** The shared SQL's `?` placeholders as $1, $2… (none of its string literals holds a `?`). */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size > 500) numbered.clear();
    numbered.set(sql, out);
  }
  return out;
}

/** Rows per statement for bulk inserts (keeps each statement's parameter arrays modest). */
export const CHUNK = 5000;

/** Many event rows in one statement per chunk, in the order given (event ids follow it). */
export async function insertEvents(query: QueryFn, rows: readonly EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const columns = Array.from({ length: 11 }, (_, k) => chunk.map((r) => r[k] ?? null));
    await query(
      `INSERT INTO events (campaign_id, delivery_id, at, type, attempt, code, enhanced, response, message_id, duration_ms, detail)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[])`,
      columns,
    );
  }
}

/** Runs every statement `op` yields, in turn, each with its result handed back. */
export async function drive<T>(query: QueryFn, op: Op<T>): Promise<T> {
  let step = op.next();
  while (!step.done) step = op.next(await execute(query, step.value));
  return step.value;
}

async function execute(query: QueryFn, s: Statement): Promise<unknown> {
  if (s.kind === 'events') return insertEvents(query, s.rows);
  const result = await query(numberPlaceholders(s.sql), s.args.map((v) => (v === undefined ? null : v)));
  if (s.kind === 'all') return result.rows;
  if (s.kind === 'get') return result.rows[0];
  return result.rowCount ?? 0;
}

const DEADLOCK_DETECTED = '40P01';

/**
 * Runs an idempotent write again when PostgreSQL chose it as a deadlock victim (rolled back, so
 * nothing of it was applied). Lock order makes that rare (see setClaimExpiry); this makes it
 * harmless instead of a stopped sender.
 */
export async function retryDeadlock<T>(write: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if ((err as { code?: string }).code !== DEADLOCK_DETECTED || i >= attempts) throw err;
    }
  }
}
