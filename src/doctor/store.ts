import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { POSTGRES_MIGRATIONS } from '../store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../store/sqlite/migrations.js';
import { fail, ok, warn, type CheckResult } from './types.js';

const latest = (steps: { version: number }[]) => Math.max(0, ...steps.map((s) => s.version));
const MIGRATE = 'run `pressline db migrate`';

/**
 * The store answers and its schema is current. Looked at read-only: opening it the usual way
 * would create the SQLite file or apply migrations, and a doctor changes nothing.
 */
export async function checkStore(config: Config, env: Env, timeoutMs: number): Promise<CheckResult> {
  return env.databaseUrl ? checkPostgres(env.databaseUrl, timeoutMs) : checkSqlite(env.sqliteFile ?? config.paths.database);
}

function verdict(where: string, version: number, expected: number): CheckResult {
  if (version < expected) return fail('store', `${where} schema is at version ${version}, this pressline needs ${expected}`, MIGRATE);
  if (version > expected) return fail('store', `${where} schema is at version ${version}, newer than this pressline (${expected})`, 'update pressline on this machine');
  return ok('store', `${where} answers, schema at version ${version}`);
}

function checkSqlite(file: string): CheckResult {
  if (!existsSync(file)) return warn('store', `no SQLite store yet at ${file}; the first send creates it`, `${MIGRATE} to create it now`);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    const version = hasTable ? ((db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0) : 0;
    return verdict(`SQLite store ${file}`, version, latest(SQLITE_MIGRATIONS));
  } catch (err) {
    return fail('store', `cannot read the SQLite store ${file}: ${(err as Error).message}`, 'check PRESSLINE_DB / paths.database names a pressline store, and its permissions');
  } finally {
    db?.close();
  }
}

async function checkPostgres(url: string, timeoutMs: number): Promise<CheckResult> {
  let where = 'PostgreSQL store';
  try {
    const u = new URL(url);
    where = `PostgreSQL store ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`; // never the password
  } catch {
    return fail('store', 'DATABASE_URL is not a URL', 'write it as postgres://user@host:5432/database');
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'pressline doctor' });
  client.on('error', () => {});
  try {
    await client.connect();
    const version = await client.query('SELECT max(version) AS v FROM schema_migrations').then(
      (r) => Number(r.rows[0]?.v ?? 0),
      (err: { code?: string }) => {
        if (err.code === '42P01') return 0; // no schema_migrations table: never migrated
        throw err;
      },
    );
    return verdict(where, version, latest(POSTGRES_MIGRATIONS));
  } catch (err) {
    return fail('store', `${where} does not answer: ${(err as Error).message}`, 'check DATABASE_URL and that the server is running and reachable');
  } finally {
    await client.end().catch(() => undefined);
  }
}
