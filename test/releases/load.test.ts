import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { PresslineError } from '../../src/errors.js';
import { loadRelease } from '../../src/releases/load.js';

const config = validateConfig({});
const fx = (name: string) => join('test/fixtures/releases', name);

async function releaseError(file: string, cfg = config): Promise<PresslineError> {
  try {
    await loadRelease(file, cfg);
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    return err as PresslineError;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('loadRelease: the example releases', () => {
  it('reads the EU-Russia summit release with its Russian translation', async () => {
    const r = await loadRelease('releases/eu-russia-summit.md', config);
    expect(r.file).toBe('releases/eu-russia-summit.md');
    expect(r.embargo).toBeUndefined();
    expect(r.warnings).toEqual([]);
    expect(r.variants.map((v) => v.language)).toEqual(['en', 'ru']);
    const [en, ru] = r.variants as [(typeof r.variants)[0], (typeof r.variants)[0]];
    expect(en.title).toBe('EU-Russia summit: put human rights on top of the agenda');
    expect(en.date).toBe('2002-11-10');
    expect(en.dateline).toBe('Brussels');
    expect(en.organisation).toEqual({ name: 'Amnesty International', address: '1 Easton St., London WC1X 0DW', web: 'http://www.amnesty.org' });
    expect(en.contacts[0]).toEqual({
      name: 'Lydia Aroyo',
      role: 'For further information and interviews',
      phones: ['+44 20 7413 5599', '+44 7798 555 629 (UK mobile)'],
    });
    expect(en.contacts[1]!.phones).toEqual(['+44 20 7413 5566']);
    expect(en.links.map((l) => l.url)).toEqual([
      'http://www.amnesty-eu.org',
      'http://www.amnesty.org/russia/russian',
      'http://www.amnesty.org/russia',
      'http://news.amnesty.org',
    ]);
    expect(en.links[1]!.language).toBe('ru');
    expect(en.bodyMarkdown).toContain('## Background');
    expect(en.bodyMarkdown).toContain('"Both sides in the conflict commit atrocities, but it is of paramount importance');
    expect(en.bodyMarkdown).toContain("in the name of combatting 'international terrorism'.\"");
    expect(en.greeting).toBe('Dear {{ first_name | "colleague" }},');
    // The translation inherits what it does not set.
    expect(ru.file).toBe('releases/eu-russia-summit.ru.md');
    expect(ru.title).toMatch(/^Саммит ЕС — Россия/);
    expect(ru.date).toBe('2002-11-10');
    expect(ru.organisation).toEqual(en.organisation);
    expect(ru.where.date!.file).toBe('releases/eu-russia-summit.md');
    expect(ru.where.title!.file).toBe('releases/eu-russia-summit.ru.md');
    expect(ru.greeting).toContain('Здравствуйте');
    expect(ru.bodyMarkdown).toContain('## Справка');
  });

  it('reads the embargoed example', async () => {
    const r = await loadRelease('releases/examples/embargoed.md', config);
    expect(r.embargo?.instant.toISOString()).toBe('2027-03-16T08:00:00.000Z');
    expect(r.embargo?.zone).toBe('Europe/Brussels');
  });
});

describe('loadRelease: translations and attachments', () => {
  it('inherits unspecified fields, resolves attachments and keeps per-language greetings', async () => {
    const r = await loadRelease(fx('with-translation.md'), config);
    expect(r.variants.map((v) => v.language)).toEqual(['en', 'fr', 'pt-BR']);
    const [en, fr, pt] = r.variants as [(typeof r.variants)[0], (typeof r.variants)[0], (typeof r.variants)[0]];
    expect(fr.title).toBe('Communiqué traduit');
    expect(fr.dateline).toBe('Bruxelles');
    expect(fr.summary).toBe("The original's summary.");
    expect(fr.contacts).toEqual(en.contacts);
    expect(fr.contacts[0]!.phones).toEqual(['+32 2 555 01 23']);
    expect(fr.greeting).toMatch(/Bonjour/);
    expect(pt.greeting).toBeUndefined();
    expect(fr.attachments).toEqual(en.attachments);
    expect(r.attachments).toHaveLength(1);
    expect(r.attachments[0]!.filename).toBe('Fact sheet.txt');
    expect(r.attachments[0]!.path).toMatch(/test\/fixtures\/releases\/attachments\/fact-sheet\.txt$/);
  });

  it('warns (does not fail) when an attachment is above attachments.warnBytes', async () => {
    const small = validateConfig({ attachments: { warnBytes: 10 } });
    const r = await loadRelease(fx('with-translation.md'), small);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/with-translation\.md:\d+ \(attachments\[0\]\).*fact-sheet\.txt.*attachments\.warnBytes/);
  });

  it('fails on a missing attachment, naming the line', async () => {
    const err = await releaseError(fx('missing-attachment.md'));
    expect(err.code).toBe('RELEASE_INVALID');
    expect(err.location).toEqual({ file: fx('missing-attachment.md'), line: 5, field: 'attachments[1].file' });
    expect(err.message).toContain('no-such-file.pdf');
  });

  it('fails on a missing translation file', async () => {
    const err = await releaseError(fx('missing-translation.md'));
    expect(err.code).toBe('RELEASE_INVALID');
    expect(err.location).toEqual({ file: fx('missing-translation.md'), line: 5, field: 'translations[0]' });
    expect(err.message).toContain('missing-translation.de.md');
  });

  it('refuses a translation that lists translations itself', async () => {
    const err = await releaseError(fx('nested-translation.md'));
    expect(err.code).toBe('RELEASE_INVALID');
    expect(err.location).toEqual({ file: fx('nested-translation.de.md'), line: 4, field: 'translations' });
  });

  it('refuses two variants with the same language and a translation that changes the embargo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-release-'));
    writeFileSync(join(dir, 'a.md'), '---\ntitle: A\nlanguage: en\ntranslations: [b.md]\nembargo: "2026-12-01 09:00 Europe/Brussels"\n---\nBody.\n');
    writeFileSync(join(dir, 'b.md'), '---\nlanguage: en\n---\nBody.\n');
    const dup = await releaseError(join(dir, 'a.md'));
    expect(dup.code).toBe('RELEASE_INVALID');
    expect(dup.location?.line).toBe(2);
    expect(dup.message).toContain('already used');
    writeFileSync(join(dir, 'b.md'), '---\nlanguage: de\nembargo: "2026-12-02 09:00 Europe/Brussels"\n---\nText.\n');
    const emb = await releaseError(join(dir, 'a.md'));
    expect(emb.code).toBe('EMBARGO_INVALID');
    expect(emb.location).toMatchObject({ line: 3, field: 'embargo' });
  });
});

