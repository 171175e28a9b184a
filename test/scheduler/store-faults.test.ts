// Issue 13 (3): `pressline worker` processes outlive their PostgreSQL store going away. Their
// connections go through a TCP proxy the test starts (never the shared server itself), which
// cuts them and refuses or blackholes new ones for a while. Real processes, real PostgreSQL, the
// scripted SMTP server. Runs in the PRESSLINE_TEST_STORE=postgres pass.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { journalists, TEST_DATABASE_URL, TEST_STORE, testApp, type TestApp } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { closeAll } from '../helpers/close.js';

const CLI = resolve('dist/src/cli/main.js');
let app: TestApp | undefined;
let proxy: TcpProxy | undefined;
let smtp: TestSmtpServer | undefined;
const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await closeAll(proxy, smtp, app);
  app = proxy = smtp = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A test app on PostgreSQL, a proxy in front of its server, and a config file for the CLI. */
async function setUp(raw: Record<string, unknown>) {
  const a = testApp({ config: raw });
  app = a;
  await a.store.listCampaigns(); // the schema exists once its migrations ran
  const direct = new URL(a.storeEnv.DATABASE_URL!);
  const p = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  proxy = p;
  const viaProxy = new URL(direct);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(p.port);
  const configFile = join(a.dir, 'pressline.json');
  writeFileSync(configFile, JSON.stringify({ ...raw, paths: a.config.paths }));
  return { a, p, configFile, databaseUrl: viaProxy.toString() };
}

function startWorker(name: string, configFile: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, '--config', configFile, 'worker', '--interval', '0.3', '--name', name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
  return { name, child, exited, output: () => out, lines, running: () => child.exitCode === null && child.signalCode === null };
}

