import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classifyDsn } from '../../src/bounces/classify.js';
import { parseMailboxMessage } from '../../src/bounces/parse.js';

// Kinds of real-world bounces that were misread (issue 14): each fixture here was written for
// this project, modelled on what the MTA or provider sends.
const DIR = fileURLToPath(new URL('../fixtures/bounces/', import.meta.url));
const parse = (name: string) => parseMailboxMessage(readFileSync(`${DIR}${name}.eml`), { source: 'test' });

describe('the remote reply outranks the reporting MTA', () => {
  it.each([
    ['5.1.1', '550 5.7.1 IP address blacklisted by recipient', 'policy'],
    ['5.1.1', '552 5.2.2 Over quota', 'soft'],
    ['5.1.0', "5.1.0 - Unknown address error 550-'5.2.2 <a@example.com>... Mailbox Full'", 'soft'],
    ['5.0.0', '550 5.1.1 <a@example.com>: Recipient address rejected: User unknown', 'hard'],
  ])('Status %s with "%s" → %s', (status, diagnostic, kind) => {
    expect(classifyDsn('failed', status, diagnostic)).toBe(kind);
  });
});

describe('mailbox full, rate and blocklist replies never suppress', () => {
  it.each([
    ['5.1.1', '550 too many recipients this hour'],
    ['5.2.1', '550 5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered'],
    ['5.2.1', '552 5.2.1 The email account that you tried to reach is over quota temporarily'],
    ['5.1.1', '554 5.1.1 mailbox full, try again later'],
    ['5.1.1', '554 Service unavailable; client host [198.51.100.3] blocked using zen.spamhaus.org'],
  ])('Status %s "%s" is not hard', (status, diagnostic) => {
    expect(classifyDsn('failed', status, diagnostic)).not.toBe('hard');
  });
});

describe('sender-side refusals are ours to fix, never the journalist\'s', () => {
  it.each([
    ['5.1.8', '553 5.1.8 <press@ngo.example.org>... Domain of sender address press@ngo.example.org does not exist'],
    ['5.1.7', '501 5.1.7 Bad sender address syntax'],
    ['5.0.0', '550 5.7.1 <press@ngo.example.org>: Sender address rejected: Access denied'],
    ['5.7.26', '550 5.7.26 This message does not pass authentication checks (SPF and DKIM both do not pass)'],
    ['5.0.0', 'SMTP error from remote mail server after MAIL FROM:<press@ngo.example.org> SIZE=2048: 550 Administrative prohibition'],
    ['5.0.0', '550 5.7.25 The IP address sending this message does not have a PTR record setup'],
  ])('Status %s "%s" → sender', (status, diagnostic) => {
    expect(classifyDsn('failed', status, diagnostic)).toBe('sender');
  });

  it('a transient one too: as soft it would count towards suppressing the journalist', () => {
    expect(classifyDsn('failed', '4.1.8', '450 4.1.8 <press@ngo.example.org>: Sender address rejected: Domain not found')).toBe('sender');
  });

  it('but a rate limit met at MAIL FROM is only soft', () => {
    expect(classifyDsn('failed', '4.3.2', 'host mx.paper.example said: 452 4.3.2 Connection rate limit exceeded. (in reply to MAIL FROM command)')).toBe('soft');
  });

  it('a sender-side DSN names the journalist but says sender', async () => {
    const r = await parse('sender-domain-not-found');
    expect(r.events.map((e) => [e.kind, e.recipient])).toEqual([['sender', 'lena.fischer@kurier.example']]);
  });
});

