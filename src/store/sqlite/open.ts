import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PresslineError } from '../../errors.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteStore } from './store.js';

/** Where the schema stands after opening: its version and the steps this open applied. */
export interface MigrationResult {
  version: number;
  applied: number[];
}

/** Opens (creating if needed) the SQLite file and brings its schema up to date. */
export function openSqliteStore(file: string): SqliteStore {
  // A file, never ':memory:': the hot-path writer (writer.ts) opens the same file from a worker.
  if (file === ':memory:') throw new PresslineError('STORE', 'the SQLite store needs a file; set PRESSLINE_DB to a path');
  mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new PresslineError('STORE', `cannot open the SQLite store: ${(err as Error).message}; check PRESSLINE_DB`, { file });
  }
  // WAL lets `pause` and `report` read while `send` writes. synchronous=FULL makes every commit
  // survive power loss: the "sending" mark must be on disk before the relay sees a byte.
  let migration: MigrationResult;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migration = migrate(db);
  } catch (err) {
    db.close();
    throw notADatabase(err, file) ?? err;
  }
  return new SqliteStore(db, migration);
}

/** SQLite's first read of a file that holds something else (a CSV written over it, say) fails here. */
function notADatabase(err: unknown, file: string): PresslineError | undefined {
  const code = (err as { code?: unknown }).code;
  if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') return undefined;
  const what = code === 'SQLITE_NOTADB' ? 'is not a SQLite database' : 'is a damaged SQLite database';
  return new PresslineError(
    'STORE',
    `the store file ${what}; restore it from a backup, or point PRESSLINE_DB (or paths.database in the config) at the right file`,
    { file },
  );
}

function migrate(db: Database.Database): MigrationResult {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  // IMMEDIATE takes the write lock first, so two processes starting at once apply each step once.
  return db.transaction(() => {
    const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    const applied: number[] = [];
    for (const step of SQLITE_MIGRATIONS) {
      if (done.has(step.version)) continue;
      db.exec(step.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(step.version, Date.now());
      applied.push(step.version);
      done.add(step.version);
    }
    return { version: Math.max(0, ...done), applied };
  }).immediate();
}
