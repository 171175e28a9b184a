import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import { readPath } from '../../src/bounces/sources.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { deliveryLogFile } from '../../src/log/delivery-log.js';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = smtp = undefined;
});

/** An RFC 3464 report as a receiving MTA sends it to the envelope sender, hours later. */
function dsn(o: { to: string; recipient: string; action: string; status: string; diagnostic: string; originalMessageId: string; id: string }): string {
  return [
    `From: Mail Delivery System <MAILER-DAEMON@mx.paper.example>`,
    `To: ${o.to}`,
    `Subject: Undelivered Mail Returned to Sender`,
    `Message-ID: <${o.id}@mx.paper.example>`,
    `Date: Sat, 28 Nov 2026 10:00:00 +0000`,
    `Auto-Submitted: auto-replied`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`,
    ``,
    `--B`,
    `Content-Type: text/plain`,
    ``,
    `I'm sorry to have to inform you that your message could not be delivered.`,
    ``,
    `--B`,
    `Content-Type: message/delivery-status`,
    ``,
    `Reporting-MTA: dns; mx.paper.example`,
    ``,
    `Final-Recipient: rfc822; ${o.recipient}`,
    `Original-Recipient: rfc822; ${o.recipient}`,
    `Action: ${o.action}`,
    `Status: ${o.status}`,
    `Remote-MTA: dns; mailstore.paper.example`,
    `Diagnostic-Code: smtp; ${o.diagnostic}`,
    ``,
    `--B`,
    `Content-Type: text/rfc822-headers`,
    ``,
    `From: Press Office <press@ngo.example.org>`,
    `To: ${o.recipient}`,
    `Message-ID: ${o.originalMessageId}`,
    `Subject: EU-Russia summit`,
    ``,
    `--B--`,
    ``,
  ].join('\r\n');
}

