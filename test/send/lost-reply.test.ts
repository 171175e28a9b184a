import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { validateConfig } from '../../src/config/load.js';
import { CircuitBreaker } from '../../src/send/breaker.js';
import { classify, LOST_REPLY_DETAIL, POLICY, type SendResult } from '../../src/send/outcome.js';
import { createSmtpTransport } from '../../src/send/smtp.js';
import type { OutgoingMail, Transport } from '../../src/send/transport.js';
import { EXAMPLE_RELEASE, testApp, type TestApp } from '../helpers/app.js';
import { startTestSmtp, type DataRule, type RcptRule, type TestSmtpServer } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { deliveryLogFile } from '../../src/log/delivery-log.js';

let smtp: TestSmtpServer | undefined;
let transport: Transport | undefined;
let app: TestApp | undefined;
afterEach(async () => {
  await closeAll(transport, smtp, app);
  transport = undefined;
  smtp = undefined;
  app = undefined;
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
    expect(breaker.record('lost-reply', 'Timeout')).toMatchObject({ kind: 'relay', reason: expect.stringMatching(/3 connection failures in a row/) });
  });
});

describe('a campaign whose relay loses replies after the data', () => {
  it('leaves those deliveries unknown and sent once; resume leaves them, --resend-unknown sends them again', async () => {
    smtp = await startTestSmtp({
      // Cut before any data: safe to retry, and retried.
      rcpt: (rcpt, attempt) => (rcpt === 'early@news.example' && attempt === 1 ? 'cut' : 'accept'),
      data: (rcpts, attempt) => {
        if (attempt > 1) return 'accept';
        if (rcpts[0] === 'lost@news.example') return 'accept-then-cut';
        if (rcpts[0] === 'silent@news.example') return 'accept-then-hang';
        return 'accept';
      },
    });
    const a = testApp({
      env: { smtpUrl: smtp.url },
      config: {
        smtp: { maxConnections: 4, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 1500 },
        // Two lost replies and a cut in a row must not pause this small campaign.
        breaker: { consecutiveConnectionFailures: 10 },
      },
    });
    app = a;
    const people = ['ok', 'early', 'lost', 'silent'];
    const list = a.list(people.map((p) => `${p}@news.example,${p},Test,Outlet,russia,en`));
    const id = await planCampaign(a, [list]);
    const status = async () => Object.fromEntries((await a.store.deliveries(id)).map((r) => [r.email.split('@')[0], r.status]));

    const first = await runCampaign(id, a, { waitForRetries: true });
    expect(first.end).toBe('done');
    expect(first.counts).toMatchObject({ sent: 2, unknown: 2, deferred: 0, pending: 0, sending: 0 });
    expect(await status()).toEqual({ ok: 'sent', early: 'sent', lost: 'unknown', silent: 'unknown' });
    // The relay has each message once; the one cut before its data went again and arrived once.
    for (const p of people) expect(smtp.deliveredTo(`${p}@news.example`), p).toBe(1);
    expect(smtp.attemptsFor('early@news.example')).toBe(2);
    expect(smtp.attemptsFor('lost@news.example')).toBe(1);
    expect(smtp.attemptsFor('silent@news.example')).toBe(1);

    // The timeline and the delivery log say why, at warn level, like a crash's unknown.
    const lost = (await a.store.deliveries(id)).find((r) => r.email === 'lost@news.example')!;
    expect(lost.response).toMatch(/Connection closed unexpectedly/);
    const events = await a.store.events(id, lost.id);
    expect(events.map((e) => e.type)).toEqual(['planned', 'sending', 'unknown']);
    expect(events[2]!.detail).toBe(LOST_REPLY_DETAIL);
    const log = readFileSync(await deliveryLogFile(a.store, a.config.paths.logs, id), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const logged = log.filter((l) => l.event === 'unknown');
    expect(logged).toHaveLength(2);
    for (const l of logged) expect(l).toMatchObject({ level: 'warn', detail: LOST_REPLY_DETAIL });

    // A plain resume sends nobody again.
    const second = await runCampaign(id, a, { waitForRetries: true });
    expect(second.counts).toMatchObject({ sent: 2, unknown: 2 });
    for (const p of people) expect(smtp.deliveredTo(`${p}@news.example`), p).toBe(1);

    // --resend-unknown is the operator's explicit choice: those two go again.
    const third = await runCampaign(id, a, { waitForRetries: true, resendUnknown: true });
    expect(third.end).toBe('done');
    expect(third.counts).toMatchObject({ sent: 4, unknown: 0 });
    expect(smtp.deliveredTo('lost@news.example')).toBe(2);
    expect(smtp.deliveredTo('silent@news.example')).toBe(2);
    expect(smtp.deliveredTo('ok@news.example')).toBe(1);
  }, 60_000);
});

describe('the CLI when a reply is lost after the data', () => {
  const CLI = resolve('dist/src/cli/main.js');

  it('send says which deliveries are unknown and how to resend them; resume leaves them, resume --resend-unknown sends them', async () => {
    smtp = await startTestSmtp({ data: (rcpts, attempt) => (rcpts[0] === 'lost@news.example' && attempt === 1 ? 'accept-then-cut' : 'accept') });
    const a = (app = testApp());
    const configFile = join(a.dir, 'pressline.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        from: { name: 'Press Office', address: 'press@ngo.example.org' },
        paths: { outbox: join(a.dir, 'outbox'), logs: join(a.dir, 'logs') },
        rate: { global: 0 },
        smtp: { maxConnections: 2, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 3000 },
      }),
    );
    const list = a.list(['ok@news.example,Ok,Test,Outlet,russia,en', 'lost@news.example,Lost,Test,Outlet,russia,en']);
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(process.execPath, [CLI, '--config', configFile, ...args], { env: { ...process.env, ...a.storeEnv, SMTP_URL: smtp!.url }, timeout: 60_000 }, (err, stdout, stderr) =>
          done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
        ),
      );

    const sent = await cli(['send', EXAMPLE_RELEASE, '--list', list, '--yes']);
    expect(sent.stdout, sent.stderr).toMatch(/Campaign 1: done/);
    expect(sent.stdout).toMatch(/sent 1, .*unknown 1|unknown 1, .*sent 1/);
    expect(sent.stdout).toContain('1 delivery of unknown fate (the relay may have it); not resent unless you run: pressline resume 1 --resend-unknown');
    expect(sent.code).toBe(1); // not every recipient settled without a problem
    expect(smtp.deliveredTo('lost@news.example')).toBe(1);

    const resumed = await cli(['resume', '1', '--yes']);
    expect(resumed.stdout, resumed.stderr).toMatch(/Campaign 1: done/);
    expect(smtp.deliveredTo('lost@news.example')).toBe(1);

    const resent = await cli(['resume', '1', '--resend-unknown', '--yes']);
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.stderr).toContain('1 unknown deliveries put back in line');
    expect(smtp.deliveredTo('lost@news.example')).toBe(2);
    expect(smtp.deliveredTo('ok@news.example')).toBe(1);
  }, 120_000);
});
