// Issue 14 (1, 2): a report changes a delivery or the suppression list only with proof, and the
// Message-IDs and tokens of two stores never meet. Real stores, real SMTP on loopback.
import { createHash, createHmac } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { ingestMessages, type IngestSummary } from '../../src/bounces/ingest.js';
import { verifiedSender } from '../../src/bounces/sender-auth.js';
import { readPath } from '../../src/bounces/sources.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { startTestSmtp, type ReceivedMessage, type TestSmtpServer } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

const SECRET = 'one-secret-for-both-installs';
const BOUNCE_DOMAIN = 'bounces.ngo.example.org';
const MAILTO = 'unsubscribe@ngo.example.org';

let apps: TestApp[] = [];
let smtp: TestSmtpServer | undefined;
let web: Running[] = [];
afterEach(async () => {
  await closeAll(...web, smtp, ...apps);
  apps = [];
  web = [];
  smtp = undefined;
});

function app(options: Parameters<typeof testApp>[0] = {}): TestApp {
  const a = testApp({
    ...options,
    env: { secret: SECRET, smtpUrl: smtp!.url, ...options.env },
    config: { bounces: { domain: BOUNCE_DOMAIN }, unsubscribe: { baseUrl: 'https://press.ngo.example.org', mailto: MAILTO }, ...options.config },
  });
  apps.push(a);
  return a;
}

/** Sends the example release from `a` to `emails`; the messages as the SMTP server got them, by recipient. */
async function send(a: TestApp, emails: string[]): Promise<{ id: number; got: Map<string, ReceivedMessage> }> {
  const before = smtp!.messages.length;
  const list = a.list(emails.map((e, i) => `${e},Jo${i},Doe,Paper,russia,en`));
  const id = await planCampaign(a, [list]);
  await runCampaign(id, a, { waitForRetries: true });
  return { id, got: new Map(smtp!.messages.slice(before).map((m) => [m.rcpts[0]!, m])) };
}

let n = 0;
async function ingest(a: TestApp, text: string): Promise<IngestSummary> {
  const file = join(a.dir, `report-${++n}.eml`);
  writeFileSync(file, text);
  return ingestMessages(a, readPath(file));
}

/** An RFC 3464 report from a receiving MTA. */
function dsn(o: { to: string; finalRecipient: string; originalRecipient?: string; messageId?: string; id: string; from?: string }): string {
  return [
    `From: ${o.from ?? 'Mail Delivery System <MAILER-DAEMON@mx.paper.example>'}`,
    `To: ${o.to}`,
    `Subject: Undelivered Mail Returned to Sender`,
    `Message-ID: <${o.id}@mx.paper.example>`,
    `Date: Sat, 28 Nov 2026 10:00:00 +0000`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`,
    ``,
    `--B`,
    `Content-Type: text/plain`,
    ``,
    `Your message could not be delivered.`,
    ``,
    `--B`,
    `Content-Type: message/delivery-status`,
    ``,
    `Reporting-MTA: dns; mx.paper.example`,
    ``,
    `Final-Recipient: rfc822; ${o.finalRecipient}`,
    ...(o.originalRecipient ? [`Original-Recipient: rfc822; ${o.originalRecipient}`] : []),
    `Action: failed`,
    `Status: 5.1.1`,
    `Diagnostic-Code: smtp; 550 5.1.1 User unknown`,
    ``,
    `--B`,
    `Content-Type: text/rfc822-headers`,
    ``,
    `From: Press Office <press@ngo.example.org>`,
    `To: ${o.originalRecipient ?? o.finalRecipient}`,
    ...(o.messageId ? [`Message-ID: ${o.messageId}`] : []),
    `Subject: EU-Russia summit`,
    ``,
    `--B--`,
    ``,
  ].join('\r\n');
}

/** An RFC 5965 complaint report. */
function arf(o: { rcpt: string; messageId?: string; id: string }): string {
  return [
    'From: Feedback Loop <fbl@isp.example>',
    `To: abuse@ngo.example.org`,
    'Subject: Complaint about message',
    `Message-ID: <${o.id}@isp.example>`,
    'Date: Sat, 28 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F"',
    '',
    '--F',
    'Content-Type: text/plain',
    '',
    'This is an abuse report.',
    '',
    '--F',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ISP-FBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${o.rcpt}`,
    '',
    '--F',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Press Office <press@ngo.example.org>',
    `To: ${o.rcpt}`,
    ...(o.messageId ? [`Message-ID: ${o.messageId}`] : []),
    'Subject: EU-Russia summit',
    '',
    '--F--',
    '',
  ].join('\r\n');
}

