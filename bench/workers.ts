/**
 * Issue 7: real `pressline worker` processes sharing one campaign through PostgreSQL, 1, 2 and 3
 * of them, against a counting SMTP sink on 127.0.0.1 with no rate limit; one SQLite worker for
 * comparison; and the store's own per-message cost (claim, durable mark, outcome) on each store.
 * Throughput is counted from the campaign's own events: first `sending` to last outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/time/clock.js';
import { validateConfig } from '../src/config/load.js';
import type { Contact } from '../src/lists/contact.js';
import { planSchedule, storeSchedule } from '../src/scheduler/schedule.js';
import { connectPostgresStore } from '../src/store/postgres/store.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import type { Store } from '../src/store/types.js';
import { startSinkChild, writeList } from './common.js';

const CLI = 'dist/src/cli/main.js';
const RELEASE = 'releases/eu-russia-summit.md';
const DATABASE_URL = process.env.PRESSLINE_BENCH_DATABASE_URL ?? process.env.PRESSLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface StoreHandle {
  store: Store;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

function pgStore(): StoreHandle {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const store = connectPostgresStore(DATABASE_URL, { schema, max: 4 });
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    store,
    env: { DATABASE_URL: url.toString() },
    async dispose() {
      await store.close();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    },
  };
}

function sqliteStore(dir: string): StoreHandle {
  const file = join(dir, 'bench.db');
  const store = openSqliteStore(file);
  return { store, env: { PRESSLINE_DB: file }, dispose: () => store.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Plans `n` recipients, starts `workers` worker processes, waits for `done`; msg/s from events. */
