import pg from 'pg';
import { PresslineError } from '../../errors.js';
import { NOT_APPLIED } from '../retry.js';
import type { Row } from '../rows.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PostgresStoreOptions {
  /** Schema for every table (created when missing); the server's search_path default otherwise. */
  schema?: string | undefined;
  /** Pool size; one process rarely needs more than a handful of connections. */
  max?: number | undefined;
}

// bigint ids and count(*) come back as JavaScript numbers (ids stay far below 2^53); the parser
// is per pool, so other users of `pg` in the process keep the library defaults.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
/** How long a new connection may take before the attempt fails (a transient error). */
const CONNECT_TIMEOUT_MS = 30_000;

/** Tags a failure that certainly left nothing applied (no connection, or before COMMIT was sent). */
export function notApplied(err: unknown): unknown {
  if (err && typeof err === 'object') (err as Record<symbol, unknown>)[NOT_APPLIED] = true;
  return err;
}

/** A lazily connecting pool for `url`, every connection on `schema` when given. */
export function createPool(url: string, options: PostgresStoreOptions): pg.Pool {
  const schema = options.schema;
  if (schema !== undefined && !IDENT.test(schema)) {
    throw new PresslineError('STORE', `invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    // The search_path is a startup parameter, so every pooled connection gets it before its first query.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    application_name: 'pressline',
    // A server that never answers (a network partition) fails the connect instead of hanging
    // the caller for good; the worker's retry (store/retry.ts) then tries again.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client losing its connection (server restart) must not crash the process; the next
  // query on the pool connects afresh. Checked-out clients have their own listener (checkout).
  pool.on('error', () => {});
  return pool;
}

/**
 * Applies pending steps in one transaction under a transaction-scoped advisory lock, so several
 * workers starting at once apply each step exactly once (the others wait, then find it done).
 * Returns the schema version afterwards and the versions this call applied.
 */
export async function migratePostgres(client: pg.PoolClient, schema: string | undefined): Promise<{ version: number; applied: number[] }> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`pressline:migrate:${schema ?? ''}`]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)');
    const done = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const step of POSTGRES_MIGRATIONS) {
      if (done.has(step.version)) continue;
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [step.version]);
      applied.push(step.version);
      done.add(step.version);
    }
    await client.query('COMMIT');
    return { version: Math.max(0, ...done), applied };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

type CheckedOut = { client: pg.PoolClient; release(err?: Error): void };

/**
 * The pool as the store uses it: every query waits for the migration, a checked-out connection
 * never crashes the process when it drops, transactions roll back on any error, and an open
 * write group routes everything through its one connection.
 */
export class PgConnection {
  readonly migrated: Promise<{ version: number; applied: number[] }>;
  /** The open write group: one connection in one transaction (see beginWriteGroup). */
  private group: CheckedOut | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string | undefined,
  ) {
    this.migrated = this.withClient((c) => migratePostgres(c, schema));
    // Surfaced by ready() and by the first query; not an unhandled rejection meanwhile.
    this.migrated.catch(() => {});
  }

  /**
   * A pooled connection with an 'error' listener for as long as it is checked out: pg emits
   * 'error' on a checked-out client whose connection drops (server restart, reset), even between
   * queries, and an unheard 'error' event ends the process. The pool's own listener covers idle
   * clients only. A client that broke is discarded on release, never handed to the next caller.
   */
  private async checkout(): Promise<CheckedOut> {
    // Inside a write group every query goes to the group's connection, released when it ends.
    if (this.group) return { client: this.group.client, release: () => {} };
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw notApplied(err);
    }
    let broken: Error | undefined;
    const onError = (err: Error) => (broken ??= err);
    client.on('error', onError);
    return {
      client,
      release(err?: Error) {
        client.removeListener('error', onError);
        client.release(err ?? broken);
      },
    };
  }

  private async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const { client, release } = await this.checkout();
    try {
      return await fn(client);
    } finally {
      release();
    }
  }

  /** One statement on its own (its own transaction, or the open write group's). */
  async query(sql: string, params: readonly unknown[] = []): Promise<pg.QueryResult<Row>> {
    await this.migrated;
    return this.withClient((c) => c.query(sql, params as unknown[]));
  }

  /** Runs `fn` in one transaction on one connection; rolls back on any error. */
  async tx<T>(fn: (c: Queryable) => Promise<T>, options: { lazyCommit?: boolean } = {}): Promise<T> {
    await this.migrated;
    if (this.group) return this.inGroup(this.group.client, fn);
    const { client: c, release } = await this.checkout();
    let broken: Error | undefined;
    let committing = false;
    try {
      // One round trip for both: a simple-protocol query may carry several statements.
      await c.query(options.lazyCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
      const result = await fn(c);
      committing = true;
      await c.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is not handed to the next caller.
      await c.query('ROLLBACK').catch((e: Error) => (broken = e));
      // Only a COMMIT in flight leaves the outcome open; before it, the server rolls back.
      throw committing ? err : notApplied(err);
    } finally {
      release(broken);
    }
  }

  /**
   * A transaction inside the open write group: a savepoint, so a failed `fn` undoes only itself
   * (and leaves the group usable). Its commit is the group's; a lazy commit is not asked for.
   */
  private async inGroup<T>(c: pg.PoolClient, fn: (c: Queryable) => Promise<T>): Promise<T> {
    await c.query('SAVEPOINT pressline_group_step');
    try {
      const result = await fn(c);
      await c.query('RELEASE SAVEPOINT pressline_group_step');
      return result;
    } catch (err) {
      await c.query('ROLLBACK TO SAVEPOINT pressline_group_step; RELEASE SAVEPOINT pressline_group_step').catch(() => undefined);
      throw notApplied(err);
    }
  }

  async beginGroup(): Promise<void> {
    if (this.group) throw new Error('a write group is already open on this PostgreSQL store');
    await this.migrated;
    const checkedOut = await this.checkout();
    try {
      await checkedOut.client.query('BEGIN');
    } catch (err) {
      checkedOut.release(err as Error);
      throw notApplied(err);
    }
    this.group = checkedOut;
  }

  async commitGroup(): Promise<void> {
    const group = this.group;
    if (!group) return;
    this.group = undefined;
    try {
      await group.client.query('COMMIT');
      group.release();
    } catch (err) {
      // A COMMIT whose reply was lost leaves the outcome open: the connection is not reused.
      group.release(err as Error);
      throw err;
    }
  }

  async rollbackGroup(): Promise<void> {
    const group = this.group;
    if (!group) return;
    this.group = undefined;
    let broken: Error | undefined;
    await group.client.query('ROLLBACK').catch((e: Error) => (broken = e));
    group.release(broken);
  }

  /** Ends the pool (idempotent); queries in progress finish first. */
  async close(): Promise<void> {
    this.closed ??= this.migrated.then(
      () => this.pool.end(),
      () => this.pool.end(),
    );
    return this.closed;
  }
}