describe('unknown users and domains that do not exist are hard', () => {
  it.each([
    ['5.0.0', "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]"],
    ['5.4.4', 'Host or domain name not found. Name service error for name=gone.example type=A: Host not found'],
    ['5.0.0', 'Unrouteable address'],
    ['5.0.0', 'Domain gone.example does not accept mail (nullMX)'],
    ['5.0.0', 'an MX or SRV record indicated no SMTP service'],
    ['5.4.1', '550 5.4.1 Recipient address rejected: Access denied. [AM0PR01MB0001.eurprd01.prod.outlook.com]'],
    ['5.0.0', '550 No such domain at this location'],
  ])('Status %s "%s" → hard', (status, diagnostic) => {
    expect(classifyDsn('failed', status, diagnostic)).toBe('hard');
  });

  it('but a 4xx "user unknown" is transient, and a refusal after DATA is a filter', () => {
    expect(classifyDsn('failed', '4.1.1', '450 4.1.1 <a@example.com>: Recipient address rejected: User unknown')).toBe('soft');
    expect(classifyDsn('failed', '5.0.0', '550 Unknown user a@example.com (in reply to end of DATA command)')).toBe('policy');
  });

  it("unless the words after DATA leave no doubt (Yahoo's dd)", () => {
    expect(classifyDsn('failed', '5.0.0', "host mta5.am0.yahoodns.example said: 554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0] (in reply to end of DATA command)")).toBe('hard');
  });
});

describe('a contradicting report is never hard', () => {
  it('"User Unknown" in the delivery-status part beside "Not enough disk space" in its prose is soft', async () => {
    const r = await parse('contradicting-prose-disk-full');
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([['desk@herald.example', 'soft']]);
  });
});

describe('bounces are never taken for auto-replies', () => {
  it.each([
    ['exim-local-part-auto-replied', 'karl.weber@rundschau.example', 'hard'], // Exim: Auto-Submitted: auto-replied
    ['ionos-wrapped-heading', 'claire.martin@journal.example', 'soft'], // 1&1: heading on two lines
    ['auto-generated-failure', 'sam.okafor@tribune.example', 'hard'], // Auto-Submitted: auto-generated (failure)
    ['mdaemon-mirror', 'ines.costa@chronicle.example', 'hard'], // MDaemon: X-Autogenerated: Mirror
    ['precedence-bulk-bounce', 'noor.haddad@post.example', 'hard'], // Precedence: bulk
  ])('%s is a bounce for %s (%s)', async (name, recipient, kind) => {
    const r = await parse(name);
    expect(r.kind).toBe('dsn');
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([[recipient, kind]]);
  });

  it('a bounce whose recipient cannot be read is kept for a person, not dropped as an auto-reply', async () => {
    const raw = [
      'From: Mail Delivery System <Mailer-Daemon@mx.example.com>',
      'To: press@ngo.example.org',
      'Subject: Mail delivery failed: returning message to sender',
      'Auto-Submitted: auto-replied',
      '',
      'Your message could not be delivered.',
      '',
    ].join('\n');
    const r = await parseMailboxMessage(Buffer.from(raw), { source: 'test' });
    expect(r.kind).toBe('unrecognised');
  });
});

describe('a person is not a bounce', () => {
  it("a journalist's reply in a thread that says a mail was undeliverable names no failed recipient", async () => {
    const raw = [
      'From: Anna Meier <anna.meier@zeitung.example>',
      'To: press@ngo.example.org',
      'Subject: Re: Statement on the harbour strike',
      'In-Reply-To: <3.7k.a1b2@ngo.example.org>',
      '',
      'Your mail to desk@zeitung.example was undeliverable, that desk closed in May.',
      'Please write to news@zeitung.example (550 user unknown is what you will get otherwise).',
      '',
    ].join('\n');
    const r = await parseMailboxMessage(Buffer.from(raw), { source: 'test' });
    expect(r.kind).toBe('unrecognised');
    expect(r.events).toEqual([]);
  });
});

describe('unsubscribe requests before auto-replies', () => {
  it('an Apple Mail unsubscribe (Auto-Submitted: auto-replied, X-Apple-Unsubscribe) is a request from its sender', async () => {
    const r = await parse('apple-unsubscribe');
    expect(r.kind).toBe('unsubscribe-request');
    expect(r.events.map((e) => [e.kind, e.recipient])).toEqual([['unsubscribe', 'ravi.iyer@icloud.example']]);
  });
});

