import type { Command } from 'commander';
import { withApp } from '../app.js';
import { utcSecond } from '../campaigns/pause.js';
import {
  codeText, deliveryWord, engagementText, isEmptyHistory, lastReplyText, leftOutText, loadContactHistory, reportWhere, suppressionSentence,
} from '../reports/contact-history.js';
import type { ContactHistory, ContactReport } from '../store/types.js';
import { forTerminal, oneLine } from '../terminal/sanitise.js';
import { table } from './output.js';

// `pressline contact <email>`: one journalist's history (issue 17, part 3). Exit 0 whether or not
// the store knows the address ("no history for …" is an answer, not a failure); 2 when the
// argument is not an email address.

const when = (d: Date | undefined) => (d ? utcSecond(d) : '—');
/** Long cells cut with an ellipsis, so a table stays readable; --json has the whole text. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Everything as JSON: dates as ISO strings, absent values as null, so every field is always there. */
function jsonOf(h: ContactHistory, address: string): string {
  const doc = { address, found: !isEmptyHistory(h), summary: suppressionSentence(h), ...h };
  return JSON.stringify(doc, (_k, v) => (v === undefined ? null : v), 2) + '\n';
}

function reportsText(title: string, rows: (ContactReport & { how?: string })[], first: 'kind' | 'how'): string {
  if (rows.length === 0) return `${title}: none.\n`;
  const body = table(
    ['when', first, 'campaign', 'code', 'diagnostic', 'source'],
    rows.map((r) => [when(r.at), first === 'how' ? (r.how ?? '') : r.kind, reportWhere(r) + (r.deliveryId === undefined ? '' : ` (delivery ${r.deliveryId})`), codeText(r.code, r.status), clip(r.diagnostic ?? '', 120), r.source]),
  );
  return `${title}:\n${body}\n`;
}

/** The readable summary: may we mail them, then every campaign newest first, then what came back. */
export function contactText(h: ContactHistory, address: string): string {
  // Every stored text (titles, replies, diagnostics) passes the terminal sanitiser: table() for cells, forTerminal for lines.
  if (isEmptyHistory(h)) return `No history for ${oneLine(address.trim())}: pressline never mailed this address, and it is not suppressed.\n`;
  const email = h.deliveries[0]?.email ?? h.suppression?.email ?? h.key;
  const out: string[] = [`${oneLine(email)}${email === h.key ? '' : ` (key ${oneLine(h.key)})`}`, forTerminal(suppressionSentence(h), { oneLine: true })];
  if (h.suppressionLog.length > 0) {
    out.push('Suppression history:');
    for (const l of h.suppressionLog) out.push(`  ${when(l.at)}  ${l.action === 'add' ? 'suppressed' : 'removed'}  ${oneLine(l.reason)}  by ${oneLine(l.source)}${l.detail ? `  (${oneLine(l.detail)})` : ''}`);
  }
  out.push('');
  const leftOut = leftOutText(h);
  if (h.deliveries.length === 0) out.push('Campaigns: none.');
  else {
    out.push(`Campaigns, newest first (${h.deliveries.length}${leftOut ? `; ${leftOut}` : ''}):`);
    out.push(
      table(
        ['campaign', 'release', 'phase', 'campaign status', 'delivery', 'planned', 'sent', 'last event', 'last reply', ...(h.deliveries.some((d) => d.engagement) ? ['engagement'] : [])],
        h.deliveries.map((d) => [
          d.campaignId, `${clip(d.releaseTitle, 50)}${d.test ? ' (test)' : ''}`, d.phase, d.campaignStatus, `${deliveryWord(d)} (delivery ${d.deliveryId})`,
          when(d.plannedAt), when(d.sentAt), when(d.lastEventAt), clip(lastReplyText(d), 80),
          ...(h.deliveries.some((x) => x.engagement) ? [engagementText(d)] : []),
        ]),
      ),
    );
  }
  out.push('');
  return out.join('\n') + '\n' + reportsText('Bounces', h.bounces, 'kind') + reportsText('Complaints', h.complaints, 'kind') + reportsText('Unsubscribes', h.unsubscribes, 'how');
}

export function registerContactCommand(program: Command): void {
  program
    .command('contact')
    .description("one journalist's history: every campaign they were in, bounces, complaints, unsubscribes, and whether they are suppressed")
    .argument('<email>', 'the address, in any case; an international domain as written or in punycode')
    .option('--json', 'one JSON document on stdout')
    .addHelpText('after', '\nExit status 0 also when the address has no history ("no history for …"); 2 when it is not an email address.\n\nExamples:\n  pressline contact anna.sokolova@novayagazeta.example\n  pressline contact Anna@Bücher.example --json\n')
    .action(async (email: string, flags) => {
      await withApp(program.opts().config, async (app) => {
        const history = await loadContactHistory(app.store, email);
        process.stdout.write(flags.json ? jsonOf(history, email) : contactText(history, email));
      });
    });
}
