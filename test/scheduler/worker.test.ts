import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { createOutboxTransport } from '../../src/send/outbox.js';
import type { Transport } from '../../src/send/transport.js';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { decideDue, runWorker } from '../../src/scheduler/worker.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { testApp, type TestApp } from '../helpers/app.js';

// releases/examples/embargoed.md: embargo 2027-03-16 09:00 Europe/Brussels = 08:00 UTC.
const LIFT = new Date('2027-03-16T08:00:00Z');
const HOUR = 3_600_000;

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  await app?.close();
  app = smtp = undefined;
});

function setUp(clock: ManualClock | typeof systemClock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR))) {
  const a = testApp({ clock });
  const release = join(a.dir, 'embargoed.md');
  copyFileSync('releases/examples/embargoed.md', release);
  const trusted = a.list(['t1@wire.example,Tina,One,Wire,science,en', 'both@paper.example,Bo,Th,Paper,science,en']);
  const everyone = a.list(['both@paper.example,Bo,Th,Paper,science,en', 'p1@news.example,Pat,One,News,science,en', 'p2@news.example,Pia,Two,News,science,en']);
  return { a, release, trusted, everyone };
}

function emls(a: TestApp, id: number): string[] {
  const dir = join(a.config.paths.outbox, String(id));
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
}

async function schedule(a: TestApp, release: string, trusted: string, everyone: string) {
  const plan = await planSchedule({ releaseFile: release, embargoed: [trusted], public: [everyone], at: 'embargo - 24h', where: [], skipInvalid: false }, a);
  return storeSchedule(plan, a);
}