describe('recipients', () => {
  it('a forwarded mailbox is reported for the address we mailed (Original-Recipient), its target kept', async () => {
    const r = await parse('forwarded-original-recipient');
    expect(r.events[0]!.recipient).toBe('desk@weekly.example');
    expect(r.events[0]!.finalRecipient).toBe('j.doe.private@home.example');
  });

  it('an AOL DSN without blank lines between recipient blocks yields every recipient', async () => {
    const r = await parse('aol-no-blank-lines');
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([
      ['pia.berg@aol.example', 'soft'],
      ['ola.lund@aol.example', 'hard'],
    ]);
  });

  it('a quoted local part keeps both its quotes', async () => {
    const r = await parse('quoted-local-part');
    expect(r.events[0]!.recipient).toBe('"night..desk"@zeitung.example');
  });

  it('a Final-Recipient that is a pipe or a path gives way to X-Failed-Recipients', async () => {
    const raw = [
      'From: Mail Delivery System <Mailer-Daemon@mx.example.com>',
      'To: press@ngo.example.org',
      'Subject: Mail delivery failed',
      'X-Failed-Recipients: desk@paper.example',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'failed',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.com',
      '',
      'Final-Recipient: rfc822;|/usr/local/bin/filter desk@paper.example',
      'Action: failed',
      'Status: 5.2.2',
      'Diagnostic-Code: smtp; 552 5.2.2 mailbox full',
      '--b--',
      '',
    ].join('\n');
    const r = await parseMailboxMessage(Buffer.from(raw), { source: 'test' });
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([['desk@paper.example', 'soft']]);
  });

  it('a file with bare CR line ends reads like one with LF', async () => {
    const cr = await parse('bare-cr-line-ends');
    expect(cr.kind).toBe('dsn');
    expect(cr.events.map((e) => [e.recipient, e.kind, e.status])).toEqual([['bea.roth@bulletin.example', 'hard', '5.1.1']]);
    expect(cr.events[0]!.originalMessageId).toBe('<3.7k.a1b2@ngo.example.org>');
  });
});

describe('formats with no recogniser of their own', () => {
  it.each([
    ['dragonfly', 'amir.rahimi@bulletin.example', 'hard'],
    ['imail', 'eva.horvath@observer.example', 'hard'],
    ['zoho', 'hana.sato@shimbun.example', 'hard'],
    ['gmx', 'jan.kowalski@gazeta.example', 'soft'],
    ['v5-sendmail', 'tips@nowhere-news.example', 'hard'],
    ['notes', 'olga.petrova@herald.example', 'hard'],
    ['opensmtpd-old', 'lars.nilsen@avis.example', 'soft'],
    ['ezweb', 'yuki.tanaka@ezweb.example', 'hard'],
    ['yahoo-no-account', 'li.wei@yahoo.example', 'hard'],
    ['exim-unrouteable', 'desk@gone-daily.example', 'hard'],
  ])('%s → %s %s', async (name, recipient, kind) => {
    const r = await parse(name);
    expect(r.kind).toBe('dsn');
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([[recipient, kind]]);
  });

  it('an Amazon SES bounce notification by mail', async () => {
    const r = await parse('ses-email-bounce');
    expect(r.events.map((e) => [e.recipient, e.kind, e.status])).toEqual([['pat.kelly@times.example', 'hard', '5.1.1']]);
  });

  it('an Amazon SES notification still in its SNS envelope, its long line folded by mail', async () => {
    const r = await parse('ses-sns-envelope');
    expect(r.events.map((e) => [e.recipient, e.kind, e.status])).toEqual([['rosa.diaz@post.example', 'soft', '5.2.2']]);
  });

  it('a delivery-status part behind a boundary the MIME parser cannot follow', async () => {
    const r = await parse('broken-boundary-dsn');
    expect(r.kind).toBe('dsn');
    expect(r.events.map((e) => [e.recipient, e.kind, e.status])).toEqual([['desk@courier.example', 'soft', '5.2.2']]);
  });

  it("Microsoft's complaint format is a complaint about the original recipient", async () => {
    const r = await parse('microsoft-complaint');
    expect(r.kind).toBe('arf');
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([['nick.jones@hotmail.example', 'complaint']]);
  });
});
