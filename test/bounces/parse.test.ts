import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMailboxMessage, RAW_CAP_CHARS } from '../../src/bounces/parse.js';

const DIR = fileURLToPath(new URL('../fixtures/bounces/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => f.replace(/\.eml$/, ''));
const load = (name: string): Buffer => readFileSync(join(DIR, `${name}.eml`));
const toCrlf = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').replace(/\r?\n/g, '\r\n'), 'utf8');
const parse = (raw: string | Buffer, extra: { verpLocalPart?: string; bounceDomain?: string; now?: Date } = {}) =>
  parseMailboxMessage(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, { source: 'test', ...extra });

interface Expected {
  kind: string;
  events: { kind: string; recipient: string | null; status: string | null; verpToken: string | null; originalMessageId: string | null }[];
}

function summary(events: Awaited<ReturnType<typeof parse>>['events']): Expected['events'] {
  return events.map((e) => ({
    kind: e.kind,
    recipient: e.recipient ?? null,
    status: e.status ?? null,
    verpToken: e.verpToken ?? null,
    originalMessageId: e.originalMessageId ?? null,
  }));
}

/** A DSN around one delivery-status body, LF line ends. */
function dsn(status: string, opts: { headers?: string; text?: string; original?: string } = {}): string {
  return [
    'From: MAILER-DAEMON@mx.example.com',
    'To: bounces+1-2s-0123456789abcdef@bounces.ngo.example.org',
    'Subject: Undelivered Mail Returned to Sender',
    'Date: Tue, 15 Apr 2025 10:00:00 +0000',
    ...(opts.headers ? [opts.headers] : []),
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    opts.text ?? 'Delivery failed.',
    '',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    status,
    '',
    ...(opts.original ? ['--b1', 'Content-Type: text/rfc822-headers', '', opts.original, ''] : []),
    '--b1--',
    '',
  ].join('\n');
}

describe('fixture corpus', () => {
  it('has every fixture paired with its expected JSON', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(18);
    for (const name of fixtures) expect(() => readFileSync(join(DIR, `${name}.expected.json`))).not.toThrow();
  });

  it.each(fixtures)('%s parses to its expected JSON', async (name) => {
    const expected = JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Expected;
    const result = await parse(load(name));
    expect({ kind: result.kind, events: summary(result.events) }).toEqual(expected);
    expect(result.reason).not.toBe('');
    for (const e of result.events) {
      expect(e.source).toBe('test');
      expect(e.reportId).toMatch(/^(<[^<>]+>|sha256:[0-9a-f]{64})$/);
      expect(e.raw.length).toBeGreaterThan(0);
      expect(e.receivedAt).toBeInstanceOf(Date);
      expect(Number.isNaN(e.receivedAt.getTime())).toBe(false);
    }
  });

  it.each(fixtures)('%s parses the same with CRLF line ends', async (name) => {
    const lf = await parse(load(name));
    const crlf = await parse(toCrlf(load(name)));
    expect(crlf.kind).toBe(lf.kind);
    expect(summary(crlf.events)).toEqual(summary(lf.events));
    expect(crlf.events.map((e) => e.diagnostic)).toEqual(lf.events.map((e) => e.diagnostic));
  });

  it('accepts the fixtures\' tokens with the configured VERP local part and domain', async () => {
    const r = await parse(load('postfix-hard'), { verpLocalPart: 'bounces', bounceDomain: 'bounces.ngo.example.org' });
    expect(r.events[0]!.verpToken).toBe('1-2t-9f8e7d6c5b4a3921');
  });
});

describe('DSN details', () => {
  it('unfolds a folded Diagnostic-Code and keeps Remote-MTA without its type', async () => {
    const r = await parse(load('postfix-hard'));
    expect(r.events[0]!.diagnostic).toBe(
      '550 5.1.1 <anna.meier@zeitung.example.com>: Recipient address rejected: User unknown in virtual mailbox table',
    );
    expect(r.events[0]!.remoteMta).toBe('mx1.zeitung.example.com');
    expect(r.reason).toBe('multipart/report; report-type=delivery-status');
  });

  it('reads field names case-insensitively', async () => {
    const r = await parse(
      dsn('REPORTING-MTA: dns; mx.example.com\n\nfinal-recipient: RFC822; Someone@Example.com\nACTION: Failed\nstatus: 5.1.1 (bad mailbox)\nDIAGNOSTIC-CODE: SMTP; 550 5.1.1 no such user'),
    );
    expect(r.kind).toBe('dsn');
    expect(summary(r.events)).toEqual([
      { kind: 'hard', recipient: 'Someone@Example.com', status: '5.1.1', verpToken: '1-2s-0123456789abcdef', originalMessageId: null },
    ]);
    expect(r.events[0]!.diagnostic).toBe('550 5.1.1 no such user');
  });

  it('takes the status from the diagnostic when Status is missing', async () => {
    const r = await parse(dsn('Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.com>: user unknown'));
    expect(r.events[0]!.status).toBe('5.1.1');
    expect(r.events[0]!.kind).toBe('hard');
  });

  it('classifies by the diagnostic words when there is no status at all', async () => {
    const r = await parse(dsn('Final-Recipient: rfc822; b@example.com\nAction: failed\nDiagnostic-Code: smtp; 552 Requested mail action aborted: exceeded storage allocation, over quota'));
    expect(r.events[0]!.status).toBeUndefined();
    expect(r.events[0]!.kind).toBe('soft');
  });

  it('prefers the diagnostic\'s specific code over a generic 5.0.0', async () => {
    const r = await parse(dsn('Final-Recipient: rfc822; c@example.com\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 5.1.1 RESOLVER.ADR.RecipNotFound'));
    expect(r.events[0]!.status).toBe('5.0.0');
    expect(r.events[0]!.kind).toBe('hard');
  });

  it('treats a failed DSN without status or diagnostic as soft, never hard', async () => {
    const r = await parse(dsn('Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; d@example.com\nAction: failed'));
    expect(r.events[0]!.kind).toBe('soft');
  });

  it('reads recipient blocks when the per-message block is missing, and separators with spaces', async () => {
    const r = await parse(dsn('Final-Recipient: rfc822; e@example.com\nAction: delivered\nStatus: 2.0.0\n   \nFinal-Recipient: rfc822; f@example.com\nAction: relayed\nStatus: 2.0.0'));
    expect(r.events.map((e) => [e.recipient, e.kind])).toEqual([
      ['e@example.com', 'delivered'],
      ['f@example.com', 'delivered'],
    ]);
  });

  it('falls back to Original-Recipient, then the original To', async () => {
    const r = await parse(
      dsn('Reporting-MTA: dns; mx.example.com\n\nOriginal-Recipient: rfc822;g@example.com\nAction: failed\nStatus: 5.1.1\n\nAction: failed\nStatus: 5.2.1', {
        original: 'From: press@ngo.example.org\nTo: "H" <h@example.com>\nMessage-ID: <orig-1@ngo.example.org>',
      }),
    );
    expect(r.events.map((e) => [e.recipient, e.kind, e.originalMessageId])).toEqual([
      ['g@example.com', 'hard', '<orig-1@ngo.example.org>'],
      ['h@example.com', 'hard', '<orig-1@ngo.example.org>'],
    ]);
    expect(r.original).toMatchObject({ messageId: '<orig-1@ngo.example.org>', to: 'h@example.com' });
  });

  it('is a DSN even when it carries every auto-reply signal', async () => {
    const r = await parse(load('dsn-auto-submitted'));
    expect(r.kind).toBe('dsn');
    expect(r.events[0]!.kind).toBe('hard');
  });

  it('exposes the quoted original, X-Pressline-Campaign included', async () => {
    const r = await parse(load('rfc3464-multi-recipient'));
    expect(r.original).toEqual({
      messageId: '<3.k1.7f3a@ngo.example.org>',
      to: 'desk@newsroom.example.com',
      returnPath: 'bounces+3-k1-a1b2c3d4e5f60718@bounces.ngo.example.org',
      campaign: '3',
    });
  });
});

describe('report identity, time and raw text', () => {
  it('uses the report\'s Message-ID as reportId', async () => {
    const r = await parse(load('postfix-hard'));
    expect(r.events[0]!.reportId).toBe('<4ZG7s21Xq9z9sVb@mail.ngo.example.org>');
  });

  it('uses a stable sha256 of the bytes when the report has no Message-ID', async () => {
    const a = await parse(load('qmail'));
    const b = await parse(load('qmail'));
    expect(a.events[0]!.reportId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.events[0]!.reportId).toBe(a.events[0]!.reportId);
    expect(a.events[1]!.reportId).toBe(a.events[0]!.reportId);
  });

  it('takes receivedAt from the Date header, else from now', async () => {
    const dated = await parse(load('postfix-hard'));
    expect(dated.events[0]!.receivedAt.toISOString()).toBe('2025-04-15T10:01:07.000Z');
    const now = new Date('2030-01-01T00:00:00Z');
    const undated = await parse(dsn('Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1').replace(/^Date: .*\n/m, ''), { now });
    expect(undated.events[0]!.receivedAt).toEqual(now);
  });

  it('keeps the start of the raw report, capped', async () => {
    const big = dsn('Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1', { text: 'x'.repeat(200_000) });
    const r = await parse(big);
    expect(r.events[0]!.raw.length).toBe(RAW_CAP_CHARS);
    expect(r.events[0]!.raw.startsWith('From: MAILER-DAEMON@mx.example.com')).toBe(true);
    const small = await parse(load('postfix-hard'));
    expect(small.events[0]!.raw).toBe(load('postfix-hard').toString('utf8'));
  });
});

describe('VERP token', () => {
  const body = 'Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1';

  it('prefers Delivered-To over the report\'s To and lower-cases it', async () => {
    const r = await parse(dsn(body, { headers: 'Delivered-To: bounces+7-AB-0123456789ABCDEF@bounces.ngo.example.org' }));
    expect(r.events[0]!.verpToken).toBe('7-ab-0123456789abcdef');
  });

  it('looks through X-Original-To, Envelope-To and the original Return-Path', async () => {
    for (const header of ['X-Original-To', 'Envelope-To', 'X-Envelope-To']) {
      const raw = dsn(body, { headers: `${header}: bounces+9-9-aaaaaaaaaaaaaaaa@bounces.ngo.example.org` }).replace(/^To: .*\n/m, 'To: press@ngo.example.org\n');
      expect((await parse(raw)).events[0]!.verpToken, header).toBe('9-9-aaaaaaaaaaaaaaaa');
    }
    const viaOriginal = dsn(body, { original: 'Return-Path: <bounces+a-b-bbbbbbbbbbbbbbbb@bounces.ngo.example.org>\nMessage-ID: <x@y.example>' }).replace(/^To: .*\n/m, 'To: press@ngo.example.org\n');
    expect((await parse(viaOriginal)).events[0]!.verpToken).toBe('a-b-bbbbbbbbbbbbbbbb');
  });

  it('with a configured local part and domain, ignores other addresses', async () => {
    const raw = dsn(body, { headers: 'Delivered-To: someone+1-2-cccccccccccccccc@elsewhere.example' });
    const strict = await parse(raw, { verpLocalPart: 'bounces', bounceDomain: 'bounces.ngo.example.org' });
    expect(strict.events[0]!.verpToken).toBe('1-2s-0123456789abcdef'); // from To
    const loose = await parse(raw);
    expect(loose.events[0]!.verpToken).toBe('1-2-cccccccccccccccc');
    const none = await parse(raw, { verpLocalPart: 'returns', bounceDomain: 'bounces.ngo.example.org' });
    expect(none.events[0]!.verpToken).toBeUndefined();
  });

  it('rejects strings that are not token-shaped', async () => {
    const raw = dsn(body).replace(/^To: .*\n/m, 'To: bounces+1-2s-0123456789abcdeg@bounces.ngo.example.org\n');
    expect((await parse(raw)).events[0]!.verpToken).toBeUndefined();
  });
});

describe('ARF', () => {
  const arf = (feedback: string, original = 'From: press@ngo.example.org\nTo: reader@example.com\nMessage-ID: <m1@ngo.example.org>') =>
    [
      'From: fbl@isp.example',
      'To: fbl@ngo.example.org',
      'Subject: complaint',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="a1"',
      '',
      '--a1',
      'Content-Type: text/plain',
      '',
      'A complaint.',
      '--a1',
      'Content-Type: message/feedback-report',
      '',
      feedback,
      '',
      '--a1',
      'Content-Type: text/rfc822-headers',
      '',
      original,
      '',
      '--a1--',
      '',
    ].join('\n');

  it('takes the VERP token from Original-Mail-From when nothing else carries one', async () => {
    const r = await parse(arf('Feedback-Type: fraud\nVersion: 1\nOriginal-Mail-From: bounces+3-4-dddddddddddddddd@bounces.ngo.example.org'));
    expect(summary(r.events)).toEqual([
      { kind: 'complaint', recipient: 'reader@example.com', status: null, verpToken: '3-4-dddddddddddddddd', originalMessageId: '<m1@ngo.example.org>' },
    ]);
  });

  it('reports no event for not-spam feedback', async () => {
    const r = await parse(arf('Feedback-Type: not-spam\nVersion: 1'));
    expect(r.kind).toBe('arf');
    expect(r.events).toEqual([]);
    expect(r.reason).toContain('not-spam');
  });

  it('names the complaining recipient from Original-Rcpt-To', async () => {
    const r = await parse(load('arf-yahoo-abuse'));
    expect(r.events[0]!.recipient).toBe('reader@mail.example.com');
    expect(r.events[0]!.diagnostic).toContain('abuse');
    expect(r.original?.campaign).toBe('8');
  });
});

describe('prose bounces', () => {
  it('reads an Exim delay warning as delay', async () => {
    const raw = [
      'From: Mail Delivery System <Mailer-Daemon@mx.example.net>',
      'To: bounces+1-2s-0123456789abcdef@bounces.ngo.example.org',
      'Subject: Warning: message 1u5Lm2-000Abc-0P delayed 24 hours',
      '',
      'This message was created automatically by mail delivery software.',
      '',
      'A message that you sent has not yet been delivered to one or more of its',
      'recipients after more than 24 hours on the queue on mx.example.net.',
      '',
      'The address to which the message has not yet been delivered is:',
      '',
      '  slow@example.net',
      '    host mx.example.net [192.0.2.1]: 451 4.3.0 Temporary lookup failure',
      '',
      'No action is required on your part.',
      '',
    ].join('\n');
    const r = await parse(raw);
    expect(r.kind).toBe('dsn');
    expect(summary(r.events)).toEqual([{ kind: 'delay', recipient: 'slow@example.net', status: '4.3.0', verpToken: '1-2s-0123456789abcdef', originalMessageId: null }]);
  });

  it('reads a one-line qmail entry', async () => {
    const raw =
      'From: MAILER-DAEMON@q.example\nTo: bounces+1-2s-0123456789abcdef@bounces.ngo.example.org\nSubject: failure notice\n\n' +
      "Hi. This is the qmail-send program at q.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n" +
      "This is a permanent error; I've given up. Sorry it didn't work out.\n\n<gone@q.example>: Sorry, no mailbox here by that name. (#5.1.1)\n";
    const r = await parse(raw);
    expect(r.events.map((e) => [e.recipient, e.kind, e.status])).toEqual([['gone@q.example', 'hard', '5.1.1']]);
  });

  it('still attributes a bounce of unknown format through its VERP token', async () => {
    const raw =
      'From: Mail Administrator <postmaster@odd.example>\nTo: bounces+1-2s-0123456789abcdef@bounces.ngo.example.org\nSubject: Returned mail: delivery problem\n\n' +
      'Your mail could not be sent.\nReason: 550 5.7.1 rejected by content filter\n';
    const r = await parse(raw);
    expect(r.kind).toBe('dsn');
    expect(summary(r.events)).toEqual([{ kind: 'policy', recipient: null, status: '5.7.1', verpToken: '1-2s-0123456789abcdef', originalMessageId: null }]);
  });

  it('leaves a bounce-looking message with nothing to attribute unrecognised', async () => {
    const raw = 'From: postmaster@odd.example\nTo: press@ngo.example.org\nSubject: Undeliverable mail\n\nSomething went wrong.\n';
    expect((await parse(raw)).kind).toBe('unrecognised');
  });
});

describe('auto-replies and requests', () => {
  const plain = (headers: string, body = 'Hello.') => `From: Someone <someone@example.com>\nTo: bounces+1-2s-0123456789abcdef@bounces.ngo.example.org\n${headers}\n\n${body}\n`;

  it.each([
    ['Subject: Out of Office: summit'],
    ['Subject: Автоответ: summit'],
    ['Subject: Re: summit\nX-Autoreply: yes'],
    ['Subject: Re: summit\nX-Autorespond: on'],
    ['Subject: Re: summit\nAuto-Submitted: auto-generated'],
    ['Subject: Re: summit\nPrecedence: junk'],
    ['Subject: Re: summit\nX-Auto-Response-Suppress: All'],
  ])('%s → auto-reply without events', async (headers) => {
    const r = await parse(plain(headers));
    expect(r.kind).toBe('auto-reply');
    expect(r.events).toEqual([]);
  });

  it('does not take Auto-Submitted: no for an auto-reply', async () => {
    expect((await parse(plain('Subject: Re: summit\nAuto-Submitted: no'))).kind).toBe('unrecognised');
  });

  it('takes a bulk list post for a newsletter, not an auto-reply', async () => {
    expect((await parse(plain('Subject: Digest\nPrecedence: bulk\nList-Id: <x.example.com>'))).kind).toBe('unrecognised');
  });

  it('reads "unsubscribe" on the first body line as a request from the From address', async () => {
    const r = await parse(plain('Subject: (no subject)', '\n  Unsubscribe\nthanks'));
    expect(r.kind).toBe('unsubscribe-request');
    expect(summary(r.events)).toEqual([{ kind: 'unsubscribe', recipient: 'someone@example.com', status: null, verpToken: '1-2s-0123456789abcdef', originalMessageId: null }]);
  });

  it('lets an Outlook unsubscribe win over its X-Auto-Response-Suppress', async () => {
    expect((await parse(plain('Subject: Unsubscribe\nX-Auto-Response-Suppress: All'))).kind).toBe('unsubscribe-request');
  });

  it('does not take an auto-reply to an unsubscribe for a request', async () => {
    expect((await parse(plain('Subject: Automatic reply: unsubscribe'))).kind).toBe('auto-reply');
  });
});