function unsubscribeMail(o: { from: string; to: string; id: string; authResults?: string[] }): string {
  return [
    ...(o.authResults ?? []).map((v) => `Authentication-Results: ${v}`),
    `From: ${o.from}`,
    `To: ${o.to}`,
    'Subject: unsubscribe',
    `Message-ID: <${o.id}@mail.example>`,
    'Date: Sat, 28 Nov 2026 09:00:00 +0000',
    '',
    'unsubscribe',
    '',
  ].join('\r\n');
}

/** The Message-ID as every release before issue 14 computed it: from what any recipient can see. */
function oldMessageId(campaignId: number, email: string): string {
  return `<pressline.${campaignId}.${createHash('sha256').update(`${campaignId}:${email}`).digest('hex').slice(0, 20)}@ngo.example.org>`;
}

/** A token as releases before issue 14 signed it: campaign and delivery only, no store, no address. */
function oldToken(purpose: 'verp' | 'unsubscribe', campaignId: number, deliveryId: number): string {
  const body = `${campaignId.toString(36)}-${deliveryId.toString(36)}`;
  return `${body}-${createHmac('sha256', SECRET).update(`${purpose}:${body}`).digest('hex').slice(0, 16)}`;
}

async function statusOf(a: TestApp, id: number, email: string): Promise<string | undefined> {
  return (await a.store.deliveries(id, { email }))[0]?.status;
}

async function nothingChanged(a: TestApp, id: number, emails: string[]): Promise<void> {
  for (const e of emails) {
    expect(await statusOf(a, id, e), e).toBe('sent');
    expect(await a.store.isSuppressed(e), e).toBeUndefined();
  }
  expect(await a.store.listSuppressions()).toEqual([]);
}

const verpOf = (m: ReceivedMessage) => m.envelopeFrom;
const oneClickUrl = (m: ReceivedMessage) => /<(https:[^>]+)>/.exec(m.headers.get('list-unsubscribe') ?? '')![1]!;
const mailtoOf = (m: ReceivedMessage) => /<mailto:([^?>]+)/.exec(m.headers.get('list-unsubscribe') ?? '')?.[1];

