import { describe, expect, it } from 'vitest';
import { PresslineError } from '../../src/errors.js';
import type { Contact } from '../../src/lists/contact.js';
import { loadLists, readContacts } from '../../src/lists/load.js';
import { matchesSegment, parseWhere } from '../../src/lists/segment.js';

const SEGMENT = 'test/fixtures/lists/segment.csv';

async function emails(where: string[]): Promise<string[]> {
  const { contacts } = await readContacts([SEGMENT], { where });
  return contacts.map((c) => c.email[0]!);
}

async function usageError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as PresslineError).code).toBe('USAGE');
    return (err as PresslineError).message;
  }
  throw new Error('expected a USAGE error');
}

describe('parseWhere', () => {
  it('parses = and !=, splits values on commas, lower-cases and resolves aliases', () => {
    expect(parseWhere(['Beats=Russia, Foreign', 'desk!=sport', 'Time Zone=Europe/Paris', 'language=English,pt_BR'])).toEqual({
      terms: [
        { expr: 'Beats=Russia, Foreign', key: 'Beats', field: 'tags', negate: false, values: ['russia', 'foreign'] },
        { expr: 'desk!=sport', key: 'desk', field: undefined, negate: true, values: ['sport'] },
        { expr: 'Time Zone=Europe/Paris', key: 'Time Zone', field: 'timeZone', negate: false, values: ['europe/paris'] },
        { expr: 'language=English,pt_BR', key: 'language', field: 'language', negate: false, values: ['en', 'pt-br'] },
      ],
    });
    expect(parseWhere(['beat=a', 'tags=b', 'topics=c', 'first_name=x', 'domain=Bücher.example']).terms.map((t) => [t.field, t.values])).toEqual([
      ['tags', ['a']],
      ['tags', ['b']],
      ['tags', ['c']],
      ['firstName', ['x']],
      ['domain', ['xn--bcher-kva.example']],
    ]);
    expect(parseWhere(['language=']).terms[0]!.values).toEqual(['']);
  });

  it.each(['beat', '=russia', '!=russia', 'beat==russia', ' = x'])('rejects %j with USAGE', (expr) => {
    expect(() => parseWhere([expr])).toThrow(PresslineError);
    try {
      parseWhere([expr]);
    } catch (err) {
      expect((err as PresslineError).code).toBe('USAGE');
      expect((err as PresslineError).message).toContain(JSON.stringify(expr));
    }
  });
});

describe('matchesSegment', () => {
  const contact: Contact = {
    email: 'Anna@Example.com',
    key: 'anna@example.com',
    domain: 'example.com',
    firstName: 'Anna',
    lastName: 'Sokolova',
    outlet: 'Meduza',
    tags: ['Russia', 'human-rights'],
    language: 'ru',
    country: 'Latvia',
    timeZone: 'Europe/Riga',
    extra: { 'Press Desk': 'News' },
    source: { file: 'x.csv', line: 2 },
  };
  const holds = (...where: string[]): boolean => matchesSegment(contact, parseWhere(where));

  it('matches case-insensitively, tags by any value, all terms together', () => {
    expect(holds('beat=russia')).toBe(true);
    expect(holds('beat=foreign,HUMAN-RIGHTS')).toBe(true);
    expect(holds('beat=foreign')).toBe(false);
    expect(holds('beat=russia', 'language=ru', 'country=latvia', 'outlet=MEDUZA')).toBe(true);
    expect(holds('beat=russia', 'language=en')).toBe(false);
    expect(holds('email=ANNA@example.com', 'domain=example.com', 'name=anna sokolova')).toBe(true);
    expect(holds('time_zone=europe/riga', 'first name=anna', 'surname=SOKOLOVA')).toBe(true);
  });

  it('supports != and empty values', () => {
    expect(holds('beat!=russia')).toBe(false);
    expect(holds('beat!=defence,foreign')).toBe(true);
    expect(holds('language=')).toBe(false);
    expect(holds('language!=')).toBe(true);
  });

  it('finds extra columns by header name regardless of case and spacing', () => {
    expect(holds('press desk=news')).toBe(true);
    expect(holds('PRESS_DESK=News')).toBe(true);
    expect(holds('pressdesk!=news')).toBe(false);
  });
});

describe('--where through loadLists', () => {
  it('filters on tags (beat/beats/tags/topics), with any-of values and negation', async () => {
    expect(await emails(['beat=russia'])).toEqual(['a', 'c', 'e']);
    expect(await emails(['topics=russia,defence'])).toEqual(['a', 'b', 'c', 'e']);
    expect(await emails(['tags!=russia'])).toEqual(['b', 'd', 'f']);
  });

  it('filters on language (regional variants included, names accepted, empty = none)', async () => {
    expect(await emails(['beat=russia', 'language=en'])).toEqual(['e']);
    expect(await emails(['language=English'])).toEqual(['b', 'e']);
    expect(await emails(['language='])).toEqual(['f']);
  });

  it('filters on recognised and extra columns case-insensitively', async () => {
    expect(await emails(['desk=foreign'])).toEqual(['b', 'd']);
    expect(await emails(['DESK=Foreign', 'country=united kingdom'])).toEqual(['b']);
  });

  it('counts matched contacts and their languages only', async () => {
    const report = await loadLists([SEGMENT], { where: ['beat=russia'] });
    expect(report.valid).toBe(6);
    expect(report.matched).toBe(3);
    expect(report.languages).toEqual({ 'en-gb': 1, fr: 1, ru: 1 });
  });

  it('rejects a key the header does not have, naming the key and the columns', async () => {
    const message = await usageError(loadLists([SEGMENT], { where: ['region=baltics'] }));
    expect(message).toContain('--where "region=baltics"');
    expect(message).toContain(`${SEGMENT} has no column "region"`);
    expect(message).toContain('"Email", "First Name", "Last Name", "Outlet", "Beats", "Language", "Country", "Time Zone", "Desk"');
    // A recognised key is still unknown when this file lacks the column.
    const missing = await usageError(loadLists(['test/fixtures/lists/blank-lines.csv'], { where: ['beat=russia'] }));
    expect(missing).toContain('has no column "beat"');
  });
});
