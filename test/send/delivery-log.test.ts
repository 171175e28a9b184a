import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import pg from 'pg';
import { runCampaign } from '../../src/campaigns/run.js';
import { deliveryLogFile, openDeliveryLog } from '../../src/log/delivery-log.js';
import { replies, startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { journalists, TEST_STORE, testApp, type TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = undefined;
  smtp = undefined;
});

const logFile = (a: TestApp, id: number) => deliveryLogFile(a.store, a.config.paths.logs, id);
const lines = async (a: TestApp, id: number) =>
  readFileSync(await logFile(a, id), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('the delivery log (logs/<store>-<campaign>.ndjson)', () => {
  it('has one line per event in the store, planning and bounces included, in order', async () => {
    smtp = await startTestSmtp({ rcpt: (rcpt) => (rcpt === 'unknown@news.example' ? replies.userUnknown(rcpt) : 'accept') });
    const a = testApp({ env: { smtpUrl: smtp.url } });
    app = a;
    await a.store.addSuppression({ key: 'gone@news.example', email: 'gone@news.example', reason: 'unsubscribe', source: 'test', detail: undefined }, new Date());
    const list = a.list([...journalists(3), 'unknown@news.example,Un,Known,Daily,russia,en', 'gone@news.example,Go,Ne,Daily,russia,en', 'not-an-address,Bad,Row,Daily,russia,en']);
    const id = await planCampaign(a, [list], { skipInvalid: true });

    // Planning alone already put its events in the file.
    const planned = await lines(a, id);
    expect(planned.filter((l) => l.event === 'planned').map((l) => l.recipient)).toEqual(['j1@news.example', 'j2@news.example', 'j3@news.example', 'unknown@news.example']);
    expect(planned.find((l) => l.event === 'suppressed')).toMatchObject({ recipient: 'gone@news.example', detail: 'on the suppression list when planned' });
    expect(planned.find((l) => l.event === 'skipped')!.detail).toMatch(/list-1\.csv:7: invalid email "not-an-address"/);

    await runCampaign(id, a, { waitForRetries: true });
    const log = await lines(a, id);
    const events = await a.store.events(id);
    expect(log.map((l) => l.event)).toEqual(events.map((e) => e.type));
    expect(log.map((l) => l.eventId)).toEqual([...log.map((l) => l.eventId)].sort((x, y) => x - y));
    expect(new Set(log.map((l) => l.eventId)).size).toBe(log.length);
    expect(log.filter((l) => l.event === 'sent')).toHaveLength(3);
    const bounce = log.find((l) => l.event === 'bounced')!;
    expect(bounce).toMatchObject({ campaign: id, recipient: 'unknown@news.example', attempt: 1, code: 550, enhanced: '5.1.1', relay: expect.stringContaining('127.0.0.1') });
    expect(bounce.messageId).toMatch(/^<pressline\./);
    expect(bounce.level).toBe('warn');
    expect(log.at(-1)).toMatchObject({ event: 'campaign', detail: 'done' });
    expect(readFileSync(await logFile(a, id), 'utf8')).not.toContain('test-secret');
    expect(existsSync(`${await logFile(a, id)}.lock`)).toBe(false);
  });

  it('after a crash, cuts a half-written line and copies what is missing, once', async () => {
    const a = testApp();
    app = a;
    const id = await planCampaign(a, [a.list(journalists(4))]);
    const file = await logFile(a, id);
    const whole = readFileSync(file, 'utf8');
    const kept = whole.split('\n').slice(0, 2).join('\n') + '\n';
    // The process died while appending the third line.
    writeFileSync(file, kept + whole.split('\n')[2]!.slice(0, 25));
    // The cut line, the fourth planned, and the end of planning.
    expect(await openDeliveryLog(a.store, a.config.paths.logs, id).catchUp()).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(whole);
    // Another process (another instance) finds nothing left to copy.
    expect(await openDeliveryLog(a.store, a.config.paths.logs, id).catchUp()).toBe(0);
  });

  it('waits while another process holds the lock, and takes over a lock its owner left behind', async () => {
    const a = testApp();
    app = a;
    const id = await planCampaign(a, [a.list(journalists(2))]);
    const log = openDeliveryLog(a.store, a.config.paths.logs, id);
    const lock = `${await logFile(a, id)}.lock`;
    await a.store.addEvent({ campaignId: id, deliveryId: undefined, at: new Date(), type: 'campaign', detail: 'first' });
    writeFileSync(lock, '');
    // A tick while another process copies is skipped...
    const following = log.follow(10);
    await new Promise((r) => setTimeout(r, 60));
    expect((await lines(a, id)).some((l) => l.detail === 'first')).toBe(false);
    // ...and the last copy waits for it to finish.
    const last = following.stop();
    await new Promise((r) => setTimeout(r, 60));
    rmSync(lock);
    expect(await last).toBe(1);
    expect((await lines(a, id)).at(-1)).toMatchObject({ event: 'campaign', detail: 'first' });
    // A minute-old lock is a dead process's...
    await a.store.addEvent({ campaignId: id, deliveryId: undefined, at: new Date(), type: 'campaign', detail: 'second' });
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(await log.catchUp()).toBe(1);
    expect((await lines(a, id)).at(-1)).toMatchObject({ event: 'campaign', detail: 'second' });
    expect(existsSync(lock)).toBe(false);
    // ...and so is a fresh one whose holder on this host has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await a.store.addEvent({ campaignId: id, deliveryId: undefined, at: new Date(), type: 'campaign', detail: 'third' });
    writeFileSync(lock, `${hostname()}:${gone}`);
    expect(await log.catchUp()).toBe(1);
    expect((await lines(a, id)).at(-1)).toMatchObject({ event: 'campaign', detail: 'third' });
  });

  it('starts lines without an eventId (an older file) over after them, and keeps them', async () => {
    const a = testApp();
    app = a;
    const id = await planCampaign(a, [a.list(journalists(1))]);
    const file = await logFile(a, id);
    writeFileSync(file, '{"level":"info","event":"sending"}\n');
    await openDeliveryLog(a.store, a.config.paths.logs, id).catchUp();
    const all = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(all[0]).toBe('{"level":"info","event":"sending"}');
    expect(all.slice(1).map((l) => JSON.parse(l).event)).toEqual(['planned', 'campaign']);
  });

  // PostgreSQL hands out ids in one order and may commit them in another.
  it.runIf(TEST_STORE === 'postgres')('copies an event committed after a later one that was copied already', async () => {
    const a = testApp();
    app = a;
    const id = await planCampaign(a, [a.list(journalists(1))]);
    const log = openDeliveryLog(a.store, a.config.paths.logs, id);
    const slow = new pg.Client({ connectionString: a.storeEnv.DATABASE_URL });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO events (campaign_id, at, type, detail) VALUES ($1, now(), 'campaign', 'slow')`, [id]);
      await a.store.addEvent({ campaignId: id, deliveryId: undefined, at: new Date(), type: 'campaign', detail: 'fast' });
      expect(await log.catchUp()).toBe(1);
      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    expect(await log.catchUp()).toBe(1);
    expect(await log.catchUp()).toBe(0);
    const details = (await lines(a, id)).map((l) => l.detail).filter(Boolean);
    expect(details).toEqual(['draft: planned', 'fast', 'slow']);
  });
  it('while a campaign sends, is copied as it goes: the same lines as a copy made from scratch', async () => {
    // Two at a time, 100 ms each: the sending lasts over a second, several of the copies' ticks.
    smtp = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 100 : 0) });
    const a = testApp({ env: { smtpUrl: smtp.url } });
    app = a;
    const n = 20;
    const id = await planCampaign(a, [a.list(journalists(n))]);
    // Reads of the events while messages go out: the copy follows the send, not only its end.
    let sending = false;
    let readsWhileSending = 0;
    const eventsAfter = a.store.eventsAfter.bind(a.store);
    a.store.eventsAfter = (campaignId, afterId, limit) => {
      if (sending && smtp!.messages.length < n) readsWhileSending++;
      return eventsAfter(campaignId, afterId, limit);
    };
    await runCampaign(id, a, { waitForRetries: true, pace: { concurrency: 2 }, onStart: () => (sending = true) });
    a.store.eventsAfter = eventsAfter;
    const copied = readFileSync(await logFile(a, id), 'utf8');
    expect(readsWhileSending).toBeGreaterThan(0);
    // The same bytes as the copy this thread makes from the store, from scratch.
    rmSync(await logFile(a, id));
    expect(await openDeliveryLog(a.store, a.config.paths.logs, id).catchUp()).toBe((await a.store.events(id)).length);
    expect(readFileSync(await logFile(a, id), 'utf8')).toBe(copied);
    expect(copied.split('\n').filter((l) => l.includes('"event":"sent"'))).toHaveLength(n);
  });
});