describe('loadRelease: malformed releases name file, field and line', () => {
  const cases: [string, string, number, string | undefined, RegExp][] = [
    ['no-title.md', 'RELEASE_INVALID', 2, 'title', /title is required/],
    ['bad-date.md', 'RELEASE_INVALID', 4, 'date', /YYYY-MM-DD/],
    ['unknown-zone.md', 'EMBARGO_INVALID', 4, 'embargo', /unknown time zone "Europe\/Atlantis"/],
    ['unknown-field.md', 'RELEASE_INVALID', 5, 'sumary', /unknown field "sumary"/],
    ['broken-yaml.md', 'RELEASE_INVALID', 4, undefined, /malformed YAML/],
    ['gap-time.md', 'EMBARGO_INVALID', 4, 'embargo', /2026-03-29 02:30 does not exist in Europe\/Brussels/],
    ['ambiguous-time.md', 'EMBARGO_INVALID', 4, 'embargo', /happens twice.*explicit offset/],
    ['wrong-offset.md', 'EMBARGO_INVALID', 4, 'embargo', /does not match Europe\/Brussels/],
    ['bad-contact.md', 'RELEASE_INVALID', 7, 'contacts[1].name', /contacts\[1\]\.name is required.*contacts\[1\]\.email/],
    ['no-front-matter.md', 'RELEASE_INVALID', 1, undefined, /front matter/],
  ];
  for (const [file, code, line, field, message] of cases) {
    it(`${file} → ${code} at line ${line}`, async () => {
      const err = await releaseError(fx(file));
      expect(err.code).toBe(code);
      expect(err.location?.file).toBe(fx(file));
      expect(err.location?.line).toBe(line);
      if (field) expect(err.location?.field).toBe(field);
      expect(err.message).toMatch(message);
      expect(err.message.startsWith(`${fx(file)}:${line}`)).toBe(true);
    });
  }

  it('reports an unreadable release file as FILE_UNREADABLE', async () => {
    const err = await releaseError(fx('does-not-exist.md'));
    expect(err.code).toBe('FILE_UNREADABLE');
  });
});
