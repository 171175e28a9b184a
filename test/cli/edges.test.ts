import { execFile } from 'node:child_process';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Issue 15: outputs that never clobber, inputs that never hurt, every refusal one line.
const CLI = resolve('dist/src/cli/main.js');
let dir: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Ran> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'pressline.json'), ...args],
      { cwd: options.cwd ?? process.cwd(), timeout: 60_000, env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', DATABASE_URL: '', ...options.env } },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

/** A refusal the way users must see it: exit 2, one line on stderr, no stack trace. */
function expectOneLineRefusal(r: Ran, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-edges-'));
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 } }),
  );
  writeFileSync(join(dir, 'two.csv'), 'Email,First Name\nanna@news.example,Anna\nboris@daily.example,Boris\n');
  const sent = await cli(['send', 'releases/eu-russia-summit.md', '--list', join(dir, 'two.csv'), '--yes']);
  expect(sent.code, sent.stderr).toBe(0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('--out never clobbers', () => {
  it('report --out refuses an existing file without --force and leaves it untouched; --force replaces it', async () => {
    const out = join(dir, 'bounced.csv');
    writeFileSync(out, 'precious\n');
    const refused = await cli(['report', '1', '--format', 'csv', '--out', out]);
    expectOneLineRefusal(refused, /bounced\.csv already exists; .*--force/);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');

    const forced = await cli(['report', '1', '--format', 'csv', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^\uFEFFemail,status/);

    const fresh = await cli(['report', '1', '--format', 'csv', '--out', join(dir, 'new.csv')]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(readFileSync(join(dir, 'new.csv'), 'utf8')).toContain('anna@news.example');

    const nowhere = await cli(['report', '1', '--format', 'csv', '--out', join(dir, 'missing', 'x.csv')]);
    expectOneLineRefusal(nowhere, /cannot write .*x\.csv: .*check the folder exists/);
    // No temporary file is left behind by a refused or failed write.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('report --out never writes over the store, by any name, even with --force; the store still opens', async () => {
    const store = join(dir, 'p.db');
    const size = statSync(store).size;
    symlinkSync(store, join(dir, 'alias.db'));
    linkSync(store, join(dir, 'hard.db'));
    // The reproduction from issue 15: this used to replace the live store with CSV, exit 0.
    expectOneLineRefusal(await cli(['report', '1', '--format', 'csv', '--out', store]), /is the SQLite store/);
    for (const target of [store, join(dir, 'alias.db'), join(dir, 'hard.db'), `${store}-wal`, join(dir, '.', 'sub', '..', 'p.db')]) {
      const r = await cli(['report', '1', '--format', 'csv', '--out', target, '--force']);
      expectOneLineRefusal(r, /is the SQLite store; .*even with --force/);
    }
    expect(statSync(store).size).toBe(size);
    const after = await cli(['campaigns', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject([{ id: 1, counts: { sent: 2 } }]);
  });

  it('report --out and suppress export --out never write over the config file or .env', async () => {
    const config = readFileSync(join(dir, 'pressline.json'), 'utf8');
    const r = await cli(['report', '1', '--format', 'json', '--out', join(dir, 'pressline.json'), '--force']);
    expectOneLineRefusal(r, /pressline\.json is the config file/);
    expect(readFileSync(join(dir, 'pressline.json'), 'utf8')).toBe(config);

    writeFileSync(join(dir, '.env'), 'PRESSLINE_SECRET=keep-me\n');
    const env = await cli(['suppress', 'export', '--out', '.env', '--force'], { cwd: dir });
    expectOneLineRefusal(env, /\.env is the \.env file/);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('PRESSLINE_SECRET=keep-me\n');

    writeFileSync(join(dir, 'old.csv'), 'mine\n');
    const existing = await cli(['suppress', 'export', '--out', join(dir, 'old.csv')]);
    expectOneLineRefusal(existing, /old\.csv already exists/);
    expect(readFileSync(join(dir, 'old.csv'), 'utf8')).toBe('mine\n');
  });

  it('render --out never writes over its own inputs or existing previews without --force', async () => {
    const out = join(dir, 'preview');
    const first = await cli(['render', 'releases/eu-russia-summit.md', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(join(out, 'en.txt'), 'edited by hand\n');
    const again = await cli(['render', 'releases/eu-russia-summit.md', '--out', out]);
    expectOneLineRefusal(again, /en\.html already exists; .*--force/);
    expect(readFileSync(join(out, 'en.txt'), 'utf8')).toBe('edited by hand\n');
    // A list in the output folder named like a preview is an input: protected even with --force.
    const list = join(out, 'en.txt');
    writeFileSync(list, 'Email\nanna@news.example\n');
    const onto = await cli(['render', 'releases/eu-russia-summit.md', '--list', list, '--out', out, '--force']);
    expectOneLineRefusal(onto, /en\.txt is a list; .*even with --force/);
    expect(readFileSync(list, 'utf8')).toBe('Email\nanna@news.example\n');
    const forced = await cli(['render', 'releases/eu-russia-summit.md', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'en.txt'), 'utf8')).toContain('Dear colleague,');
  });
});

describe('strict inputs', () => {
  it('takes only plain decimal campaign ids', async () => {
    for (const id of ['1e2', '0x1', '01', '1.0', '-1', '0', ' 1', '99999999999999999']) {
      const r = await cli(['report', id]);
      expectOneLineRefusal(r, /is not a campaign id|too large for a campaign id/);
    }
    const ok = await cli(['report', '1', '--format', 'json']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('refuses a list whose columns repeat, naming the file, line 1 and both columns, in lists check, send and schedule', async () => {
    const same = join(dir, 'same.csv');
    writeFileSync(same, 'Email,Email\nanna@news.example,boris@daily.example\n');
    expectOneLineRefusal(await cli(['lists', 'check', same]), /same\.csv:1: columns "Email" and "Email" have the same name/);

    const alias = join(dir, 'alias.csv');
    writeFileSync(alias, 'Email,Name,E-mail Address\nanna@news.example,Anna,boris@daily.example\n');
    expectOneLineRefusal(await cli(['lists', 'check', alias]), /alias\.csv:1: columns "Email" and "E-mail Address" both hold the e-mail address/);
    expectOneLineRefusal(await cli(['send', 'releases/eu-russia-summit.md', '--list', alias, '--yes']), /alias\.csv:1: columns "Email" and "E-mail Address"/);
    expectOneLineRefusal(
      await cli(['schedule', 'releases/eu-russia-summit.md', '--list', alias, '--at', '2099-01-01T09:00:00Z', '--yes']),
      /alias\.csv:1: columns "Email" and "E-mail Address"/,
    );
    expect(JSON.parse((await cli(['campaigns', '--json'])).stdout)).toHaveLength(1);
  });

  it('a store file that is not a database is refused in one line naming it', async () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, '\uFEFFemail,status,attempts\nanna@news.example,sent,1\n');
    for (const args of [['campaigns'], ['report', '1'], ['lists', 'check', join(dir, 'two.csv')]]) {
      const r = await cli(args, { env: { PRESSLINE_DB: garbage } });
      if (args[0] === 'lists') {
        expect(r.code, r.stderr).toBe(0); // lists check never opens the store
        continue;
      }
      expectOneLineRefusal(r, /garbage\.db: the store file is not a SQLite database; .*PRESSLINE_DB/);
    }
  });
});
