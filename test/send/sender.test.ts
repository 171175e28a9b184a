import { afterEach, describe, expect, it } from 'vitest';
import { transition } from '../../src/campaigns/lifecycle.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { launchGroup } from '../../src/send/sender.js';
import { replies, startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { maxInWindow } from '../helpers/windows.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { deliveryLogFile } from '../../src/log/delivery-log.js';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = undefined;
  smtp = undefined;
});

async function statusOf(a: TestApp, campaignId: number): Promise<Record<string, string>> {
  const rows = await a.store.deliveries(campaignId);
  return Object.fromEntries(rows.map((r) => [r.email, r.status]));
}

/**
 * Pauses a running campaign from "another terminal" once `pauseAfter` messages arrived, then
 * resumes it. What is left must take well over the 500 ms in which the sender notices a pause.
 */
async function pauseMidwayAndResume(o: { total: number; pauseAfter: number; delayMs: number; batchSize?: number }): Promise<void> {
  smtp = await startTestSmtp({ delayMs: o.delayMs });
  const a = testApp({ env: { smtpUrl: smtp.url }, config: { rate: { global: 0, concurrency: 2, ...(o.batchSize ? { batchSize: o.batchSize } : {}) } } });
  app = a;
  const id = await planCampaign(a, [a.list(journalists(o.total))]);
  const running = runCampaign(id, a, { waitForRetries: true });
  while (smtp.messages.length < o.pauseAfter) await new Promise((r) => setTimeout(r, 5));
  await transition(a, id, 'pause', new Date(), { reason: 'paused by an operator' });
  const first = await running;
  expect(first.end).toBe('paused');
  expect(first.counts.pending).toBeGreaterThan(0);
  expect(first.counts.sending).toBe(0);
  expect(await a.store.liveClaimHolders(id, new Date())).toEqual([]);
  const second = await runCampaign(id, a, { waitForRetries: true });
  expect(second.end).toBe('done');
  expect(second.counts.sent).toBe(o.total);
  for (let i = 1; i <= o.total; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);
}

