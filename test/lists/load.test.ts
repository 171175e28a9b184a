import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PresslineError } from '../../src/errors.js';
import type { Contact } from '../../src/lists/contact.js';
import { loadLists, readContacts } from '../../src/lists/load.js';

const fx = (name: string): string => `test/fixtures/lists/${name}`;
const TMP = join('test/.tmp', `lists-load-${process.pid}`);
mkdirSync(TMP, { recursive: true });
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<PresslineError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    return err as PresslineError;
  }
  throw new Error('expected a PresslineError');
}

const byEmail = (contacts: Contact[], email: string): Contact => {
  const c = contacts.find((x) => x.email === email);
  if (!c) throw new Error(`no contact ${email}`);
  return c;
};

describe('formats', () => {
  it('reads semicolons, a UTF-8 BOM, CRLF, quoted delimiters and a quoted CRLF, with exact lines', async () => {
    const { report, contacts } = await readContacts([fx('semicolon-bom-crlf.csv')]);
    expect(report.rows).toBe(4);
    expect(report.valid).toBe(3);
    expect(report.invalid).toEqual([
      { file: fx('semicolon-bom-crlf.csv'), line: 7, reason: 'invalid email "bad-address": no "@"' },
    ]);
    expect(report.columns).toEqual(['Ressort']);
    expect(contacts.map((c) => c.source.line)).toEqual([2, 4, 6]);
    const markus = byEmail(contacts, 'm.hoffmann@sueddeutsche.example');
    expect(markus).toMatchObject({
      firstName: 'Markus',
      lastName: 'Hoffmann',
      outlet: 'Süddeutsche; Zeitung',
      tags: ['eu-affairs'],
      language: 'de', // "Deutsch"
      timeZone: 'Europe/Berlin', // "europe/berlin"
      country: 'Deutschland',
      extra: { Ressort: 'Außen- politik' }, // the CRLF inside quotes never reaches a field
    });
    expect(byEmail(contacts, 'k.brandt@faz.example').tags).toEqual(['russia', 'foreign']);
    expect(byEmail(contacts, 'l.weber@derstandard.example').language).toBe('de-at');
    expect(report.languages).toEqual({ de: 2, 'de-at': 1 });
  });

  it('sniffs tabs even when values hold commas', async () => {
    const { report, contacts } = await readContacts([fx('tab-delimited.tsv')]);
    expect(report).toMatchObject({ rows: 2, valid: 2, invalid: [], languages: { fr: 2 } });
    expect(contacts[0]).toMatchObject({
      email: 'c.dubois@lemonde.example',
      firstName: 'Claire', // "Given name"
      lastName: 'Dubois', // "Surname"
      outlet: 'Le Monde, Paris', // "Publication"
      tags: ['russia', 'foreign'], // "Topics"
      language: 'fr', // "French" under "Preferred language"
      timeZone: 'Europe/Paris', // "TZ"
      extra: {},
    });
  });

  it('counts lines through quoted multi-line fields (LF and CRLF inside quotes)', async () => {
    const { report, contacts } = await readContacts([fx('multiline.csv')]);
    expect(report.rows).toBe(5);
    expect(report.invalid.map((p) => p.line)).toEqual([7, 10]);
    expect(report.invalid[1]!.reason).toBe('invalid email "bad@@example.com": more than one "@"');
    expect(contacts.map((c) => [c.email, c.source.line])).toEqual([
      ['h.whitfield@dailyledger.example', 2],
      ['tom.b@dailyledger.example', 5],
      ['p.nair@northernwire.example', 8],
    ]);
    expect(contacts[0]!.extra.Notes).toBe('Prefers calls before 10:00 London time');
    expect(contacts[1]!.outlet).toBe('The Daily Ledger');
    expect(contacts[2]!.extra.Notes).toBe('line one line two');
  });

  it('skips blank lines, whitespace-only lines and empty rows without losing line numbers', async () => {
    const { report, contacts } = await readContacts([fx('blank-lines.csv')]);
    expect(report.rows).toBe(3);
    expect(report.valid).toBe(2);
    expect(report.invalid).toEqual([{ file: fx('blank-lines.csv'), line: 10, reason: 'invalid email "no-at-sign": no "@"' }]);
    expect(contacts.map((c) => c.source.line)).toEqual([4, 8]);
    // A single "Name" column is split into first and last name.
    expect(contacts[0]).toMatchObject({ firstName: 'Anna', lastName: 'Schmidt' });
    expect(contacts[1]).toMatchObject({ firstName: 'Bob', lastName: '' });
  });

  it('reports rows with the wrong number of fields', async () => {
    const report = await loadLists([fx('wrong-count.csv')]);
    expect(report.rows).toBe(4);
    expect(report.valid).toBe(2);
    expect(report.invalid).toEqual([
      { file: fx('wrong-count.csv'), line: 3, reason: 'has 5 fields but the header has 4: a delimiter inside an unquoted value, or a missing quote?' },
      { file: fx('wrong-count.csv'), line: 4, reason: 'has 2 fields but the header has 4: a delimiter inside an unquoted value, or a missing quote?' },
    ]);
  });

  it('reports an unclosed quote at the row where it starts', async () => {
    const report = await loadLists([fx('unclosed-quote.csv')]);
    expect(report.rows).toBe(2);
    expect(report.valid).toBe(1);
    expect(report.invalid).toEqual([
      {
        file: fx('unclosed-quote.csv'),
        line: 3,
        reason: 'a quoted value that starts in this row is never closed; the rest of the file was not read',
      },
    ]);
  });

  it('reads a header line longer than one read chunk', async () => {
    const file = join(TMP, 'long-header.csv');
    const long = 'x'.repeat(300_000);
    writeFileSync(file, `Email;"Notes\n${long}"\na@example.com;n\n`);
    const { report, contacts } = await readContacts([file]);
    expect(report.columns).toEqual([`Notes ${long}`]);
    expect(contacts.map((c) => c.source.line)).toEqual([3]);
  });

  it('accepts mixed line endings, a lone-CR file and no final newline', async () => {
    const file = join(TMP, 'mixed.csv');
    writeFileSync(file, 'Email,Name\r\na@example.com,A\nb@example.com,B\rbroken,C\r\nc@example.com,"C\rD"\nlast');
    const { report, contacts } = await readContacts([file]);
    expect(contacts.map((c) => [c.email, c.source.line])).toEqual([
      ['a@example.com', 2],
      ['b@example.com', 3],
      ['c@example.com', 5],
    ]);
    expect(report.invalid.map((p) => [p.line, p.reason])).toEqual([
      [4, 'invalid email "broken": no "@"'],
      [7, 'has 1 field but the header has 2: a delimiter inside an unquoted value, or a missing quote?'],
    ]);
  });
});

