import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { journalists } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';

const CLI = resolve('dist/src/cli/main.js');
let dir: string;
let smtp: TestSmtpServer;
afterEach(async () => {
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

describe('pressline worker as a process', () => {
  it('stops cleanly on SIGTERM mid-campaign, and the next worker finishes it without duplicates', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pressline-worker-'));
    smtp = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 40 : 0) });
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'P', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0, concurrency: 2 } }));
    const list = join(dir, 'list.csv');
    writeFileSync(list, ['Email,First Name,Last Name,Outlet,Beat,Language', ...journalists(60)].join('\n'));
    const env = { ...process.env, SMTP_URL: smtp.url, PRESSLINE_DB: join(dir, 'p.db'), PRESSLINE_LOG_LEVEL: 'info' };

    const scheduled = start(['--config', config, 'schedule', 'releases/eu-russia-summit.md', '--list', list, '--at', 'now', '--yes'], env);
    expect(await scheduled.exited, scheduled.output()).toBe(0);

    const first = start(['--config', config, 'worker', '--interval', '0.2'], env);
    while (smtp.messages.length < 10) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toMatch(/worker stopped/);
    const atStop = smtp.messages.length;
    expect(atStop).toBeLessThan(60);

    const store = openSqliteStore(join(dir, 'p.db'));
    try {
      const campaign = await store.getCampaign(1);
      expect(campaign?.status).toBe('sending'); // interrupted for the next worker, not paused
      expect((await store.counts(1)).sending).toBe(0); // in-flight messages finished before exit

      const second = start(['--config', config, 'worker', '--once'], env);
      expect(await second.exited, second.output()).toBe(0);
      expect((await store.getCampaign(1))?.status).toBe('done');
      expect((await store.counts(1)).sent).toBe(60);
      for (let i = 1; i <= 60; i++) expect(smtp.deliveredTo(`j${i}@news.example`)).toBe(1);
    } finally {
      await store.close();
    }
  }, 60_000);
});
