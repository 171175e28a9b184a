// Issue 13 (3): a `pressline worker` on SQLite whose database another connection keeps locked
// for longer than its busy timeouts (SQLITE_BUSY) waits it out: it neither exits nor fails its
// run, says so at warn, and finishes the campaign with every message sent once.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { journalists, TEST_STORE } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';

const CLI = resolve('dist/src/cli/main.js');
let dir: string | undefined;
let smtp: TestSmtpServer | undefined;
const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await smtp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = smtp = undefined;
});

function start(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
  return { child, exited, output: () => out, lines, running: () => child.exitCode === null && child.signalCode === null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(TEST_STORE === 'postgres')('a worker and a locked SQLite database', () => {
  it('waits out another connection holding an exclusive lock for 12 s mid-send: no exit, no failed run, everyone sent once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pressline-busy-'));
    smtp = await startTestSmtp();
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'P', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: '25/s', concurrency: 2 } }));
    const list = join(dir, 'list.csv');
    writeFileSync(list, ['Email,First Name,Last Name,Outlet,Beat,Language', ...journalists(300)].join('\n'));
    const db = join(dir, 'p.db');
    const env = { ...process.env, SMTP_URL: smtp.url, PRESSLINE_DB: db, DATABASE_URL: '', PRESSLINE_LOG_LEVEL: 'info' };

    const scheduled = start(['--config', config, 'schedule', 'releases/eu-russia-summit.md', '--list', list, '--at', 'now', '--yes'], env);
    expect(await scheduled.exited, scheduled.output()).toBe(0);
    const worker = start(['--config', config, 'worker', '--interval', '0.3'], env);
    const deadline = Date.now() + 40_000;
    while (smtp.messages.length < 50) {
      if (Date.now() > deadline || !worker.running()) throw new Error(`worker did not get going\n${worker.output()}`);
      await sleep(50);
    }

    // Longer than both busy timeouts (5 s on the main connection, 10 s on the writer thread).
    const holder = new Database(db);
    holder.exec('BEGIN EXCLUSIVE');
    const atLock = smtp.messages.length;
    await sleep(12_000);
    holder.exec('ROLLBACK');
    holder.close();
    expect(worker.running(), worker.output()).toBe(true);
    expect(smtp.messages.length).toBeLessThan(300); // the lock came mid-send

    const store = openSqliteStore(db);
    try {
      while ((await store.getCampaign(1))?.status !== 'done') {
        if (Date.now() > deadline + 30_000 || !worker.running()) throw new Error(`campaign not done\n${worker.output()}`);
        await sleep(200);
      }
      expect((await store.counts(1)).sent).toBe(300);
    } finally {
      await store.close();
    }
    for (let i = 1; i <= 300; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);
    console.log(`sqlite busy: ${atLock} sent before the lock, ${smtp.messages.length} in all`);

    const lines = worker.lines();
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg), worker.output()).toEqual([]);
    const warns = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warns.some((m) => /store unreachable or busy/.test(m)), worker.output()).toBe(true);
    expect(warns.some((m) => /store reachable again/.test(m)), worker.output()).toBe(true);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output()).toBe(0);
  }, 90_000);
});
