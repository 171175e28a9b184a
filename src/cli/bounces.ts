import type { Command } from 'commander';
import { withApp } from '../app.js';
import { PresslineError } from '../errors.js';
import { readImap } from '../bounces/imap.js';
import { ingestMessages, type IngestSummary } from '../bounces/ingest.js';
import { readPath, type MailboxMessage } from '../bounces/sources.js';
import { printJson } from './output.js';
import { oneLine } from './sanitise.js';

async function* allPaths(paths: string[]): AsyncGenerator<MailboxMessage> {
  for (const p of paths) yield* readPath(p);
}

function describe(s: IngestSummary): string {
  const applied = Object.entries(s.applied).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const lines = [
    `${s.messages} message${s.messages === 1 ? '' : 's'} read; applied: ${applied}; auto-replies ignored ${s.autoReplies}; already ingested ${s.duplicates}; newly suppressed ${s.suppressed}`,
  ];
  // Sources, recipients and notes are quoted from mail anyone can send: shown inert, one line each.
  for (const u of s.unattributed) lines.push(`  unattributed: ${oneLine(u.source)} (${oneLine(u.recipient ?? 'no recipient')}): ${oneLine(u.note)}`);
  for (const u of s.unrecognised) lines.push(`  not a report: ${oneLine(u.source)}: ${oneLine(u.reason)}`);
  return lines.join('\n');
}

export function registerBounceCommands(program: Command): void {
  const bounces = program.command('bounces').description('delivery reports that arrive after sending: DSNs, complaints, unsubscribe requests');
  bounces
    .command('ingest')
    .description('read a bounce mailbox (Maildir, mbox, .eml files, or IMAP) and apply what it reports')
    .argument('[paths...]', 'Maildir folders, mbox files or .eml files')
    .option('--imap <url>', 'imaps://user@host/INBOX (password from PRESSLINE_IMAP_PASSWORD); processed messages move to --processed-folder')
    .option('--processed-folder <name>', 'IMAP folder for processed messages', 'Processed')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExamples:\n  pressline bounces ingest ~/Maildir/.bounces\n  pressline bounces ingest --imap imaps://bounces@mail.example.org/INBOX\n')
    .action(async (paths: string[], flags) => {
      if (paths.length === 0 && !flags.imap) throw new PresslineError('USAGE', 'give Maildir/mbox/.eml paths or --imap imaps://user@host/INBOX');
      await withApp(program.opts().config, async (app) => {
        const source = flags.imap
          ? readImap({ url: flags.imap, password: process.env.PRESSLINE_IMAP_PASSWORD, processedFolder: flags.processedFolder })
          : allPaths(paths);
        const summary = await ingestMessages(app, source);
        if (flags.json) printJson(summary);
        else process.stdout.write(describe(summary) + '\n');
        process.exitCode = summary.unattributed.length + summary.unrecognised.length > 0 ? 1 : 0;
      });
    });
  bounces
    .command('unattributed')
    .description('reports kept because they name no delivery of ours (or are no report at all)')
    .option('--json', 'one JSON document on stdout')
    .action(async (flags) => {
      await withApp(program.opts().config, async (app) => {
        const rows = await app.store.bounceEvents({ outcome: 'unattributed' });
        if (flags.json) printJson(rows.map(({ raw: _raw, ...r }) => r));
        else for (const r of rows) process.stdout.write(`${r.receivedAt.toISOString()}  ${oneLine(r.kind.padEnd(12))} ${oneLine(r.recipient || '-')}  ${oneLine(r.source)}  ${oneLine(r.note)}\n`);
      });
    });
}
