import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
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
