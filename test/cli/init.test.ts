import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Issue 19 item 2: `pressline init` writes the config and a .env with a fresh secret; never over a file without --force.

const CLI = resolve('dist/src/cli/main.js');
let dir: string;

/** The built CLI run in `dir` (where init writes), with none of this machine's pressline settings. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PRESSLINE_|SMTP_URL|DATABASE_URL)/.test(k)));
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, env }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

const GREENPEACE = ['init', '--organisation', 'Greenpeace EU Unit', '--from', 'Press Desk <press@greenpeace.example.eu>', '--zone', 'Europe/Brussels', '--language', 'fr'];
const configFile = () => join(dir, 'config', 'pressline.json');
const secretIn = (text: string) => /^PRESSLINE_SECRET=(.*)$/m.exec(text)?.[1];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-init-'));
  copyFileSync('.env.example', join(dir, '.env.example'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pressline init', () => {
  it('on a fresh folder writes config/pressline.json from the flags and a private .env with a fresh random secret', async () => {
    const r = await cli(GREENPEACE);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('wrote config/pressline.json');
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({
      from: { name: 'Press Desk', address: 'press@greenpeace.example.eu' },
      replyTo: { name: 'Press Desk', address: 'press@greenpeace.example.eu' },
      organisation: { name: 'Greenpeace EU Unit' },
      defaultLanguage: 'fr',
      defaultTimeZone: 'Europe/Brussels',
    });
    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(secretIn(env)).toMatch(/^[0-9a-f]{64}$/);
    // The example's other variables are there to fill in, and only the owner can read the secret.
    expect(env).toMatch(/^SMTP_URL=$/m);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);

    // The config it wrote is the one every command now reads (no --config needed).
    const campaigns = await cli(['campaigns', '--json']);
    expect(campaigns.code, campaigns.stderr).toBe(0);
    expect(JSON.parse(campaigns.stdout)).toEqual([]);

    // Another install gets another secret.
    const other = mkdtempSync(join(tmpdir(), 'pressline-init-'));
    const here = dir;
    dir = other;
    try {
      expect((await cli(GREENPEACE)).code).toBe(0);
      expect(secretIn(readFileSync(join(other, '.env'), 'utf8'))).not.toBe(secretIn(env));
    } finally {
      dir = here;
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses to write over an existing config or .env without --force, and writes neither', async () => {
    writeFileSync(join(dir, '.env'), 'SMTP_URL=smtp://relay.example.eu:587\n');
    const r = await cli(GREENPEACE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pressline: .*\.env already exists; .*--force/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(configFile())).toBe(false);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('SMTP_URL=smtp://relay.example.eu:587\n');

    rmSync(join(dir, '.env'));
    expect((await cli(GREENPEACE)).code).toBe(0);
    const config = readFileSync(configFile(), 'utf8');
    const again = await cli(GREENPEACE.map((a) => (a === 'Greenpeace EU Unit' ? 'Someone Else' : a)));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/config\/pressline\.json already exists; .*--force/);
    expect(readFileSync(configFile(), 'utf8')).toBe(config);
  });

  it('--force replaces the config; the .env keeps its lines and its secret (a new one would void links already sent)', async () => {
    expect((await cli(GREENPEACE)).code).toBe(0);
    const secret = secretIn(readFileSync(join(dir, '.env'), 'utf8'));
    writeFileSync(join(dir, '.env'), readFileSync(join(dir, '.env'), 'utf8').replace(/^SMTP_URL=$/m, 'SMTP_URL=smtp://relay.example.eu:587'));

    const r = await cli(['init', '--organisation', 'Oxfam', '--from', 'media@oxfam.example.org', '--reply-to', 'Newsdesk <news@oxfam.example.org>', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept its PRESSLINE_SECRET');
    const config = JSON.parse(readFileSync(configFile(), 'utf8'));
    expect(config.from).toEqual({ name: 'Oxfam', address: 'media@oxfam.example.org' });
    expect(config.replyTo).toEqual({ name: 'Newsdesk', address: 'news@oxfam.example.org' });
    expect(config.defaultLanguage).toBe('en');
    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(secretIn(env)).toBe(secret);
    expect(env).toMatch(/^SMTP_URL=smtp:\/\/relay\.example\.eu:587$/m);
  });

  it('off a terminal names the flags it needs; a bad address, language or zone is one line naming the flag', async () => {
    const bare = await cli(['init']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/not a terminal.*--organisation and --from/);
    for (const [flag, value, said] of [
      ['--from', 'press at greenpeace', /--from: "press at greenpeace" is not an email address/],
      ['--from', 'Press\r\nBcc: x@evil.example <press@gp.example.eu>', /--from: no line breaks/],
      ['--zone', 'Europe/Brussel', /--zone: "Europe\/Brussel" is not a time zone/],
      ['--language', 'english!', /--language: "english!" is not a language tag/],
    ] as const) {
      const args = [...GREENPEACE];
      args[args.indexOf(flag) + 1] = value;
      const r = await cli(args);
      expect(r.code, flag).toBe(2);
      expect(r.stderr).toMatch(said);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(configFile())).toBe(false);
    }
  });

  it('a command run where there is no config says to run pressline init', async () => {
    const r = await cli(['campaigns']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\/pressline\.json: no config file yet; run `pressline init`/);
  });

  it('on a terminal asks for what the flags leave out, with defaults in brackets (answers pasted at once are all kept)', async () => {
    // `script` (util-linux) gives the CLI a real pseudo-terminal; the answers go in as one paste.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PRESSLINE_|SMTP_URL|DATABASE_URL)/.test(k)));
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} init --zone Europe/Brussels`, '/dev/null'], { cwd: dir, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.end('Amnesty Belgique\nPresse <presse@amnesty.example.be>\n\nfr-BE\n');
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, out).toBe(0);
    expect(out).toContain('Reply-To address [Presse <presse@amnesty.example.be>]: ');
    expect(out).toContain('Default language (BCP 47, e.g. en, fr, pt-BR) [en]: ');
    expect(out).not.toContain('Time zone');
    const config = JSON.parse(readFileSync(configFile(), 'utf8'));
    expect(config).toMatchObject({
      organisation: { name: 'Amnesty Belgique' },
      from: { name: 'Presse', address: 'presse@amnesty.example.be' },
      replyTo: { name: 'Presse', address: 'presse@amnesty.example.be' },
      defaultLanguage: 'fr-BE',
      defaultTimeZone: 'Europe/Brussels',
    });
  });
});
