// Issue 13 (4): a relay outage under a running `pressline worker` pauses the campaign, and the
// worker resumes it by itself when the relay is back; an interactive send and an operator's pause
// keep waiting for a person. Real processes from dist/, the scripted SMTP server on one loopback
// port (closed to refuse connections, then started again on the same port), real store.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { EXAMPLE_RELEASE, journalists, testApp, type TestApp } from '../helpers/app.js';
import { killCliProcesses, startCli } from '../helpers/cli-process.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { closeAll } from '../helpers/close.js';
import { startServer } from '../fixtures/webhooks/harness.js';

const RECIPIENTS = 300;
const OUTAGE_MS = 20_000;
const UTC_SECOND = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;

let app: TestApp | undefined;
const servers: TestSmtpServer[] = [];
afterEach(async () => {
  killCliProcesses();
  await closeAll(...servers.splice(0), app);
  app = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(args: string[], config: string, env: NodeJS.ProcessEnv) {
  const p = startCli(config, args, env);
  return { ...p, exited: p.exited.then((e) => e.code) };
}

/** The worker's JSON log lines at warn (40) or above. */
function loud(output: string): { level: number; msg: string }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.level >= 40);
}

/** An app, its config file for the CLI, and a list of `count` journalists. */
function setup(count: number, extra: Record<string, unknown> = {}) {
  const raw = {
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    rate: { global: '60/s', perDomain: 0, concurrency: 4, batchSize: 50 },
    smtp: { maxConnections: 2, connectionTimeoutMs: 2000, greetingTimeoutMs: 2000, socketTimeoutMs: 5000 },
    retry: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1000, maxAgeMs: 600_000 },
    breaker: { probeInitialMs: 1000, probeMaxMs: 4000 },
    worker: { leaseMs: 3000 },
    ...extra,
  };
  const a = testApp({ config: raw });
  app = a;
  const config = join(a.dir, 'pressline.json');
  writeFileSync(config, JSON.stringify({ ...raw, paths: a.config.paths }));
  const list = a.list(journalists(count));
  return { a, config, list };
}

