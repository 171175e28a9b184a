import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { PresslineError } from '../../src/errors.js';
import { readAttachmentContents } from '../../src/releases/attachments.js';
import { loadRelease } from '../../src/releases/load.js';

// Issue 15 item 3: a release can name only files in its own folder (or config attachments.allowedDirs).
let tmp: string;
let rel: string;
const config = validateConfig({});

function release(attachments: string[], extra = ''): string {
  const file = join(rel, 'release.md');
  const list = attachments.map((f) => `  - file: ${JSON.stringify(f)}\n`).join('');
  writeFileSync(file, `---\ntitle: Test release\nlanguage: en\n${extra}attachments:\n  - file: factsheet.txt\n${list}---\nBody text.\n`);
  return file;
}

async function refusal(file: string, cfg = config): Promise<PresslineError> {
  try {
    await loadRelease(file, cfg);
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    return err as PresslineError;
  }
  throw new Error('expected the release to be refused');
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pressline-confine-'));
  rel = join(tmp, 'release');
  mkdirSync(rel);
  writeFileSync(join(rel, 'factsheet.txt'), 'facts\n');
  writeFileSync(join(tmp, 'outside.txt'), 'SMTP_URL=smtp://user:hunter2@relay\n');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('attachments are confined to the release folder', () => {
  const cases: [string, () => string, RegExp][] = [
    ['../outside.txt', () => '../outside.txt', /outside the release's folder.*attachments\.allowedDirs/],
    ['an absolute /etc/passwd', () => '/etc/passwd', /outside the release's folder/],
    ['/proc/self/environ', () => '/proc/self/environ', /outside the release's folder/],
    ['a symlink inside the folder pointing outside', () => (symlinkSync(join(tmp, 'outside.txt'), join(rel, 'photo.jpg')), 'photo.jpg'), /outside the release's folder \(it resolves to .*outside\.txt\)/],
    ['.env in the folder', () => (writeFileSync(join(rel, '.env'), 'PRESSLINE_SECRET=x\n'), '.env'), /hidden file.*\(\.env\)/],
    ['a file in a dot-folder', () => (mkdirSync(join(rel, '.git')), writeFileSync(join(rel, '.git', 'config'), 'x'), '.git/config'), /hidden.*\(\.git\)/],
    ['a visible symlink to a dotfile', () => (writeFileSync(join(rel, '.env'), 'x'), symlinkSync('.env', join(rel, 'factsheet.pdf')), 'factsheet.pdf'), /hidden file.*\(\.env\)/],
    ['a FIFO', () => (execFileSync('mkfifo', [join(rel, 'pipe')]), 'pipe'), /not a regular file \(a FIFO\)/],
    ['a folder', () => (mkdirSync(join(rel, 'docs')), 'docs'), /not a regular file \(a folder\)/],
  ];
  for (const [name, setup, pattern] of cases) {
    it(`refuses ${name}, naming the file, the line and attachments[1].file`, async () => {
      const written = setup();
      const err = await refusal(release([written]));
      expect(err.code).toBe('RELEASE_INVALID');
      expect(err.exitCode).toBe(2);
      expect(err.location).toEqual({ file: join(rel, 'release.md'), line: 6, field: 'attachments[1].file' });
      expect(err.message).toMatch(pattern);
      expect(err.message).not.toContain('\n');
    }, 20_000);
  }

  it('accepts a file in the folder or below it, and one in a folder named by attachments.allowedDirs (relative to the config file)', async () => {
    mkdirSync(join(rel, 'img'));
    writeFileSync(join(rel, 'img', 'photo.jpg'), 'jpeg');
    mkdirSync(join(tmp, 'shared'));
    writeFileSync(join(tmp, 'shared', 'logo.png'), 'png');
    mkdirSync(join(tmp, 'config'));
    expect((await refusal(release(['img/photo.jpg', '../shared/logo.png']))).location?.field).toBe('attachments[2].file');

    const allowing = validateConfig({ attachments: { allowedDirs: ['../shared'] } }, join(tmp, 'config', 'pressline.json'));
    expect(allowing.attachments.allowedDirs).toEqual([join(tmp, 'shared')]);
    const r = await loadRelease(release(['img/photo.jpg', '../shared/logo.png']), allowing);
    expect(r.attachments.map((a) => [a.filename, a.bytes])).toEqual([['factsheet.txt', 6], ['photo.jpg', 4], ['logo.png', 3]]);
    // Another folder is still refused, and the config still refuses an empty entry.
    expect((await refusal(release(['../outside.txt']), allowing)).location?.field).toBe('attachments[1].file');
    expect(() => validateConfig({ attachments: { allowedDirs: [''] } })).toThrow(/attachments\.allowedDirs\.0/);
  });

  it('refuses a translation outside the release folder, naming translations[0]', async () => {
    writeFileSync(join(tmp, 'fr.md'), '---\ntitle: Essai\nlanguage: fr\n---\nTexte.\n');
    const file = join(rel, 'release.md');
    writeFileSync(file, '---\ntitle: Test release\nlanguage: en\ntranslations:\n  - ../fr.md\n---\nBody text.\n');
    const err = await refusal(file);
    expect(err.location?.field).toBe('translations[0]');
    expect(err.message).toMatch(/translation file "\.\.\/fr\.md" is outside the release's folder/);
  });
});

describe('attachments are read for sending only while they are the file that was checked', () => {
  it('refuses a file swapped for a symlink pointing outside, or for another file, after the release was loaded', async () => {
    const r = await loadRelease(release([]), config);
    expect((await readAttachmentContents(r.attachments))[0]!.content.toString()).toBe('facts\n');

    unlinkSync(join(rel, 'factsheet.txt'));
    symlinkSync(join(tmp, 'outside.txt'), join(rel, 'factsheet.txt'));
    await expect(readAttachmentContents(r.attachments)).rejects.toThrow(/attachment "factsheet\.txt".*now a symlink/);

    unlinkSync(join(rel, 'factsheet.txt'));
    writeFileSync(join(rel, 'factsheet.txt'), 'other facts\n');
    await expect(readAttachmentContents(r.attachments)).rejects.toThrow(/was replaced since the release was loaded/);
  });
});
