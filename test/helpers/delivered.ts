// A store filled by a REAL send to the scripted SMTP server, plus an ingested DSN: for report,
// CLI and dashboard tests.
import { runCampaign } from '../../src/campaigns/run.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import type { MailboxMessage } from '../../src/bounces/sources.js';
import { mailboxMessage } from './mailbox.js';
import { replies, startTestSmtp, type TestSmtpServer } from './smtp-server.js';
import { testApp, type TestApp } from './app.js';
import { planCampaign } from './plan.js';

export interface Delivered {
  app: TestApp;
  smtp: TestSmtpServer;
  campaignId: number;
  close(): Promise<void>;
}

const DOMAINS = ['paper.example', 'tv.example', 'radio.example'];
const LANGS = ['en', 'ru', 'de'];

/** The list: 4 scripted recipients, one late DSN, and `extra` ordinary journalists over 3 domains. */
export function deliveredRows(extra: number): string[] {
  const rows = [
    'unknown@paper.example,Una,Known,Paper Daily,russia,en',
    'grey@tv.example,Grey,Listed,TV Evening,russia,en',
    'spam@radio.example,Sam,Pam,Radio Free,russia,ru',
    'late@paper.example,Lou,Late,Paper Daily,russia,en',
    'ok@paper.example,Oka,Kay,Paper Daily,russia,en',
  ];
  for (let i = 1; i <= extra; i++) {
    rows.push(`j${String(i).padStart(3, '0')}@${DOMAINS[i % 3]},Jo${i},Doe,Outlet ${i % 5},russia,${LANGS[i % 3]}`);
  }
  return rows;
}

/** An RFC 3464 report, as a receiving MTA sends it hours later. */
export function dsnFor(recipient: string, originalMessageId: string, to: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.paper.example>',
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <late-report-1@mx.paper.example>',
    `Date: ${new Date(Date.now() + 60_000).toUTCString()}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    'I\'m sorry to have to inform you that your message could not be delivered. <script>alert(1)</script>',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.paper.example',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.2.1',
    'Remote-MTA: dns; mailstore.paper.example',
    `Diagnostic-Code: smtp; 550 5.2.1 <${recipient}>: mailbox disabled`,
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Press Office <press@ngo.example.org>',
    `To: ${recipient}`,
    `Message-ID: ${originalMessageId}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
}

/**
 * Sends the example release through a scripted SMTP server: 550 5.1.1 (unknown@), 451 then accept
 * (grey@), 554 5.7.1 at DATA (spam@), accept for the rest; then ingests a DSN for late@.
 */
export async function delivered(extra = 60): Promise<Delivered> {
  const smtp = await startTestSmtp({
    rcpt: (rcpt, attempt) => {
      if (rcpt === 'unknown@paper.example') return replies.userUnknown(rcpt);
      if (rcpt === 'grey@tv.example' && attempt === 1) return replies.greylisted(rcpt);
      return 'accept';
    },
    data: (rcpts) => (rcpts[0] === 'spam@radio.example' ? replies.spam() : 'accept'),
  });
  const app = testApp({ env: { smtpUrl: smtp.url } });
  const list = app.list(deliveredRows(extra));
  const campaignId = await planCampaign(app, [list]);
  const summary = await runCampaign(campaignId, app, { waitForRetries: true });
  if (summary.end !== 'done') throw new Error(`campaign did not finish: ${summary.end}`);
  const late = smtp.messages.find((m) => m.rcpts[0] === 'late@paper.example')!;
  async function* one(): AsyncIterable<MailboxMessage> {
    yield mailboxMessage('test-mailbox', dsnFor('late@paper.example', late.messageId, late.envelopeFrom));
  }
  const ingested = await ingestMessages(app, one());
  if (!ingested.applied.hard) throw new Error(`DSN not applied: ${JSON.stringify(ingested)}`);
  return {
    app,
    smtp,
    campaignId,
    close: async () => {
      await smtp.close();
      await app.close();
    },
  };
}
