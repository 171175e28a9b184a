import type { Command } from 'commander';
import { loadSettings } from '../app.js';
import { PresslineError } from '../errors.js';
import { POSTGRES_MIGRATIONS } from '../store/postgres/migrations.js';
import { openPostgresStore } from '../store/postgres/store.js';
import { SQLITE_MIGRATIONS } from '../store/sqlite/migrations.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import { printJson } from './output.js';

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('the store itself: schema migrations');
  db.command('migrate')
    .description('bring the store schema up to date (PostgreSQL for DATABASE_URL, else the SQLite file) and print its version')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', '\nExample:\n  DATABASE_URL=postgres://pressline@db.internal/pressline pressline db migrate\n')
    .action(async (flags: { json?: boolean }) => {
      const { config, env } = loadSettings(program.opts().config);
      let result: { store: 'sqlite' | 'postgres'; version: number; latest: number; applied: number[] };
      if (env.databaseUrl) {
        // Opening applies pending steps under an advisory lock, so running this on several
        // machines at once is safe: each step is applied once.
        const store = await openPostgresStore(env.databaseUrl);
        try {
          const { version, applied } = await store.ready();
          result = { store: 'postgres', version, latest: latestOf(POSTGRES_MIGRATIONS), applied };
        } finally {
          await store.close();
        }
      } else {
        const file = env.sqliteFile ?? config.paths.database;
        const store = openSqliteStore(file);
        try {
          const version = (store.db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
          // SQLite applies on open; which steps that open applied is not reported by the store.
          result = { store: 'sqlite', version, latest: latestOf(SQLITE_MIGRATIONS), applied: [] };
        } finally {
          await store.close();
        }
      }
      if (result.version < result.latest) {
        throw new PresslineError('STORE', `schema is at version ${result.version}, expected ${result.latest}`);
      }
      if (flags.json) {
        printJson(result);
        return;
      }
      const what = result.store === 'sqlite' ? '' : result.applied.length > 0 ? ` (applied ${result.applied.join(', ')})` : ' (already up to date)';
      process.stdout.write(`${result.store} schema at version ${result.version}${what}\n`);
    });
}

function latestOf(steps: { version: number }[]): number {
  return Math.max(0, ...steps.map((s) => s.version));
}
