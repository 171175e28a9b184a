import type { Command } from 'commander';
import { withApp } from '../app.js';
import { addressKey } from '../bounces/apply.js';
import { PresslineError } from '../errors.js';
import { loadLists } from '../lists/load.js';
import { toCsv } from '../reports/csv.js';
import type { SuppressionReason } from '../store/types.js';
import { printJson, table } from './output.js';
import { protectedFiles, writeOutFile } from './out-file.js';
import { oneLine } from '../terminal/sanitise.js';

const REASONS: SuppressionReason[] = ['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual'];

function reasonOf(text: string | undefined): SuppressionReason {
  const r = (text ?? 'manual').trim().toLowerCase() as SuppressionReason;
  if (!REASONS.includes(r)) throw new PresslineError('USAGE', `--reason ${text}: use one of ${REASONS.join(', ')}`);
  return r;
}

export function registerSuppressCommands(program: Command): void {
  const suppress = program.command('suppress').description('addresses that must never be mailed again, and why (global across lists and campaigns)');

  suppress
    .command('list')
    .description('every suppressed address with reason, source and time')
    .option('--json', 'one JSON document on stdout')
    .action(async (flags) => {
      await withApp(program.opts().config, async (app) => {
        const rows = await app.store.listSuppressions();
        if (flags.json) printJson(rows.map((s) => ({ email: s.email, key: s.key, reason: s.reason, source: s.source, detail: s.detail ?? null, createdAt: s.createdAt })));
        else if (rows.length === 0) process.stdout.write('No suppressed addresses.\n');
        else process.stdout.write(table(['email', 'reason', 'source', 'since', 'detail'], rows.map((s) => [s.email, s.reason, s.source, s.createdAt.toISOString().slice(0, 16).replace('T', ' '), (s.detail ?? '').slice(0, 50)])) + '\n');
      });
    });

  suppress
    .command('add')
    .description('suppress addresses by hand')
    .argument('<email...>', 'addresses')
    .option('--reason <reason>', REASONS.join(' | '), 'manual')
    .option('--note <text>', 'why, for the record')
    .action(async (emails: string[], flags) => {
      await withApp(program.opts().config, async (app) => {
        const reason = reasonOf(flags.reason);
        for (const email of emails) {
          const key = addressKey(email);
          if (!key) throw new PresslineError('USAGE', `"${email}" is not an email address`);
          const added = await app.store.addSuppression({ key, email, reason, source: 'operator', detail: flags.note }, app.clock.now());
          process.stdout.write(`${email}: ${added ? 'suppressed' : 'was already suppressed'}\n`);
        }
      });
    });

  suppress
    .command('remove')
    .description('allow an address again; the removal is logged')
    .argument('<email...>', 'addresses')
    .option('--yes', 'confirm: the address may receive mail again')
    .action(async (emails: string[], flags) => {
      if (!flags.yes) throw new PresslineError('USAGE', 'removing a suppression lets mail reach that address again: repeat with --yes');
      await withApp(program.opts().config, async (app) => {
        for (const email of emails) {
          const key = addressKey(email) ?? email.toLowerCase();
          const removed = await app.store.removeSuppression(key, `operator (${process.env.USER ?? 'unknown user'})`, app.clock.now());
          process.stdout.write(`${email}: ${removed ? 'no longer suppressed (logged)' : 'was not suppressed'}\n`);
          if (!removed) process.exitCode = 1;
        }
      });
    });

  suppress
    .command('import')
    .description('suppress every address in a CSV file (an "email" column; optional "reason")')
    .argument('<file>', 'CSV file, as exported from another tool')
    .option('--reason <reason>', 'reason for rows without one', 'manual')
    .action(async (file: string, flags) => {
      await withApp(program.opts().config, async (app) => {
        const fallback = reasonOf(flags.reason);
        let added = 0;
        let rows = 0;
        const pending: Promise<boolean>[] = [];
        const report = await loadLists([file], {
          onContact: (c) => {
            rows++;
            const reason = c.extra.reason ?? c.extra.Reason ? reasonOf(c.extra.reason ?? c.extra.Reason) : fallback;
            pending.push(app.store.addSuppression({ key: c.key, email: c.email, reason, source: `import ${file}`, detail: undefined }, app.clock.now()));
          },
        });
        for (const p of await Promise.all(pending)) if (p) added++;
        process.stdout.write(`${rows} addresses read, ${added} newly suppressed, ${report.invalid.length} invalid rows\n`);
        for (const p of report.invalid) process.stdout.write(`  ${oneLine(p.file)}:${p.line}: ${oneLine(p.reason)}\n`);
        process.exitCode = report.invalid.length > 0 ? 1 : 0;
      });
    });

  suppress
    .command('export')
    .description('write the suppression list as CSV (UTF-8 with BOM)')
    .option('--out <file>', 'file to write (default: stdout); never over an existing file unless --force')
    .option('--force', 'let --out replace an existing file (never the store, the config or .env)')
    .action(async (flags) => {
      await withApp(program.opts().config, async (app) => {
        const rows = await app.store.listSuppressions();
        const csv = toCsv(['email', 'reason', 'source', 'createdAt', 'detail'], rows.map((s) => [s.email, s.reason, s.source, s.createdAt, s.detail]));
        if (flags.out) writeOutFile(flags.out, csv, { force: Boolean(flags.force), protected: protectedFiles({ config: app.config, env: app.env, configFlag: program.opts().config }) });
        else process.stdout.write(csv);
      });
    });
}