describe('sending through a real SMTP server that fails the way real servers fail', () => {
  it('ends every recipient in the right status with the right number of deliveries at the server', async () => {
    const cut = 'cut@news.example';
    smtp = await startTestSmtp({
      rcpt: (rcpt, attempt) => {
        if (rcpt === 'unknown@news.example') return replies.userUnknown(rcpt);
        if (rcpt === 'policy@news.example') return { code: 550, enhanced: '5.7.1', text: 'Delivery not authorized, message refused' };
        if (rcpt === 'full@news.example') return replies.mailboxFull(rcpt);
        if (rcpt === 'grey@news.example' && attempt === 1) return replies.greylisted(rcpt);
        return 'accept';
      },
      data: (rcpts, attempt) => (rcpts[0] === cut && attempt === 1 ? 'cut' : 'accept'),
      delayMs: (phase, rcpt) => (rcpt === 'slow@news.example' && phase === 'data' ? 700 : 0),
    });
    app = testApp({ env: { smtpUrl: smtp.url } });
    const people = ['ok', 'unknown', 'policy', 'full', 'grey', 'cut', 'slow'];
    const list = app.list(people.map((p) => `${p}@news.example,${p},Test,Outlet,russia,en`));
    const id = await planCampaign(app, [list]);
    const summary = await runCampaign(id, app, { waitForRetries: true });

    expect(summary.end).toBe('done');
    expect(await statusOf(app, id)).toEqual({
      'ok@news.example': 'sent',
      'unknown@news.example': 'bounced',
      'policy@news.example': 'blocked',
      'full@news.example': 'failed',
      'grey@news.example': 'sent',
      // The server dropped the connection after the whole message, before its reply: it may
      // have it, so it is not sent again on its own (resume --resend-unknown would).
      'cut@news.example': 'unknown',
      'slow@news.example': 'sent',
    });
    for (const p of ['ok', 'grey', 'slow']) expect(smtp.deliveredTo(`${p}@news.example`), p).toBe(1);
    for (const p of ['unknown', 'policy', 'full', 'cut']) expect(smtp.deliveredTo(`${p}@news.example`), p).toBe(0);
    expect(smtp.attemptsFor('cut@news.example')).toBe(1);
    expect(smtp.attemptsFor('grey@news.example')).toBe(2);
    expect(smtp.attemptsFor('full@news.example')).toBe(3); // maxAttempts, then a soft bounce
    expect(smtp.attemptsFor('unknown@news.example')).toBe(1);
    expect(smtp.cut).toHaveLength(1);

    // Only the hard bounce is suppressed; the policy block is recorded, not suppressed.
    expect((await app.store.isSuppressed('unknown@news.example'))?.reason).toBe('hard-bounce');
    expect(await app.store.isSuppressed('policy@news.example')).toBeUndefined();

    const rows = Object.fromEntries((await app.store.deliveries(id)).map((r) => [r.email, r]));
    expect(rows['unknown@news.example']).toMatchObject({ code: 550, enhanced: '5.1.1', attempts: 1 });
    expect(rows['unknown@news.example']!.response).toMatch(/User unknown in virtual mailbox table/);
    expect(rows['full@news.example']).toMatchObject({ code: 452, enhanced: '4.2.2', attempts: 3 });
    expect(rows['grey@news.example']).toMatchObject({ code: 250, attempts: 2 });

    // The log explains each fate: one NDJSON line per event, same Message-ID across retries.
    const events = await app.store.events(id);
    const grey = events.filter((e) => e.deliveryId === rows['grey@news.example']!.id);
    expect(grey.map((e) => e.type)).toEqual(['planned', 'sending', 'deferred', 'sending', 'sent']);
    expect(new Set(grey.filter((e) => e.messageId).map((e) => e.messageId)).size).toBe(1);
  });

  it('sends one message per recipient, alone on To:, with a stable Message-ID and one-click unsubscribe', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { unsubscribe: { baseUrl: 'https://press.ngo.example.org/' } } });
    const list = app.list([
      'anna@paper.example,Anna,Petrova,Paper,russia,en',
      'ben@tv.example,"Ben\r\nBcc: victim@evil.example",Smith,TV,russia,en',
    ]);
    const id = await planCampaign(app, [list]);
    await runCampaign(id, app, { waitForRetries: true });
    expect(smtp.messages).toHaveLength(2);
    const instance = await app.store.instanceId();
    for (const m of smtp.messages) {
      expect(m.rcpts).toHaveLength(1);
      const h = m.headers;
      expect(h.get('to')).toContain(m.rcpts[0]);
      expect(h.has('cc')).toBe(false);
      expect(h.has('bcc')).toBe(false);
      expect(h.get('list-unsubscribe')).toMatch(new RegExp(`^<https://press\\.ngo\\.example\\.org/u/${instance}-[0-9a-z]+-[0-9a-z]+-[0-9a-f]{16}>$`));
      expect(h.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(m.messageId).toMatch(new RegExp(`^<pressline\\.${instance}\\.${id}\\.[0-9a-f]{24}@ngo\\.example\\.org>$`));
    }
    // The Message-ID each recipient got is the one assigned at planning and kept for retries.
    const stored = new Map((await app.store.deliveries(id)).map((d) => [d.email, d.messageId]));
    for (const m of smtp.messages) expect(stored.get(m.rcpts[0]!)).toBe(m.messageId);
    const raw = smtp.messages.map((m) => m.raw.toString()).join('\n');
    expect(raw).not.toMatch(/^Bcc:/im);
    expect(smtp.attemptsFor('victim@evil.example')).toBe(0);
  });

  it('holds the global ceiling in every sliding window at the server', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { rate: { global: '20/s', concurrency: 4 } } });
    const list = app.list(journalists(50));
    const id = await planCampaign(app, [list]);
    await runCampaign(id, app, { waitForRetries: true });
    expect(smtp.messages).toHaveLength(50);
    // Our own start times (the `sending` → attempt start) obey the window exactly…
    const starts = smtp.rcptLog.map((e) => e.at);
    // …and the server's RCPT times can only be later by network jitter; allow 25 ms of it.
    expect(maxInWindow(starts, 1000 - 25)).toBeLessThanOrEqual(20);
    // The ceiling is a ceiling, not a crawl: 50 at 20/s needs a bit over 2 windows.
    expect(starts.at(-1)! - starts[0]!).toBeLessThan(3_500);
  });

  it('holds the ceiling for two campaigns sent at once from one store', async () => {
    smtp = await startTestSmtp();
    const a = testApp({ env: { smtpUrl: smtp.url }, config: { rate: { global: '10/s', concurrency: 4 } } });
    app = a;
    const first = await planCampaign(a, [a.list(journalists(15))]);
    const second = await planCampaign(a, [a.list(journalists(15, 'wire.example'))]);
    await Promise.all([runCampaign(first, a, { waitForRetries: true }), runCampaign(second, a, { waitForRetries: true })]);
    expect(smtp.messages).toHaveLength(30);
    expect(maxInWindow(smtp.rcptLog.map((e) => e.at), 1000 - 25)).toBeLessThanOrEqual(10);
  });

  it('holds a per-domain ceiling without holding up other domains', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { rate: { global: 0, perDomain: 0, domains: { 'slow.example': '3/s' }, concurrency: 4 } } });
    const list = app.list([...journalists(9, 'slow.example'), ...journalists(30, 'fast.example', 100)]);
    const id = await planCampaign(app, [list]);
    await runCampaign(id, app, { waitForRetries: true });
    const slow = smtp.rcptLog.filter((e) => e.rcpt.endsWith('@slow.example')).map((e) => e.at);
    const fast = smtp.rcptLog.filter((e) => e.rcpt.endsWith('@fast.example')).map((e) => e.at);
    expect(slow).toHaveLength(9);
    expect(maxInWindow(slow, 1000 - 25)).toBeLessThanOrEqual(3);
    // The fast domain finished long before the slow one's ~2 s.
    expect(Math.max(...fast) - Math.min(...fast, ...slow)).toBeLessThan(Math.max(...slow) - Math.min(...slow));
  });

  it('pauses on a circuit breaker when the relay refuses our credentials, and resumes', async () => {
    smtp = await startTestSmtp({ auth: { user: 'press', pass: 'right' } });
    const url = new URL(smtp.url);
    url.username = 'press';
    url.password = 'wrong';
    app = testApp({ env: { smtpUrl: url.toString() } });
    const id = await planCampaign(app, [app.list(journalists(10))]);
    const first = await runCampaign(id, app, { waitForRetries: true });
    expect(first.end).toBe('paused');
    expect(first.reason).toMatch(/credentials/);
    expect(first.reason).not.toContain('wrong');
    expect((await app.store.getCampaign(id))?.status).toBe('paused');
    expect(first.counts.sent).toBe(0);

    url.password = 'right';
    app.env.smtpUrl = url.toString();
    const second = await runCampaign(id, app, { waitForRetries: true });
    expect(second.end).toBe('done');
    expect(second.counts.sent).toBe(10);
    for (let i = 1; i <= 10; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);
    // Neither password reaches the delivery log, the store's events or the campaign's reasons.
    const { readFileSync } = await import('node:fs');
    const trail = readFileSync(await deliveryLogFile(app.store, app.config.paths.logs, id), 'utf8') + JSON.stringify(await app.store.events(id)) + JSON.stringify(await app.store.getCampaign(id));
    expect(trail).toContain('relay');
    expect(trail).not.toMatch(/wrong|right@|press:/);
  });

  it('pauses after repeated connection failures (421 at greeting) instead of burning attempts', async () => {
    smtp = await startTestSmtp({ greeting: () => replies.serviceUnavailable() });
    app = testApp({ env: { smtpUrl: smtp.url }, config: { breaker: { consecutiveConnectionFailures: 3 }, retry: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 20 } } });
    const id = await planCampaign(app, [app.list(journalists(20))]);
    const summary = await runCampaign(id, app, { waitForRetries: true });
    expect(summary.end).toBe('paused');
    expect(summary.reason).toMatch(/connection failures in a row/);
    const rows = await app.store.deliveries(id);
    expect(rows.filter((r) => r.attempts > 0).length).toBeLessThanOrEqual(3 + 4); // streak + what was in flight
    expect(rows.every((r) => r.status === 'pending' || r.status === 'deferred')).toBe(true);
  });

  it('writes .eml files to the outbox when no SMTP server is configured', async () => {
    app = testApp();
    const id = await planCampaign(app, [app.list(journalists(3))]);
    const summary = await runCampaign(id, app, { waitForRetries: true });
    expect(summary.counts.sent).toBe(3);
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = readdirSync(`${app.config.paths.outbox}/${id}`).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(3);
    const eml = readFileSync(`${app.config.paths.outbox}/${id}/${files[0]}`, 'utf8');
    expect(eml).toMatch(/^To: .*j1@news\.example/m);
    expect(eml).toMatch(/^Message-ID: <pressline\./im);
    expect(eml).toContain('\r\n');
    const log = readFileSync(await deliveryLogFile(app.store, app.config.paths.logs, id), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((l) => l.event === 'sent')).toHaveLength(3);
    expect(JSON.stringify(log)).not.toContain('test-secret');
  });

  it('stops when paused from another terminal and finishes on resume, sending nobody twice', () =>
    pauseMidwayAndResume({ total: 40, pauseAfter: 5, delayMs: 30 }));

  // Batches of 4: the next claim starts while the last two of a batch are still to go.
  it('claims batch after small batch while sending; a pause leaves no claim behind and resume sends nobody twice', () =>
    pauseMidwayAndResume({ total: 60, pauseAfter: 9, delayMs: 40, batchSize: 4 }));
});