async function runWorkers(kind: 'postgres' | 'sqlite', workers: number, n: number, sinkUrl: string): Promise<{ perSecond: number; split: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-workers-'));
  const raw = {
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'bench.db') },
    rate: { global: 0, perDomain: 0, concurrency: 5, batchSize: 200 },
    smtp: { maxConnections: 5, maxMessagesPerConnection: 100_000 },
  };
  const configFile = join(dir, 'pressline.json');
  writeFileSync(configFile, JSON.stringify(raw));
  const config = validateConfig(raw, configFile);
  const handle = kind === 'postgres' ? pgStore() : sqliteStore(dir);
  const children: ChildProcess[] = [];
  try {
    const list = join(dir, 'list.csv');
    writeList(list, n);
    const app = { config, env: { smtpUrl: sinkUrl, databaseUrl: undefined, sqliteFile: undefined, secret: 'bench', dashboardToken: undefined }, store: handle.store, clock: systemClock, close: async () => {} };
    const plan = await planSchedule({ releaseFile: RELEASE, lists: [list], at: 'now', where: [], skipInvalid: false }, app);
    const [id] = await storeSchedule(plan, app);
    const env = { ...process.env, ...handle.env, SMTP_URL: sinkUrl, PRESSLINE_LOG_LEVEL: 'warn' };
    for (let w = 1; w <= workers; w++) {
      children.push(spawn(process.execPath, [CLI, '--config', configFile, 'worker', '--interval', '0.2', '--name', `w${w}`], { env, stdio: 'ignore' }));
    }
    const deadline = Date.now() + 900_000;
    while ((await handle.store.getCampaign(id!))?.status !== 'done') {
      if (Date.now() > deadline) throw new Error(`${kind} x${workers}: not done in 15 minutes`);
      await sleep(100);
    }
    const span = (await handle.store.eventSpan(id!, ['sending', 'sent']))!;
    const counts = await handle.store.counts(id!);
    if (counts.sent !== n) throw new Error(`${kind} x${workers}: sent ${counts.sent} of ${n}`);
    const byWorker = new Map<string, number>();
    for (const r of await handle.store.deliveries(id!)) byWorker.set(r.worker!.split('@')[0]!, (byWorker.get(r.worker!.split('@')[0]!) ?? 0) + 1);
    const split = [...byWorker].sort().map(([w, c]) => `${w} ${c}`).join(', ');
    return { perSecond: n / ((span.last.getTime() - span.first.getTime()) / 1000), split };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await handle.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function contact(i: number): Contact {
  const email = `j${i}@d${i % 50}.example`;
  return { email, key: email, domain: `d${i % 50}.example`, firstName: 'Jo', lastName: 'Doe', outlet: 'Daily', tags: [], language: 'en', country: '', timeZone: '', extra: {}, source: { file: 'list.csv', line: i + 2 } };
}

/**
 * The store's share of one message, as the sender uses it: claimed in batches of 200, marked
 * durably and settled in groups of 5 (a tick's worth at 5 connections), one after the other.
 */
async function storeCost(handle: StoreHandle, n: number): Promise<number> {
  const { store } = handle;
  const id = await store.createCampaign({ releaseFile: RELEASE, releaseTitle: 'bench', lists: [], where: [], test: false, status: 'sending', options: {} }, new Date());
  await store.addDeliveries(id, Array.from({ length: n }, (_, i) => contact(i)), 'pending', new Date());
  const started = performance.now();
  for (;;) {
    const batch = await store.claimBatch(id, 'bench', 200, new Date(), 60_000);
    if (batch.length === 0) break;
    for (let i = 0; i < batch.length; i += 5) {
      const group = batch.slice(i, i + 5);
      await store.writeBatch(group.map((d) => ({ deliveryId: d.id, messageId: `<b.${d.id}@x>`, worker: 'bench', relay: 'sink' })), [], new Date());
      await store.writeBatch(
        [],
        group.map((d) => ({ deliveryId: d.id, status: 'sent', at: new Date(), attempt: 1, code: 250, enhanced: '2.0.0', response: '250 2.0.0 Ok: queued', messageId: `<b.${d.id}@x>`, durationMs: 3 })),
        new Date(),
      );
    }
  }
  const usPerMessage = ((performance.now() - started) * 1000) / n;
  if ((await store.counts(id)).sent !== n) throw new Error('store cost: not every delivery was settled');
  return usPerMessage;
}

export async function benchWorkers(): Promise<string[]> {
  const n = Number(process.env.BENCH_WORKERS_N ?? 6000);
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-stores-'));
  const sink = await startSinkChild();
  const url = sink.url;
  const lines: string[] = [];
  try {
    lines.push(`${n} messages, worker processes sharing one campaign, counting SMTP sink on loopback, no rate limit, 5 connections each:`);
    const one = await runWorkers('postgres', 1, n, url);
    lines.push(`  PostgreSQL, 1 worker     ${one.perSecond.toFixed(0).padStart(5)} msg/s   (${one.split})`);
    for (const k of [2, 3]) {
      const r = await runWorkers('postgres', k, n, url);
      lines.push(`  PostgreSQL, ${k} workers    ${r.perSecond.toFixed(0).padStart(5)} msg/s   ${(r.perSecond / one.perSecond).toFixed(2)}x of 1 worker   (${r.split})`);
    }
    const lite = await runWorkers('sqlite', 1, n, url);
    lines.push(`  SQLite, 1 worker         ${lite.perSecond.toFixed(0).padStart(5)} msg/s   PostgreSQL / SQLite ${(one.perSecond / lite.perSecond).toFixed(2)}x`);

    const m = Math.min(n, 5000);
    const liteDir = mkdtempSync(join(dir, 'store-'));
    const costs: Record<string, number> = {};
    for (const [name, make] of [['SQLite', () => sqliteStore(liteDir)], ['PostgreSQL', pgStore]] as const) {
      const h = make();
      try {
        costs[name] = await storeCost(h, m);
      } finally {
        await h.dispose();
      }
    }
    lines.push(`store cost per message (claim in 200s, durable mark + outcome in groups of 5, ${m} messages, one process):`);
    lines.push(`  SQLite ${costs.SQLite!.toFixed(0)} µs   PostgreSQL ${costs.PostgreSQL!.toFixed(0)} µs   ratio ${(costs.PostgreSQL! / costs.SQLite!).toFixed(2)}x`);
    return lines;
  } finally {
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