async function waitFor(what: string, ready: () => boolean | Promise<boolean>, ms: number, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

describe.skipIf(TEST_STORE !== 'postgres')('workers and a PostgreSQL outage', () => {
  it('an idle worker whose database refuses connections for 4 s keeps running (one started meanwhile waits), then they send what is scheduled after', async () => {
    smtp = await startTestSmtp();
    const { a, p, configFile, databaseUrl } = await setUp({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, rate: { global: 0, concurrency: 2 } });
    const env = { ...process.env, DATABASE_URL: databaseUrl, PRESSLINE_DB: '', SMTP_URL: smtp.url, PRESSLINE_LOG_LEVEL: 'info' };
    const worker = startWorker('idle', configFile, env);
    await waitFor('the worker to start', () => /worker started/.test(worker.output()), 20_000, worker.output);
    await sleep(700); // a few polls on live connections, so there are some to cut

    const outage = p.outage(4000, 'refuse');
    // A worker started while the database is away waits for it instead of exiting.
    await sleep(500);
    const late = startWorker('late', configFile, env);
    await outage;
    const both = () => `--- idle (exit ${worker.child.exitCode})\n${worker.output()}\n--- late (exit ${late.child.exitCode})\n${late.output()}`;
    expect(worker.running(), both()).toBe(true);
    expect(late.running(), both()).toBe(true);
    await waitFor('the late worker to start', () => /worker started/.test(late.output()), 30_000, late.output);
    expect(late.lines().filter((l) => l.level === 40).map((l) => l.msg).some((m) => /cannot open the store yet/.test(m)), late.output()).toBe(true);

    const plan = await planSchedule({ releaseFile: 'releases/eu-russia-summit.md', lists: [a.list(journalists(20))], at: 'now', where: [], skipInvalid: false }, a);
    const [id] = await storeSchedule(plan, a);
    await waitFor('the campaign to be done', async () => (await a.store.getCampaign(id!))?.status === 'done', 30_000, worker.output);
    for (let i = 1; i <= 20; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);

    // The idle worker may still be in its backoff when the other one has sent everything.
    await waitFor('the idle worker to find the store again', () => /store reachable again after \d+ s/.test(worker.output()), 30_000, both);
    const warns = worker.lines().filter((l) => l.level === 40).map((l) => l.msg);
    expect(warns.some((m) => /store unreachable or busy/.test(m)), both()).toBe(true);
    expect(worker.running(), both()).toBe(true);
    for (const w of [worker, late]) w.child.kill('SIGTERM');
    for (const w of [worker, late]) expect((await w.exited).code, both()).toBe(0);
  }, 60_000);

  it('three workers sending 5,000 while their connections are terminated, then the database is gone for 10 s: all keep running, the campaign finishes, nobody gets two copies', async () => {
    smtp = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 2 : 0) });
    const raw = {
      from: { name: 'Press Office', address: 'press@ngo.example.org' },
      rate: { global: '400/s', perDomain: 0, concurrency: 4, batchSize: 100 },
      smtp: { maxConnections: 4, maxMessagesPerConnection: 10_000, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 5000 },
      retry: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 200, maxAgeMs: 60_000 },
      worker: { leaseMs: 3000 },
    };
    const { a, p, configFile, databaseUrl } = await setUp(raw);
    const domains = ['one.example', 'two.example', 'three.example', 'four.example'];
    const rows = Array.from({ length: 5000 }, (_, i) => journalists(1, domains[i % 4], i + 1)[0]!);
    const plan = await planSchedule({ releaseFile: 'releases/eu-russia-summit.md', lists: [a.list(rows)], at: 'now', where: [], skipInvalid: false }, a);
    const [id] = await storeSchedule(plan, a);
    expect(plan.phases[0]!.plan.recipients).toBe(5000);

    const env = { ...process.env, DATABASE_URL: databaseUrl, PRESSLINE_DB: '', SMTP_URL: smtp.url, PRESSLINE_LOG_LEVEL: 'info' };
    const t0 = Date.now();
    const workers = ['w1', 'w2', 'w3'].map((n) => startWorker(n, configFile, env));
    const outputs = () => workers.map((w) => `--- ${w.name}\n${w.output().slice(-3000)}`).join('\n');
    await waitFor('500 messages', () => smtp!.messages.length >= 500, 60_000, outputs);

    // First what a server restart does to each connection (57P01, to these workers' connections
    // only), then 10 s without a database: every connection reset, 5 s refused, 5 s unanswered.
    const atCut = smtp.messages.length;
    const tCut = Date.now();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [p.upstreamPorts()]);
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await sleep(1000);
    await p.outage(5000, 'refuse');
    await p.outage(5000, 'blackhole');
    const tBack = Date.now();
    for (const w of workers) expect(w.running(), w.output()).toBe(true);
    expect(smtp.messages.length).toBeLessThan(5000); // the outage came mid-send

    await waitFor('the campaign to be done', async () => (await a.store.getCampaign(id!))?.status === 'done', 90_000, outputs);
    for (const w of workers) expect(w.running(), w.output()).toBe(true);

    // Nobody twice; everybody sent, or unknown because the outage hid whether it went.
    const arrivals = new Map<string, number>();
    for (const m of smtp.messages) for (const r of m.rcpts) arrivals.set(r, (arrivals.get(r) ?? 0) + 1);
    expect([...arrivals].filter(([, n]) => n > 1)).toEqual([]);
    const report = await a.store.deliveries(id!);
    expect(report).toHaveLength(5000);
    const counts = (await a.store.counts(id!));
    expect(counts.sent + counts.unknown, JSON.stringify(counts)).toBe(5000);
    for (const r of report) if (r.status === 'sent') expect(arrivals.get(r.email), r.email).toBe(1);
    console.log(`store outage: ${atCut} received before the cut (${tCut - t0} ms after start); outage ${tBack - tCut} ms; done ${Date.now() - tBack} ms after; sent ${counts.sent}, unknown ${counts.unknown}; ${smtp.messages.length} at the relay`);

    for (const w of workers) {
      const tally = new Map<string, number>();
      for (const l of w.lines().filter((x) => x.level >= 40)) {
        const key = `${l.level} ${l.msg.slice(0, 60)}${l.level >= 50 ? ` (${String((l as { err?: unknown }).err).slice(0, 120)})` : ''}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      console.log(`${w.name}: ${JSON.stringify(Object.fromEntries(tally))}`);
    }
    // Each worker said so at warn, and said when the store was back.
    for (const w of workers) {
      await waitFor(`${w.name} to find the store again`, () => /store reachable again after \d+ s/.test(w.output()), 30_000, outputs);
      const warns = w.lines().filter((l) => l.level === 40).map((l) => l.msg);
      expect(warns.some((m) => /store unreachable or busy|may or may not have been applied/.test(m)), w.output()).toBe(true);
      expect(warns.some((m) => /store reachable again after \d+ s/.test(m)), w.output()).toBe(true);
    }
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect((await w.exited).code, w.output().slice(-3000)).toBe(0);
  }, 150_000);
});
