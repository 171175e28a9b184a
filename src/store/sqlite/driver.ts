import { sqliteSearch } from '../search-fold.js';
import type Database from 'better-sqlite3';
import { INSERT_EVENT, type Dialect, type Op, type Statement } from '../sql/adapter.js';

/** SQLite's side of the shared SQL (src/store/sql/adapter.ts): where its statements differ. */
export const SQLITE_DIALECT: Dialect = {
  // One writer at a time: nothing to skip.
  skipLocked: '',
  // The IMMEDIATE transaction that runs such a read already holds the write lock on the file.
  forUpdate: '',
  planningLock: undefined,
  binary: (expr) => expr,
  // A JSON array keeps this one statement whatever the number of ids (no variable limit).
  inIds: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  idsArg: (ids) => JSON.stringify(ids),
  epochMs: (column) => column,
  search: sqliteSearch,
  // "+e.campaign_id" keeps the planner on the id range (the newest few rows) instead of an
  // index on campaign_id, which would read all of the campaign's events each time.
  eventsAfter: `SELECT e.*, d.email, d.worker, d.relay FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id
    WHERE e.id > ? AND +e.campaign_id = ? ORDER BY e.id LIMIT ?`,
  setClaimExpiry: 'UPDATE deliveries SET claim_expires = ? WHERE campaign_id = ? AND claimed_by = ?',
  skippedRowsOrder: 'rowid',
};

/** How SQLite stores what the shared SQL passes: times as epoch milliseconds, booleans as 0/1. */
function toSqlite(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v === undefined ? null : v;
}

/** Prepared statements kept per SQL text; statements with long generated IN lists come and go. */
const CACHE_LIMIT = 500;

/** Runs shared operations on one better-sqlite3 connection, synchronously. */
export class SqliteDriver {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= CACHE_LIMIT) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs every statement `op` yields, in turn, each with its result handed back. */
  drive<T>(op: Op<T>): T {
    let step = op.next();
    while (!step.done) step = op.next(this.execute(step.value));
    return step.value;
  }

  private execute(s: Statement): unknown {
    if (s.kind === 'events') {
      const insert = this.prepare(INSERT_EVENT);
      for (const row of s.rows) insert.run(...row.map(toSqlite));
      return undefined;
    }
    const statement = this.prepare(s.sql);
    const args = s.args.map(toSqlite);
    if (s.kind === 'all') return statement.all(...args);
    if (s.kind === 'get') return statement.get(...args);
    return statement.run(...args).changes;
  }
}
