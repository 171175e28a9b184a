// A store where things happened after delivery, all through the real paths: a REAL send to the
// scripted SMTP server, then a late DSN and an ARF complaint ingested as mail, a one-click
// unsubscribe POSTed to the real web server, and a second campaign of the same release planned
// with --new-only (suppressed and skipped rows, each with its reason). For report and dashboard tests.
import { runCampaign } from '../../src/campaigns/run.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import type { MailboxMessage } from '../../src/bounces/sources.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';
import { testApp, type TestApp } from './app.js';
import { dsnFor } from './delivered.js';
import { mailboxMessage } from './mailbox.js';
import { replies, startTestSmtp, type ReceivedMessage, type TestSmtpServer } from './smtp-server.js';
import { planCampaign } from './plan.js';

export interface AfterDelivery {
  app: TestApp;
  smtp: TestSmtpServer;
  web: Running;
  /** The campaign that was sent. */
  sent: number;
  /** The same release planned again with --new-only, not sent. */
  again: number;
  close(): Promise<void>;
}

/**
 * unknown@ 550 5.1.1 at RCPT; late@ accepted, then a 5.2.1 DSN; ok@ accepted, then an ARF
 * complaint; quit@ accepted, then one-click unsubscribe; fine@ accepted, nothing after; cut@
 * taken by the relay, the connection lost before its reply (unknown).
 */
export const RECIPIENTS = ['unknown@paper.example', 'late@paper.example', 'ok@paper.example', 'quit@tv.example', 'fine@radio.example', 'cut@tv.example'];

/** An RFC 5965 abuse report, as a mailbox provider's feedback loop sends it. */
export function arfFor(m: ReceivedMessage): string {
  const rcpt = m.rcpts[0]!;
  return [
    'From: Mail Feedback Loop <feedback@arf.mail.example.com>',
    'To: fbl@ngo.example.org',
    'Subject: FW: abuse report',
    'Message-ID: <fbl-1@arf.mail.example.com>',
    `Date: ${new Date(Date.now() + 60_000).toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F"',
    '',
    '--F',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '',
    '--F',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: Test-Feedback/1.0',
    'Version: 1',
    `Original-Mail-From: <${m.envelopeFrom}>`,
    `Original-Rcpt-To: <${rcpt}>`,
    'Reported-Domain: ngo.example.org',
    '',
    '--F',
    'Content-Type: message/rfc822',
    '',
    'From: Press Office <press@ngo.example.org>',
    `To: ${rcpt}`,
    `Message-ID: ${m.messageId}`,
    'Subject: Statement',
    '',
    'Brussels ...',
    '',
    '--F--',
    '',
  ].join('\r\n');
}

/** An RFC 3464 "still trying" report (Action: delayed), as a receiving MTA sends it. */
export function delayFor(m: ReceivedMessage, id: string): string {
  const rcpt = m.rcpts[0]!;
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.paper.example>',
    `To: ${m.envelopeFrom}`,
    'Subject: Delayed Mail (still being retried)',
    `Message-ID: <${id}@mx.paper.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="D"',
    '',
    '--D',
    'Content-Type: text/plain',
    '',
    'Your message has not been delivered yet. It will be retried.',
    '',
    '--D',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.paper.example',
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    'Action: delayed',
    'Status: 4.4.7',
    'Diagnostic-Code: smtp; 421 4.4.7 Message delayed',
    '',
    '--D',
    'Content-Type: text/rfc822-headers',
    '',
    `To: ${rcpt}`,
    `Message-ID: ${m.messageId}`,
    '',
    '--D--',
    '',
  ].join('\r\n');
}

export async function* mails(...raws: string[]): AsyncIterable<MailboxMessage> {
  for (const raw of raws) yield mailboxMessage('test-mailbox', raw);
}

export async function afterDelivery(): Promise<AfterDelivery> {
  const smtp = await startTestSmtp({
    rcpt: (rcpt) => (rcpt === 'unknown@paper.example' ? replies.userUnknown(rcpt) : 'accept'),
    // The relay takes the message and the connection drops before its reply: fate unknown.
    data: (rcpts) => (rcpts[0] === 'cut@tv.example' ? 'accept-then-cut' : 'accept'),
  });
  const app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org' }, unsubscribe: { baseUrl: 'https://press.ngo.example.org' } } });
  // The dashboard on its own loopback port: the shared one asks for the token once a public origin is set.
  const web = await startServer(app, { dashboardPort: 0 });
  const list = app.list(RECIPIENTS.map((e, i) => `${e},Jo${i},Doe,Outlet ${i},russia,en`));
  const sent = await planCampaign(app, [list]);
  const summary = await runCampaign(sent, app, { waitForRetries: true });
  if (summary.end !== 'done') throw new Error(`campaign did not finish: ${summary.end}`);
  const to = (rcpt: string) => smtp.messages.find((m) => m.rcpts[0] === rcpt)!;

  const late = to('late@paper.example');
  const ingested = await ingestMessages(app, mails(dsnFor('late@paper.example', late.messageId, late.envelopeFrom), arfFor(to('ok@paper.example'))));
  if (!ingested.applied.hard || !ingested.applied.complaint) throw new Error(`reports not applied: ${JSON.stringify(ingested)}`);

  // The link the journalist got, POSTed to our server as the mail client would.
  const link = /<(https:[^>]+)>/.exec(to('quit@tv.example').headers.get('list-unsubscribe') ?? '')?.[1];
  if (!link) throw new Error('no one-click link in the message');
  const res = await fetch(`${web.url}${new URL(link).pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  if (res.status !== 200) throw new Error(`one-click unsubscribe: HTTP ${res.status} ${await res.text()}`);

  const list2 = app.list([...RECIPIENTS, 'new@radio.example'].map((e, i) => `${e},Jo${i},Doe,Outlet ${i},russia,en`));
  const again = await planCampaign(app, [list2], {}, { newOnly: true });
  return {
    app,
    smtp,
    web,
    sent,
    again,
    close: async () => {
      await web.close();
      await smtp.close();
      await app.close();
    },
  };
}
