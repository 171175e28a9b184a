import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { openSqliteStore } from './sqlite/store.js';
import type { Store } from './types.js';

/** The store the environment asks for: PostgreSQL for DATABASE_URL, else the SQLite file. */
export async function openStore(config: Config, env: Env): Promise<Store> {
  if (env.databaseUrl) {
    throw new PresslineError('STORE', 'DATABASE_URL is set, but the PostgreSQL store is not built yet; unset it to use the SQLite file');
  }
  return openSqliteStore(env.sqliteFile ?? config.paths.database);
}
