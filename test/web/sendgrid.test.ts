import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PresslineError } from '../../src/errors.js';
import { classifyBounce, sendgridEvent } from '../../src/web/sendgrid.js';
import { createWebServer } from '../../src/web/server.js';
import { requestLines, sentCampaign, startServer, type Running, type Sent } from '../fixtures/webhooks/harness.js';
import { closeAll } from '../helpers/close.js';

const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
// As SendGrid shows it: base64 of the DER SubjectPublicKeyInfo.
const PUBLIC_KEY = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const otherPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let sent: Sent | undefined;
let web: Running | undefined;
afterEach(async () => {
  await closeAll(web, sent?.app);
  web = undefined;
  sent = undefined;
});

async function setup(key: string | undefined = PUBLIC_KEY) {
  sent = await sentCampaign(['anna@paper.example', 'ben@wire.example', 'cleo@radio.example', 'dan@tv.example', 'eve@mag.example']);
  web = await startServer(sent.app, { webhooks: { sendgridPublicKey: key } });
  return { s: sent, w: web };
}

function post(w: Running, events: unknown, options: { timestamp?: number; key?: typeof pair.privateKey; signature?: string; body?: string } = {}) {
  const body = options.body ?? JSON.stringify(events);
  const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = options.signature ?? sign('sha256', Buffer.from(ts + body), options.key ?? pair.privateKey).toString('base64');
  return fetch(`${w.url}/webhooks/sendgrid`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': ts },
    body,
  });
}

function event(s: Sent, email: string, fields: Record<string, unknown>) {
  const d = s.delivery[email]!;
  return { email, timestamp: Math.floor(Date.now() / 1000), 'smtp-id': d.messageId, sg_event_id: randomUUID(), sg_message_id: 'abc.filter0001', ...fields };
}

const statusOf = async (s: Sent, email: string) => (await s.app.store.deliveries(s.campaignId, { email }))[0]!.status;

describe('SendGrid Event Webhook: POST /webhooks/sendgrid', () => {
  it('applies signed bounce, spamreport, unsubscribe, deferred and dropped events through applyBounceEvent', async () => {
    const { s, w } = await setup();
    const events = [
      event(s, 'anna@paper.example', { event: 'bounce', type: 'bounce', status: '5.1.1', reason: '550 5.1.1 The email account that you tried to reach does not exist' }),
      event(s, 'ben@wire.example', { event: 'spamreport' }),
      event(s, 'cleo@radio.example', { event: 'unsubscribe' }),
      event(s, 'dan@tv.example', { event: 'bounce', type: 'blocked', status: '5.7.1', reason: '550 5.7.1 blocked by policy' }),
      event(s, 'eve@mag.example', { event: 'deferred', response: '421 try again later', attempt: '1' }),
      event(s, 'eve@mag.example', { event: 'dropped', reason: 'Bounced Address' }),
      event(s, 'eve@mag.example', { event: 'open' }),
    ];
    const res = await post(w, events);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ applied: 5, duplicate: 0, unattributed: 0, ignored: 2, replay: 0 });

    expect(await statusOf(s, 'anna@paper.example')).toBe('bounced');
    expect((await s.app.store.isSuppressed('anna@paper.example'))?.reason).toBe('hard-bounce');
    expect((await s.app.store.isSuppressed('ben@wire.example'))?.reason).toBe('complaint');
    expect((await s.app.store.isSuppressed('cleo@radio.example'))?.reason).toBe('unsubscribe');
    expect(await statusOf(s, 'dan@tv.example')).toBe('blocked');
    expect(await s.app.store.isSuppressed('dan@tv.example')).toBeUndefined();
    expect(await statusOf(s, 'eve@mag.example')).toBe('sent');
    expect(await s.app.store.isSuppressed('eve@mag.example')).toBeUndefined();

    const anna = s.delivery['anna@paper.example']!;
    expect(await s.app.store.bounceEvents({ deliveryId: anna.id })).toEqual([
      expect.objectContaining({ source: 'sendgrid', kind: 'hard', reportId: events[0]!.sg_event_id, status: '5.1.1', originalMessageId: anna.messageId }),
    ]);
    const eve = s.delivery['eve@mag.example']!;
    expect((await s.app.store.events(s.campaignId, eve.id)).map((e) => e.type)).toContain('delayed');
    expect(w.logs.some((l) => /SendGrid's own suppression list \(Bounced Address\)/.test(l.msg))).toBe(true);
  });

  it('refuses a bad or missing signature (401), a stale timestamp, and everything when no key is set (403)', async () => {
    const { s, w } = await setup();
    const e = [event(s, 'anna@paper.example', { event: 'spamreport' })];
    expect((await post(w, e, { key: otherPair.privateKey })).status).toBe(401);
    // Signed, then the body altered.
    const ts = Math.floor(Date.now() / 1000);
    const good = sign('sha256', Buffer.from(String(ts) + JSON.stringify(e)), pair.privateKey).toString('base64');
    expect((await post(w, e, { timestamp: ts, signature: good, body: JSON.stringify(e).replace('spamreport', 'delivered') })).status).toBe(401);
    expect((await post(w, e, { signature: 'not-base64!!' })).status).toBe(401);
    const unsigned = await fetch(`${w.url}/webhooks/sendgrid`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(e) });
    expect(unsigned.status).toBe(401);
    expect((await post(w, e, { timestamp: Math.floor(Date.now() / 1000) - 11 * 60 })).status).toBe(401);
    expect((await post(w, e, { timestamp: Math.floor(Date.now() / 1000) + 30 * 60 })).status).toBe(401);
    expect(await s.app.store.isSuppressed('anna@paper.example')).toBeUndefined();
    expect(requestLines(w).filter((l) => l.status === 401).map((l) => l.rejected)).toEqual([
      'SendGrid signature check failed',
      'SendGrid signature check failed',
      'SendGrid signature check failed',
      'no signature headers',
      expect.stringMatching(/more than 10 minutes old/),
      expect.stringMatching(/ahead of this clock/),
    ]);
    // The same events, properly signed, still apply: refused posts burn no event ids.
    expect((await post(w, e)).status).toBe(200);
    expect((await s.app.store.isSuppressed('anna@paper.example'))?.reason).toBe('complaint');
    await w.close();

    web = await startServer(s.app, { webhooks: { sendgridPublicKey: undefined } });
    expect((await post(web, [event(s, 'ben@wire.example', { event: 'spamreport' })])).status).toBe(403);
    expect(await s.app.store.isSuppressed('ben@wire.example')).toBeUndefined();
  });

  it('a replayed sg_event_id has no effect', async () => {
    const { s, w } = await setup();
    const e = event(s, 'anna@paper.example', { event: 'bounce', type: 'bounce', status: '5.1.1' });
    expect(await (await post(w, [e])).json()).toMatchObject({ applied: 1 });
    const again = await post(w, [e, event(s, 'ben@wire.example', { event: 'delivered' })]);
    expect(await again.json()).toMatchObject({ applied: 1, replay: 1 });
    expect(await s.app.store.bounceEvents({ deliveryId: s.delivery['anna@paper.example']!.id })).toHaveLength(1);
    expect(w.logs.some((l) => l.sgEventId === e.sg_event_id && /processed before/.test(l.msg))).toBe(true);
  });

  it('rejects bodies that are not a JSON array (400)', async () => {
    const { w } = await setup();
    expect((await post(w, { event: 'bounce' })).status).toBe(400);
    expect((await post(w, undefined, { body: 'nope' })).status).toBe(400);
  });

  it('refuses to start with a key that is not an EC public key', async () => {
    sent = await sentCampaign(['anna@paper.example']);
    await expect(createWebServer(sent.app, { port: 0, webhooks: { sendgridPublicKey: 'bm90IGEga2V5' } })).rejects.toThrow(PresslineError);
  });
});