describe('forged reports change nothing and are kept as unattributed, with the reason', () => {
  it('a DSN without a token quoting the Message-ID anyone could compute (the old scheme)', async () => {
    smtp = await startTestSmtp();
    const a = app();
    const { id } = await send(a, ['helen@paper.example', 'tom@paper.example']);
    const s = await ingest(a, dsn({ from: 'Postmaster <postmaster@outside.example>', to: 'press@ngo.example.org', finalRecipient: 'helen@paper.example', messageId: oldMessageId(id, 'helen@paper.example'), id: 'f1' }));
    expect(s.applied).toEqual({});
    expect(s.unattributed).toEqual([expect.objectContaining({ recipient: 'helen@paper.example', note: expect.stringMatching(/not one this store gave out/) })]);
    await nothingChanged(a, id, ['helen@paper.example', 'tom@paper.example']);
    expect(await a.store.bounceEvents({ outcome: 'unattributed' })).toHaveLength(1);
  });

  it('a DSN with a bad token, or an old-form token, does not fall back on a guessed Message-ID', async () => {
    smtp = await startTestSmtp();
    const a = app();
    const { id, got } = await send(a, ['helen@paper.example']);
    const verp = verpOf(got.get('helen@paper.example')!);
    const badSig = verp.replace(/[0-9a-f](?=@)/, (c) => (c === '0' ? '1' : '0'));
    const delivery = (await a.store.deliveries(id))[0]!;
    const old = `bounces+${oldToken('verp', id, delivery.id)}@${BOUNCE_DOMAIN}`;
    const guessed = oldMessageId(id, 'helen@paper.example');
    const bad = await ingest(a, dsn({ to: badSig, finalRecipient: 'helen@paper.example', messageId: guessed, id: 'f2' }));
    expect(bad.unattributed[0]?.note).toMatch(/VERP token: token failed its signature check.*not one this store gave out/);
    const stale = await ingest(a, dsn({ to: old, finalRecipient: 'helen@paper.example', id: 'f3' }));
    expect(stale.unattributed[0]?.note).toMatch(/old form/);
    await nothingChanged(a, id, ['helen@paper.example']);
    // The genuine token still works.
    const real = await ingest(a, dsn({ to: verp, finalRecipient: 'helen@paper.example', id: 'f4' }));
    expect(real.applied).toEqual({ hard: 1 });
    expect(await statusOf(a, id, 'helen@paper.example')).toBe('bounced');
  });

  it("without VERP, our Message-ID counts only with the failed recipient it went to (Final- or Original-Recipient)", async () => {
    smtp = await startTestSmtp();
    const a = app({ config: { bounces: {} } }); // no VERP: the envelope sender is From
    const { id, got } = await send(a, ['helen@paper.example', 'tom@paper.example']);
    const helenId = got.get('helen@paper.example')!.messageId;
    // Helen's real Message-ID in a report that says Tom failed: neither is touched.
    const crossed = await ingest(a, dsn({ to: 'press@ngo.example.org', finalRecipient: 'tom@paper.example', messageId: helenId, id: 'x1' }));
    expect(crossed.unattributed[0]?.note).toMatch(/not the address the quoted message went to/);
    await nothingChanged(a, id, ['helen@paper.example', 'tom@paper.example']);
    // A forwarded mailbox: Final-Recipient rewritten, ours in Original-Recipient.
    const forwarded = await ingest(a, dsn({ to: 'press@ngo.example.org', finalRecipient: 'h.w@home.example', originalRecipient: 'helen@paper.example', messageId: helenId, id: 'x2' }));
    expect(forwarded.applied).toEqual({ hard: 1 });
    expect(await statusOf(a, id, 'helen@paper.example')).toBe('bounced');
    expect((await a.store.isSuppressed('helen@paper.example'))?.reason).toBe('hard-bounce');
    expect(await statusOf(a, id, 'tom@paper.example')).toBe('sent');
  });

  it('ARF complaints: no "latest delivery to the address", no address never mailed; our Message-ID and recipient do', async () => {
    smtp = await startTestSmtp();
    const a = app();
    const { id, got } = await send(a, ['helen@paper.example', 'tom@paper.example']);
    const noProof = await ingest(a, arf({ rcpt: 'helen@paper.example', id: 'c1' }));
    const neverMailed = await ingest(a, arf({ rcpt: 'stranger@paper.example', messageId: oldMessageId(id, 'stranger@paper.example'), id: 'c2' }));
    expect(noProof.unattributed).toHaveLength(1);
    expect(neverMailed.unattributed).toHaveLength(1);
    await nothingChanged(a, id, ['helen@paper.example', 'tom@paper.example']);
    expect(await a.store.isSuppressed('stranger@paper.example')).toBeUndefined();
    const real = await ingest(a, arf({ rcpt: 'tom@paper.example', messageId: got.get('tom@paper.example')!.messageId, id: 'c3' }));
    expect(real.applied).toEqual({ complaint: 1 });
    expect((await a.store.isSuppressed('tom@paper.example'))?.reason).toBe('complaint');
    expect(await a.store.isSuppressed('helen@paper.example')).toBeUndefined();
  });

  it('mailto unsubscribe: the address is tokenised; a bare request counts only from an address we mailed that our host verified', async () => {
    smtp = await startTestSmtp();
    const a = app({ config: { bounces: { domain: BOUNCE_DOMAIN, authservId: 'mx.ngo.example.org' } } });
    const { id, got } = await send(a, ['helen@paper.example', 'tom@paper.example', 'ann@wire.example']);
    const mailto = mailtoOf(got.get('helen@paper.example')!)!;
    expect(mailto).toMatch(/^unsubscribe\+[0-9a-f]{12}-[0-9a-z]+-[0-9a-z]+-[0-9a-f]{16}@ngo\.example\.org$/);

    const forged = [
      // Forged From, no token, no verdict of our host.
      unsubscribeMail({ from: 'Helen <helen@paper.example>', to: MAILTO, id: 'u1' }),
      // A verdict claiming our host's id, but under another host's (so written by the sender).
      unsubscribeMail({ from: 'helen@paper.example', to: MAILTO, id: 'u2', authResults: ['mx.other.example; dkim=none', 'mx.ngo.example.org; dkim=pass header.d=paper.example'] }),
      // Another host's pass, and our host's pass for a domain other than the sender's.
      unsubscribeMail({ from: 'helen@paper.example', to: MAILTO, id: 'u3', authResults: ['mx.ngo.example.org; dkim=pass header.d=attacker.example; spf=fail smtp.mailfrom=helen@paper.example'] }),
      // A tokenised address whose token is forged.
      unsubscribeMail({ from: 'helen@paper.example', to: mailto.replace(/[0-9a-f](?=@)/, (c) => (c === '0' ? '1' : '0')), id: 'u4' }),
    ];
    for (const text of forged) {
      const s = await ingest(a, text);
      expect(s.applied, text).toEqual({});
      expect(s.unattributed, text).toHaveLength(1);
    }
    await nothingChanged(a, id, ['helen@paper.example', 'tom@paper.example', 'ann@wire.example']);
    // Verified by our host, but never mailed: still nothing.
    const stranger = await ingest(a, unsubscribeMail({ from: 'x@stranger.example', to: MAILTO, id: 'u5', authResults: ['mx.ngo.example.org; spf=pass smtp.mailfrom=x@stranger.example'] }));
    expect(stranger.unattributed[0]?.note).toMatch(/never mailed/);
    expect(await a.store.listSuppressions()).toEqual([]);

    // The tokenised address proves the delivery, whoever the From claims to be.
    const byToken = await ingest(a, unsubscribeMail({ from: 'Helen W <h.w@home.example>', to: mailto, id: 'u6' }));
    expect(byToken.applied).toEqual({ unsubscribe: 1 });
    expect((await a.store.isSuppressed('helen@paper.example'))?.reason).toBe('unsubscribe');
    expect(await a.store.isSuppressed('h.w@home.example')).toBeUndefined();
    // A bare request our host verified (DKIM, relaxed alignment), from an address we mailed.
    const verified = await ingest(a, unsubscribeMail({ from: 'tom@paper.example', to: MAILTO, id: 'u7', authResults: ['mx.ngo.example.org (comment; with semicolons); dkim=pass (2048-bit key) header.d=mail.paper.example; spf=softfail smtp.mailfrom=paper.example'] }));
    expect(verified.applied).toEqual({ unsubscribe: 1 });
    expect((await a.store.isSuppressed('tom@paper.example'))?.reason).toBe('unsubscribe');
    expect(await a.store.isSuppressed('ann@wire.example')).toBeUndefined();
  });
});

