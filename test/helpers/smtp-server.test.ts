import { afterEach, describe, expect, test } from 'vitest';
import nodemailer from 'nodemailer';
import type { SMTPSentMessageInfo } from 'nodemailer/lib/smtp-transport';
import { replies, startTestSmtp, type TestSmtpOptions, type TestSmtpServer } from './smtp-server.js';

// The fields of a nodemailer error the sending engine's classifier reads.
interface MailError extends Error {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  recipient?: string;
  rejected?: string[];
  rejectedErrors?: MailError[];
  timeoutType?: string;
  originalCode?: string;
}

const servers: TestSmtpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options?: TestSmtpOptions): Promise<TestSmtpServer> {
  const s = await startTestSmtp(options);
  servers.push(s);
  return s;
}

type Outcome =
  | { ok: true; info: SMTPSentMessageInfo & { rejectedErrors?: MailError[] } }
  | { ok: false; err: MailError };

/** One message through a fresh, non-pooled nodemailer transport. */
async function send(
  port: number,
  to: string | string[],
  transport: Record<string, unknown> = {},
  subject = 'Summit statement',
): Promise<Outcome> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...transport });
  try {
    const info = await t.sendMail({
      from: 'Press Office <press@office.example>',
      to,
      subject,
      text: 'The ministers met today.\n',
    });
    return { ok: true, info };
  } catch (err) {
    return { ok: false, err: err as MailError };
  } finally {
    t.close();
  }
}

