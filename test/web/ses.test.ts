import { createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeToken } from '../../src/tokens.js';
import { sesEvents, snsStringToSign, verpTokenFrom, type SnsMessage } from '../../src/web/ses.js';
import { FIXTURES, requestLines, sentCampaign, startServer, type Running, type Sent } from '../fixtures/webhooks/harness.js';
import { closeAll } from '../helpers/close.js';

const SECRET = 'test-secret-please-change';
const KEY = readFileSync(join(FIXTURES, 'sns-test-key.pem'), 'utf8');
const CERT = readFileSync(join(FIXTURES, 'sns-test-cert.pem'), 'utf8');
const OTHER_CERT = readFileSync(join(FIXTURES, 'other-cert.pem'), 'utf8');
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:pressline-ses';

let sent: Sent | undefined;
let web: Running | undefined;
afterEach(async () => {
  await closeAll(web, sent?.app);
  web = undefined;
  sent = undefined;
});

/** A certificate fetcher that serves the test certificate and records every URL asked for. */
function fetcher(certs: Record<string, string> = { [CERT_URL]: CERT }) {
  const calls: string[] = [];
  const fn = async (url: string) => {
    calls.push(url);
    if (url.startsWith('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription')) return '<ConfirmSubscriptionResponse/>';
    const pem = certs[url];
    if (!pem) throw new Error('404');
    return pem;
  };
  return { fn, calls };
}

function sign(m: Omit<SnsMessage, 'Signature' | 'SignatureVersion'> & { SignatureVersion?: string }): SnsMessage {
  const version = m.SignatureVersion ?? '2';
  const full = { ...m, SignatureVersion: version, Signature: '' } as SnsMessage;
  full.Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(snsStringToSign(full)).sign(KEY, 'base64');
  return full;
}

function sesMessage(fixture: string, fill: { recipient: string; source: string; messageId: string }): string {
  return readFileSync(join(FIXTURES, fixture), 'utf8').replaceAll('RECIPIENT', fill.recipient).replaceAll('SOURCE', fill.source).replaceAll('MESSAGEID', fill.messageId);
}

function notification(message: string, extra: Partial<SnsMessage> = {}): SnsMessage {
  return sign({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: TOPIC,
    Message: message,
    Timestamp: new Date().toISOString(),
    SigningCertURL: CERT_URL,
    ...extra,
  });
}

const post = (w: Running, body: unknown, type?: string) =>
  fetch(`${w.url}/webhooks/ses`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain; charset=UTF-8', ...(type ? { 'x-amz-sns-message-type': type } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body, null, 2),
  });

async function setup(options: { topics?: string[]; autoConfirm?: boolean; certs?: Record<string, string> } = {}) {
  sent = await sentCampaign(['anna@paper.example', 'ben@wire.example', 'cleo@radio.example'], { config: { bounces: { domain: 'bounces.ngo.example.org' } } });
  const f = fetcher(options.certs);
  web = await startServer(sent.app, { sesCertFetcher: f.fn, webhooks: { sesTopicArns: options.topics ?? [TOPIC], sesAutoConfirm: options.autoConfirm ?? false } });
  return { s: sent, w: web, f };
}

const verpSource = (s: Sent, email: string) => `bounces+${makeToken(SECRET, 'verp', { instance: s.instance, campaignId: s.campaignId, deliveryId: s.delivery[email]!.id }, s.ref[email]!.key)}@bounces.ngo.example.org`;
const statusOf = async (s: Sent, email: string) => (await s.app.store.deliveries(s.campaignId, { email }))[0]!.status;

