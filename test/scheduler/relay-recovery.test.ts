// Issue 13 (4): a worker probes a relay that tripped the breaker with backoff and resumes the
// campaign when it answers. The schedule and the guarded resume, on a fake clock and a real store.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pauseByOperator, recordRunPause } from '../../src/campaigns/pause.js';
import { ManualClock } from '../../src/time/clock.js';
import { decideDue } from '../../src/scheduler/worker.js';
import { probeDelayMs, RelayRecovery } from '../../src/scheduler/relay-recovery.js';
import { testApp, type TestApp } from '../helpers/app.js';

const SETTINGS = { initialMs: 5_000, maxMs: 120_000 };
const START = '2026-12-01T10:00:00Z';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A pino logger whose lines the test reads back. */
function capture() {
  const lines: { level: number; msg: string }[] = [];
  const dest = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, dest), lines };
}

async function pausedCampaign(a: TestApp, now: Date, autoResume = true): Promise<number> {
  const id = await a.store.createCampaign({ releaseFile: 'releases/eu-russia-summit.md', releaseTitle: 't', lists: [], where: [], test: false, status: 'sending', options: {} }, now);
  const kind = await recordRunPause(a, id, now, { reason: 'circuit breaker: 5 connection failures in a row, last: connect ECONNREFUSED', pause: 'relay' }, autoResume);
  expect(kind).toBe(autoResume ? 'relay' : 'relay-held');
  return id;
}

/** Lets the background probe (and the store writes after it) finish. */
async function settle(r: RelayRecovery): Promise<void> {
  await r.idle();
  await new Promise((res) => setImmediate(res));
}

