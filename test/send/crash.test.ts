import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { journalists } from '../helpers/app.js';

const CLI = resolve('dist/src/cli/main.js');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}
let dir: string;
let smtp: TestSmtpServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-crash-'));
  // Slow enough that the kill lands mid-campaign with messages in flight.
  smtp = await startTestSmtp({ delayMs: (phase) => (phase === 'data' ? 15 : 0) });
});
afterAll(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('survives SIGKILL mid-campaign: resume sends nobody twice and accounts for everyone', async () => {
    const N = 200;
    const list = join(dir, 'list.csv');
    writeFileSync(list, ['Email,First Name,Last Name,Outlet,Beat,Language', ...journalists(N)].join('\n'));
    const config = join(dir, 'pressline.json');
    writeFileSync(
      config,
      JSON.stringify({
        from: { name: 'Press Office', address: 'press@ngo.example.org' },
        paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'unused.db') },
        rate: { global: 0, concurrency: 4 },
      }),
    );
    const db = join(dir, 'pressline.db');
    const env = { ...process.env, SMTP_URL: smtp.url, PRESSLINE_DB: db, PRESSLINE_SECRET: 'crash-test-secret' };

    const child = spawn(process.execPath, [CLI, '--config', config, 'send', 'releases/eu-russia-summit.md', '--list', list, '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(signal ? -1 : code)));
    const deadline = Date.now() + 20_000;
    while (smtp.messages.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(smtp.messages.length, stderr).toBeGreaterThanOrEqual(40);
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    const atKill = smtp.messages.length;
    expect(atKill).toBeLessThan(N);

    // Async: the SMTP server lives in this process and must keep answering.
    const resumed = await run(process.execPath, [CLI, '--config', config, 'resume', '1', '--yes'], env);
    expect(resumed.status, resumed.stderr + resumed.stdout).toBeLessThanOrEqual(1);

    const store = openSqliteStore(db);
    try {
      const rows = await store.deliveries(1);
      expect(rows).toHaveLength(N);
      for (const r of rows) {
        const delivered = smtp.deliveredTo(r.email);
        expect(delivered, r.email).toBeLessThanOrEqual(1); // nobody twice
        if (r.status === 'sent') expect(delivered, r.email).toBe(1);
        else expect(r.status, r.email).toBe('unknown'); // in flight at the kill, listed, not resent
      }
      const unknown = rows.filter((r) => r.status === 'unknown');
      expect(unknown.length).toBeLessThanOrEqual(4); // at most the messages in flight
      // Every recipient the server has is accounted for as sent or unknown; nobody silently skipped.
      expect(smtp.messages.length).toBe(rows.filter((r) => r.status === 'sent').length + unknown.filter((r) => smtp.deliveredTo(r.email) === 1).length);
      expect(resumed.stderr).toMatch(unknown.length > 0 ? /marked unknown/ : /.*/);
    } finally {
      await store.close();
    }
  }, 60_000);
});
