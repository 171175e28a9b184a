import type { Command } from 'commander';
import { engagementText, engagementView, type EngagementView } from '../reports/engagement.js';
import { withApp, type App } from '../app.js';
import { PresslineError } from '../errors.js';
import { explainStatus, transition } from '../campaigns/lifecycle.js';
import { pauseByOperator } from '../campaigns/pause.js';
import { readTestSends, type LoggedTestCopy } from '../campaigns/test-send.js';
import { parseStatuses, reportRows, toEntry } from '../reports/delivery-report.js';
import { renderHtmlReport } from '../reports/html.js';
import { campaignSummary, outcomeSeries, reasonBreakdown } from '../reports/queries.js';
import { collect, printJson, table } from './output.js';
import { reportCsv, reportTable } from './report-formats.js';
import { protectedFiles, writeOutFile } from './out-file.js';
import { forTerminal, oneLine } from '../terminal/sanitise.js';
import { parseCampaignId, summaryLine } from './send.js';

/** "2026-11-28 09:00" (UTC), or "-". */
const minute = (d: Date | undefined) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-');

/** `campaigns --tests`: test copies are kept apart from campaigns, in their own log. */
function listTestSends(copies: LoggedTestCopy[], json: boolean): void {
  if (json) {
    printJson(copies);
    return;
  }
  if (copies.length === 0) {
    process.stdout.write('No test sends yet. Send one with: pressline send <release> --test-to <your address>\n');
    return;
  }
  // Addresses, subjects and replies come from outside: shown inert, one row each.
  process.stdout.write(
    forTerminal(
      table(
        ['time (UTC)', 'release', 'language', 'to', 'result'],
        copies.map((c) => [c.time.slice(0, 19).replace('T', ' '), oneLine(c.release), oneLine(c.language), oneLine(c.to), oneLine(`${c.accepted ? '' : 'REFUSED '}${c.response}`).slice(0, 70)]),
      ),
    ) + '\n',
  );
}

