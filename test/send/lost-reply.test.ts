import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { CircuitBreaker } from '../../src/send/breaker.js';
import { classify, LOST_REPLY_DETAIL, POLICY, type SendResult } from '../../src/send/outcome.js';
import { createSmtpTransport } from '../../src/send/smtp.js';
import type { OutgoingMail, Transport } from '../../src/send/transport.js';
import { startTestSmtp, type DataRule, type RcptRule, type TestSmtpServer } from '../helpers/smtp-server.js';

let smtp: TestSmtpServer | undefined;
let transport: Transport | undefined;
afterEach(async () => {
  await transport?.close();
  await smtp?.close();
  transport = undefined;
  smtp = undefined;
});

const config = validateConfig(
  {
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    smtp: { maxConnections: 1, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 1500 },
  },
  '/nonexistent/pressline.json',
);

function mail(to: string, html = '<p>The ministers met today.</p>'): OutgoingMail {
  return {
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    to: { address: to },
    subject: 'EU-Russia summit',
    html,
    text: 'The ministers met today.',
    messageId: `<pressline.1.${to.replace(/\W/g, '')}@ngo.example.org>`,
    date: new Date('2026-11-28T12:00:00Z'),
    headers: {},
    attachments: [],
    envelope: { from: 'press@ngo.example.org', to },
    tag: to,
  };
}

async function sendThrough(rules: { data?: DataRule; rcpt?: RcptRule }, m: OutgoingMail, dkim?: Parameters<typeof createSmtpTransport>[2]): Promise<SendResult> {
  smtp = await startTestSmtp(rules);
  transport = createSmtpTransport(smtp.url, config, dkim);
  return transport.send(m);
}

const dkimKey = () => ({
  domainName: 'ngo.example.org',
  keySelector: 'press',
  privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
});

describe('a reply lost after the whole message was sent', () => {
  it('the relay stored the message and dropped the connection: unknown, not retried', async () => {
    const result = await sendThrough({ data: () => 'accept-then-cut' }, mail('anna@news.example'));
    expect(result).toMatchObject({ accepted: false, code: undefined, errorCode: 'ECONNECTION', messageSent: true });
    expect(classify(result)).toBe('lost-reply');
    expect(POLICY[classify(result)]).toMatchObject({ status: 'unknown', retry: false, relayProblem: true, explain: LOST_REPLY_DETAIL });
    expect(smtp!.deliveredTo('anna@news.example')).toBe(1);
  });

  it('the relay stored the message and never replied (reply timeout): unknown', async () => {
    const result = await sendThrough({ data: () => 'accept-then-hang' }, mail('anna@news.example'));
    expect(result).toMatchObject({ accepted: false, code: undefined, errorCode: 'ETIMEDOUT', messageSent: true });
    expect(POLICY[classify(result)].status).toBe('unknown');
    expect(smtp!.deliveredTo('anna@news.example')).toBe(1);
  });

  it('the connection was cut at RCPT, before any data: deferred as before', async () => {
    const result = await sendThrough({ rcpt: () => 'cut' }, mail('anna@news.example'));
    expect(result).toMatchObject({ errorCode: 'ECONNECTION', messageSent: false });
    expect(classify(result)).toBe('connection');
    expect(POLICY.connection.status).toBe('deferred');
  });

  it('the connection was cut while a large message was still going out: deferred (it cannot have arrived)', async () => {
    // Far more than loopback socket buffers hold, so the client is still writing when the cut comes.
    const big = `<p>${'The ministers met today. '.repeat(1_200_000)}</p>`;
    const result = await sendThrough({ data: () => 'cut-during-data' }, mail('anna@news.example', big));
    expect(result.accepted).toBe(false);
    expect(result.messageSent).toBe(false);
    expect(POLICY[classify(result)].status).toBe('deferred');
    expect(smtp!.messages).toHaveLength(0);
  }, 30_000);

  it('with DKIM signing: still signed, a lost reply is unknown and a cut at RCPT deferred', async () => {
    const dkim = dkimKey();
    const ok = await sendThrough({}, mail('ok@news.example'), dkim);
    expect(ok.accepted).toBe(true);
    expect(smtp!.messages[0]!.headers.get('dkim-signature')).toMatch(/d=ngo\.example\.org; .*s=press/);
    await transport!.close();
    await smtp!.close();

    const lost = await sendThrough({ data: () => 'accept-then-cut' }, mail('anna@news.example'), dkim);
    expect(POLICY[classify(lost)].status).toBe('unknown');
    expect(smtp!.messages[0]!.headers.get('dkim-signature')).toBeDefined();
    await transport!.close();
    await smtp!.close();

    const cut = await sendThrough({ rcpt: () => 'cut' }, mail('anna@news.example'), dkim);
    expect(cut.messageSent).toBe(false);
    expect(POLICY[classify(cut)].status).toBe('deferred');
  });

  it('counts towards the breaker like any other connection failure (a relay problem)', () => {
    const breaker = new CircuitBreaker({ errorRate: 1, window: 100, consecutiveConnectionFailures: 3 });
    expect(breaker.record('lost-reply', 'Connection closed unexpectedly')).toBeUndefined();
    expect(breaker.record('connection', 'Connection closed unexpectedly')).toBeUndefined();
    expect(breaker.record('lost-reply', 'Timeout')).toMatch(/3 connection failures in a row/);
  });
});