async function schedule(a: TestApp, list: string): Promise<number> {
  const plan = await planSchedule({ releaseFile: EXAMPLE_RELEASE, lists: [list], at: 'now', where: [], skipInvalid: false }, a);
  const [id] = await storeSchedule(plan, a);
  return id!;
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms: number, context: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context().slice(-3000)}`);
    await sleep(100);
  }
}

describe('relay outage under a worker', () => {
  it('20 s with the relay refusing connections mid-send: two workers pause, probe, one resumes, both rejoin, and the campaign finishes by itself with no duplicates', async () => {
    const { a, config, list } = setup(RECIPIENTS);
    const first = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 10 : 0) });
    servers.push(first);
    const port = first.port;
    const id = await schedule(a, list);
    const env = { ...process.env, ...a.storeEnv, SMTP_URL: first.url, PRESSLINE_LOG_LEVEL: 'info' };
    const workers = [run(['worker', '--interval', '0.3', '--name', 'w1'], config, env), run(['worker', '--interval', '0.3', '--name', 'w2'], config, env)];
    const logs = () => workers.map((w) => w.output()).join('\n');
    const worker = { output: logs };

    await waitFor('100 messages before the cut', () => first.messages.length >= 100, 30_000, worker.output);
    const cutAt = Date.now();
    await first.close(); // nothing listens on the port now: connections are refused

    // The campaign pauses for the relay, and says so wherever people look.
    await waitFor('the relay pause', async () => (await a.store.getCampaign(id))?.pausedKind === 'relay', 15_000, worker.output);
    const paused = (await a.store.getCampaign(id))!;
    expect(paused.status).toBe('paused');
    expect(paused.statusReason).toMatch(new RegExp(`^relay unreachable since ${UTC_SECOND.source}; workers resume it when the relay answers \\(circuit breaker: \\d+ connection failures in a row`));
    const listing = run(['campaigns', '--json'], config, env);
    expect(await listing.exited, listing.output()).toBe(0);
    const shown = (JSON.parse(listing.stdout()) as { id: number; status: string; statusReason: string; pausedKind: string }[]).find((c) => c.id === id)!;
    expect(shown).toMatchObject({ status: 'paused', pausedKind: 'relay' });
    expect(shown.statusReason).toMatch(/^relay unreachable since /);
    const scheduleList = run(['schedule', 'list'], config, env);
    expect(await scheduleList.exited, scheduleList.output()).toBe(0);
    expect(scheduleList.stdout()).toMatch(new RegExp(`paused: relay unreachable since ${UTC_SECOND.source}`));
    // Still paused (the relay is still down) while the worker probes.
    await waitFor('a failed probe in the log', () => /still does not answer/.test(worker.output()), 15_000, worker.output);

    await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
    expect((await a.store.getCampaign(id))?.status).toBe('paused');
    const second = await startTestSmtp({ port, delayMs: (phase) => (phase === 'data' ? 10 : 0) });
    servers.push(second);
    const backAt = Date.now();

    await waitFor('the campaign to finish', async () => (await a.store.getCampaign(id))?.status === 'done', 40_000, worker.output);
    const finishedAt = Date.now();
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect(await w.exited, w.output().slice(-2000)).toBe(0);

    // Every recipient sent (or unknown: in flight at the cut), none twice at the relay.
    const report = await a.store.deliveries(id);
    expect(report).toHaveLength(RECIPIENTS);
    const sent = report.filter((r) => r.status === 'sent');
    const unknown = report.filter((r) => r.status === 'unknown');
    expect(sent.length + unknown.length).toBe(RECIPIENTS);
    expect(unknown.length).toBeLessThanOrEqual(4);
    const arrivals = new Map<string, number>();
    for (const m of [...first.messages, ...second.messages]) for (const r of m.rcpts) arrivals.set(r, (arrivals.get(r) ?? 0) + 1);
    expect([...arrivals].filter(([, n]) => n > 1)).toEqual([]);
    for (const r of sent) expect(arrivals.get(r.email), r.email).toBe(1);
    expect(second.messages.length).toBeGreaterThan(0);
    // Both workers rejoined after the resume: each sent some of what arrived after the outage.
    const byEmail = new Map(report.map((r) => [r.email, r]));
    const after = new Set(second.messages.flatMap((m) => m.rcpts).map((r) => byEmail.get(r)?.worker?.split('@')[0]));
    expect([...after].sort()).toEqual(['w1', 'w2']);

    // The log tells the story at warn/error: the pause, the failed probes, the recovery (once).
    const lines = loud(logs());
    expect(lines.some((l) => l.level === 40 && /^campaign \d+ paused for relay trouble: circuit breaker/.test(l.msg))).toBe(true);
    for (const w of workers) {
      expect(loud(w.output()).some((l) => l.level >= 40 && /^campaign \d+ paused/.test(l.msg))).toBe(true);
      expect(loud(w.output()).some((l) => l.level >= 40 && /^relay SMTP_URL still does not answer \(1 failed probe since/.test(l.msg))).toBe(true);
      // Probes back off to 4 s: the failed-probe lines are a handful, not one per poll.
      expect(loud(w.output()).filter((l) => /still does not answer/.test(l.msg)).length).toBeLessThanOrEqual(4);
    }
    const recovered = lines.filter((l) => /^relay answers again after \d+ s: resuming campaign/.test(l.msg));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.level).toBe(40);
    expect((await a.store.events(id)).filter((e) => e.type === 'campaign' && e.detail?.startsWith('sending: relay answers again'))).toHaveLength(1);
    const pausedFor = Number(/after (\d+) s/.exec(recovered[0]!.msg)![1]);
    console.log(`relay outage: paused ${pausedFor} s, resumed ${((finishedAt - backAt) / 1000).toFixed(1)} s after the relay came back until done; ${first.messages.length} before the cut, ${second.messages.length} after; unknown ${unknown.length}`);
  }, 90_000);

  it('an operator who pauses a campaign waiting for the relay keeps it: the worker does not resume it when the relay is back', async () => {
    const { a, config, list } = setup(200);
    const first = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 10 : 0) });
    servers.push(first);
    const id = await schedule(a, list);
    const env = { ...process.env, ...a.storeEnv, SMTP_URL: first.url, PRESSLINE_LOG_LEVEL: 'info' };
    const worker = run(['worker', '--interval', '0.3'], config, env);
    await waitFor('some messages', () => first.messages.length >= 20, 30_000, worker.output);
    await first.close();
    await waitFor('a failed probe', () => /still does not answer/.test(worker.output()), 20_000, worker.output);

    const pause = run(['pause', String(id)], config, env);
    expect(await pause.exited, pause.output()).toBe(0);
    expect(pause.stdout()).toMatch(/it is now yours: workers will not resume it/);
    expect(await a.store.getCampaign(id)).toMatchObject({ status: 'paused', pausedKind: 'operator', statusReason: 'paused by an operator' });

    const second = await startTestSmtp({ port: first.port });
    servers.push(second);
    await sleep(6000); // beyond the 4 s probe cap, plus several looks at the store
    expect(await a.store.getCampaign(id)).toMatchObject({ status: 'paused', pausedKind: 'operator' });
    expect(second.messages).toHaveLength(0);
    expect(worker.output()).not.toMatch(/resuming campaign/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 60_000);
});

describe('relay outage under an interactive send', () => {
  it('pauses as before, with "continue with: pressline resume", and no worker resumes it', async () => {
    const { a, config, list } = setup(20);
    const dead = await startTestSmtp();
    await dead.close(); // a port where nothing listens
    const env = { ...process.env, ...a.storeEnv, SMTP_URL: dead.url, PRESSLINE_LOG_LEVEL: 'info' };
    const send = run(['send', EXAMPLE_RELEASE, '--list', list, '--yes'], config, env);
    expect(await send.exited, send.output()).toBe(1);
    expect(send.stdout()).toMatch(/Campaign 1: paused \(circuit breaker: 5 connection failures in a row/);
    expect(send.stdout()).toMatch(/continue with: pressline resume 1/);
    const c = (await a.store.getCampaign(1))!;
    expect(c).toMatchObject({ status: 'paused', pausedKind: 'relay-held' });
    expect(c.statusReason).toMatch(new RegExp(`^relay unreachable since ${UTC_SECOND.source}; continue with: pressline resume 1 \\(circuit breaker`));

    const listing = run(['campaigns'], config, env);
    expect(await listing.exited, listing.output()).toBe(0);
    expect(listing.stdout()).toMatch(new RegExp(`campaign 1 paused: relay unreachable since ${UTC_SECOND.source}`));

    // The dashboard says the same, on the overview and in its live feed.
    const web = await startServer(a);
    try {
      const page = await (await fetch(`${web.url}/`)).text();
      expect(page).toMatch(new RegExp(`data-field="paused">relay unreachable since ${UTC_SECOND.source}<`));
      const live = (await (await fetch(`${web.url}/api/campaigns`)).json()) as { campaigns: { id: number; paused: string | null }[] };
      expect(live.campaigns.find((x) => x.id === 1)?.paused).toMatch(/^relay unreachable since /);
    } finally {
      await web.close();
    }

    // A worker that finds it leaves it for the person who ran the send.
    const relay = await startTestSmtp({ port: dead.port });
    servers.push(relay);
    const worker = run(['worker', '--once'], config, env);
    expect(await worker.exited, worker.output()).toBe(0);
    expect((await a.store.getCampaign(1))?.status).toBe('paused');
    expect(relay.messages).toHaveLength(0);
  }, 60_000);
});
