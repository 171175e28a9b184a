import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestMessages } from '../../src/bounces/ingest.js';
import type { MailboxMessage } from '../../src/bounces/sources.js';
import { mailboxMessage } from '../helpers/mailbox.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { TEST_STORE, testApp, type TestApp } from '../helpers/app.js';
import { replies, startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = smtp = undefined;
});

const FAILURE = 'suppressions unavailable (test trigger)';

/** Runs SQL straight on the app's own database (its SQLite file, or its PostgreSQL schema). */
async function sql(a: TestApp, text: string): Promise<void> {
  if (TEST_STORE === 'sqlite') {
    const db = new Database(a.storeEnv.PRESSLINE_DB!);
    try {
      db.exec(text);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: a.storeEnv.DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Makes every insert into suppressions fail until `allowSuppressions`. */
const breakSuppressions = (a: TestApp) =>
  sql(
    a,
    TEST_STORE === 'sqlite'
      ? `CREATE TRIGGER fail_suppress BEFORE INSERT ON suppressions BEGIN SELECT RAISE(ABORT, '${FAILURE}'); END;`
      : `CREATE FUNCTION fail_suppress() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${FAILURE}'; END $$;
         CREATE TRIGGER fail_suppress BEFORE INSERT ON suppressions FOR EACH ROW EXECUTE FUNCTION fail_suppress();`,
  );
const allowSuppressions = (a: TestApp) =>
  sql(a, TEST_STORE === 'sqlite' ? 'DROP TRIGGER fail_suppress;' : 'DROP TRIGGER fail_suppress ON suppressions; DROP FUNCTION fail_suppress();');

/** An RFC 3464 hard bounce for one recipient of ours. */
function hardBounce(recipient: string, originalMessageId: string, id: string): MailboxMessage {
  const text = [
    'From: Mail Delivery System <MAILER-DAEMON@mx.paper.example>',
    'To: press@ngo.example.org',
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <${id}@mx.paper.example>`,
    'Date: Sat, 28 Nov 2026 10:00:00 +0000',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.paper.example',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`,
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Press Office <press@ngo.example.org>',
    `To: ${recipient}`,
    `Message-ID: ${originalMessageId}`,
    'Subject: EU-Russia summit',
    '',
    '--B--',
    '',
  ].join('\r\n');
  return mailboxMessage('maildir test', text);
}

async function* mailbox(...messages: MailboxMessage[]): AsyncIterable<MailboxMessage> {
  yield* messages;
}

/** A campaign of `people` at paper.example, sent to the outbox: every delivery `sent` with its Message-ID. */
async function sentCampaign(a: TestApp, people: string[]): Promise<{ id: number; messageId: (p: string) => string; deliveryId: (p: string) => number }> {
  const list = a.list(people.map((p) => `${p}@paper.example,${p},X,Paper,russia,en`));
  const id = await planCampaign(a, [list]);
  await runCampaign(id, a, { waitForRetries: true });
  const rows = new Map((await a.store.deliveries(id)).map((r) => [r.email.split('@')[0]!, r]));
  return { id, messageId: (p) => rows.get(p)!.messageId!, deliveryId: (p) => rows.get(p)!.id };
}

describe('a bounce report and its suppression are one transaction', () => {
  it('when the suppression cannot be written nothing of the report is applied; the next ingest applies both', async () => {
    const a = (app = testApp());
    const c = await sentCampaign(a, ['gone', 'fine']);
    const report = hardBounce('gone@paper.example', c.messageId('gone'), 'r1');

    await breakSuppressions(a);
    await expect(ingestMessages(a, mailbox(report))).rejects.toThrow(FAILURE);
    const gone = async () => (await a.store.deliveries(c.id, { email: 'gone@paper.example' }))[0]!;
    expect((await gone()).status).toBe('sent');
    expect(await a.store.bounceEvents()).toEqual([]);
    expect(await a.store.isSuppressed('gone@paper.example')).toBeUndefined();
    expect((await a.store.events(c.id, c.deliveryId('gone'))).map((e) => e.type)).not.toContain('bounced');

    await allowSuppressions(a);
    const summary = await ingestMessages(a, mailbox(report));
    expect(summary).toMatchObject({ applied: { hard: 1 }, duplicates: 0, suppressed: 1 });
    expect((await gone()).status).toBe('bounced');
    expect((await a.store.isSuppressed('gone@paper.example'))?.reason).toBe('hard-bounce');
    expect(await a.store.suppressionLog('gone@paper.example')).toEqual([expect.objectContaining({ action: 'add', reason: 'hard-bounce', source: 'maildir test' })]);

    // Whole now: a third ingest is a duplicate and changes nothing.
    expect(await ingestMessages(a, mailbox(report))).toMatchObject({ applied: {}, duplicates: 1 });
    expect(await a.store.suppressionLog('gone@paper.example')).toHaveLength(1);
  });

  it('a report stored without its suppression (an older version whose second step failed) is completed by a re-ingest', async () => {
    const a = (app = testApp());
    const c = await sentCampaign(a, ['gone', 'later']);
    // What the old two-step apply left behind when its addSuppression failed: report and status, no suppression.
    for (const [p, reportId] of [['gone', 'r1'], ['later', 'r2']] as const) {
      const recorded = await a.store.recordBounce(
        { reportId: `<${reportId}@mx.paper.example>`, source: 'maildir test', kind: 'hard', recipient: `${p}@paper.example`, campaignId: c.id, deliveryId: c.deliveryId(p), status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 User unknown', remoteMta: undefined, originalMessageId: c.messageId(p), outcome: 'applied', note: undefined, raw: 'raw', receivedAt: new Date() },
        { newStatus: 'bounced', eventType: 'bounced' },
        new Date(),
      );
      expect(recorded.result).toBe('new');
    }
    // The operator looked at `later` and decided it may get mail again: that choice stands.
    await a.store.addSuppression({ key: 'later@paper.example', email: 'later@paper.example', reason: 'manual', source: 'operator', detail: undefined }, new Date());
    await a.store.removeSuppression('later@paper.example', 'operator', new Date());

    expect(await a.store.bounceEvents()).toHaveLength(2);
    const summary = await ingestMessages(a, mailbox(hardBounce('gone@paper.example', c.messageId('gone'), 'r1'), hardBounce('later@paper.example', c.messageId('later'), 'r2')));
    expect(summary).toMatchObject({ applied: { hard: 1 }, duplicates: 1, suppressed: 1 });
    expect((await a.store.isSuppressed('gone@paper.example'))?.reason).toBe('hard-bounce');
    expect(await a.store.suppressionLog('gone@paper.example')).toEqual([expect.objectContaining({ action: 'add', reason: 'hard-bounce' })]);
    expect(await a.store.isSuppressed('later@paper.example')).toBeUndefined();
    // Still one report each, and one bounced event each: completing adds only the suppression.
    expect(await a.store.bounceEvents()).toHaveLength(2);
    expect((await a.store.events(c.id, c.deliveryId('gone'))).filter((e) => e.type === 'bounced')).toHaveLength(1);
  });
});

describe("the sender's own hard bounce and its suppression are one write", () => {
  it('a 550 5.1.1 at RCPT leaves the delivery bounced and suppressed, with its suppression_log entry', async () => {
    smtp = await startTestSmtp({ rcpt: (rcpt) => (rcpt === 'gone@paper.example' ? replies.userUnknown(rcpt) : 'accept') });
    const a = (app = testApp({ env: { smtpUrl: smtp.url } }));
    const list = a.list(['gone@paper.example,Gone,X,Paper,russia,en', 'fine@paper.example,Fine,X,Paper,russia,en']);
    const id = await planCampaign(a, [list]);
    const summary = await runCampaign(id, a, { waitForRetries: true });
    expect(summary.counts).toMatchObject({ sent: 1, bounced: 1 });
    const gone = (await a.store.deliveries(id, { email: 'gone@paper.example' }))[0]!;
    expect(gone).toMatchObject({ status: 'bounced', code: 550, enhanced: '5.1.1' });
    expect(await a.store.isSuppressed('gone@paper.example')).toMatchObject({ reason: 'hard-bounce', source: `campaign ${id}` });
    const log = await a.store.suppressionLog('gone@paper.example');
    expect(log).toEqual([expect.objectContaining({ action: 'add', reason: 'hard-bounce', source: `campaign ${id}` })]);
    expect(log[0]!.detail).toMatch(/User unknown/);
    expect(await a.store.isSuppressed('fine@paper.example')).toBeUndefined();
  });

  it('when the suppression cannot be written, the bounce is not recorded either (never bounced but unsuppressed)', async () => {
    smtp = await startTestSmtp({ rcpt: (rcpt) => replies.userUnknown(rcpt) });
    const a = (app = testApp({ env: { smtpUrl: smtp.url } }));
    const list = a.list(['gone@paper.example,Gone,X,Paper,russia,en']);
    const id = await planCampaign(a, [list]);
    await breakSuppressions(a);
    await expect(runCampaign(id, a, { waitForRetries: true })).rejects.toThrow(FAILURE);
    const gone = (await a.store.deliveries(id))[0]!;
    // The write that carried the bounce failed whole: the delivery is still in flight (unknown on
    // resume, like a crash at that point), never `bounced` without its suppression.
    expect(gone.status).toBe('sending');
    expect(await a.store.isSuppressed('gone@paper.example')).toBeUndefined();
    expect(await a.store.suppressionLog('gone@paper.example')).toEqual([]);
    expect((await a.store.events(id, gone.id)).map((e) => e.type)).not.toContain('bounced');
  });
});