describe('refilling freed slots in groups', () => {
  it('sizes groups to leave two messages per connection in flight', () => {
    expect(launchGroup(20, 5)).toBe(10);
    expect(launchGroup(12, 4)).toBe(4);
    expect(launchGroup(5, 5)).toBe(1); // as many in flight as connections: one at a time, as before
    expect(launchGroup(1, 1)).toBe(1);
  });

  it('marks a group of messages in one commit, and still sends everyone once', async () => {
    smtp = await startTestSmtp({ delayMs: 15 });
    const a = testApp({ env: { smtpUrl: smtp.url }, config: { rate: { global: 0, concurrency: 12 }, smtp: { maxConnections: 4 } } });
    app = a;
    const marksPerCommit: number[] = [];
    const write = a.store.writeBatch.bind(a.store);
    a.store.writeBatch = (marks, outcomes, now) => {
      if (marks.length > 0) marksPerCommit.push(marks.length);
      return write(marks, outcomes, now);
    };
    const id = await planCampaign(a, [a.list(journalists(120))]);
    const summary = await runCampaign(id, a, { waitForRetries: true });
    expect(summary.counts.sent).toBe(120);
    for (let i = 1; i <= 120; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);
    // After the first fill (all 12 at once), refills come in groups of at least 4 (12 - 2 x 4),
    // now and then split over two commits; one slot at a time they average under 2.
    const refills = marksPerCommit.slice(1);
    expect(refills.reduce((s, n) => s + n, 0) / refills.length).toBeGreaterThanOrEqual(3);
  });
});
