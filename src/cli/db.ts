import type { Command } from 'commander';
import { loadSettings } from '../app.js';
import { PresslineError } from '../errors.js';
import { migrateStore } from '../store/open.js';
import { printJson } from './output.js';

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('the store itself: schema migrations');
  db.command('migrate')
    .description('bring the store schema up to date (PostgreSQL for DATABASE_URL, else the SQLite file) and print its version')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', '\nExample:\n  DATABASE_URL=postgres://pressline@db.internal/pressline pressline db migrate\n')
    .action(async (flags: { json?: boolean }) => {
      const { config, env } = loadSettings(program.opts().config);
      // Opening applies pending steps, so running this on several machines at once is safe.
      const result = await migrateStore(config, env);
      if (result.version < result.latest) {
        throw new PresslineError('STORE', `schema is at version ${result.version}, expected ${result.latest}`);
      }
      if (flags.json) {
        printJson(result);
        return;
      }
      const what = result.applied.length > 0 ? ` (applied ${result.applied.join(', ')})` : ' (already up to date)';
      process.stdout.write(`${result.store} schema at version ${result.version}${what}\n`);
    });
}
