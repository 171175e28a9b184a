import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/time/clock.js';
import { transition } from '../../src/campaigns/lifecycle.js';
import { handToWorkers, runCampaign } from '../../src/campaigns/run.js';
import { createOutboxTransport } from '../../src/send/outbox.js';
import type { Transport } from '../../src/send/transport.js';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { decideDue, runWorker } from '../../src/scheduler/worker.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

// releases/examples/embargoed.md: embargo 2027-03-16 09:00 Europe/Brussels = 08:00 UTC.
const LIFT = new Date('2027-03-16T08:00:00Z');
const HOUR = 3_600_000;

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
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

  it('holds a due campaign whose release no longer loads, once, with the reason (not an error at every poll)', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const { a, release, trusted, everyone } = setUp(clock);
    app = a;
    const [embargoedId] = await schedule(a, release, trusted, everyone);
    writeFileSync(release, '---\ntitle: [broken\n---\n');
    // Not due yet: looked at again at the next poll (someone may be saving the file right now).
    expect(await decideDue(a, clock.now(), new Set())).toContainEqual(expect.objectContaining({ kind: 'error', campaignId: embargoedId }));
    expect((await a.store.getCampaign(embargoedId!))?.status).toBe('scheduled');
    await clock.advance(25 * HOUR);
    const held = await decideDue(a, clock.now(), new Set());
    expect(held).toContainEqual(expect.objectContaining({ kind: 'held', campaignId: embargoedId, why: expect.stringMatching(/cannot load the release: .*embargoed\.md.*pressline resume \d+ --workers/s) }));
    const c = await a.store.getCampaign(embargoedId!);
    expect(c).toMatchObject({ status: 'paused' });
    expect(c?.statusReason).toMatch(/cannot load the release/);
    expect((await decideDue(a, clock.now(), new Set())).filter((x) => 'campaignId' in x && x.campaignId === embargoedId)).toEqual([]);
  });

  it('keeps the public phase on the lift through a second move of the embargo', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const { a, release, trusted, everyone } = setUp(clock);
    app = a;
    const [embargoedId, publicId] = await schedule(a, release, trusted, everyone);
    const moveTo = async (from: string, to: string) => {
      writeFileSync(release, readFileSync(release, 'utf8').replace(from, to));
      return decideDue(a, clock.now(), new Set());
    };
    await moveTo('2027-03-16 09:00 Europe/Brussels', '2027-03-15 21:00 Europe/Brussels');
    // A look with nothing changed moves nothing and holds nothing.
    expect(await decideDue(a, clock.now(), new Set())).toEqual([]);
    const second = await moveTo('2027-03-15 21:00 Europe/Brussels', '2027-03-16 01:00 Europe/Brussels');
    expect(second).toContainEqual(expect.objectContaining({ kind: 'rescheduled', campaignId: publicId, to: new Date('2027-03-16T00:00:00Z') }));
    const pub = await a.store.getCampaign(publicId!);
    expect(pub?.status).toBe('scheduled');
    expect(pub?.scheduledAt).toEqual(new Date('2027-03-16T00:00:00Z'));
    expect(pub?.embargoAt).toEqual(new Date('2027-03-16T00:00:00Z'));
    expect((await a.store.getCampaign(embargoedId!))?.status).toBe('scheduled');
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
    // Wait for the campaign to finish, not just for the message: a shutdown between the relay's
    // 250 and the final status leaves it `sending` for the next worker (correct, but not this test).
    const finished = async () => smtp!.messages.length > 0 && (await a.store.listCampaigns())[0]?.status === 'done';
    while (!(await finished()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    controller.abort('shutdown');
    await worker;
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.receivedAt).toBeGreaterThanOrEqual(at.getTime());
    expect((await a.store.listCampaigns())[0]?.status).toBe('done');
  });
});

