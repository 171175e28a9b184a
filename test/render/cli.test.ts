import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PresslineError } from '../../src/errors.js';
import { registerRenderCommand } from '../../src/cli/render.js';

async function run(args: string[]): Promise<{ out: string; err: string }> {
  const program = new Command('pressline').option('--config <file>').exitOverride();
  registerRenderCommand(program);
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('pressline render', () => {
  it('writes html, txt and a complete .eml per language variant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-render-'));
    const { out } = await run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--out', dir, '--now', '2026-11-28T12:00:00Z']);
    for (const lang of ['en', 'ru']) {
      for (const ext of ['html', 'txt', 'eml']) expect(existsSync(join(dir, `${lang}.${ext}`))).toBe(true);
    }
    expect(out).toContain(`Wrote to ${dir}:`);
    expect(out).toContain('en: en.html, en.txt, en.eml');
    const eml = readFileSync(join(dir, 'ru.eml'), 'utf8');
    expect(eml).toContain('From: Amnesty International Press Office <press@example.org>');
    expect(eml).toContain('To: journalist@example.com');
    expect(eml).toContain('Content-Language: ru');
    expect(readFileSync(join(dir, 'en.txt'), 'utf8')).toContain('Dear colleague,');
    // Same input, same bytes.
    const first = readFileSync(join(dir, 'en.eml'));
    // Rendering into the same --out folder again replaces the previews only with --force.
    await expect(run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--out', dir, '--now', '2026-11-28T12:00:00Z'])).rejects.toThrow('--force');
    await run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--out', dir, '--now', '2026-11-28T12:00:00Z', '--force']);
    expect(readFileSync(join(dir, 'en.eml')).equals(first)).toBe(true);
  });

  it('with --list prints how many contacts get each variant; --contact renders that contact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-render-'));
    const { out } = await run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--out', dir]);
    expect(out).toMatch(/Language variants for \d+ contact\(s\)/);
    expect(out).toMatch(/en\s+releases\/eu-russia-summit\.md\s+\d+/);
    expect(out).toMatch(/ru\s+releases\/eu-russia-summit\.ru\.md\s+\d+/);

    const one = mkdtempSync(join(tmpdir(), 'pressline-render-'));
    const { out: out2 } = await run([
      '--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md',
      '--list', 'lists/journalists.csv', '--contact', 'H.Whitfield@dailyledger.example', '--out', one,
    ]);
    expect(out2).toContain('Rendered for h.whitfield@dailyledger.example (en variant)');
    expect(readFileSync(join(one, 'en.txt'), 'utf8')).toContain('Dear Helen,');
    expect(readFileSync(join(one, 'en.eml'), 'utf8')).toContain('To: Helen Whitfield <h.whitfield@dailyledger.example>');
    expect(existsSync(join(one, 'ru.html'))).toBe(false);
  });

  it('a 5,000-character first name and desk note merged into the subject: the .eml has no header line past 78 (issue 15)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-render-'));
    const list = join(dir, 'list.csv');
    writeFileSync(list, `Email,First Name,Desk Note\nlong@news.example,${'J'.repeat(5000)},${'n'.repeat(5000)}\n`);
    const release = join(dir, 'release.md');
    writeFileSync(release, '---\ntitle: Seal census\nlanguage: en\nsubject: "For {{ first_name }}: {{ desk_note }}"\n---\nDear {{ first_name }}.\n');
    const out = join(dir, 'out');
    await run(['--config', 'config/examples/amnesty.json', 'render', release, '--list', list, '--contact', 'long@news.example', '--out', out]);
    const eml = readFileSync(join(out, 'en.eml'));
    const head = eml.toString('latin1').split('\r\n\r\n')[0]!;
    for (const line of head.split('\r\n')) expect(line.length, line.slice(0, 90)).toBeLessThanOrEqual(78);
    const { simpleParser } = await import('mailparser');
    // The name is cut to 150 for the To: line (lists check says so); the desk note arrives whole.
    expect((await simpleParser(eml)).subject).toBe(`For ${'J'.repeat(150)}: ${'n'.repeat(5000)}`);
  });

  it('shows the embargo state for --now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-render-'));
    const before = await run(['--config', 'config/examples/amnesty.json', 'render', 'releases/examples/embargoed.md', '--out', dir, '--now', '2027-03-16T07:00:00Z']);
    expect(before.out).toContain('Embargoed copy (EMBARGOED UNTIL 09:00 CET (08:00 UTC), Tuesday 16 March 2027)');
    expect(readFileSync(join(dir, 'en.eml'), 'utf8')).toContain('Subject: EMBARGOED: Seal census 2026');
    const after = await run(['--config', 'config/examples/amnesty.json', 'render', 'releases/examples/embargoed.md', '--out', dir, '--now', '2027-03-16T08:00:00Z', '--force']);
    expect(after.out).toContain('Embargo lifted');
    expect(readFileSync(join(dir, 'en.html'), 'utf8')).not.toContain('EMBARGOED');
  });

  it('says how large the HTML of each variant is, and warns when Gmail would clip it (contacts and unsubscribe link last)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-render-'));
    const paragraph = 'The delegation met officials in Brussels, Strasbourg and Luxembourg to discuss detention conditions and access for independent monitors. ';
    const body = Array.from({ length: 700 }, (_, i) => `${i + 1}. ${paragraph}`).join('\n\n');
    const release = join(dir, 'long.md');
    writeFileSync(release, `---\ntitle: A very long annual report\nlanguage: en\n---\n${body}\n`);
    const small = await run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--out', join(dir, 'small')]);
    expect(small.out).toMatch(/HTML size: en \d+ kB, ru \d+ kB \(Gmail clips above 104 kB\)/);
    expect(small.err).not.toContain('Gmail');
    const long = await run(['--config', 'config/examples/amnesty.json', 'render', release, '--out', join(dir, 'long')]);
    const size = Number(/HTML size: en (\d+) kB/.exec(long.out)?.[1]);
    expect(size).toBeGreaterThan(104);
    expect(long.err).toMatch(/warning: the en HTML is \d+ kB: Gmail clips above 104 kB, hiding the press contacts and the unsubscribe link/);
  });

  it('refuses bad usage', async () => {
    await expect(run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--contact', 'a@b.example'])).rejects.toBeInstanceOf(PresslineError);
    await expect(run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--now', 'tomorrow'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      run(['--config', 'config/examples/amnesty.json', 'render', 'releases/eu-russia-summit.md', '--list', 'lists/journalists.csv', '--contact', 'nobody@nowhere.example', '--out', mkdtempSync(join(tmpdir(), 'p-'))]),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
