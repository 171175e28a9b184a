// Issue 19 item 9: `worker --pretty` logs for people (local time, level, message, key fields);
// JSON lines stay the default off a terminal.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { prettyLine } from '../../src/log/pretty.js';

const CLI = resolve('dist/src/cli/main.js');
let dir: string;

function worker(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'pressline.json'), 'worker', '--once', ...args],
      { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', PRESSLINE_SECRET: 'a-test-secret-of-enough-length-1234', ...env } },
      (err, _stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stderr }),
    );
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-pretty-'));
  writeFileSync(join(dir, 'pressline.json'), JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') } }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pressline worker --pretty', () => {
  it('writes one readable line per entry: local time, level, message, then the key fields', async () => {
    const r = await worker(['--pretty', '--name', 'desk-1'], { TZ: 'Asia/Kolkata' });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  worker started {2}interval=5000 owner=desk-1@\S+ relay=SMTP_URL autoResume=true$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARN  no SMTP_URL set: due campaigns are written to the outbox folder .*nothing is sent {2}outbox=/);
    expect(lines.at(-1)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  worker stopped$/);
    expect(r.stderr).not.toContain('{"level"');
  });

  it('off a terminal without --pretty the lines stay JSON, for log collectors', async () => {
    const r = await worker([]);
    expect(r.code, r.stderr).toBe(0);
    const entries = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(entries[0]).toMatchObject({ level: 30, msg: 'worker started' });
    expect(typeof entries[0].time).toBe('number');
  });
});

describe('prettyLine', () => {
  it('shows the time in the local zone, redacted secrets stay redacted, and terminal escapes are shown, not obeyed', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Europe/Brussels';
    try {
      const time = Date.parse('2026-12-01T08:00:05Z');
      expect(prettyLine(JSON.stringify({ level: 50, time, pid: 1, msg: 'campaign 3 paused: relay said \x1b[2J no', campaign: 3, err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } }))).toBe(
        '2026-12-01 09:00:05 ERROR campaign 3 paused: relay said \\x1b[2J no  campaign=3 err="boom"',
      );
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    const written: string[] = [];
    const log = createLogger({ pretty: true, destination: { write: (s: string) => void written.push(s) } as never });
    log.info({ smtpUrl: 'smtp://user:hunter2@relay.example:587', campaign: 4 }, 'relay check');
    expect(written.join('')).toMatch(/INFO  relay check {2}smtpUrl=\[redacted\] campaign=4\n$/);
    expect(written.join('')).not.toContain('hunter2');
  });
});