describe('resume --workers', () => {
  it('hands a paused campaign back to the workers, who send the rest, everyone once', async () => {
    smtp = await startTestSmtp({ delayMs: 30 });
    const a = testApp({ env: { smtpUrl: smtp.url }, config: { rate: { global: 0, concurrency: 2 } } });
    app = a;
    const id = await planCampaign(a, [a.list(journalists(30))]);
    const running = runCampaign(id, a, { waitForRetries: true });
    while (smtp.messages.length < 5) await new Promise((r) => setTimeout(r, 5));
    await transition(a, id, 'pause', new Date(), { reason: 'paused by an operator' });
    expect((await running).end).toBe('paused');
    const controller = new AbortController();
    const worker = runWorker(a, { intervalMs: 100, signal: controller.signal, log: pino({ level: 'silent' }), owner: 'test-worker:1:b' });
    try {
      // Paused means paused: the worker leaves it alone...
      const sentWhilePaused = smtp.messages.length;
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.messages.length).toBe(sentWhilePaused);
      // ...until it is handed back.
      await handToWorkers(a, id, new Date());
      const deadline = Date.now() + 15_000;
      while ((await a.store.getCampaign(id))?.status !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      controller.abort('shutdown');
      await worker;
    }
    expect((await a.store.getCampaign(id))?.status).toBe('done');
    for (let i = 1; i <= 30; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);
    await expect(handToWorkers(a, id, new Date())).rejects.toThrow(/is done, not paused/);
  });
});

describe('local delivery time', () => {
  it('sends at 09:00 in each journalist’s own zone', async () => {
    // Saturday 2026-11-28 06:00 UTC: 07:00 in Brussels, 01:00 in New York.
    const clock = new ManualClock('2026-11-28T06:00:00Z');
    const a = testApp({ clock, config: { defaultTimeZone: 'Europe/London' } });
    app = a;
    const list = a.list(
      ['be@paper.example,Be,L,Paper,russia,en,Europe/Brussels', 'ny@paper.example,Ny,C,Paper,russia,en,America/New_York', 'uk@paper.example,Uk,L,Paper,russia,en,'],
      'Email,First Name,Last Name,Outlet,Beat,Language,Time Zone',
    );
    const plan = await planSchedule({ releaseFile: 'releases/eu-russia-summit.md', lists: [list], at: 'now', localTime: '09:00', where: [], skipInvalid: false }, a);
    const [id] = await storeSchedule(plan, a);
    const sentAt = async () => Object.fromEntries((await a.store.deliveries(id!)).map((r) => [r.email, r.status]));

    expect(await decideDue(a, clock.now(), new Set())).toEqual([{ kind: 'start', campaignId: id }]);
    expect((await runCampaign(id!, a, { waitForRetries: false })).end).toBe('retries-pending');
    expect(await sentAt()).toEqual({ 'be@paper.example': 'pending', 'ny@paper.example': 'pending', 'uk@paper.example': 'pending' });

    await clock.advance(2 * HOUR); // 09:00 Brussels
    expect(await decideDue(a, clock.now(), new Set())).toEqual([expect.objectContaining({ kind: 'resume', campaignId: id })]);
    await runCampaign(id!, a, { waitForRetries: false });
    expect(await sentAt()).toMatchObject({ 'be@paper.example': 'sent', 'uk@paper.example': 'pending', 'ny@paper.example': 'pending' });

    await clock.advance(HOUR); // 09:00 London (the default zone for the row without one)
    await runCampaign(id!, a, { waitForRetries: false });
    expect(await sentAt()).toMatchObject({ 'uk@paper.example': 'sent', 'ny@paper.example': 'pending' });

    await clock.advance(5 * HOUR); // 09:00 New York
    const last = await runCampaign(id!, a, { waitForRetries: false });
    expect(last.end).toBe('done');
    expect(await sentAt()).toMatchObject({ 'ny@paper.example': 'sent' });
  });

  it('is refused for an embargoed release', async () => {
    const { a, release, everyone } = setUp();
    app = a;
    await expect(planSchedule({ releaseFile: release, lists: [everyone], at: 'embargo', localTime: '09:00', where: [], skipInvalid: false }, a)).rejects.toThrow(/local-time/);
  });
});
