// Issue 7: several `pressline worker` processes share one campaign through the store (SQLite file
// under `npm test`, PostgreSQL under `npm run test:pg`), each through its own relay, and one is
// killed with SIGKILL mid-run. Real processes, real SMTP servers on loopback, real store.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { CLI, killCliProcesses, startCli } from '../helpers/cli-process.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { maxInWindow } from '../helpers/windows.js';
import { closeAll } from '../helpers/close.js';


const GLOBAL_PER_SECOND = 200;
const SLOW_PER_SECOND = 16;

let app: TestApp | undefined;
const servers: TestSmtpServer[] = [];
afterEach(async () => {
  killCliProcesses();
  await closeAll(...servers.splice(0), app);
  app = undefined;
});

function startWorker(name: string, relay: string, config: string, env: NodeJS.ProcessEnv) {
  return { name, ...startCli(config, ['worker', '--interval', '0.3', '--name', name, '--relay', relay], env) };
}

describe('several workers on one campaign', () => {
  it('three workers, 5,000 recipients, one SIGKILLed: no duplicates, everyone accounted for, ceilings held together', async () => {
    // Two relays (two servers), so the report's relay column can be checked against where each
    // message really arrived. A short DATA delay keeps messages in flight when the kill comes.
    const relayA = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 4 : 0) });
    const relayB = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 4 : 0) });
    servers.push(relayA, relayB);
    const raw = {
      from: { name: 'Press Office', address: 'press@ngo.example.org' },
      rate: { global: `${GLOBAL_PER_SECOND}/s`, perDomain: 0, domains: { 'slow.example': `${SLOW_PER_SECOND}/s` }, concurrency: 4, batchSize: 100 },
      smtp: { maxConnections: 4, maxMessagesPerConnection: 10_000, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 5000 },
      retry: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 200, maxAgeMs: 60_000 },
      relays: { a: { urlEnv: 'SMTP_URL_A' }, b: { urlEnv: 'SMTP_URL_B' } },
      worker: { leaseMs: 3000 },
    };
    const a = testApp({ config: raw });
    app = a;
    const configFile = join(a.dir, 'pressline.json');
    writeFileSync(configFile, JSON.stringify({ ...raw, paths: a.config.paths }));
    // 400 at the throttled domain, spread through the list among 4,600 at four others.
    const domains = ['one.example', 'two.example', 'three.example', 'four.example'];
    const rows = Array.from({ length: 5000 }, (_, i) => journalists(1, i % 25 < 2 ? 'slow.example' : domains[i % 4], i + 1)[0]!);
    const list = a.list(rows);
    const plan = await planSchedule({ releaseFile: 'releases/eu-russia-summit.md', lists: [list], at: 'now', where: [], skipInvalid: false }, a);
    const [id] = await storeSchedule(plan, a);
    expect(plan.phases[0]!.plan.recipients).toBe(5000);

    const env = { ...process.env, ...a.storeEnv, SMTP_URL: '', SMTP_URL_A: relayA.url, SMTP_URL_B: relayB.url, PRESSLINE_LOG_LEVEL: 'info' };
    const workers = [startWorker('w1', 'a', configFile, env), startWorker('w2', 'a', configFile, env), startWorker('w3', 'b', configFile, env)];
    const received = () => relayA.messages.length + relayB.messages.length;
    const deadline = Date.now() + 150_000;
    while (received() < 1500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const victim = workers[1]!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });

    for (;;) {
      const c = await a.store.getCampaign(id!);
      if (c?.status === 'done') break;
      if (Date.now() > deadline) throw new Error(`campaign still ${c?.status} with ${JSON.stringify(await a.store.counts(id!))}\n${workers.map((w) => w.output().slice(-2000)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const w of [workers[0]!, workers[2]!]) w.child.kill('SIGTERM');
    for (const w of [workers[0]!, workers[2]!]) expect((await w.exited).code, w.output().slice(-2000)).toBe(0);
    // The survivors never failed a run (a deadlock or a lost write would show here first).
    for (const w of [workers[0]!, workers[2]!]) expect(w.output().split('\n').filter((l) => /"level":50/.test(l))).toEqual([]);

    // Everyone accounted for: sent, or unknown because it was in flight in the killed worker.
    const report = await a.store.deliveries(id!);
    expect(report).toHaveLength(5000);
    const sent = report.filter((r) => r.status === 'sent');
    const unknown = report.filter((r) => r.status === 'unknown');
    expect(sent.length + unknown.length).toBe(5000);
    // At most what the killed worker had in flight: its 4 concurrent messages, and replies it had
    // received whose outcome was not yet committed (those are in flight as far as the store knows).
    expect(unknown.length).toBeLessThanOrEqual(8);
    for (const r of unknown) expect(r.worker).toMatch(/^w2@/);

    // No duplicates at either relay; each sent message arrived once, at the relay the report names.
    const arrivals = new Map<string, string[]>();
    for (const [relay, server] of [['a', relayA], ['b', relayB]] as const) {
      for (const m of server.messages) for (const rcpt of m.rcpts) arrivals.set(rcpt, [...(arrivals.get(rcpt) ?? []), relay]);
    }
    expect([...arrivals.values()].filter((v) => v.length > 1)).toEqual([]);
    for (const r of sent) {
      expect(arrivals.get(r.email), r.email).toEqual([r.relay!.split(' ')[0]]);
    }
    for (const r of unknown) expect((arrivals.get(r.email) ?? []).length).toBeLessThanOrEqual(1);

    // All three workers sent part of it, each through its own relay.
    const sentBy = new Map<string, Set<string>>();
    for (const r of report) {
      const name = r.worker!.split('@')[0]!;
      sentBy.set(name, (sentBy.get(name) ?? new Set()).add(r.relay!.split(' ')[0]!));
    }
    expect(Object.fromEntries([...sentBy].map(([w, relays]) => [w, [...relays]]))).toEqual({ w1: ['a'], w2: ['a'], w3: ['b'] });

    // The ceilings held for all workers together, as the relays saw it (every RCPT, both relays).
    const rcpts = [...relayA.rcptLog, ...relayB.rcptLog];
    expect(maxInWindow(rcpts.map((e) => e.at), 1000)).toBeLessThanOrEqual(GLOBAL_PER_SECOND);
    expect(maxInWindow(rcpts.filter((e) => e.rcpt.endsWith('@slow.example')).map((e) => e.at), 1000)).toBeLessThanOrEqual(SLOW_PER_SECOND);
    // …and were actually used: a limit that is never approached tests nothing.
    expect(maxInWindow(rcpts.map((e) => e.at), 1000)).toBeGreaterThan(GLOBAL_PER_SECOND / 2);

    // The report says who sent each message through which relay.
    const json = await new Promise<string>((done, fail) => {
      const c = spawn(process.execPath, [CLI, '--config', configFile, 'report', String(id), '--format', 'json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`report exited ${code}`))));
    });
    const entries = JSON.parse(json) as { email: string; worker: string; relay: string }[];
    const first = report.find((r) => r.status === 'sent')!;
    expect(entries.find((e) => e.email === first.email)).toMatchObject({ worker: first.worker, relay: `${first.relay!.split(' ')[0]} ${first.relay!.split(' ')[0] === 'a' ? relayA.url : relayB.url}` });
  }, 180_000);
});
