import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Issue 13 item 5: a send that could never go out is refused before anything is stored.
const CLI = resolve('dist/src/cli/main.js');
const RELEASE = 'releases/eu-russia-summit.md';
const LIST = 'lists/journalists.csv';
let dir: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'pressline.json'), ...args],
      { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', PRESSLINE_SECRET: '', DATABASE_URL: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

function writeConfig(extra: Record<string, unknown> = {}) {
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 }, ...extra }),
  );
}

async function campaigns(): Promise<{ id: number; status: string; statusReason: string | null }[]> {
  const r = await cli(['campaigns', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** exit 2, one line on stderr naming `pattern`, no stack trace. */
function expectRefused(r: { code: number; stdout: string; stderr: string }, pattern: RegExp, what: string) {
  expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
  expect(lines[0], what).toMatch(/^pressline: /);
  expect(lines[0], what).toMatch(pattern);
  expect(r.stderr, what).not.toMatch(/\n\s+at /);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-preflight-'));
  writeConfig();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS: [string, string[]][] = [
  ['send --dry-run', ['send', RELEASE, '--list', LIST, '--dry-run']],
  ['send --yes', ['send', RELEASE, '--list', LIST, '--yes']],
  ['send --test-to --yes', ['send', RELEASE, '--list', LIST, '--test-to', 'me@ngo.example.org', '--yes']],
  ['schedule --at now --yes', ['schedule', RELEASE, '--list', LIST, '--at', 'now', '--yes']],
];

/** Every sending command refuses with exit 2 and one line, and nothing is stored or sent. */
async function expectEveryCommandRefused(pattern: RegExp, env: Record<string, string> = {}) {
  const results = await Promise.all(COMMANDS.map(([, args]) => cli(args, env)));
  results.forEach((r, i) => expectRefused(r, pattern, COMMANDS[i]![0]));
  expect(await campaigns()).toEqual([]);
  expect(existsSync(join(dir, 'outbox'))).toBe(false);
}

describe('preflight: send, send --dry-run and schedule refuse a send that could never go (exit 2, nothing stored)', () => {
  it('missing PRESSLINE_SECRET with unsubscribe.baseUrl', async () => {
    writeConfig({ unsubscribe: { baseUrl: 'https://ngo.example.org' } });
    await expectEveryCommandRefused(/PRESSLINE_SECRET is not set.*unsubscribe\.baseUrl/);
  }, 120_000);

  it('missing PRESSLINE_SECRET with bounces.domain (VERP)', async () => {
    writeConfig({ bounces: { domain: 'bounces.ngo.example.org' } });
    await expectEveryCommandRefused(/PRESSLINE_SECRET is not set.*bounces\.domain/);
  }, 120_000);

  it('unreadable DKIM key file', async () => {
    writeConfig({ dkim: { domainName: 'ngo.example.org', keySelector: 'press', privateKeyFile: join(dir, 'missing.pem') } });
    await expectEveryCommandRefused(/missing\.pem \(dkim\.privateKeyFile\): cannot read the DKIM key \(ENOENT\)/);
  }, 120_000);

  it('a DKIM key file that holds no private key', async () => {
    writeFileSync(join(dir, 'dkim.pem'), 'not a key\n');
    writeConfig({ dkim: { domainName: 'ngo.example.org', keySelector: 'press', privateKeyFile: join(dir, 'dkim.pem') } });
    await expectEveryCommandRefused(/dkim\.pem \(dkim\.privateKeyFile\): the DKIM key file holds no private key/);
  }, 120_000);

  it('SMTP_URL=ftp://x (and one without a host)', async () => {
    await expectEveryCommandRefused(/SMTP_URL starts with ftp:\/\/.*smtp:\/\//, { SMTP_URL: 'ftp://x' });
    expectRefused(await cli(COMMANDS[0]![1], { SMTP_URL: 'smtp://' }), /SMTP_URL names no host/, 'smtp:// without a host');
  }, 120_000);

  it('lists several problems together, one line each', async () => {
    writeConfig({ unsubscribe: { baseUrl: 'https://ngo.example.org' }, dkim: { domainName: 'ngo.example.org', keySelector: 'press', privateKeyFile: join(dir, 'missing.pem') } });
    const r = await cli(COMMANDS[1]![1], { SMTP_URL: 'ftp://x' });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^pressline: 3 problems stop this send/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^ {2}- PRESSLINE_SECRET/), expect.stringMatching(/^ {2}- .*dkim\.privateKeyFile/), expect.stringMatching(/^ {2}- SMTP_URL starts with ftp/)]);
    expect(await campaigns()).toEqual([]);
  }, 60_000);

  it('a healthy config still sends, and resume refuses a campaign whose DKIM key went bad, before touching it', async () => {
    const sent = await cli(['schedule', RELEASE, '--list', LIST, '--at', 'now + 1h', '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    writeFileSync(join(dir, 'dkim.pem'), 'not a key\n');
    writeConfig({ dkim: { domainName: 'ngo.example.org', keySelector: 'press', privateKeyFile: join(dir, 'dkim.pem') } });
    expectRefused(await cli(['resume', '1', '--yes']), /dkim\.privateKeyFile/, 'resume');
    expect(await campaigns()).toMatchObject([{ id: 1, status: 'scheduled' }]);
    expect(existsSync(join(dir, 'outbox')) ? readdirSync(join(dir, 'outbox')) : []).toEqual([]);
  }, 60_000);

  it('worker --relay with a name config `relays` does not know: exit 2, one line, before looking at the store', async () => {
    writeConfig({ relays: { eu: { urlEnv: 'SMTP_URL_EU' } } });
    expectRefused(await cli(['worker', '--once', '--relay', 'us']), /no relay "us" in config `relays` \(known: eu\)/, 'worker --relay us');
    expectRefused(await cli(['worker', '--once', '--relay', 'eu'], { SMTP_URL_EU: 'ftp://relay.example' }), /SMTP_URL_EU starts with ftp:\/\//, 'worker --relay eu (ftp)');
  }, 60_000);

  it('a worker started without PRESSLINE_SECRET (unsubscribe.baseUrl set) refuses to start and leaves the scheduled campaign alone', async () => {
    writeConfig({ unsubscribe: { baseUrl: 'https://ngo.example.org' } });
    const scheduled = await cli(['schedule', RELEASE, '--list', LIST, '--at', 'now', '--yes'], { PRESSLINE_SECRET: 's3cret' });
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expectRefused(await cli(['worker', '--once']), /PRESSLINE_SECRET is not set/, 'worker');
    expect(await campaigns()).toMatchObject([{ id: 1, status: 'scheduled' }]);
    expect(existsSync(join(dir, 'outbox'))).toBe(false);
  }, 60_000);
});