describe('bounces that arrive after the send', () => {
  it('ingests a maildir of DSNs, complaints and auto-replies: report and suppression list change, twice changes nothing', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org' } } });
    const people = ['gone', 'full', 'spam', 'away', 'fine', 'nomatch'];
    const list = app.list(people.map((p) => `${p}@paper.example,${p},X,Paper,russia,en`));
    const id = await planCampaign(app, [list]);
    await runCampaign(id, app, { waitForRetries: true });
    const byRcpt = new Map(smtp.messages.map((m) => [m.rcpts[0]!, m]));
    const verp = (p: string) => byRcpt.get(`${p}@paper.example`)!.envelopeFrom;
    const mid = (p: string) => byRcpt.get(`${p}@paper.example`)!.messageId;
    expect(verp('gone')).toMatch(/^bounces\+[0-9a-f]{12}-[0-9a-z]+-[0-9a-z]+-[0-9a-f]{16}@bounces\.ngo\.example\.org$/);

    const maildir = join(app.dir, 'Maildir');
    mkdirSync(join(maildir, 'new'), { recursive: true });
    mkdirSync(join(maildir, 'cur'), { recursive: true });
    const put = (name: string, text: string) => writeFileSync(join(maildir, 'new', name), text);
    put('1.gone', dsn({ to: verp('gone'), recipient: 'gone@paper.example', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <gone@paper.example>: Recipient address rejected: User unknown', originalMessageId: mid('gone'), id: 'r1' }));
    put('2.full', dsn({ to: verp('full'), recipient: 'full@paper.example', action: 'delayed', status: '4.2.2', diagnostic: '452 4.2.2 Mailbox full', originalMessageId: mid('full'), id: 'r2' }));
    // No VERP (the relay rewrote the envelope): attributed by the original Message-ID.
    put('3.spam', dsn({ to: 'press@ngo.example.org', recipient: 'spam@paper.example', action: 'failed', status: '5.7.1', diagnostic: '554 5.7.1 Message rejected as spam', originalMessageId: mid('spam'), id: 'r3' }));
    put('4.away', [`From: away@paper.example`, `To: ${verp('away')}`, `Subject: Out of Office: EU-Russia summit`, `Auto-Submitted: auto-replied`, `Message-ID: <ooo1@paper.example>`, ``, `I am away until Monday.`, ``].join('\r\n'));
    // A forged token and a foreign Message-ID: kept as unattributed, never applied.
    const forged = verp('fine').replace(/[0-9a-f](?=@)/, (c) => (c === '0' ? '1' : '0'));
    put('5.forged', dsn({ to: forged, recipient: 'fine@paper.example', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 unknown', originalMessageId: '<not-ours@elsewhere.example>', id: 'r5' }));

    const first = await ingestMessages(app, readPath(maildir));
    expect(first.messages).toBe(5);
    expect(first.autoReplies).toBe(1);
    expect(first.applied).toMatchObject({ hard: 1, delay: 1, policy: 1 });
    expect(first.unattributed).toHaveLength(1);
    expect(first.unattributed[0]!.note).toMatch(/signature/);

    const status = Object.fromEntries((await app.store.deliveries(id)).map((r) => [r.email.split('@')[0], r.status]));
    expect(status).toMatchObject({ gone: 'bounced', full: 'sent', spam: 'blocked', away: 'sent', fine: 'sent' });
    expect((await app.store.isSuppressed('gone@paper.example'))?.reason).toBe('hard-bounce');
    expect(await app.store.isSuppressed('spam@paper.example')).toBeUndefined();
    expect(await app.store.isSuppressed('fine@paper.example')).toBeUndefined();
    const gone = (await app.store.deliveries(id, { email: 'gone@paper.example' }))[0]!;
    expect(gone.enhanced).toBe('5.1.1');
    const timeline = (await app.store.events(id, gone.id)).map((e) => e.type);
    expect(timeline).toEqual(['planned', 'sending', 'sent', 'bounced']);
    // The campaign's delivery log has the reports' events too, each once.
    const log = readFileSync(await deliveryLogFile(app.store, app.config.paths.logs, id), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toHaveLength((await app.store.events(id)).length);
    expect(new Set(log.map((l) => l.eventId)).size).toBe(log.length);
    expect(log.filter((l) => l.recipient === 'gone@paper.example').map((l) => l.event)).toEqual(['planned', 'sending', 'sent', 'bounced']);

    const again = await ingestMessages(app, readPath(maildir));
    expect(again.applied).toEqual({});
    expect(again.duplicates).toBe(4);
    expect((await app.store.suppressionLog()).filter((l) => l.action === 'add')).toHaveLength(1);
  });

  it('suppresses after N soft bounces within the window, not before', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org', softBounceLimit: 2 } } });
    const list = app.list(['soft@paper.example,S,X,Paper,russia,en']);
    for (let round = 1; round <= 2; round++) {
      const id = await planCampaign(app, [list]);
      await runCampaign(id, app, { waitForRetries: true });
      const m = smtp.messages.at(-1)!;
      const file = join(app.dir, `soft-${round}.eml`);
      writeFileSync(file, dsn({ to: m.envelopeFrom, recipient: 'soft@paper.example', action: 'failed', status: '4.4.7', diagnostic: '421 4.4.7 Message expired', originalMessageId: m.messageId, id: `soft${round}` }));
      await ingestMessages(app, readPath(file));
      const suppressed = await app.store.isSuppressed('soft@paper.example');
      if (round === 1) expect(suppressed).toBeUndefined();
      else expect(suppressed?.reason).toBe('soft-bounce');
    }
  });
});

describe('bounce mailbox over IMAP (a real dovecot on loopback)', () => {
  it('ingests unread reports, moves them to the processed folder, and reads nothing the second time', async () => {
    const { hasDovecot, messagesIn, startDovecot } = await import('../helpers/dovecot.js');
    if (!hasDovecot) throw new Error('dovecot is not installed: npm test installs it (scripts/install-test-peers.sh), or apt-get install -y dovecot-imapd');
    const imap = await startDovecot();
    try {
      smtp = await startTestSmtp();
      app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org' } } });
      const id = await planCampaign(app, [app.list(['gone@paper.example,G,X,Paper,russia,en'])]);
      await runCampaign(id, app, { waitForRetries: true });
      const m = smtp.messages[0]!;
      const { ImapFlow } = await import('imapflow');
      const client = new ImapFlow({ host: '127.0.0.1', port: imap.port, secure: false, auth: { user: imap.user, pass: imap.password }, logger: false });
      await client.connect();
      await client.append('INBOX', dsn({ to: m.envelopeFrom, recipient: 'gone@paper.example', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 User unknown', originalMessageId: m.messageId, id: 'imap1' }));
      await client.append('INBOX', ['From: someone@paper.example', `To: ${m.envelopeFrom}`, 'Subject: Automatic reply: EU-Russia summit', 'Auto-Submitted: auto-replied', 'Message-ID: <auto@paper.example>', '', 'Away.', ''].join('\r\n'));

      const { readImap } = await import('../../src/bounces/imap.js');
      const first = await ingestMessages(app, readImap({ url: imap.url, password: imap.password, processedFolder: 'Processed' }));
      expect(first.messages).toBe(2);
      expect(first.applied).toEqual({ hard: 1 });
      expect(first.autoReplies).toBe(1);
      expect((await app.store.isSuppressed('gone@paper.example'))?.reason).toBe('hard-bounce');

      expect(await messagesIn(client, 'INBOX')).toBe(0);
      expect(await messagesIn(client, 'Processed')).toBe(2);
      await client.logout();

      const second = await ingestMessages(app, readImap({ url: imap.url, password: imap.password, processedFolder: 'Processed' }));
      expect(second.messages).toBe(0);
    } finally {
      imap.stop();
    }
  });

  it('refuses a password in the URL and plaintext IMAP to a remote host', async () => {
    const { parseImapUrl } = await import('../../src/bounces/imap.js');
    expect(() => parseImapUrl('imaps://u:p@mail.example.org/INBOX')).toThrow(/PRESSLINE_IMAP_PASSWORD/);
    expect(() => parseImapUrl('imap://u@mail.example.org/INBOX')).toThrow(/imaps:/);
    expect(parseImapUrl('imaps://bounces@mail.example.org/Bounces')).toEqual({ host: 'mail.example.org', port: 993, secure: true, user: 'bounces', mailbox: 'Bounces' });
  });
});