describe('embargoed release in two phases', () => {
  it('sends the embargoed copy ahead, the public copy at the lift, and nobody both', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const { a, release, trusted, everyone } = setUp(clock);
    app = a;
    const [embargoedId, publicId] = await schedule(a, release, trusted, everyone);
    expect(await decideDue(a, clock.now(), new Set())).toEqual([]);

    await clock.advance(24 * HOUR); // embargo - 24h
    const due = await decideDue(a, clock.now(), new Set());
    expect(due).toEqual([{ kind: 'start', campaignId: embargoedId }]);
    await runCampaign(embargoedId!, a, { waitForRetries: false });
    const embargoedCopies = emls(a, embargoedId!);
    expect(embargoedCopies).toHaveLength(2);
    for (const eml of embargoedCopies) {
      expect(eml).toMatch(/^Subject: EMBARGOED: /m);
    }

    await clock.advance(23 * HOUR);
    expect(await decideDue(a, clock.now(), new Set())).toEqual([]); // public waits for the lift
    await clock.advance(HOUR);
    expect(await decideDue(a, clock.now(), new Set())).toEqual([{ kind: 'start', campaignId: publicId }]);
    await runCampaign(publicId!, a, { waitForRetries: false });
    const publicCopies = emls(a, publicId!);
    expect(publicCopies).toHaveLength(2); // both@paper.example already had the embargoed copy
    expect(publicCopies.join('\n')).not.toContain('both@paper.example');
    for (const eml of publicCopies) expect(eml).not.toMatch(/^Subject: EMBARGOED/m);
    const rows = await a.store.deliveries(publicId!);
    expect(rows.find((r) => r.email === 'both@paper.example')?.status).toBe('skipped');
  });

  it('marks a missed embargoed phase (worker down past the lift) and gives those journalists the public copy', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const { a, release, trusted, everyone } = setUp(clock);
    app = a;
    const [embargoedId, publicId] = await schedule(a, release, trusted, everyone);
    await clock.advance(48 * HOUR + 60_000); // the worker was down through the whole embargo
    const due = await decideDue(a, clock.now(), new Set());
    expect(due).toContainEqual(expect.objectContaining({ kind: 'missed', campaignId: embargoedId }));
    expect(due).toContainEqual({ kind: 'start', campaignId: publicId });
    expect((await a.store.getCampaign(embargoedId!))?.status).toBe('missed');
    expect((await a.store.counts(embargoedId!)).skipped).toBe(2);
    await runCampaign(publicId!, a, { waitForRetries: false });
    // both@paper.example never got the embargoed copy, so the public one reaches them.
    expect(emls(a, publicId!).join('\n')).toContain('both@paper.example');
    await expect(runCampaign(embargoedId!, a, { waitForRetries: false })).rejects.toThrow(/missed/);
  });

  it('sends a late embargoed phase while the embargo still holds, with a warning', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const { a, release, trusted, everyone } = setUp(clock);
    app = a;
    const [embargoedId] = await schedule(a, release, trusted, everyone);
    await clock.advance(30 * HOUR); // 6 h late, 18 h before the lift
    const [action] = await decideDue(a, clock.now(), new Set());
    expect(action).toMatchObject({ kind: 'start', campaignId: embargoedId });
    expect(action && 'late' in action ? action.late : '').toMatch(/late.*embargo still holds/);
  });

  it('stops sending embargoed copies when the lift arrives mid-phase', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 2 * HOUR));
    const a = testApp({ clock, config: { rate: { global: 0, concurrency: 1 } } });
    app = a;
    const release = join(a.dir, 'embargoed.md');
    copyFileSync('releases/examples/embargoed.md', release);
    const list = a.list(Array.from({ length: 6 }, (_, i) => `r${i}@news.example,R${i},X,News,science,en`));
    const plan = await planSchedule({ releaseFile: release, embargoed: [list], public: [a.list(['x@y.example,X,Y,Z,science,en'])], at: 'now', where: [], skipInvalid: false }, a);
    const [embargoedId] = await storeSchedule(plan, a);
    // A real outbox transport; each message takes "an hour" on the fake clock.
    const outbox = createOutboxTransport(join(a.config.paths.outbox, String(embargoedId)));
    const slow: Transport = { name: 'slow outbox', send: async (m) => { const r = await outbox.send(m); await clock.advance(HOUR); return r; }, close: () => outbox.close() };
    const summary = await runCampaign(embargoedId!, a, { waitForRetries: false, transport: slow });
    expect(summary.end).toBe('embargo-lifted');
    const counts = await a.store.counts(embargoedId!);
    expect(counts.sent).toBe(2);
    expect(counts.skipped).toBe(4);
    expect(readdirSync(join(a.config.paths.outbox, String(embargoedId)))).toHaveLength(2);
    expect((await a.store.getCampaign(embargoedId!))?.statusReason).toMatch(/embargo lift/);
  });

  it('refuses an embargoed phase at or after the lift and a public phase before it', async () => {
    const { a, release, trusted, everyone } = setUp();
    app = a;
    await expect(planSchedule({ releaseFile: release, embargoed: [trusted], public: [everyone], at: 'embargo', where: [], skipInvalid: false }, a)).rejects.toThrow(/embargo/i);
    await expect(planSchedule({ releaseFile: release, embargoed: [trusted], public: [everyone], at: 'embargo - 24h', publicAt: 'embargo - 1h', where: [], skipInvalid: false }, a)).rejects.toThrow(/before the embargo|lift/i);
    const short = await planSchedule({ releaseFile: release, embargoed: [trusted], public: [everyone], at: 'embargo - 2h', where: [], skipInvalid: false }, a);
    expect(short.warnings.join(' ')).toMatch(/24/);
  });

  it('re-checks phases when the release embargo is edited', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const { a, release, trusted, everyone } = setUp(clock);
    app = a;
    const [embargoedId, publicId] = await schedule(a, release, trusted, everyone);
    // The embargo moves 12 hours earlier: the embargoed send (lift - 24h) is still before it,
    // and the public phase follows the lift.
    writeFileSync(release, readFileSync(release, 'utf8').replace('2027-03-16 09:00 Europe/Brussels', '2027-03-15 21:00 Europe/Brussels'));
    const actions = await decideDue(a, clock.now(), new Set());
    expect(actions).toContainEqual(expect.objectContaining({ kind: 'rescheduled', campaignId: publicId, to: new Date('2027-03-15T20:00:00Z') }));
    expect((await a.store.getCampaign(publicId!))?.scheduledAt).toEqual(new Date('2027-03-15T20:00:00Z'));
    // Now it moves before the embargoed send itself: that phase is held for a person.
    writeFileSync(release, readFileSync(release, 'utf8').replace('2027-03-15 21:00 Europe/Brussels', '2027-03-15 06:00 Europe/Brussels'));
    const held = await decideDue(a, clock.now(), new Set());
    expect(held).toContainEqual(expect.objectContaining({ kind: 'held', campaignId: embargoedId }));
    expect((await a.store.getCampaign(embargoedId!))?.status).toBe('paused');
  });
});

describe('pressline worker, end to end in real time', () => {
  it('sends a scheduled release only after its instant', async () => {
    smtp = await startTestSmtp();
    const a = testApp({ env: { smtpUrl: smtp.url } });
    app = a;
    const at = new Date(Date.now() + 2500);
    const plan = await planSchedule({ releaseFile: 'releases/eu-russia-summit.md', lists: [a.list(['anna@paper.example,Anna,P,Paper,russia,en'])], at: at.toISOString(), where: [], skipInvalid: false }, a);
    await storeSchedule(plan, a);
    const controller = new AbortController();
    const worker = runWorker(a, { intervalMs: 200, signal: controller.signal, log: pino({ level: 'silent' }), owner: 'test-worker:1:a' });
    const deadline = Date.now() + 15_000;
    while (smtp.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    controller.abort('shutdown');
    await worker;
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.receivedAt).toBeGreaterThanOrEqual(at.getTime());
    expect((await a.store.listCampaigns())[0]?.status).toBe('done');
  });
});
