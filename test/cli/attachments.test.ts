import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Issue 15 item 3: the plan shows what is attached; a release naming a file outside its folder is refused.
const CLI = resolve('dist/src/cli/main.js');
const LIST = 'lists/journalists.csv';
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(dir, 'pressline.json'), ...args],
      { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', PRESSLINE_SECRET: '', DATABASE_URL: '' }, timeout: 60_000 },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

function writeRelease(attachments: string[]): string {
  const file = join(dir, 'release', 'release.md');
  const list = attachments.map((f) => `  - file: ${JSON.stringify(f)}\n`).join('');
  writeFileSync(file, `---\ntitle: Test release\nlanguage: en\nattachments:\n${list}---\nBody text.\n`);
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-attach-cli-'));
  mkdirSync(join(dir, 'release'));
  writeFileSync(join(dir, 'release', 'factsheet.pdf'), Buffer.alloc(120_000, 7));
  writeFileSync(join(dir, 'release', 'photo.jpg'), Buffer.alloc(2_100_000, 9));
  writeFileSync(
    join(dir, 'pressline.json'),
    JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 } }),
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('attachments on the command line', () => {
  it('send --dry-run lists each attachment with its size and the message size', async () => {
    const r = await cli(['send', writeRelease(['factsheet.pdf', 'photo.jpg']), '--list', LIST, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Attachments factsheet\.pdf 120 kB, photo\.jpg 2\.1 MB; message about 3\.\d MB$/m);
  }, 120_000);

  it('schedule lists them too', async () => {
    const r = await cli(['schedule', writeRelease(['factsheet.pdf']), '--list', LIST, '--at', 'now', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Attachments factsheet\.pdf 120 kB; message about 1\d\d kB$/m);
  }, 120_000);

  it('send --dry-run and send refuse /proc/self/environ in one line naming the field, exit 2, nothing sent', async () => {
    const file = writeRelease(['factsheet.pdf', '/proc/self/environ']);
    for (const args of [['--dry-run'], ['--yes']]) {
      const r = await cli(['send', file, '--list', LIST, ...args]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/release\.md:6 \(attachments\[1\]\.file\).*"\/proc\/self\/environ" is outside the release's folder/);
      expect(r.stderr).not.toMatch(/hunter2|\n\s+at /);
    }
    expect(() => readdirSync(join(dir, 'outbox'))).toThrow();
  }, 120_000);

  it('a real send mails the attachment inside the folder (its bytes in the message)', async () => {
    writeFileSync(join(dir, 'release', 'factsheet.pdf'), 'FACTSHEET-CONTENT-123');
    const r = await cli(['send', writeRelease(['factsheet.pdf']), '--list', LIST, '--yes', '--test-to', 'desk@ngo.example.org']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const outbox = join(dir, 'outbox');
    const [campaign] = readdirSync(outbox);
    const emls = readdirSync(join(outbox, campaign!));
    expect(emls.length, r.stdout + r.stderr).toBeGreaterThan(0);
    const eml = readFileSync(join(outbox, campaign!, emls[0]!), 'utf8');
    expect(eml).toContain('filename=factsheet.pdf');
    expect(eml).toContain(Buffer.from('FACTSHEET-CONTENT-123').toString('base64'));
  }, 120_000);
});
