import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const MAIN = 'dist/src/cli/main.js';
const fx = (name: string): string => `test/fixtures/lists/${name}`;

function pressline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PRESSLINE_CONFIG: 'config/examples/amnesty.json' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // `npm test` builds first (pretest). Rebuilding here would rewrite dist/ under the other test
  // files that are running the CLI at the same moment.
  expect(existsSync(MAIN), 'run `npm run build` first (npm test does)').toBe(true);
});

describe('pressline lists check (built CLI)', () => {
  it('checks the example list: exit 0, JSON only on stdout', () => {
    const r = pressline('lists', 'check', 'lists/journalists.csv', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['files', 'rows', 'valid', 'matched', 'invalid', 'duplicates', 'languages', 'columns', 'capped', 'notes']);
    expect(report).toMatchObject({ files: ['lists/journalists.csv'], rows: 40, valid: 40, matched: 40, invalid: [], duplicates: [], columns: ['Desk'], capped: [] });
    expect(report.languages.ru).toBeGreaterThan(0);
  });

  it('lists what could be read two ways under "Check these columns", with column and line; exit 1 only for the invalid row', () => {
    const file = fx('export-ambiguous.csv');
    const r = pressline('lists', 'check', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Check these columns:');
    expect(r.stdout).toContain(`${file}: column "Name" read as the last name (it stands beside a first-name column)`);
    expect(r.stdout).toContain(`${file}: column "Company" could also be the outlet; "Publication" is used`);
    expect(r.stdout).toContain(`${file}:3: column "Name" holds the full name (it starts with the first name); read "Lund" as the last name`);
    expect(r.stdout).toContain(`${file}:4: column "Language": language "Elvish (Rivendell)": "Elvish" is not a language name`);
    const json = JSON.parse(pressline('lists', 'check', file, '--json').stdout);
    expect(json.notes).toHaveLength(3);
  });

  it('reads an Excel "sep=;" export; its one bad row is reported at its physical line', () => {
    const r = pressline('lists', 'check', fx('export-excel-sep.csv'));
    expect(r.stdout).toContain(`${fx('export-excel-sep.csv')}:5: invalid email "not-an-address"`);
    expect(r.stdout).toMatch(/valid\s+3/);
  });

  it('reports duplicates across files without failing (exit 0) and warns on stderr', () => {
    const json = pressline('lists', 'check', fx('dup-a.csv'), fx('dup-b.csv'), '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).duplicates).toEqual([
      { file: fx('dup-a.csv'), line: 4, email: 'A@Example.com', first: { file: fx('dup-a.csv'), line: 2 } },
      { file: fx('dup-b.csv'), line: 3, email: 'B@EXAMPLE.COM', first: { file: fx('dup-a.csv'), line: 3 } },
      { file: fx('dup-b.csv'), line: 4, email: 'a@example.com', first: { file: fx('dup-a.csv'), line: 2 } },
    ]);
    const human = pressline('lists', 'check', fx('dup-a.csv'), fx('dup-b.csv'));
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${fx('dup-b.csv')}:3: duplicate of B@EXAMPLE.COM, first at ${fx('dup-a.csv')}:3 (skipped)`);
    expect(human.stderr).toContain('warning: 3 duplicate rows skipped');
  });

  it('exits 1 with file:line: reason for invalid rows', () => {
    const human = pressline('lists', 'check', fx('multiline.csv'));
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/rows\s+5\n\s+valid\s+3\n\s+invalid\s+2\n\s+duplicates\s+0/);
    expect(human.stdout).toContain(`${fx('multiline.csv')}:7: invalid email "broken-at-7": no "@"`);
    expect(human.stdout).toContain(`${fx('multiline.csv')}:10: invalid email "bad@@example.com": more than one "@"`);
    const json = pressline('lists', 'check', fx('bad-emails.csv'), '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).invalid).toHaveLength(12);
  });

  it('exits 2 on undecodable, headerless and missing files; --encoding fixes the first', () => {
    const bad = pressline('lists', 'check', fx('windows-1252.csv'), '--json');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(`${fx('windows-1252.csv')}:3: not valid UTF-8`);
    expect(bad.stderr).toContain('--encoding windows-1252');
    const fixed = pressline('lists', 'check', fx('windows-1252.csv'), '--encoding', 'windows-1252', '--json');
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout).valid).toBe(4);
    expect(pressline('lists', 'check', fx('no-email.csv')).code).toBe(2);
    const missing = pressline('lists', 'check', fx('missing.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${fx('missing.csv')}: cannot read list: no such file`);
  });

  it('filters with --where and rejects unknown keys with exit 2', () => {
    const r = pressline('lists', 'check', fx('segment.csv'), '--where', 'beat=russia', '--where', 'language=en', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: 6, matched: 1, languages: { 'en-gb': 1 } });
    const unknown = pressline('lists', 'check', fx('segment.csv'), '--where', 'region=baltics');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no column "region"');
  });

  it('warns, naming file, line and column, of a 5,000-character name it cuts for the To: line (issue 15); exit stays 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-lists-cli-'));
    try {
      const file = join(dir, 'long-names.csv');
      writeFileSync(file, `Email,First Name,Last Name\nok@news.example,Anna,Berg\nlong@news.example,${'J'.repeat(5000)},Doe\nfull@news.example,Jo,${'D'.repeat(151)}\n`);
      const json = pressline('lists', 'check', file, '--json');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout).capped).toEqual([
        { file, line: 3, column: 'First Name', length: 5000 },
        { file, line: 4, column: 'Last Name', length: 151 },
      ]);
      const human = pressline('lists', 'check', file);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`${file}:3: column "First Name" holds 5000 characters; only the first 150 are used`);
      expect(human.stderr).toContain('warning: 2 names longer than 150 characters cut to 150');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
