/**
 * `npm run bench -- kill`: `kill -9` of a real `pressline send` at random instants, during
 * planning and during sending, then `pressline resume` until the campaign is done, on both stores.
 * Each trial checks, against a real SMTP server on loopback that counts every RCPT: no
 * recipient got two copies, every recipient ends `sent` or `unknown`, and the campaign was never
 * `done` while a delivery was still open. Prints the trials' counts, where the kills landed and
 * how long each took. `BENCH_KILL_TRIALS` (default 10 per store), `BENCH_KILL_ROWS`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { connectPostgresStore } from '../src/store/postgres/store.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import type { Store } from '../src/store/types.js';

const CLI = resolve('dist/src/cli/main.js');
const RELEASE = 'releases/eu-russia-summit.md';
const DATABASE_URL = process.env.PRESSLINE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A loopback SMTP server that accepts everything and counts each recipient's copies. */
async function countingServer(): Promise<{ url: string; copies: Map<string, number>; close(): Promise<void> }> {
  const copies = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      stream.on('data', () => {});
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) copies.set(r.address.toLowerCase(), (copies.get(r.address.toLowerCase()) ?? 0) + 1);
        done();
      });
    },
  });
  server.on('error', () => {}); // a killed client resets its connections: expected here
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, copies, close: () => new Promise((r) => server.close(() => r())) };
}

function run(args: string[], env: NodeJS.ProcessEnv): { kill(): void; exited: Promise<number | null>; output(): string } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { kill: () => child.kill('SIGKILL'), exited: new Promise((r) => child.on('exit', (code) => r(code))), output: () => out };
}

interface Trial {
  killedAtMs: number;
  /** What the store said right after the kill: no campaign yet, planning, or sending. */
  landed: 'before the campaign' | 'planning' | 'sending' | 'done';
  resumes: number;
  sent: number;
  unknown: number;
  duplicates: number;
  missing: number;
  seconds: number;
}

/**
 * One trial. `aim`: 'random' kills at a uniform instant in the first `spanMs`; 'planning' waits
 * until the campaign exists and is still planning, then kills within the next 300 ms.
 */
