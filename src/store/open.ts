import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.js';
import { openSqliteStore } from './sqlite/store.js';
import type { Store } from './types.js';

/** The store the environment asks for: PostgreSQL for DATABASE_URL, else the SQLite file. */
export async function openStore(config: Config, env: Env): Promise<Store> {
  if (env.databaseUrl) {
    // Loaded only when asked for: most installs never need the PostgreSQL driver.
    const { openPostgresStore } = await import('./postgres/store.js');
    return openPostgresStore(env.databaseUrl);
  }
  return openSqliteStore(env.sqliteFile ?? config.paths.database);
}

/** Where a store's schema stands: its version, the newest this build knows, and what opening applied. */
export interface SchemaState {
  store: 'sqlite' | 'postgres';
  version: number;
  latest: number;
  applied: number[];
}

/**
 * Brings the store's schema up to date (opening applies pending steps: under an advisory lock in
 * PostgreSQL, an IMMEDIATE transaction in SQLite, so several processes may do it at once) and
 * says where it stands.
 */
export async function migrateStore(config: Config, env: Env): Promise<SchemaState> {
  if (env.databaseUrl) {
    const [{ openPostgresStore }, { POSTGRES_MIGRATIONS }] = await Promise.all([import('./postgres/store.js'), import('./postgres/migrations.js')]);
    const store = await openPostgresStore(env.databaseUrl);
    try {
      return { store: 'postgres', ...(await store.ready()), latest: latestOf(POSTGRES_MIGRATIONS) };
    } finally {
      await store.close();
    }
  }
  const store = openSqliteStore(env.sqliteFile ?? config.paths.database);
  try {
    return { store: 'sqlite', ...(await store.ready()), latest: latestOf(SQLITE_MIGRATIONS) };
  } finally {
    await store.close();
  }
}

function latestOf(steps: { version: number }[]): number {
  return Math.max(0, ...steps.map((s) => s.version));
}