describe('SES via SNS: POST /webhooks/ses', () => {
  it('a signed Permanent bounce (attributed by VERP) bounces the delivery and suppresses the address', async () => {
    const { s, w, f } = await setup();
    const anna = s.delivery['anna@paper.example']!;
    const m = notification(sesMessage('ses-bounce-permanent.json', { recipient: anna.email, source: verpSource(s, anna.email), messageId: '<not-ours@elsewhere.example>' }));
    const res = await post(w, m, 'Notification');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ applied: 1 });
    expect(await statusOf(s, anna.email)).toBe('bounced');
    expect((await s.app.store.isSuppressed(anna.email))?.reason).toBe('hard-bounce');
    const reports = await s.app.store.bounceEvents({ deliveryId: anna.id });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ source: 'ses', kind: 'hard', reportId: m.MessageId, status: '5.1.1', outcome: 'applied' });
    expect(reports[0]!.diagnostic).toMatch(/User unknown/);
    expect(reports[0]!.raw).toContain(m.MessageId);
    expect((await s.app.store.events(s.campaignId, anna.id)).map((e) => e.type)).toContain('bounced');
    // Others untouched.
    expect(await statusOf(s, 'ben@wire.example')).toBe('sent');
    expect(f.calls).toEqual([CERT_URL]);
  });

  it('a SignatureVersion 1 Complaint (attributed by Message-ID) suppresses as complaint; the certificate is fetched once', async () => {
    const { s, w, f } = await setup();
    const ben = s.delivery['ben@wire.example']!;
    const m = sign({
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: TOPIC,
      Subject: 'Amazon SES Email Event Notification',
      Message: sesMessage('ses-complaint.json', { recipient: ben.email, source: 'press@ngo.example.org', messageId: ben.messageId! }),
      Timestamp: new Date().toISOString(),
      SigningCertURL: CERT_URL,
      SignatureVersion: '1',
    });
    expect((await post(w, m)).status).toBe(200);
    expect((await s.app.store.isSuppressed(ben.email))?.reason).toBe('complaint');
    expect(await s.app.store.bounceEvents({ deliveryId: ben.id })).toEqual([expect.objectContaining({ kind: 'complaint', source: 'ses', deliveryId: ben.id })]);
    expect((await s.app.store.events(s.campaignId, ben.id)).map((e) => e.type)).toContain('complained');

    const delivery = notification(JSON.stringify({ notificationType: 'Delivery', mail: { source: verpSource(s, 'cleo@radio.example') }, delivery: { recipients: ['cleo@radio.example'], smtpResponse: '250 2.0.0 OK' } }));
    expect(await (await post(w, delivery)).json()).toMatchObject({ applied: 1 });
    expect(await statusOf(s, 'cleo@radio.example')).toBe('sent');
    expect(await s.app.store.isSuppressed('cleo@radio.example')).toBeUndefined();
    expect(f.calls).toEqual([CERT_URL]);
  });

  it('a tampered Message, or a signature by another certificate, is refused and changes nothing', async () => {
    const { s, w } = await setup({ certs: { [CERT_URL]: CERT, [CERT_URL.replace('000.pem', '001.pem')]: OTHER_CERT } });
    const anna = s.delivery['anna@paper.example']!;
    const m = notification(sesMessage('ses-bounce-permanent.json', { recipient: anna.email, source: verpSource(s, anna.email), messageId: 'x' }));
    const tampered = { ...m, Message: m.Message.replace('"Permanent"', '"Transient"') };
    expect((await post(w, tampered)).status).toBe(403);
    const otherCert = { ...m, SigningCertURL: CERT_URL.replace('000.pem', '001.pem') };
    expect((await post(w, otherCert)).status).toBe(403);
    const versionless = { ...m, SignatureVersion: '3' };
    expect((await post(w, versionless)).status).toBe(403);
    expect(await statusOf(s, anna.email)).toBe('sent');
    expect(await s.app.store.listSuppressions()).toHaveLength(0);
    // The real one still goes through afterwards: a refused post does not burn the MessageId.
    expect((await post(w, m)).status).toBe(200);
    expect(await statusOf(s, anna.email)).toBe('bounced');
  });

  it('refuses topics that are not allowed, and every post when PRESSLINE_SES_TOPIC_ARNS is unset', async () => {
    const { s, w } = await setup();
    const anna = s.delivery['anna@paper.example']!;
    const other = notification(sesMessage('ses-bounce-permanent.json', { recipient: anna.email, source: verpSource(s, anna.email), messageId: 'x' }), { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:someone-else' });
    expect((await post(w, other)).status).toBe(403);
    expect(await statusOf(s, anna.email)).toBe('sent');
    await w.close();

    web = await startServer(s.app, { sesCertFetcher: fetcher().fn, webhooks: { sesTopicArns: [] } });
    const ok = notification(sesMessage('ses-bounce-permanent.json', { recipient: anna.email, source: verpSource(s, anna.email), messageId: 'x' }));
    expect((await post(web, ok)).status).toBe(403);
    expect(web.logs.some((l) => /set PRESSLINE_SES_TOPIC_ARNS/.test(l.msg))).toBe(true);
    expect(await statusOf(s, anna.email)).toBe('sent');
  });

  it('refuses certificate URLs off SNS (400) without fetching them', async () => {
    const { s, w, f } = await setup();
    const anna = s.delivery['anna@paper.example']!;
    const message = sesMessage('ses-bounce-permanent.json', { recipient: anna.email, source: verpSource(s, anna.email), messageId: 'x' });
    for (const url of [
      'https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem',
      'https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem',
      'http://sns.eu-west-1.amazonaws.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com/cert.txt',
      'https://sns.eu-west-1.amazonaws.com:8443/cert.pem',
      'https://user@sns.eu-west-1.amazonaws.com/cert.pem',
      'not a url',
    ]) {
      const res = await post(w, notification(message, { SigningCertURL: url }));
      expect(res.status, url).toBe(400);
    }
    expect(f.calls).toEqual([]);
    expect(await statusOf(s, anna.email)).toBe('sent');
  });

  it('a replayed MessageId has no second effect; stale or future Timestamps are refused', async () => {
    const { s, w } = await setup();
    const anna = s.delivery['anna@paper.example']!;
    const ben = s.delivery['ben@wire.example']!;
    const m = notification(sesMessage('ses-bounce-permanent.json', { recipient: anna.email, source: verpSource(s, anna.email), messageId: 'x' }));
    expect((await post(w, m)).status).toBe(200);
    const replay = await post(w, m);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ replay: true });
    expect(await s.app.store.bounceEvents({ deliveryId: anna.id })).toHaveLength(1);
    expect(requestLines(w).at(-1)).toMatchObject({ status: 200, replay: true });
    expect(w.logs.some((l) => /processed before/.test(l.msg))).toBe(true);

    const benMessage = sesMessage('ses-bounce-permanent.json', { recipient: ben.email, source: verpSource(s, ben.email), messageId: 'x' });
    const old = notification(benMessage, { Timestamp: new Date(Date.now() - 61 * 60_000).toISOString() });
    expect((await post(w, old)).status).toBe(403);
    const future = notification(benMessage, { Timestamp: new Date(Date.now() + 10 * 60_000).toISOString() });
    expect((await post(w, future)).status).toBe(403);
    expect(await statusOf(s, ben.email)).toBe('sent');
    expect(requestLines(w).at(-2)!.rejected).toMatch(/more than an hour old/);
  });

  it('malformed posts get 400', async () => {
    const { w } = await setup();
    expect((await post(w, 'not json')).status).toBe(400);
    expect((await post(w, { Type: 'Notification' })).status).toBe(400);
    const m = notification('{}');
    expect((await post(w, m, 'SubscriptionConfirmation')).status).toBe(400);
  });

  it('a SubscriptionConfirmation is logged for the operator and confirmed only with PRESSLINE_SES_AUTO_CONFIRM=1', async () => {
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=2336412f37`;
    const confirmation = () =>
      sign({ Type: 'SubscriptionConfirmation', MessageId: randomUUID(), Token: '2336412f37', TopicArn: TOPIC, Message: 'You have chosen to subscribe to the topic.', SubscribeURL: subscribeUrl, Timestamp: new Date().toISOString(), SigningCertURL: CERT_URL });
    const { s, w, f } = await setup();
    const res = await post(w, confirmation(), 'SubscriptionConfirmation');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ confirmed: false });
    expect(f.calls).toEqual([CERT_URL]);
    expect(w.logs.find((l) => l.subscribeUrl)).toMatchObject({ subscribeUrl, topic: TOPIC });
    await w.close();

    const g = fetcher();
    web = await startServer(s.app, { sesCertFetcher: g.fn, webhooks: { sesTopicArns: [TOPIC], sesAutoConfirm: true } });
    expect(await (await post(web, confirmation())).json()).toEqual({ confirmed: true });
    expect(g.calls).toEqual([CERT_URL, subscribeUrl]);
    // A SubscribeURL off SNS is never fetched, even when signed.
    const evil = sign({ Type: 'SubscriptionConfirmation', MessageId: randomUUID(), Token: 't', TopicArn: TOPIC, Message: 'm', SubscribeURL: 'https://169.254.169.254/latest/meta-data', Timestamp: new Date().toISOString(), SigningCertURL: CERT_URL });
    expect((await post(web, evil)).status).toBe(400);
    expect(g.calls).toEqual([CERT_URL, subscribeUrl]);
  });
});

describe('SES notification mapping', () => {
  const meta = { reportId: 'mid', raw: '{}', receivedAt: new Date() };
  it('maps bounce types, complaints and deliveries to BounceEvents', () => {
    const bounce = (bounceType: string) =>
      sesEvents({ notificationType: 'Bounce', bounce: { bounceType, bouncedRecipients: [{ emailAddress: 'a@x.example', status: '5.1.1', diagnosticCode: 'smtp; 550' }, { emailAddress: 'b@x.example' }] }, mail: { source: 'bounces+1-2-0123456789abcdef@b.example', commonHeaders: { messageId: '<m@x>' } } }, meta) as any[];
    expect(bounce('Permanent').map((e) => e.kind)).toEqual(['hard', 'hard']);
    expect(bounce('Transient')[0]).toMatchObject({ kind: 'soft', recipient: 'a@x.example', status: '5.1.1', diagnostic: 'smtp; 550', verpToken: '1-2-0123456789abcdef', originalMessageId: '<m@x>', reportId: 'mid', source: 'ses' });
    expect(bounce('Undetermined')[1]).toMatchObject({ kind: 'soft', recipient: 'b@x.example' });
    expect(sesEvents({ eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'c@x.example' }] }, mail: { headers: [{ name: 'message-id', value: '<h@x>' }] } }, meta)).toEqual([
      expect.objectContaining({ kind: 'complaint', recipient: 'c@x.example', originalMessageId: '<h@x>', verpToken: undefined }),
    ]);
    expect(sesEvents({ notificationType: 'Delivery', delivery: { recipients: ['d@x.example'] } }, meta)).toEqual([expect.objectContaining({ kind: 'delivered', recipient: 'd@x.example' })]);
    expect(sesEvents({ eventType: 'Open' }, meta)).toEqual({ ignored: expect.stringMatching(/Open/) });
  });

  it('finds the VERP token in an envelope sender', () => {
    expect(verpTokenFrom('bounces+1-2-0123456789abcdef@bounces.example')).toBe('1-2-0123456789abcdef');
    expect(verpTokenFrom('"Press" <bounces+ab-cd-0123456789abcdef@b.example>')).toBe('ab-cd-0123456789abcdef');
    expect(verpTokenFrom('press@ngo.example.org')).toBeUndefined();
    expect(verpTokenFrom(undefined)).toBeUndefined();
  });
});
