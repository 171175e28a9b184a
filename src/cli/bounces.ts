import type { Command } from 'commander';
import { withApp } from '../app.js';
import { PresslineError } from '../errors.js';
import { readImap } from '../bounces/imap.js';
import { ingestMessages, type IngestSummary } from '../bounces/ingest.js';
import { readPath, type MailboxMessage, type ReadOptions } from '../bounces/sources.js';
import { printJson } from './output.js';
import { oneLine } from '../terminal/sanitise.js';

async function* allPaths(paths: string[], options: ReadOptions): AsyncGenerator<MailboxMessage> {
  for (const p of paths) yield* readPath(p, options);
}

/** The summary `bounces ingest` prints (without --json). */
export function describeIngest(s: IngestSummary): string {
  const applied = Object.entries(s.applied).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const lines = [
    `${s.messages} message${s.messages === 1 ? '' : 's'} read; applied: ${applied}; auto-replies ignored ${s.autoReplies}; already ingested ${s.duplicates}; newly suppressed ${s.suppressed}; quarantined ${s.quarantinedCount}`,
  ];
  // First: a paused campaign sends nothing until someone fixes the sender and resumes it.
  for (const p of s.paused) lines.push(`  campaign ${p.campaignId} paused: ${oneLine(p.reason)}`);
  if (s.skippedQuarantined > 0) lines.push(`  ${s.skippedQuarantined} quarantined by an earlier run: skipped (pressline bounces quarantined lists them)`);
  if (s.recipientsOverCap > 0) lines.push(`  ${s.recipientsOverCap} recipients beyond bounces.maxRecipientsPerReport not kept`);
  // Sources, recipients, notes and reasons are quoted from mail anyone can send: shown inert, one line each.
  for (const u of s.quarantined) lines.push(`  quarantined: ${oneLine(u.source)}: ${oneLine(u.reason)} (now ${oneLine(u.location)})`);
  for (const u of s.unattributed) lines.push(`  unattributed: ${oneLine(u.source)} (${oneLine(u.recipient ?? 'no recipient')}): ${oneLine(u.note)}`);
  for (const u of s.unrecognised) lines.push(`  not a report: ${oneLine(u.source)}: ${oneLine(u.reason)}`);
  const more = [
    [s.quarantinedCount - s.quarantined.length, 'quarantined', 'bounces quarantined'],
    [s.unattributedCount - s.unattributed.length, 'unattributed', 'bounces unattributed'],
    [s.unrecognisedCount - s.unrecognised.length, 'not a report', 'bounces unattributed'],
  ] as const;
  for (const [n, what, command] of more) if (n > 0) lines.push(`  … and ${n} more ${what} (pressline ${command} lists all)`);
  return lines.join('\n');
}

/** A live count on stderr while a mailbox is read, only on a terminal, at most ten times a second. */
function ingestProgress(): { update(s: IngestSummary): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(s) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      drawn = true;
      const rate = s.messages / Math.max(0.001, (now - started) / 1000);
      process.stderr.write(`\r\x1b[2Kreading the bounce mailbox: ${s.messages} messages, ${s.quarantinedCount} quarantined, ${rate.toFixed(0)}/s`);
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function registerBounceCommands(program: Command): void {
  const bounces = program.command('bounces').description('delivery reports that arrive after sending: DSNs, complaints, unsubscribe requests');
  bounces
    .command('ingest')
    .description('read a bounce mailbox (Maildir, mbox, .eml files, or IMAP) and apply what it reports')
    .argument('[paths...]', 'Maildir folders, mbox files or .eml files')
    .option('--imap <url>', 'imaps://user@host/INBOX (password from PRESSLINE_IMAP_PASSWORD); processed messages move to --processed-folder')
    .option('--processed-folder <name>', 'IMAP folder for processed messages', 'Processed')
    .option('--quarantine-folder <name>', 'IMAP folder for messages set aside unread (default: bounces.imap.quarantineFolder, "Quarantine")')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExamples:\n  pressline bounces ingest ~/Maildir/.bounces\n  pressline bounces ingest --imap imaps://bounces@mail.example.org/INBOX\n')
    .action(async (paths: string[], flags) => {
      if (paths.length === 0 && !flags.imap) throw new PresslineError('USAGE', 'give Maildir/mbox/.eml paths or --imap imaps://user@host/INBOX');
      await withApp(program.opts().config, async (app) => {
        const { maxMessageBytes, quarantineDir, imap } = app.config.bounces;
        const source = flags.imap
          ? readImap({
              url: flags.imap,
              password: process.env.PRESSLINE_IMAP_PASSWORD,
              processedFolder: flags.processedFolder,
              quarantineFolder: flags.quarantineFolder ?? imap.quarantineFolder,
              maxMessageBytes,
            })
          : allPaths(paths, { maxMessageBytes, quarantineDir });
        const progress = ingestProgress();
        let summary: IngestSummary;
        try {
          summary = await ingestMessages(app, source, { onProgress: (s) => progress.update(s) });
        } finally {
          progress.done();
        }
        if (flags.json) printJson(summary);
        else process.stdout.write(describeIngest(summary) + '\n');
        process.exitCode = summary.unattributedCount + summary.unrecognisedCount + summary.quarantinedCount + summary.paused.length > 0 ? 1 : 0;
      });
    });
  bounces
    .command('quarantined')
    .description('mailbox messages set aside unparsed (too large, nested too deep, or unreadable), with why and where they are')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', '\nExample:\n  pressline bounces quarantined --json\n')
    .action(async (flags) => {
      await withApp(program.opts().config, async (app) => {
        const rows = await app.store.listQuarantined();
        if (flags.json) printJson(rows.map((r) => ({ ...r, quarantinedAt: r.quarantinedAt.toISOString() })));
        else if (rows.length === 0) process.stdout.write('no quarantined messages\n');
        else for (const r of rows) process.stdout.write(`${r.quarantinedAt.toISOString()}  ${oneLine(r.source)}  ${r.bytes} bytes  ${oneLine(r.reason)}  (now ${oneLine(r.location)})\n`);
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