function failed(outcome: Outcome): MailError {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.info.response}`);
  return outcome.err;
}

const UNKNOWN = '550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown in virtual mailbox table';

describe('test SMTP server', () => {
  test('accepts a message and keeps envelope, raw bytes, headers and Message-ID', async () => {
    const s = await server();
    expect(s.url).toBe(`smtp://127.0.0.1:${s.port}`);
    const out = await send(s.port, 'anna@news.example');
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.info.response).toMatch(/^250 2\.6\.0 Ok: queued as [0-9A-F]+$/);
    expect(s.messages).toHaveLength(1);
    const m = s.messages[0]!;
    expect(m.envelopeFrom).toBe('press@office.example');
    expect(m.rcpts).toEqual(['anna@news.example']);
    expect(m.messageId).toBe(out.info.messageId);
    expect(m.headers.get('subject')).toBe('Summit statement');
    expect(m.headers.get('from')).toBe('Press Office <press@office.example>');
    expect(m.raw.toString()).toContain('The ministers met today.');
    expect(s.attemptsFor('ANNA@news.example')).toBe(1);
    expect(s.deliveredTo('anna@news.example')).toBe(1);
    expect(s.connections).toBe(1);
  });

  test('550 5.1.1 at RCPT for the only recipient: EENVELOPE / RCPT TO with the full reply', async () => {
    const s = await server({ rcpt: (r) => (r.startsWith('gone@') ? replies.userUnknown(r) : 'accept') });
    const err = failed(await send(s.port, 'gone@example.com'));
    expect(err.code).toBe('EENVELOPE');
    expect(err.command).toBe('RCPT TO');
    expect(err.responseCode).toBe(550);
    expect(err.response).toBe(UNKNOWN);
    expect(err.permanent).toBe(true);
    expect(err.message).toBe(`Can't send mail - all recipients were rejected: ${UNKNOWN}`);
    expect(err.rejected).toEqual(['gone@example.com']);
    expect(err.rejectedErrors).toHaveLength(1);
    const rej = err.rejectedErrors![0]!;
    expect(rej).toMatchObject({
      code: 'EENVELOPE',
      command: 'RCPT TO',
      responseCode: 550,
      response: UNKNOWN,
      permanent: true,
      recipient: 'gone@example.com',
      message: `Recipient command failed: ${UNKNOWN}`,
    });
    expect(s.messages).toHaveLength(0);
    expect(s.rcptLog).toMatchObject([{ rcpt: 'gone@example.com', attempt: 1, code: 550 }]);
  });

  test('550 for one of two recipients: no error, the rejection rides on info.rejectedErrors', async () => {
    const s = await server({ rcpt: (r) => (r.startsWith('gone@') ? replies.userUnknown(r) : 'accept') });
    const out = await send(s.port, ['gone@example.com', 'anna@news.example']);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.info.accepted).toEqual(['anna@news.example']);
    expect(out.info.rejected).toEqual(['gone@example.com']);
    expect(out.info.rejectedErrors?.[0]).toMatchObject({ code: 'EENVELOPE', responseCode: 550, response: UNKNOWN });
    expect(s.messages[0]!.rcpts).toEqual(['anna@news.example']);
    expect(s.deliveredTo('gone@example.com')).toBe(0);
    expect(s.deliveredTo('anna@news.example')).toBe(1);
  });

  test('451 4.7.1 greylisting on attempt 1, accepted on attempt 2', async () => {
    const s = await server({ rcpt: (r, attempt) => (attempt === 1 ? replies.greylisted(r) : 'accept') });
    const err = failed(await send(s.port, 'kai@wire.example'));
    expect(err).toMatchObject({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451, permanent: false });
    expect(err.response).toBe(
      '451 4.7.1 <kai@wire.example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/wire.example.html',
    );
    const second = await send(s.port, 'kai@wire.example');
    expect(second.ok).toBe(true);
    expect(s.attemptsFor('kai@wire.example')).toBe(2);
    expect(s.deliveredTo('kai@wire.example')).toBe(1);
    expect(s.connections).toBe(2);
    expect(s.rcptLog.map((e) => [e.attempt, e.code, e.connectionNo])).toEqual([
      [1, 451, 1],
      [2, 250, 2],
    ]);
  });

  test('enhanced code: null sends none, undefined sends smtp-server\'s default for the code', async () => {
    const none = await server({ rcpt: () => ({ code: 550, enhanced: null, text: 'User unknown' }) });
    expect(failed(await send(none.port, 'x@example.com')).response).toBe('550 User unknown');
    const dflt = await server({ rcpt: () => ({ code: 451, text: 'try later' }) });
    expect(failed(await send(dflt.port, 'x@example.com')).response).toBe('451 4.3.0 try later');
  });

  test('421 at RCPT closes the session: ECONNECTION / CONN with the 421 reply', async () => {
    const s = await server({ rcpt: () => replies.rateLimited() });
    const err = failed(await send(s.port, 'kai@wire.example'));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', responseCode: 421, permanent: false });
    expect(err.response).toBe(
      '421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. Try again later.',
    );
    expect(err.message).toBe(`Server closed the connection: ${err.response}`);
    expect(err.rejected).toBeUndefined();
  });

  test("'cut' at RCPT: ECONNECTION / CONN with no reply", async () => {
    const s = await server({ rcpt: () => 'cut' });
    const err = failed(await send(s.port, 'kai@wire.example'));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' });
    expect(err.responseCode).toBeUndefined();
    expect(err.response).toBeUndefined();
    expect(s.rcptLog).toMatchObject([{ code: 0 }]);
  });

  test('554 5.7.1 after DATA: EMESSAGE / DATA', async () => {
    const s = await server({ data: () => replies.spam() });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({
      code: 'EMESSAGE',
      command: 'DATA',
      responseCode: 554,
      permanent: true,
      response: '554 5.7.1 Message rejected as spam by Content Filtering.',
      message: 'Message failed: 554 5.7.1 Message rejected as spam by Content Filtering.',
    });
    expect(s.messages).toHaveLength(0);
    expect(s.deliveredTo('anna@news.example')).toBe(0);
  });

  test('451 4.3.0 then accept after DATA (attempts counted per recipient set)', async () => {
    const s = await server({ data: (_r, attempt) => (attempt === 1 ? replies.queueFailure() : 'accept') });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({
      code: 'EMESSAGE',
      command: 'DATA',
      responseCode: 451,
      permanent: false,
      response: '451 4.3.0 Error: queue file write error',
    });
    expect((await send(s.port, 'anna@news.example')).ok).toBe(true);
    expect(s.deliveredTo('anna@news.example')).toBe(1);
  });

  test('421 4.3.2 after DATA: EMESSAGE / DATA (not ECONNECTION)', async () => {
    const s = await server({ data: () => replies.serviceUnavailable() });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({
      code: 'EMESSAGE',
      command: 'DATA',
      responseCode: 421,
      response: '421 4.3.2 Service not available, closing transmission channel',
    });
  });

  test("'cut' after DATA: the server had the whole message, the client sees ECONNECTION / CONN", async () => {
    const s = await server({ data: () => 'cut' });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' });
    expect(err.responseCode).toBeUndefined();
    expect(s.messages).toHaveLength(0);
    expect(s.deliveredTo('anna@news.example')).toBe(0);
    expect(s.cut).toHaveLength(1);
    expect(s.cut[0]!.raw.toString()).toContain('The ministers met today.');
    expect(s.attemptsFor('anna@news.example')).toBe(1);
  });

  test("'accept-then-cut' after DATA: the server keeps the message, the client sees the same ECONNECTION / CONN", async () => {
    const s = await server({ data: () => 'accept-then-cut' });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' });
    expect(err.responseCode).toBeUndefined();
    expect(s.deliveredTo('anna@news.example')).toBe(1);
    expect(s.messages[0]!.raw.toString()).toContain('The ministers met today.');
  });

  test("'accept-then-hang' after DATA: the server keeps the message and never replies: ETIMEDOUT / CONN", async () => {
    const s = await server({ data: () => 'accept-then-hang' });
    const err = failed(await send(s.port, 'anna@news.example', { socketTimeout: 300 }));
    expect(err).toMatchObject({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' });
    expect(s.deliveredTo('anna@news.example')).toBe(1);
  });

  test("'cut-during-data': the message never arrives whole, yet the client sees the same ECONNECTION / CONN", async () => {
    const s = await server({ data: () => 'cut-during-data' });
    const err = failed(await send(s.port, 'anna@news.example'));
    // A reset instead of a close (the server dropped unread bytes) comes as ESOCKET.
    expect(['ECONNECTION', 'ESOCKET']).toContain(err.code);
    expect(err.command).toBe('CONN');
    expect(err.responseCode).toBeUndefined();
    expect(s.messages).toHaveLength(0);
    expect(s.cut).toHaveLength(0);
  });

  test('message over the size limit: 552 5.3.4, EMESSAGE / DATA', async () => {
    const s = await server({ size: 100 });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({
      code: 'EMESSAGE',
      command: 'DATA',
      responseCode: 552,
      response: '552 5.3.4 Error: message exceeds fixed maximum message size 100',
    });
  });

  test('421 4.3.2 at greeting on connection 1 only: EPROTOCOL / CONN, then connection 2 works', async () => {
    const s = await server({ greeting: (n) => (n === 1 ? replies.serviceUnavailable() : undefined) });
    const err = failed(await send(s.port, 'anna@news.example'));
    const response = '421 4.3.2 Service not available, closing transmission channel';
    expect(err).toMatchObject({ code: 'EPROTOCOL', command: 'CONN', responseCode: 421, permanent: false, response });
    expect(err.message).toBe(`Invalid greeting. response=${response}: ${response}`);
    expect((await send(s.port, 'anna@news.example')).ok).toBe(true);
    expect(s.connections).toBe(2);
    expect(s.attemptsFor('anna@news.example')).toBe(1);
  });

  test('554 5.7.1 at greeting: EPROTOCOL / CONN, permanent', async () => {
    const s = await server({
      greeting: () => ({ code: 554, enhanced: '5.7.1', text: 'Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org' }),
    });
    const err = failed(await send(s.port, 'anna@news.example'));
    expect(err).toMatchObject({
      code: 'EPROTOCOL',
      command: 'CONN',
      responseCode: 554,
      permanent: true,
      response: '554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org',
    });
  });

  test("greeting 'hang': ETIMEDOUT / CONN, timeoutType GREETING_TIMEOUT", async () => {
    const s = await server({ greeting: () => 'hang' });
    const err = failed(await send(s.port, 'anna@news.example', { greetingTimeout: 300 }));
    expect(err).toMatchObject({
      code: 'ETIMEDOUT',
      command: 'CONN',
      message: 'Greeting never received',
      timeoutType: 'GREETING_TIMEOUT',
    });
    expect(err.responseCode).toBeUndefined();
  });

  test('slow RCPT reply past the client socketTimeout: ETIMEDOUT / CONN, SOCKET_TIMEOUT', async () => {
    const s = await server({ delayMs: (phase) => (phase === 'rcpt' ? 2000 : 0) });
    const started = Date.now();
    const err = failed(await send(s.port, 'anna@news.example', { socketTimeout: 300 }));
    expect(err).toMatchObject({ code: 'ETIMEDOUT', command: 'CONN', message: 'Timeout', timeoutType: 'SOCKET_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('slow DATA reply past the client socketTimeout: ETIMEDOUT / CONN, SOCKET_TIMEOUT', async () => {
    const s = await server({ delayMs: (phase) => (phase === 'data' ? 2000 : 0) });
    const err = failed(await send(s.port, 'anna@news.example', { socketTimeout: 300 }));
    expect(err).toMatchObject({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' });
    expect(s.messages).toHaveLength(0);
  });

  test('slow replies within the timeout are delivered, and take the delay', async () => {
    const s = await server({ delayMs: 150 });
    const started = Date.now();
    expect((await send(s.port, 'anna@news.example')).ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  test('AUTH: right credentials deliver (user recorded); wrong ones EAUTH 535 5.7.8; none 530 at MAIL FROM', async () => {
    const s = await server({ auth: { user: 'press', pass: 's3cret' } });
    expect((await send(s.port, 'anna@news.example', { auth: { user: 'press', pass: 's3cret' } })).ok).toBe(true);
    expect(s.messages[0]!.user).toBe('press');

    const response = '535 5.7.8 Error: authentication failed: authentication failure';
    const plain = failed(await send(s.port, 'anna@news.example', { auth: { user: 'press', pass: 'nope' } }));
    expect(plain).toMatchObject({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, permanent: true, response });
    expect(plain.message).toBe(`Invalid login: ${response}`);
    const login = failed(
      await send(s.port, 'anna@news.example', { auth: { user: 'press', pass: 'nope' }, authMethod: 'LOGIN' }),
    );
    expect(login).toMatchObject({ code: 'EAUTH', command: 'AUTH LOGIN', responseCode: 535, response });

    const none = failed(await send(s.port, 'anna@news.example'));
    expect(none).toMatchObject({
      code: 'EENVELOPE',
      command: 'MAIL FROM',
      responseCode: 530,
      response: '530 5.7.0 Error: authentication Required',
      message: 'Mail command failed: 530 5.7.0 Error: authentication Required',
    });
  });

  test('maxConnections: the extra simultaneous connection gets 421 at greeting (EPROTOCOL / CONN)', async () => {
    const s = await server({ maxConnections: 1, delayMs: 300 });
    const first = send(s.port, 'a@news.example');
    await new Promise((r) => setTimeout(r, 50));
    const err = failed(await send(s.port, 'b@news.example'));
    expect((await first).ok).toBe(true);
    expect(err).toMatchObject({ code: 'EPROTOCOL', command: 'CONN', responseCode: 421, permanent: false });
    expect(err.response).toMatch(/^421 \S+ Too many connected clients, try again in a moment$/);
    expect(s.connections).toBe(2);
  });

  test('nothing listening: ESOCKET / CONN with originalCode ECONNREFUSED', async () => {
    const s = await startTestSmtp();
    const port = s.port;
    await s.close();
    const err = failed(await send(port, 'anna@news.example'));
    expect(err).toMatchObject({ code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNREFUSED' });
    expect(err.responseCode).toBeUndefined();
  });

  test('close() drops connections mid-transaction and leaves no TCP handles behind', async () => {
    const tcp = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
    const before = tcp();
    const s = await startTestSmtp({ delayMs: 10_000, greeting: (n) => (n === 2 ? 'hang' : undefined) });
    const stuck = send(s.port, 'anna@news.example');
    const hung = send(s.port, 'kai@wire.example', { greetingTimeout: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(s.openConnections).toBe(2);
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failed(await stuck).code).toBe('ECONNECTION');
    expect(failed(await hung).code).toBe('ECONNECTION');
    expect(s.openConnections).toBe(0);
    for (let i = 0; i < 50 && tcp() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(tcp()).toBe(before);
    await s.close(); // idempotent
  });
});
