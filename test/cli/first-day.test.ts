// Issue 19 item 5, through the real CLI: --version, render --encoding, estimates at the rates the
// send will use, and progress off a terminal and on an 80-column one.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_RELEASE } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';

const CLI = resolve('dist/src/cli/main.js');
let dir: string;
let smtp: TestSmtpServer | undefined;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--config', join(dir, 'pressline.json'), ...args], { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', ...env } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

function writeConfig(extra: Record<string, unknown> = {}) {
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 }, ...extra }),
  );
}

/** `n` journalists spread over `domains` domains, round robin. */
function spreadList(n: number, domains: number): string {
  const file = join(dir, `spread-${n}.csv`);
  const rows = Array.from({ length: n }, (_, i) => `j${i}@d${i % domains}.example,Jo,Doe,Daily,russia,en`);
  writeFileSync(file, ['Email,First Name,Last Name,Outlet,Beat,Language', ...rows].join('\n') + '\n');
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-firstday-'));
  writeConfig();
});
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('pressline --version', () => {
  it('prints the version from package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });
});

describe('pressline render --encoding', () => {
  it('reads a windows-1252 list as its own error advises, and the contact gets the right name', async () => {
    const list = join(dir, 'export.csv');
    writeFileSync(list, iconv.encode('Email,First Name,Last Name,Outlet,Beat,Language\r\nzoe@paper.example,Zoë,Müller,Le Journal,russia,en\r\n', 'windows-1252'));
    const out = join(dir, 'preview');
    const refused = await cli(['render', EXAMPLE_RELEASE, '--list', list, '--contact', 'zoe@paper.example', '--out', out]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('run again with --encoding windows-1252');

    const r = await cli(['render', EXAMPLE_RELEASE, '--list', list, '--contact', 'zoe@paper.example', '--out', out, '--encoding', 'windows-1252']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Rendered for zoe@paper.example (en variant)');
    expect(readFileSync(join(out, 'en.txt'), 'utf8')).toContain('Dear Zoë,');

    const unknown = await cli(['render', EXAMPLE_RELEASE, '--list', list, '--encoding', 'klingon']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^pressline: unknown --encoding "klingon" \(try windows-1252/m);
  });
});

describe('send --dry-run estimates at the rates the send will use (flags over config)', () => {
  it('--rate, --per-domain and no limit at all each change the estimate', async () => {
    writeConfig({ rate: { global: '2/s', perDomain: '5/s' } });
    const list = spreadList(300, 100); // 3 per domain: the per-domain ceiling of 5/s never binds

    const config = await cli(['send', EXAMPLE_RELEASE, '--list', list, '--dry-run']);
    expect(config.stdout).toMatch(/^Estimate\s+at least 2 min 29 s at these ceilings$/m); // 150 starts at 2/s

    const faster = await cli(['send', EXAMPLE_RELEASE, '--list', list, '--dry-run', '--rate', '20/s', '--json']);
    expect(faster.stderr).toMatch(/^Pace\s+20\/s, /m);
    expect(faster.stderr).toMatch(/^Estimate\s+at least 14 s at these ceilings$/m); // 15 windows of 20
    expect(JSON.parse(faster.stdout)).toMatchObject({ dryRun: true, recipients: 300, estimatedMs: 14_000 });

    const unlimited = await cli(['send', EXAMPLE_RELEASE, '--list', list, '--dry-run', '--rate', '0', '--per-domain', '0']);
    expect(unlimited.stdout).toMatch(/^Estimate\s+no rate limit set: as fast as the relay takes them, 5 at once$/m);

    // Each domain has its own ceiling: 3 per domain at 1/s is 2 s, whatever the number of domains.
    const perDomain = await cli(['send', EXAMPLE_RELEASE, '--list', list, '--dry-run', '--rate', '0', '--per-domain', '1/s']);
    expect(perDomain.stdout).toMatch(/^Estimate\s+at least 2 s at these ceilings$/m);
  });
});

describe('progress of a send', () => {
  it('off a terminal: a progress line on stderr at the start and at the end (then every 5 s)', async () => {
    const r = await cli(['send', EXAMPLE_RELEASE, '--list', 'lists/journalists.csv', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines[0]).toMatch(/^progress: 0\/40 settled, ETA …$/);
    expect(lines.at(-1)).toMatch(/^progress: 40\/40 settled \(written to outbox 40\), [\d.]+\/s, ETA 0 s$/);
    expect(r.stdout).not.toContain('progress');
  });

  it('--progress json: one JSON object per line on stderr, the last one final', async () => {
    const r = await cli(['send', EXAMPLE_RELEASE, '--list', 'lists/journalists.csv', '--yes', '--progress', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const objects = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(objects.length).toBeGreaterThanOrEqual(2);
    expect(objects[0]).toMatchObject({ type: 'progress', campaign: 1, total: 40, settled: 0, final: false, etaMs: null });
    expect(objects.at(-1)).toMatchObject({ type: 'progress', campaign: 1, total: 40, settled: 40, outbox: true, counts: { sent: 40 }, final: true, etaMs: 0 });
    const wrong = await cli(['send', EXAMPLE_RELEASE, '--list', 'lists/journalists.csv', '--yes', '--progress', 'fancy']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--progress "fancy": use bar, lines, json or none/);
    expect(readdirSync(join(dir, 'outbox'))).toEqual(['1']); // the wrong flag stored and sent nothing
  });

  it('on an 80-column terminal the bar fits, and its ETA always has a unit', async () => {
    // One message at a time, 100 ms each: the bar is drawn many times.
    smtp = await startTestSmtp({ delayMs: 100 });
    writeConfig({ rate: { global: 0, concurrency: 1 }, smtp: { maxConnections: 1 } });
    const command = `stty cols 80; '${process.execPath}' '${CLI}' --config '${join(dir, 'pressline.json')}' send ${EXAMPLE_RELEASE} --list lists/journalists.csv --yes`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: smtp.url } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.on('exit', r));
    expect(out).toMatch(/Campaign 1: done/);
    const frames = out.split('\r\x1b[2K').map((f) => f.split(/\r?\n/)[0]!).filter((f) => f.includes('/40'));
    expect(frames.length).toBeGreaterThan(3);
    for (const f of frames) {
      expect(f.length).toBeLessThanOrEqual(79);
      expect(f).toMatch(/ETA (…|\d+ s|\d+ min \d+ s|\d+ h \d+ min)(  |$)/);
    }
    expect(frames.some((f) => /ETA \d+ s/.test(f))).toBe(true);
  });
});
