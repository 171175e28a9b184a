import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../../src/lists/decode.js';
import { checkEmail } from '../../src/lists/email.js';
import { fieldForHeader, mapHeader } from '../../src/lists/headers.js';
import { KeyIndex } from '../../src/lists/keyindex.js';
import { sniffDelimiter } from '../../src/lists/sniff.js';
import { cleanText, countLineBreaks, neutralize } from '../../src/lists/text.js';
import { checkLanguage, checkTimeZone } from '../../src/lists/validate.js';
import { PresslineError } from '../../src/errors.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('sniffDelimiter', () => {
  it('counts candidates outside quotes on the first non-blank line', () => {
    expect(sniffDelimiter(bytes('a;b;c\n1,2,3,4,5\n'), false)).toBe(';');
    expect(sniffDelimiter(bytes('"a,b,c";d;e\n'), false)).toBe(';');
    expect(sniffDelimiter(bytes('\r\n\na\tb,c\td\n'), false)).toBe('\t');
    expect(sniffDelimiter(bytes('a|b|c\n'), false)).toBe('|');
    expect(sniffDelimiter(bytes('email\n'), false)).toBe(',');
    expect(sniffDelimiter(bytes('a,b;c\n'), false)).toBe(','); // tie: comma
  });

  it('waits for the end of the header line unless told the input is final', () => {
    expect(sniffDelimiter(bytes('a;b;"multi\nline";c'), false)).toBeUndefined();
    expect(sniffDelimiter(bytes('a;b;"multi\nline";c'), true)).toBe(';');
    expect(sniffDelimiter(bytes('a;b;"multi\nline";c\n'), false)).toBe(';');
  });
});

describe('headers', () => {
  it('recognises export spellings', () => {
    const cases: [string, string | undefined][] = [
      ['E-mail Address', 'email'], ['EMAIL', 'email'], ['E-Mail', 'email'], ['email_address', 'email'],
      ['Given name', 'firstName'], ['First Name', 'firstName'], ['Surname', 'lastName'], ['Last Name', 'lastName'],
      ['Full name', 'name'], ['Media outlet', 'outlet'], ['Publication', 'outlet'], ['Beat', 'tags'],
      ['Topics', 'tags'], ['Preferred language', 'language'], ['Time zone', 'timeZone'], ['TZ', 'timeZone'],
      ['Timezone', 'timeZone'], ['Country/Region', 'country'], ['Desk', undefined], ['Notes', undefined],
    ];
    for (const [header, field] of cases) expect([header, fieldForHeader(header)]).toEqual([header, field]);
  });

  it('maps fields and extras, skips empty headers and refuses columns that mean the same thing', () => {
    const map = mapHeader(['Email', 'Beat', 'Notes', 'Desk', ''], 'x.csv', 1);
    expect(map.index.tags).toBe(1);
    expect(map.extras).toEqual([
      { index: 2, name: 'Notes' },
      { index: 3, name: 'Desk' },
    ]);
    expect(() => mapHeader(['Email', '__proto__'], 'x.csv', 1)).toThrow(PresslineError);
    // Beat and Tags both mean tags: the first is the field, the second stays as its own column.
    expect(mapHeader(['Email', 'Beat', 'Tags'], 'x.csv', 1)).toMatchObject({ index: { tags: 1 }, extras: [{ index: 2, name: 'Tags' }] });
    expect(() => mapHeader(['Email', 'E-mail Address'], 'x.csv', 1)).toThrow('columns "Email" and "E-mail Address" both hold the e-mail address');
    expect(() => mapHeader(['Email', 'Notes', 'notes'], 'x.csv', 1)).toThrow('columns "Notes" and "notes" have the same name');
  });
});

describe('checkEmail', () => {
  it('accepts dot-atoms and builds keys', () => {
    expect(checkEmail('  Anna.Smith+press@Example.COM ')).toEqual({
      ok: true,
      email: 'Anna.Smith+press@Example.COM',
      key: 'anna.smith+press@example.com',
      domain: 'example.com',
    });
    expect(checkEmail("o'neill@news.bbc.example").ok).toBe(true);
    expect(checkEmail('x@xn--bcher-kva.example').ok).toBe(true);
    expect(checkEmail('Anna@BÜCHER.example')).toMatchObject({ ok: true, key: 'anna@xn--bcher-kva.example' });
  });

  it('rejects what the RFC 5322 dot-atom form does not allow', () => {
    for (const bad of ['"quoted"@example.com', 'a@b@example.com', 'a@[127.0.0.1]', 'a@localhost', 'a@example..com', `${'x'.repeat(65)}@example.com`, 'a\u0000@example.com', 'a@123.456']) {
      expect([bad, checkEmail(bad).ok]).toEqual([bad, false]);
    }
  });
});

describe('language and time zone', () => {
  it('normalises tags and names', () => {
    expect(checkLanguage('EN')).toEqual({ ok: true, value: 'en' });
    expect(checkLanguage('pt-BR')).toEqual({ ok: true, value: 'pt-br' });
    expect(checkLanguage('en_GB')).toEqual({ ok: true, value: 'en-gb' });
    expect(checkLanguage('Russian')).toEqual({ ok: true, value: 'ru' });
    expect(checkLanguage('dutch')).toEqual({ ok: true, value: 'nl' });
    expect(checkLanguage('Hebrew')).toEqual({ ok: true, value: 'he' });
    expect(checkLanguage('Français')).toEqual({ ok: true, value: 'fr' });
    expect(checkLanguage('  ')).toEqual({ ok: true, value: '' });
    expect(checkLanguage('english please').ok).toBe(false);
    expect(checkLanguage('qq').ok).toBe(false);
  });

  it('canonicalises IANA zones and rejects others', () => {
    expect(checkTimeZone('europe/moscow')).toEqual({ ok: true, value: 'Europe/Moscow' });
    expect(checkTimeZone('UTC')).toEqual({ ok: true, value: 'UTC' });
    expect(checkTimeZone('Europe/Atlantis').ok).toBe(false);
    expect(checkTimeZone('+03:00').ok).toBe(false);
  });
});

describe('text', () => {
  it('neutralises control, C1, separator and bidi characters and collapses spaces', () => {
    expect(neutralize('a\r\nb\tc\u0085d\u2028e\u202Ef\u2066g  h\u0000')).toBe('a b c d e f g h');
    expect(cleanText('  plain  ')).toBe('plain');
  });

  it('counts CRLF, LF and lone CR once each', () => {
    expect(countLineBreaks('a\r\nb\nc\rd\r\n\r')).toBe(5);
    expect(countLineBreaks('none')).toBe(0);
  });
});

describe('firstInvalidUtf8', () => {
  it('finds overlongs, surrogates, stray continuation bytes and truncation', () => {
    expect(firstInvalidUtf8(bytes('ok ж € 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong "/"
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x80]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });
});

describe('KeyIndex', () => {
  it('stores the first value per key through many resizes', () => {
    const index = new KeyIndex(16);
    let fresh = 0;
    for (let i = 0; i < 50_000; i++) if (index.getOrSet(`k${i}@example.com`, i) === -1) fresh++;
    expect(fresh).toBe(50_000);
    expect(index.size).toBe(50_000);
    const again: number[] = [];
    for (let i = 0; i < 50_000; i += 9_973) again.push(index.getOrSet(`k${i}@example.com`, 7));
    expect(again).toEqual([0, 9_973, 19_946, 29_919, 39_892, 49_865]);
    expect(index.get('k49999@example.com')).toBe(49_999);
    expect(index.get('absent@example.com')).toBe(-1);
    expect(index.size).toBe(50_000);
  });
});