describe('SendGrid event mapping', () => {
  it('classifies bounces by type and enhanced status', () => {
    expect(classifyBounce('bounce', '5.1.1')).toBe('hard');
    expect(classifyBounce('bounce', '5.1.10')).toBe('hard');
    expect(classifyBounce('bounce', '5.2.1')).toBe('hard');
    expect(classifyBounce('bounce', '5.2.2')).toBe('soft');
    // About our sender address or system, not the recipient's: never a reason to suppress them.
    expect(classifyBounce('bounce', '5.1.7')).toBe('soft');
    expect(classifyBounce('bounce', '5.1.8')).toBe('soft');
    expect(classifyBounce('bounce', '5.7.1')).toBe('policy');
    expect(classifyBounce('bounce', '4.4.7')).toBe('soft');
    expect(classifyBounce('bounce', undefined)).toBe('soft');
    expect(classifyBounce('blocked', '5.1.1')).toBe('policy');
  });

  it('maps event names and ignores the rest', () => {
    const now = new Date();
    const kind = (e: Record<string, unknown>) => {
      const r = sendgridEvent({ email: 'a@x.example', sg_event_id: 'id', ...e }, now);
      return 'ignored' in r ? 'ignored' : r.kind;
    };
    expect(kind({ event: 'deferred' })).toBe('delay');
    expect(kind({ event: 'spamreport' })).toBe('complaint');
    expect(kind({ event: 'unsubscribe' })).toBe('unsubscribe');
    expect(kind({ event: 'group_unsubscribe' })).toBe('unsubscribe');
    expect(kind({ event: 'delivered' })).toBe('delivered');
    expect(kind({ event: 'dropped', reason: 'Unsubscribed Address' })).toBe('ignored');
    expect(kind({ event: 'processed' })).toBe('ignored');
    expect(kind({ event: 'click' })).toBe('ignored');
    expect(sendgridEvent({ event: 'bounce', email: 'a@x.example', sg_event_id: 'id', 'smtp-id': '<m@x>', status: '5.1.1' }, now)).toMatchObject({ reportId: 'id', originalMessageId: '<m@x>', source: 'sendgrid' });
  });
});