describe('encodings', () => {
  it('stops on invalid UTF-8 naming the file and line of the first bad byte, suggesting --encoding', async () => {
    const err = await failure(loadLists([fx('windows-1252.csv')]));
    expect(err.code).toBe('ENCODING');
    expect(err.exitCode).toBe(2);
    expect(err.location).toEqual({ file: fx('windows-1252.csv'), line: 3 });
    expect(err.message).toContain(`${fx('windows-1252.csv')}:3: not valid UTF-8`);
    expect(err.message).toContain('0xE9');
    expect(err.message).toContain('--encoding windows-1252');
  });

  it('decodes windows-1252 with --encoding, without mojibake', async () => {
    const { report, contacts } = await readContacts([fx('windows-1252.csv')], { encoding: 'windows-1252' });
    expect(report.valid).toBe(4);
    expect(contacts.map((c) => `${c.firstName} ${c.lastName} / ${c.outlet}`)).toEqual([
      'Katrin Brandt / FAZ',
      'Amélie Lefèvre / Le Soir',
      'Jürg Müller / Neue Zürcher Zeitung',
      'Pascal Garçon / RFI – Radio France',
    ]);
  });

  it('finds the bad byte on its physical line inside a multi-line field', async () => {
    const err = await failure(loadLists([fx('bad-utf8-multiline.csv')]));
    expect(err.location).toEqual({ file: fx('bad-utf8-multiline.csv'), line: 4 });
  });

  it('rejects a file that ends inside a multi-byte character', async () => {
    const err = await failure(loadLists([fx('truncated-utf8.csv')]));
    expect(err.code).toBe('ENCODING');
    expect(err.location?.line).toBe(2);
    expect(err.message).toContain('ends in the middle of a character');
  });

  it.each(['utf16le-bom.csv', 'utf16be-bom.csv'])('decodes %s automatically', async (name) => {
    const { report, contacts } = await readContacts([fx(name)]);
    expect(report).toMatchObject({ rows: 2, valid: 2, languages: { ru: 2 } });
    expect(contacts[0]).toMatchObject({ firstName: 'Наталья', lastName: 'Лебедева', language: 'ru' });
    // "Last, First" in a full-name column; "Russian" as a language name.
    expect(contacts[1]).toMatchObject({ firstName: 'Анна', lastName: 'Соколова', outlet: 'Новая газета Европа', language: 'ru' });
    expect(contacts[1]!.source.line).toBe(3);
  });

  it('recognises UTF-16 without a BOM and says which --encoding to use', async () => {
    const err = await failure(loadLists([fx('utf16le-no-bom.csv')]));
    expect(err.code).toBe('ENCODING');
    expect(err.message).toContain('--encoding utf-16le');
    const { report } = await readContacts([fx('utf16le-no-bom.csv')], { encoding: 'utf-16le' });
    expect(report.valid).toBe(2);
  });

  it('keeps characters split across read chunks intact', async () => {
    // 256 KiB chunks: pad so that multi-byte characters straddle several chunk boundaries.
    const rows = ['Email,Name,Notes'];
    for (let i = 0, size = 0; size < 1_200_000; i++) {
      const row = `p${i}@example.com,Пётр ${i},${'€😀ж'.repeat(i % 50)}`;
      rows.push(row);
      size += Buffer.byteLength(row) + 1;
    }
    const file = join(TMP, 'big-utf8.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    const names: string[] = [];
    const report = await loadLists([file], { onContact: (c) => names.push(c.firstName + c.extra.Notes) });
    expect(report.invalid).toEqual([]);
    expect(report.valid).toBe(rows.length - 1);
    expect(names.every((n) => !n.includes('\uFFFD'))).toBe(true);
    expect(names[49]).toBe('Пётр' + '€😀ж'.repeat(49));
  });

  it('refuses an unknown encoding name before reading', async () => {
    const err = await failure(loadLists([fx('segment.csv')], { encoding: 'klingon-8' }));
    expect(err.code).toBe('USAGE');
  });
});

describe('row checks', () => {
  it('explains each bad address, trims spaces and keeps apostrophes and plus signs', async () => {
    const report = await loadLists([fx('bad-emails.csv')]);
    expect(report.rows).toBe(15);
    expect(report.valid).toBe(2);
    expect(report.invalid.map((p) => [p.line, p.reason])).toEqual([
      [2, 'invalid email "plainaddress": no "@"'],
      [3, 'invalid email "@example.com": nothing before "@"'],
      [4, 'invalid email "anna@": nothing after "@"'],
      [5, 'invalid email "anna..smith@example.com": a dot may not start or end the part before "@" or be doubled'],
      [6, 'invalid email ".anna@example.com": a dot may not start or end the part before "@" or be doubled'],
      [7, 'invalid email "anna smith@example.com": contains a space'],
      [8, 'invalid email "anna@example": "example" is not a valid domain'],
      [9, 'invalid email "anna@exa_mple.com": "exa_mple.com" is not a valid domain'],
      [12, 'missing email'],
      [14, 'invalid email "иван@example.com": non-ASCII characters before "@" are not supported'],
      [15, 'invalid email "anna@-example.com": "-example.com" is not a valid domain'],
      [16, 'invalid email "x@example.com.": "example.com." is not a valid domain'],
    ]);
    expect(report.duplicates).toEqual([
      { file: fx('bad-emails.csv'), line: 11, email: 'ANNA@EXAMPLE.COM', first: { file: fx('bad-emails.csv'), line: 10 } },
    ]);
    const { contacts } = await readContacts([fx('bad-emails.csv')]);
    expect(contacts.map((c) => c.email)).toEqual(['anna@example.com', "john.o'neill+press@example.org"]);
  });

  it('accepts internationalised domains and dedupes them by their punycode key', async () => {
    const { report, contacts } = await readContacts([fx('idn.csv')]);
    expect(contacts.map((c) => [c.email, c.key, c.domain])).toEqual([
      ['anna@bücher.example', 'anna@xn--bcher-kva.example', 'xn--bcher-kva.example'],
      ['info@пример.рф', 'info@xn--e1afmkfd.xn--p1ai', 'xn--e1afmkfd.xn--p1ai'],
    ]);
    expect(report.duplicates).toEqual([
      { file: fx('idn.csv'), line: 3, email: 'ANNA@xn--bcher-kva.example', first: { file: fx('idn.csv'), line: 2 } },
    ]);
    expect(report.invalid).toEqual([
      { file: fx('idn.csv'), line: 5, reason: 'invalid email "bad@bü_cher.example": "bü_cher.example" is not a valid domain' },
    ]);
  });

  it('rejects control characters in email, language and time zone and neutralises them elsewhere', async () => {
    const { report, contacts } = await readContacts([fx('control-chars.csv')]);
    expect(report.invalid.map((p) => [p.line, p.reason])).toEqual([
      [3, 'invalid email "b\\t@example.com": contains a control character'],
      [4, 'column "Language": language "e\\u0007n" contains a control character'],
      [5, 'time zone "Europe/\\u0000Paris" contains a control character'],
    ]);
    expect(contacts.map((c) => c.source.line)).toEqual([2, 6, 9]); // two lone CRs inside quotes on line 6
    expect(contacts[0]).toMatchObject({ firstName: 'Anna Maria', outlet: 'Evil gnp.exe Times', extra: { Desk: 'News Desk' } });
    expect(contacts[1]).toMatchObject({ lastName: 'Null Byte', outlet: 'Outlet Name', extra: { Desk: 'lots of space' } });
    const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
    for (const c of contacts) {
      for (const value of [c.firstName, c.lastName, c.outlet, c.country, ...c.tags, ...Object.values(c.extra)]) {
        expect(value).not.toMatch(unsafe);
      }
    }
  });

  it('validates and normalises languages (tags and names) and time zones', async () => {
    const { report, contacts } = await readContacts([fx('languages.csv')]);
    expect(report.invalid.map((p) => [p.line, p.reason])).toEqual([
      [5, 'column "Language": language "Klingonese" is not a language tag or name (use e.g. "en", "ru", "pt-BR" or "English")'],
      [6, 'time zone "Mars/Olympus_Mons" is not an IANA time zone (use e.g. "Europe/Moscow", "Europe/Brussels", "UTC")'],
      [8, 'column "Language": language "xx" is not a language tag or name (use e.g. "en", "ru", "pt-BR" or "English")'],
    ]);
    expect(contacts.map((c) => [c.email, c.language])).toEqual([
      ['a@example.com', 'en'],
      ['b@example.com', 'ru'],
      ['c@example.com', 'pt-br'],
      ['f@example.com', 'ru'],
      ['h@example.com', 'de'],
    ]);
    expect(contacts[0]!.timeZone).toBe('Europe/London');
    expect(['Europe/Kiev', 'Europe/Kyiv']).toContain(contacts[3]!.timeZone);
    expect(contacts[4]!.timeZone).toBe('');
    expect(report.languages).toEqual({ ru: 2, de: 1, en: 1, 'pt-br': 1 });
  });
});

describe('duplicates and files', () => {
  it('dedupes across files, first occurrence wins, each later one names the first', async () => {
    const { report, contacts } = await readContacts([fx('dup-a.csv'), fx('dup-b.csv')]);
    expect(report.rows).toBe(6);
    expect(report.valid).toBe(3);
    expect(report.invalid).toEqual([]);
    expect(report.duplicates).toEqual([
      { file: fx('dup-a.csv'), line: 4, email: 'A@Example.com', first: { file: fx('dup-a.csv'), line: 2 } },
      { file: fx('dup-b.csv'), line: 3, email: 'B@EXAMPLE.COM', first: { file: fx('dup-a.csv'), line: 3 } },
      { file: fx('dup-b.csv'), line: 4, email: 'a@example.com', first: { file: fx('dup-a.csv'), line: 2 } },
    ]);
    expect(contacts.map((c) => `${c.source.file}:${c.source.line} ${c.firstName}`)).toEqual([
      `${fx('dup-a.csv')}:2 Anna`,
      `${fx('dup-a.csv')}:3 Bob`,
      `${fx('dup-b.csv')}:2 Carl`,
    ]);
    expect(report.languages).toEqual({ '': 3 });
  });

  it('gives the same file twice: every row of the second copy is a duplicate of the first', async () => {
    const report = await loadLists([fx('dup-a.csv'), fx('dup-a.csv')]);
    expect(report.valid).toBe(2);
    expect(report.duplicates.map((d) => [d.line, d.first.line])).toEqual([
      [4, 2],
      [2, 2],
      [3, 3],
      [4, 2],
    ]);
  });

  it('fails with LIST_HEADER when no column holds addresses', async () => {
    const err = await failure(loadLists([fx('no-email.csv')]));
    expect(err.code).toBe('LIST_HEADER');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('no email column');
    expect(err.message).toContain('"Name", "Outlet"');
  });

  it('fails with LIST_HEADER on an empty file and FILE_UNREADABLE on a missing one', async () => {
    expect((await failure(loadLists([fx('empty.csv')]))).code).toBe('LIST_HEADER');
    const missing = await failure(loadLists([fx('dup-a.csv'), fx('nope.csv')]));
    expect(missing.code).toBe('FILE_UNREADABLE');
    expect(missing.message).toBe(`${fx('nope.csv')}: cannot read list: no such file`);
    const dir = await failure(loadLists(['test/fixtures/lists']));
    expect(dir.code).toBe('FILE_UNREADABLE');
  });

  it('loads the example list cleanly', async () => {
    const { report, contacts } = await readContacts(['lists/journalists.csv']);
    expect(report.invalid).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect(report.valid).toBeGreaterThanOrEqual(40);
    expect(report.columns).toEqual(['Desk']);
    for (const lang of ['en', 'ru', 'fr', 'de', 'nl']) expect(report.languages[lang]).toBeGreaterThan(0);
    for (const c of contacts) expect(c.domain).toMatch(/(^|\.)(example|example\.com|example\.org|example\.net)$/);
  });
});

describe('wide lists (issue 15)', () => {
  it('keeps on each contact only the extra columns asked for, plus those a --where term reads', async () => {
    const file = join(TMP, 'wide.csv');
    const extras = Array.from({ length: 300 }, (_, k) => `Col ${k + 1}`);
    const rows = [0, 1, 2].map((i) => [`j${i}@news.example`, `Jo${i}`, ...extras.map((_, k) => `v${i}.${k + 1}`), i === 1 ? 'emea' : 'apac'].join(','));
    writeFileSync(file, [['Email', 'First Name', ...extras, 'Region'].join(','), ...rows].join('\n') + '\n');

    const { report, contacts } = await readContacts([file], { where: ['region=apac'], columns: new Set(['Col 2', 'Col 300']) });
    expect(report.columns).toHaveLength(301); // every column is still known (merge fields, checks)
    expect(contacts.map((c) => c.extra)).toEqual([
      { 'Col 2': 'v0.2', 'Col 300': 'v0.300', Region: 'apac' },
      { 'Col 2': 'v2.2', 'Col 300': 'v2.300', Region: 'apac' },
    ]);
    // Without `columns`, every column, as before.
    const all = await readContacts([file]);
    expect(Object.keys(all.contacts[0]!.extra)).toHaveLength(301);
  });

  it('cuts a first, last or full name longer than 150 characters, and says where (issue 15)', async () => {
    const file = join(TMP, 'long-names.csv');
    const astral = 'a' + '😀'.repeat(100); // the 150th UTF-16 unit is the first half of a pair: not cut apart
    writeFileSync(file, `Email,Name,First Name\na@news.example,,${'J'.repeat(5000)}\nb@news.example,${astral} Doe,\nc@news.example,Jo Doe,Jo\n`);
    const { report, contacts } = await readContacts([file]);
    expect(report.capped).toEqual([
      { file, line: 2, column: 'First Name', length: 5000 },
      { file, line: 3, column: 'Name', length: 205 },
    ]);
    expect(byEmail(contacts, 'a@news.example').firstName).toBe('J'.repeat(150));
    // "Name" beside "First Name" is the last name (issue 16: exports such as French "Prénom"/"Nom").
    expect(byEmail(contacts, 'b@news.example').lastName).toBe('a' + '😀'.repeat(74));
    expect(byEmail(contacts, 'c@news.example').firstName).toBe('Jo');
  });
});
