import type { Command } from 'commander';
import { withApp } from '../app.js';
import { PresslineError } from '../errors.js';
import { recipientTimeline, type TimelineEntry } from '../reports/queries.js';
import type { EventRecord } from '../store/types.js';
import { statusWord } from '../send/outbox-relay.js';
import { printJson } from './output.js';
import { forTerminal, oneLine } from '../terminal/sanitise.js';
import { parseCampaignId } from './send.js';

function eventJson(e: EventRecord, email?: string) {
  return {
    at: e.at.toISOString(),
    type: e.type,
    ...(email !== undefined ? { email } : {}),
    deliveryId: e.deliveryId ?? null,
    attempt: e.attempt ?? null,
    code: e.code ?? null,
    enhanced: e.enhanced ?? null,
    response: e.response ?? null,
    messageId: e.messageId ?? null,
    durationMs: e.durationMs ?? null,
    detail: e.detail ?? null,
  };
}

function entryJson(t: TimelineEntry) {
  if (t.kind === 'event') return { kind: 'event', ...eventJson(t.event) };
  if (t.kind === 'engagement') {
    const g = t.engagement;
    return { kind: 'engagement', at: g.at.toISOString(), type: g.kind, human: g.human, reason: g.reason, url: g.url ?? null, userAgent: g.userAgent };
  }
  const r = t.report;
  return {
    kind: 'report', at: r.receivedAt.toISOString(), type: r.kind, source: r.source, reportId: r.reportId, recipient: r.recipient,
    status: r.status ?? null, diagnostic: r.diagnostic ?? null, remoteMta: r.remoteMta ?? null, outcome: r.outcome, note: r.note ?? null, raw: r.raw,
  };
}

function eventLine(e: EventRecord, who?: string): string {
  // Replies, notes and Message-IDs come from remote servers: shown, never obeyed by the terminal.
  const parts = [e.at.toISOString().replace('T', ' ').slice(0, 23), e.type.padEnd(11)];
  if (who) parts.push(oneLine(who));
  if (e.attempt) parts.push(`attempt ${e.attempt}`);
  const code = [e.code, e.enhanced].filter((x) => x !== undefined).join(' ');
  if (code) parts.push(oneLine(code));
  let line = parts.join('  ');
  if (e.response) line += `\n    reply: ${forTerminal(e.response).replace(/\n/g, '\n           ')}`;
  if (e.detail) line += `\n    note:  ${oneLine(e.detail)}`;
  if (e.messageId) line += `\n    message-id: ${oneLine(e.messageId)}`;
  return line;
}

/** `pressline log`: a recipient's timeline with raw replies and reports, or a campaign's events in order. */
export function registerLogCommand(program: Command): void {
  program
    .command('log')
    .description("a recipient's timeline (every event, raw SMTP replies, DSN and complaint reports), or without --email every event of the campaign in order")
    .argument('<campaign>', 'campaign id')
    .option('--email <address>', 'only this recipient, with their bounce and complaint reports')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', '\nExamples:\n  pressline log 3 --email anna@paper.example\n  pressline log 3 --json > events.json\n')
    .action(async (id: string, flags: { email?: string; json?: boolean }) => {
      await withApp(program.opts().config, async (app) => {
        const campaignId = parseCampaignId(id);
        const campaign = await app.store.getCampaign(campaignId);
        if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${campaignId}; \`pressline campaigns\` lists them`);
        if (flags.email) {
          const [row] = await app.store.deliveries(campaignId, { email: flags.email });
          if (!row) throw new PresslineError('NOT_FOUND', `campaign ${campaignId} has no recipient ${flags.email}`);
          const t = await recipientTimeline(app.store, row.id);
          if (flags.json) {
            const d = t.delivery;
            printJson({
              campaignId, email: d.email, status: d.status, attempts: d.attempts, code: d.code ?? null, enhanced: d.enhanced ?? null,
              response: d.response ?? null, messageId: d.messageId ?? null, updatedAt: d.updatedAt.toISOString(), entries: t.entries.map(entryJson),
            });
            return;
          }
          const d = t.delivery;
          const out = [oneLine(`${d.email} in campaign ${campaignId}: ${statusWord(d.status, d.relay)} after ${d.attempts} attempt(s)${d.code ? `, last reply ${d.code}${d.enhanced ? ` ${d.enhanced}` : ''}` : ''}`)];
          if (d.response) out.push(`last reply: ${oneLine(d.response)}`);
          out.push('');
          for (const entry of t.entries) {
            if (entry.kind === 'event') out.push(eventLine(entry.event));
            else if (entry.kind === 'engagement') {
              const g = entry.engagement;
              // The URL and user agent came from outside (a click link, a request header): shown inert.
              out.push(`${g.at.toISOString().replace('T', ' ').slice(0, 23)}  ${(g.kind === 'open' ? 'opened' : 'clicked').padEnd(11)}  ${oneLine(`${g.human ? 'reader' : 'machine'} (${g.reason})${g.url ? `  ${g.url}` : ''}`)}`);
            } else {
              const r = entry.report;
              // A DSN is written by whoever sent it: its text, diagnostic and source are shown inert.
              out.push(`${r.receivedAt.toISOString().replace('T', ' ').slice(0, 23)}  report      ${oneLine(`${r.kind} from ${r.source} (${r.outcome})${r.status ? `  ${r.status}` : ''}`)}`);
              if (r.diagnostic) out.push(`    diagnostic: ${oneLine(r.diagnostic)}`);
              out.push('    raw report:', ...forTerminal(r.raw).split('\n').map((l) => `    | ${l}`));
            }
          }
          process.stdout.write(out.join('\n') + '\n');
          return;
        }
        const events = await app.store.events(campaignId);
        const emails = new Map((await app.store.deliveries(campaignId)).map((r) => [r.id, r.email]));
        if (flags.json) {
          printJson(events.map((e) => eventJson(e, e.deliveryId !== undefined ? emails.get(e.deliveryId) ?? '' : '')));
          return;
        }
        process.stdout.write(events.map((e) => eventLine(e, e.deliveryId !== undefined ? emails.get(e.deliveryId) : '(campaign)')).join('\n') + (events.length ? '\n' : 'no events\n'));
      });
    });
}