describe('two stores with the same PRESSLINE_SECRET', () => {
  for (const second of ['sqlite', 'postgres'] as const) {
    it(`SQLite and ${second === 'sqlite' ? 'another SQLite file' : 'PostgreSQL'}: no shared Message-ID or log file; a token of one is refused by the other`, async () => {
      smtp = await startTestSmtp();
      const first = app({ store: 'sqlite' });
      // The second install shares the logs folder (a reset database next to the old logs).
      const other = app({ store: second, config: { paths: { outbox: join(first.dir, 'outbox-2'), logs: first.config.paths.logs, database: join(first.dir, 'second.db') } } });
      // The same journalists in both: campaign 1, deliveries 1 and 2 in each store.
      const a = await send(first, ['helen@paper.example', 'tom@paper.example']);
      const b = await send(other, ['helen@paper.example', 'tom@paper.example']);
      expect([a.id, b.id]).toEqual([1, 1]);
      const idsA = [...a.got.values()].map((m) => m.messageId);
      const idsB = [...b.got.values()].map((m) => m.messageId);
      expect(new Set([...idsA, ...idsB]).size).toBe(4);
      expect(readdirSync(first.config.paths.logs).filter((f) => f.endsWith('.ndjson'))).toHaveLength(2);

      // A bounce for the first store's Helen, quoting its Message-ID and VERP, reaches the second.
      const helenA = a.got.get('helen@paper.example')!;
      const s = await ingest(other, dsn({ to: verpOf(helenA), finalRecipient: 'helen@paper.example', messageId: helenA.messageId, id: `cross-${second}` }));
      expect(s.applied).toEqual({});
      expect(s.unattributed[0]?.note).toMatch(/another store/);
      await nothingChanged(other, b.id, ['helen@paper.example', 'tom@paper.example']);
    });
  }

  it("a one-click link of the other store, or of the old form, says it is no longer valid and offers the mailto; it changes nothing, and a POST is kept for review", async () => {
    smtp = await startTestSmtp();
    const first = app({ store: 'sqlite' });
    const other = app({ store: 'postgres' });
    const a = await send(first, ['helen@paper.example']);
    // A different journalist holds delivery 1 of campaign 1 in the second store.
    const b = await send(other, ['karl@magazin.example']);
    const w = await startServer(other);
    web.push(w);
    const helensLink = new URL(oneClickUrl(a.got.get('helen@paper.example')!));
    const oldLink = `/u/${oldToken('unsubscribe', b.id, (await other.store.deliveries(b.id))[0]!.id)}`;
    for (const path of [helensLink.pathname, oldLink]) {
      const post = await fetch(`${w.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(post.status, path).toBe(410);
      const text = await post.text();
      expect(text).toMatch(/no longer valid/);
      expect(text).toContain(MAILTO);
      const page = await fetch(`${w.url}${path}`, { headers: { Accept: 'text/html' } });
      expect(page.status).toBe(410);
      expect(await page.text()).toContain(`href="mailto:${MAILTO}?subject=unsubscribe"`);
    }
    await nothingChanged(other, b.id, ['karl@magazin.example']);
    // Each POST (the journalist's client said "unsubscribed") is kept for a person, with the link and the reason.
    const kept = await other.store.bounceEvents({ outcome: 'unattributed' });
    expect(kept.map((k) => k.kind)).toEqual(['unsubscribe', 'unsubscribe']);
    expect(kept.map((k) => k.note).join('\n')).toMatch(/suppress them by hand/);
    // The second store's own link works.
    const own = new URL(oneClickUrl(b.got.get('karl@magazin.example')!));
    const ok = await fetch(`${w.url}${own.pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(ok.status).toBe(200);
    expect((await other.store.isSuppressed('karl@magazin.example'))?.reason).toBe('unsubscribe');
  });
});

describe("our receiving host's Authentication-Results (sender-auth.ts)", () => {
  const ours = 'mx.ngo.example.org';
  it('counts a pass for the sender domain in the top run of our headers only', () => {
    expect(verifiedSender(['mx.ngo.example.org; spf=pass smtp.mailfrom=jo@paper.example'], 'jo@paper.example', ours)).toEqual({ method: 'spf', domain: 'paper.example' });
    expect(verifiedSender(['MX.NGO.EXAMPLE.ORG 1; dkim=pass header.i=@paper.example'], 'jo@news.paper.example', ours)).toEqual({ method: 'dkim', domain: 'paper.example' });
    expect(verifiedSender(['mx.ngo.example.org; spf=pass', 'mx.ngo.example.org; dkim=pass header.d=paper.example'], 'jo@paper.example', ours)?.method).toBe('dkim');
    expect(verifiedSender(['mx.ngo.example.org; dkim=pass header.d=example'], 'jo@paper.example', ours)).toBeUndefined();
    expect(verifiedSender(['mx.ngo.example.org; dkim=fail header.d=paper.example'], 'jo@paper.example', ours)).toBeUndefined();
    expect(verifiedSender(['mx.ngo.example.org; dkim=pass header.d=paper.example'], 'jo@paper.example', undefined)).toBeUndefined();
    expect(verifiedSender(['other.example; dkim=pass header.d=paper.example'], 'jo@paper.example', ours)).toBeUndefined();
  });

  it('a ";" or "(" inside a quoted value is data: a pass for the domain of the attacker never vouches for another', () => {
    const smuggled = 'mx.ngo.example.org; spf=pass smtp.mailfrom="x;dkim=pass header.d=paper.example"@evil.example';
    expect(verifiedSender([smuggled], 'jo@paper.example', ours)).toBeUndefined();
    expect(verifiedSender([smuggled], 'x@evil.example', ours)).toEqual({ method: 'spf', domain: 'evil.example' });
    expect(verifiedSender(['mx.ngo.example.org; spf=pass smtp.mailfrom="a(b;dkim=pass header.d=paper.example"@evil.example'], 'jo@paper.example', ours)).toBeUndefined();
    // Comments still hide what they hold, quotes and all.
    expect(verifiedSender(['mx.ngo.example.org; dkim=pass (key "ok; fine") header.d=paper.example'], 'jo@paper.example', ours)).toEqual({ method: 'dkim', domain: 'paper.example' });
  });
});