describe('probe backoff schedule', () => {
  it('doubles from the first wait up to the cap, jittered down by at most a fifth', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6, 10, 60].map((n) => probeDelayMs(n, SETTINGS, none))).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000, 120_000]);
    expect([0, 1, 5].map((n) => probeDelayMs(n, SETTINGS, () => 1))).toEqual([4_000, 8_000, 96_000]);
    for (let i = 0; i < 200; i++) {
      const d = probeDelayMs(i % 8, SETTINGS);
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(120_000);
    }
    // A cap below the first wait is no reason to probe faster than asked.
    expect(probeDelayMs(3, { initialMs: 5_000, maxMs: 1_000 }, none)).toBe(5_000);
  });

  it('probes at 5, 15, 35, 75, 155 and 275 s after the pause, logs the first failure and every fifth, and resumes once the relay answers', async () => {
    const clock = new ManualClock(START);
    const a = testApp({ clock });
    app = a;
    const id = await pausedCampaign(a, clock.now());
    const { log, lines } = capture();
    const probes: number[] = [];
    let answers = false;
    const recovery = new RelayRecovery({
      store: a.store, config: a.config, clock, log, relay: 'SMTP_URL', settings: SETTINGS, random: () => 0,
      probe: async () => {
        probes.push((clock.now().getTime() - new Date(START).getTime()) / 1000);
        if (!answers) throw new Error('connect ECONNREFUSED 127.0.0.1:2525');
      },
    });
    // The worker looks every second, as `pressline worker --interval 1` would.
    for (let s = 0; s < 280; s++) {
      const actions = await decideDue(a, clock.now(), new Set());
      recovery.poll(actions.flatMap((x) => (x.kind === 'awaiting-relay' ? [x.campaign] : [])));
      await settle(recovery);
      if (s === 200) answers = true;
      await clock.advance(1000);
    }
    expect(probes).toEqual([5, 15, 35, 75, 155, 275]);
    expect((await a.store.getCampaign(id))?.status).toBe('sending');
    expect((await a.store.getCampaign(id))?.pausedKind).toBeUndefined();

    const failures = lines.filter((l) => /still does not answer/.test(l.msg));
    expect(failures.map((l) => l.level)).toEqual([40, 20, 20, 20, 50]); // warn, debug ×3, error
    expect(failures[0]!.msg).toMatch(/campaign \d+ stay paused, next probe in 10 s/);
    const resumed = lines.filter((l) => /relay answers again/.test(l.msg));
    expect(resumed).toEqual([expect.objectContaining({ level: 40, msg: `relay answers again after 275 s: resuming campaign ${id}` })]);

    // Once nothing waits, nothing is probed, and the next outage starts from 5 s again.
    for (let s = 0; s < 30; s++) {
      recovery.poll([]);
      await clock.advance(1000);
    }
    expect(probes).toHaveLength(6);
    expect(recovery.msUntilNextProbe()).toBeUndefined();
  });

  it('a pause that survives a worker restart is probed at once by the new worker', async () => {
    const clock = new ManualClock(START);
    const a = testApp({ clock });
    app = a;
    const id = await pausedCampaign(a, clock.now());
    await clock.advance(600_000);
    const { log } = capture();
    let probes = 0;
    const recovery = new RelayRecovery({ store: a.store, config: a.config, clock, log, relay: 'SMTP_URL', settings: SETTINGS, random: () => 0, probe: async () => void probes++ });
    recovery.poll(await a.store.listCampaigns().then((cs) => cs.filter((c) => c.pausedKind === 'relay')));
    await settle(recovery);
    expect(probes).toBe(1);
    const c = await a.store.getCampaign(id);
    expect(c?.status).toBe('sending');
    const events = await a.store.events(id);
    expect(events.map((e) => e.detail)).toContain('sending: relay answers again after 600 s: resuming campaign 1');
  });

  it('of two workers whose probes both succeed, one resumes the campaign', async () => {
    const clock = new ManualClock(START);
    const a = testApp({ clock });
    app = a;
    const id = await pausedCampaign(a, clock.now());
    await clock.advance(10_000);
    const worker = () => {
      const { log, lines } = capture();
      return { lines, recovery: new RelayRecovery({ store: a.store, config: a.config, clock, log, relay: 'SMTP_URL', settings: SETTINGS, random: () => 0, probe: async () => undefined }) };
    };
    const one = worker();
    const two = worker();
    const waiting = (await a.store.listCampaigns()).filter((c) => c.pausedKind === 'relay');
    one.recovery.poll(waiting);
    two.recovery.poll(waiting);
    await Promise.all([settle(one.recovery), settle(two.recovery)]);
    const resumes = [...one.lines, ...two.lines].filter((l) => /resuming campaign/.test(l.msg));
    expect(resumes).toHaveLength(1);
    expect((await a.store.events(id)).filter((e) => e.detail?.startsWith('sending:'))).toHaveLength(1);
  });

  it('never resumes a campaign an operator paused, nor one paused under an interactive send', async () => {
    const clock = new ManualClock(START);
    const a = testApp({ clock });
    app = a;
    const relay = await pausedCampaign(a, clock.now());
    const held = await pausedCampaign(a, clock.now(), false);
    const operator = await a.store.createCampaign({ releaseFile: 'releases/eu-russia-summit.md', releaseTitle: 't', lists: [], where: [], test: false, status: 'sending', options: {} }, clock.now());
    expect(await pauseByOperator(a, operator, clock.now())).toBe('paused');
    // The operator takes the relay pause over before the relay comes back.
    expect(await pauseByOperator(a, relay, clock.now())).toBe('taken-over');
    expect(await pauseByOperator(a, relay, clock.now())).toBeUndefined();

    const { log } = capture();
    let probes = 0;
    const recovery = new RelayRecovery({ store: a.store, config: a.config, clock, log, relay: 'SMTP_URL', settings: SETTINGS, random: () => 0, probe: async () => void probes++ });
    for (let s = 0; s < 60; s++) {
      const actions = await decideDue(a, clock.now(), new Set());
      expect(actions).toEqual([]);
      recovery.poll(actions.flatMap((x) => (x.kind === 'awaiting-relay' ? [x.campaign] : [])));
      await settle(recovery);
      await clock.advance(1000);
    }
    expect(probes).toBe(0);
    for (const id of [relay, held, operator]) expect((await a.store.getCampaign(id))?.status).toBe('paused');
    expect((await a.store.getCampaign(relay))?.pausedKind).toBe('operator');
    expect((await a.store.getCampaign(held))?.pausedKind).toBe('relay-held');
    expect((await a.store.getCampaign(held))?.statusReason).toMatch(/^relay unreachable since 2026-12-01 10:00:00 UTC; continue with: pressline resume \d+ \(circuit breaker/);
  });
});