async function trial(kind: 'sqlite' | 'postgres', rows: number, every: number, spanMs: number, aim: 'random' | 'planning'): Promise<Trial> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'pressline-kill-'));
  const server = await countingServer();
  const schema = `bench_kill_${randomBytes(5).toString('hex')}`;
  let store: Store;
  const env: NodeJS.ProcessEnv = { ...process.env, SMTP_URL: server.url, PRESSLINE_SECRET: 'bench-secret', PRESSLINE_LOG_LEVEL: 'warn' };
  if (kind === 'sqlite') {
    env.PRESSLINE_DB = join(dir, 'p.db');
    delete env.DATABASE_URL;
    store = openSqliteStore(env.PRESSLINE_DB);
  } else {
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
    store = connectPostgresStore(DATABASE_URL, { schema, max: 2 });
  }
  const config = join(dir, 'pressline.json');
  writeFileSync(
    config,
    JSON.stringify({
      from: { name: 'Press Office', address: 'press@ngo.example.org' },
      paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'p.db') },
      rate: { global: 0, concurrency: 8, batchSize: 200 },
      smtp: { maxConnections: 4, maxMessagesPerConnection: 100_000 },
    }),
  );
  const list = join(dir, 'list.csv');
  const lines = ['Email,First Name,Last Name,Outlet,Beat,Language'];
  for (let i = 1; i <= rows; i++) lines.push(`j${i}@d${i % 40}.example,Jo${i},Doe,Daily,${i % every === 0 ? 'russia' : 'trade'},en`);
  writeFileSync(list, lines.join('\n') + '\n');
  const expected = Math.floor(rows / every);

  try {
    const started = performance.now();
    const send = run(['--config', config, 'send', RELEASE, '--list', list, '--where', 'beat=russia', '--yes'], env);
    let gone = false;
    void send.exited.then(() => (gone = true));
    if (aim === 'planning') {
      while (!gone && (await store.listCampaigns())[0]?.status !== 'planning') await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.random() * 300));
    } else {
      await Promise.race([send.exited, new Promise((r) => setTimeout(r, Math.random() * spanMs))]);
    }
    const killedAtMs = Math.round(performance.now() - started);
    send.kill();
    await send.exited;
    const campaign = (await store.listCampaigns())[0];
    const landed: Trial['landed'] = !campaign ? 'before the campaign' : campaign.status === 'planning' ? 'planning' : campaign.status === 'done' ? 'done' : 'sending';
    let resumes = 0;
    if (!campaign) {
      const again = run(['--config', config, 'send', RELEASE, '--list', list, '--where', 'beat=russia', '--yes'], env);
      if ((await again.exited) !== 0) throw new Error(`send after an early kill failed:\n${again.output()}`);
    }
    for (let c = (await store.listCampaigns())[0]; c && c.status !== 'done'; c = (await store.listCampaigns())[0]) {
      if (++resumes > 3) throw new Error(`campaign still ${c.status} after 3 resumes`);
      const resume = run(['--config', config, 'resume', String(c.id), '--yes'], env);
      const code = await resume.exited;
      // 1 is a finished run with unknown deliveries (in flight at the kill): expected here.
      if (code !== 0 && code !== 1) throw new Error(`resume exited ${code}:\n${resume.output()}`);
    }
    const id = (await store.listCampaigns())[0]!.id;
    const counts = await store.counts(id);
    if (counts.pending + counts.deferred + counts.sending > 0) throw new Error(`campaign done with open deliveries: ${JSON.stringify(counts)}`);
    const deliveries = await store.deliveries(id);
    const duplicates = [...server.copies.values()].filter((n) => n > 1).length;
    const missing = deliveries.filter((d) => d.status === 'sent' && server.copies.get(d.email) !== 1).length + (expected - deliveries.length);
    return { killedAtMs, landed, resumes, sent: counts.sent, unknown: counts.unknown, duplicates, missing, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await store.close();
    await server.close();
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchKill(): Promise<string[]> {
  const trials = Number(process.env.BENCH_KILL_TRIALS ?? 10);
  const rows = Number(process.env.BENCH_KILL_ROWS ?? 60_000);
  const every = 15; // 4,000 recipients among 60,000 rows: planning reads the whole list
  const out = [
    `kill -9 of \`pressline send\` (${rows} rows, ${Math.floor(rows / every)} recipients), every other trial while it plans, the rest at a random instant in its first 6 s;`,
    `then \`resume\` until done; ${trials} trials per store:`,
  ];
  for (const kind of ['sqlite', 'postgres'] as const) {
    const results: Trial[] = [];
    for (let i = 0; i < trials; i++) results.push(await trial(kind, rows, every, 6_000, i % 2 === 0 ? 'planning' : 'random'));
    const where = new Map<string, number>();
    for (const r of results) where.set(r.landed, (where.get(r.landed) ?? 0) + 1);
    const sum = (f: (t: Trial) => number) => results.reduce((n, t) => n + f(t), 0);
    out.push(
      `  ${kind.padEnd(8)} kills landed: ${[...where].map(([k, n]) => `${k} ${n}`).join(', ')}; duplicates ${sum((t) => t.duplicates)}, missing ${sum((t) => t.missing)}, ` +
        `sent ${sum((t) => t.sent)}, unknown ${sum((t) => t.unknown)} (in flight at a kill), resumes ${sum((t) => t.resumes)}, ${sum((t) => t.seconds).toFixed(0)} s`,
    );
    for (const r of results) out.push(`    at ${String(r.killedAtMs).padStart(4)} ms: ${r.landed.padEnd(19)} sent ${r.sent}, unknown ${r.unknown}, duplicates ${r.duplicates}, missing ${r.missing}`);
  }
  return out;
}