export function registerCampaignCommands(program: Command): void {
  program
    .command('campaigns')
    .description('list campaigns, oldest first, with their delivery counts')
    .option('--json', 'one JSON document on stdout')
    .option('--tests', 'the test sends (send --test-to) instead: each copy, to whom, and what the server answered')
    .addHelpText('after', '\nExamples:\n  pressline campaigns --json\n  pressline campaigns --tests\n')
    .action(async (flags) => {
      await withApp(program.opts().config, async (app) => {
        if (flags.tests) {
          listTestSends(await readTestSends(app.config), Boolean(flags.json));
          return;
        }
        const campaigns = await app.store.listCampaigns();
        const outbox = await app.store.outboxCounts();
        const rows = [];
        for (const c of campaigns) {
          rows.push({ ...c, statusReason: await explainStatus(app.store, c, app.clock.now()), counts: await app.store.counts(c.id), outbox: outbox.get(c.id) ?? 0 });
        }
        if (flags.json) {
          printJson(
            rows.map((c) => ({
              id: c.id, release: c.releaseFile, title: c.releaseTitle, phase: c.phase ?? 'single', status: c.status, statusReason: c.statusReason ?? null,
              pausedKind: c.pausedKind ?? null, pausedSince: c.pausedSince ?? null,
              test: c.test, lists: c.lists, where: c.where, createdAt: c.createdAt, scheduledAt: c.scheduledAt ?? null,
              startedAt: c.startedAt ?? null, finishedAt: c.finishedAt ?? null, counts: c.counts,
              // Of counts.sent, how many were only written to the outbox folder (no relay).
              writtenToOutbox: c.outbox,
            })),
          );
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('No campaigns yet. Start one with: pressline send <release> --list <file>\n');
          return;
        }
        process.stdout.write(
          table(
            ['id', 'release', 'phase', 'status', 'scheduled', 'started', 'finished', 'deliveries'],
            rows.map((c) => [
              c.id,
              c.releaseTitle.slice(0, 40),
              c.phase ?? 'single',
              c.status + (c.test ? ' (test)' : ''),
              minute(c.scheduledAt),
              minute(c.startedAt),
              minute(c.finishedAt),
              summaryLine(c.counts, c.outbox),
            ]),
          ) + '\n',
        );
        // Why a campaign is not moving (paused, refused, interrupted), one line each under the table.
        for (const c of rows.filter((r) => r.statusReason && ['planning', 'paused', 'cancelled', 'missed'].includes(r.status))) {
          process.stdout.write(`  campaign ${c.id} ${c.status}: ${oneLine(c.statusReason!.replace(/\s+/g, ' '))}\n`);
        }
      });
    });

  program
    .command('pause')
    .description('ask a running send to stop after the messages in flight (works from another terminal); a campaign waiting for its relay becomes yours, and workers no longer resume it')
    .argument('<campaign>', 'campaign id')
    .addHelpText('after', '\nExample:\n  pressline pause 3\n')
    .action(async (id: string) => {
      await withApp(program.opts().config, async (app) => {
        const campaignId = parseCampaignId(id);
        const done = await pauseByOperator(app, campaignId, app.clock.now());
        if (!done) throw new PresslineError('REFUSED', `campaign ${campaignId} is not sending or scheduled; nothing to pause`);
        if (done === 'taken-over') process.stdout.write(`Campaign ${campaignId} was paused for relay trouble; it is now yours: workers will not resume it when the relay answers.\n`);
        process.stdout.write(`Campaign ${campaignId} paused. Continue with: pressline resume ${campaignId}\n`);
      });
    });

  program
    .command('cancel')
    .description('stop a campaign for good; deliveries not yet sent stay pending and are never sent')
    .argument('<campaign>', 'campaign id')
    .addHelpText('after', '\nExample:\n  pressline cancel 3\n')
    .action(async (id: string) => {
      await withApp(program.opts().config, async (app) => {
        const campaignId = parseCampaignId(id);
        const ok = await transition(app, campaignId, 'cancel', app.clock.now(), { reason: 'cancelled by an operator' });
        if (!ok) throw new PresslineError('REFUSED', `campaign ${campaignId} is already finished or cancelled`);
        process.stdout.write(`Campaign ${campaignId} cancelled.\n`);
      });
    });

  program
    .command('report')
    .description('one row per recipient: final status, attempts, last SMTP reply (code, enhanced status), why a skipped or suppressed one was not sent, what came after delivery (complaint, unsubscribe, late bounce), Message-ID, time')
    .argument('<campaign>', 'campaign id')
    .option('--format <format>', 'table, json, csv or html (one self-contained file with charts)', 'table')
    .option('--status <status>', 'only these statuses (repeatable or comma-separated)', collect, [])
    .option('--out <file>', 'write to a file instead of stdout (never over an existing file unless --force)')
    .option('--force', 'let --out replace an existing file (never the store, the config or .env)')
    .option('--json', 'same as --format json')
    .addHelpText('after', '\nExamples:\n  pressline report 3 --status bounced,failed --format csv --out bounced.csv\n  pressline report 3 --format html --out report-3.html\n')
    .action(async (id: string, flags) => {
      await withApp(program.opts().config, async (app) => {
        const campaignId = parseCampaignId(id);
        const format = flags.json ? 'json' : String(flags.format);
        const statuses = parseStatuses(flags.status);
        const rows = await reportRows(app.store, campaignId, statuses);
        const entries = rows.map(toEntry);
        let text: string;
        switch (format) {
          case 'json':
            text = JSON.stringify(entries, null, 2) + '\n';
            break;
          case 'csv':
            text = reportCsv(entries);
            break;
          case 'table': {
            const [counts, outbox, engagement] = await Promise.all([app.store.counts(campaignId), app.store.outboxCounts(campaignId), engagementOf(app.store, campaignId)]);
            // The status summary stays the last line (scripts read it); engagement comes just before it.
            text = reportTable(entries) + `\n\n${forTerminal(engagementText(engagement))}\n${summaryLine(counts, outbox.get(campaignId) ?? 0)}\n`;
            break;
          }
          case 'html': {
            const [summary, series, reasons, engagement] = await Promise.all([
              campaignSummary(app.store, campaignId),
              outcomeSeries(app.store, campaignId),
              reasonBreakdown(app.store, campaignId),
              engagementOf(app.store, campaignId),
            ]);
            text = renderHtmlReport({ summary, series, reasons, rows, statuses, generatedAt: app.clock.now(), engagement });
            break;
          }
          default:
            throw new PresslineError('USAGE', `--format ${format}: use table, json, csv or html`);
        }
        if (flags.out) {
          writeOutFile(flags.out, text, { force: Boolean(flags.force), protected: protectedFiles({ config: app.config, env: app.env, configFlag: program.opts().config }) });
          process.stderr.write(`wrote ${entries.length} rows to ${flags.out}\n`);
        } else {
          process.stdout.write(text);
        }
      });
    });
}

/** The campaign's engagement for the report (reportRows has already refused an unknown campaign). */
async function engagementOf(store: App['store'], campaignId: number): Promise<EngagementView> {
  const campaign = await store.getCampaign(campaignId);
  return campaign ? engagementView(store, campaign) : { tracked: false };
}
