import type { EventType } from '../types.js';
import type { Row } from '../rows.js';

/**
 * The SQL both engines share is written once, as operations: generator functions that yield one
 * statement at a time and get its result back. Each engine drives them its own way: SQLite
 * synchronously (so a transaction stays one better-sqlite3 transaction, with nothing interleaved),
 * PostgreSQL with an await per statement on one connection. Statements use `?` placeholders
 * (PostgreSQL's driver rewrites them to $n) and take Dates and booleans as they are (SQLite's
 * driver stores epoch milliseconds and 0/1). What differs between engines lives in `Dialect`.
 */
export type Statement =
  | { kind: 'all' | 'get' | 'run'; sql: string; args: readonly unknown[] }
  /** Event rows inserted in the order given (ids follow it): one statement per row, or one unnest. */
  | { kind: 'events'; rows: readonly EventRow[] };

export type Op<T> = Generator<Statement, T, unknown>;

/** Every row the statement returns. */
export function* all<R = Row>(sql: string, args: readonly unknown[] = []): Generator<Statement, R[], unknown> {
  return (yield { kind: 'all', sql, args }) as R[];
}

/** The first row, if any. */
export function* get<R = Row>(sql: string, args: readonly unknown[] = []): Generator<Statement, R | undefined, unknown> {
  return (yield { kind: 'get', sql, args }) as R | undefined;
}

/** How many rows the statement changed. */
export function* run(sql: string, args: readonly unknown[] = []): Generator<Statement, number, unknown> {
  return (yield { kind: 'run', sql, args }) as number;
}

/** The columns of one events row, in table order (see INSERT_EVENT). */
export type EventRow = [
  campaignId: number,
  deliveryId: number | null,
  at: Date,
  type: EventType,
  attempt: number | null,
  code: number | null,
  enhanced: string | null,
  response: string | null,
  messageId: string | null,
  durationMs: number | null,
  detail: string | null,
];

export const INSERT_EVENT = `INSERT INTO events (campaign_id, delivery_id, at, type, attempt, code, enhanced, response, message_id, duration_ms, detail)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function* insertEvents(rows: readonly EventRow[]): Generator<Statement, void, unknown> {
  if (rows.length > 0) yield { kind: 'events', rows };
}

/** A campaign-level or delivery event with only a detail (most events the store writes itself). */
export function eventRow(campaignId: number, deliveryId: number | null, at: Date, type: EventType, detail: string | null, attempt: number | null = null, messageId: string | null = null): EventRow {
  return [campaignId, deliveryId, at, type, attempt, null, null, null, messageId, null, detail];
}

/** `?, ?, ?` for a list of values (IN lists; callers never pass an empty one). */
export function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** The few places where the engines' SQL truly differs. */
export interface Dialect {
  /** Claims skip rows another transaction holds (PostgreSQL); SQLite has one writer at a time. */
  readonly skipLocked: string;
  /** Locks the rows read until the commit (PostgreSQL); SQLite's IMMEDIATE transaction holds the whole file already. */
  readonly forUpdate: string;
  /** Serialises every end of planning in the database (PostgreSQL: an advisory lock; SQLite: the IMMEDIATE transaction). */
  readonly planningLock: string | undefined;
  /** The expression ordered byte-wise, as SQLite's default BINARY collation does. */
  binary(expr: string): string;
  /** `column` is one of the ids passed as a single argument (no limit on how many). */
  inIds(column: string): string;
  idsArg(ids: readonly number[]): unknown;
  /** A time column as whole epoch milliseconds. */
  epochMs(column: string): string;
  /** Case-insensitive LIKE with backslash escapes. */
  /** The dashboard search over key, email and outlet: the same case fold on both engines (search-fold.ts). */
  search(term: string): { sql: string; args: string[] };
  /** The campaign's events after an id, with the recipient's address, worker and relay (planner hints differ). */
  readonly eventsAfter: string;
  /** The column skipped_rows keep their insertion order in (SQLite's table has no id of its own). */
  readonly skippedRowsOrder: 'rowid' | 'id';
  /** Sets the expiry of an owner's claims on a campaign's deliveries (args: expires, campaign, owner). */
  readonly setClaimExpiry: string;
}
