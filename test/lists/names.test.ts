import { describe, expect, it } from 'vitest';
import { mapHeader } from '../../src/lists/headers.js';
import { readContacts } from '../../src/lists/load.js';
import { contactName, peelTitle, splitFullName } from '../../src/lists/names.js';
import { sniffDelimiter } from '../../src/lists/sniff.js';
import { splitTags } from '../../src/lists/tags.js';
import { checkEmail } from '../../src/lists/email.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('names and titles', () => {
  it('splits honorifics off full names, in several languages, never into the first name', () => {
    const cases: [string, [string, string, string]][] = [
      ['Dr. Anna Schmidt', ['Dr.', 'Anna', 'Schmidt']],
      ['Dr. med. Anna Schmidt', ['Dr. med.', 'Anna', 'Schmidt']],
      ['Prof. Dr. rer. nat. Jan de Vries', ['Prof. Dr. rer. nat.', 'Jan', 'de Vries']],
      ['Mme Claire Martin', ['Mme', 'Claire', 'Martin']],
      ['M. Jean Dupont', ['M.', 'Jean', 'Dupont']],
      ['Sra. María García López', ['Sra.', 'María', 'García López']],
      ['Dott.ssa Giulia Bianchi', ['Dott.ssa', 'Giulia', 'Bianchi']],
      ['Mgr Piotr Zieliński', ['Mgr', 'Piotr', 'Zieliński']],
      ['Schmidt, Dr. Anna', ['Dr.', 'Anna', 'Schmidt']],
      ['Herr Becker', ['Herr', '', 'Becker']],
      // Not titles: an initial without its dot, and given names that look like one.
      ['M Jean Dupont', ['', 'M', 'Jean Dupont']],
      ['Don Murray', ['', 'Don', 'Murray']],
      ['Drew Smith', ['', 'Drew', 'Smith']],
      ['Anna', ['', 'Anna', '']],
    ];
    for (const [full, want] of cases) {
      const got = splitFullName(full);
      expect([full, got.title, got.firstName, got.lastName]).toEqual([full, ...want]);
    }
    expect(peelTitle('Frau Dr. Katrin')).toEqual(['Frau Dr.', 'Katrin']);
    expect(peelTitle('Katrin')).toEqual(['', 'Katrin']);
    // A degree part only counts after a title: "Med." alone is not one.
    expect(peelTitle('med. Katrin')).toEqual(['', 'med. Katrin']);
  });

  it('reads a "Name" column beside a first name that holds title and full name', () => {
    const parts = contactName({ title: '', first: 'Anna', last: 'Dr. Anna Schmidt', full: '', lastIsName: true });
    expect(parts).toEqual({ title: 'Dr.', firstName: 'Anna', lastName: 'Schmidt', fullInLast: true });
    // A real surname column is left alone.
    expect(contactName({ title: '', first: 'Anna', last: 'Anna Schmidt', full: '', lastIsName: false }).lastName).toBe('Anna Schmidt');
  });
});

describe('tag cells', () => {
  it('reads plain, Mailchimp-quoted and Google group cells', () => {
    expect(splitTags('russia, foreign')).toEqual(['russia', 'foreign']);
    expect(splitTags('"Press","EU Affairs"')).toEqual(['Press', 'EU Affairs']);
    expect(splitTags('"Energy, Climate", Press')).toEqual(['Energy, Climate', 'Press']);
    expect(splitTags('"Say ""hi""",x')).toEqual(['Say "hi"', 'x']);
    expect(splitTags('"unclosed, tag')).toEqual(['unclosed, tag']);
    expect(splitTags('Anna "Ania" fans; b')).toEqual(['Anna "Ania" fans', 'b']);
    expect(splitTags('* myContacts ::: Press ::: EU Affairs')).toEqual(['Press', 'EU Affairs']);
    expect(splitTags('')).toEqual([]);
  });
});

describe('headers that depend on their neighbours', () => {
  const fields = (cells: string[]) => {
    const map = mapHeader(cells, 'x.csv', 1);
    return Object.fromEntries(Object.entries(map.index).filter(([, i]) => i !== -1).map(([f, i]) => [f, cells[i]]));
  };

  it('reads Name/Nom as the surname only beside a first name, Nombre/Nome as the first name beside a surname', () => {
    expect(fields(['Email', 'Vorname', 'Name'])).toMatchObject({ firstName: 'Vorname', lastName: 'Name' });
    expect(fields(['Email', 'Name'])).toMatchObject({ name: 'Name' });
    // Google Contacts: Name beside Given and Family Name is the full name.
    expect(fields(['Email', 'Name', 'Given Name', 'Family Name'])).toMatchObject({ name: 'Name', firstName: 'Given Name', lastName: 'Family Name' });
    expect(fields(['Email', 'Nombre', 'Apellidos'])).toMatchObject({ firstName: 'Nombre', lastName: 'Apellidos' });
    expect(fields(['Email', 'Nombre'])).toMatchObject({ name: 'Nombre' });
  });

  it('takes "Title" as the honorific only beside a job-title column', () => {
    expect(fields(['Email', 'Title', 'First Name'])).not.toHaveProperty('title');
    expect(fields(['Email', 'Title', 'First Name', 'Job Title'])).toMatchObject({ title: 'Title' });
  });

  it('does not swallow unrelated columns as the outlet, and prefers the specific one of two', () => {
    expect(fields(['Email', 'Media Type', 'Company Phone', 'Organization 1 - Title'])).not.toHaveProperty('outlet');
    expect(fields(['Email', 'Company', 'Publication'])).toMatchObject({ outlet: 'Publication' });
    expect(mapHeader(['Email', 'Company', 'Publication'], 'x.csv', 1).notes).toHaveLength(1);
    // Two address columns stay refused whichever spelling is more specific.
    expect(() => mapHeader(['Mail', 'Email'], 'x.csv', 1)).toThrow('both hold the e-mail address');
  });

  it('strips invisible characters from header cells', () => {
    const map = mapHeader(['\u200bEmail\ufeff', 'Firma\u200e'], 'x.csv', 1);
    expect(map.columns).toEqual(['Email', 'Firma']);
    expect(map.index).toMatchObject({ email: 0, outlet: 1 });
  });
});

describe('sep= line and invisible characters in addresses', () => {
  it('takes the delimiter from an Excel sep= line', () => {
    expect(sniffDelimiter(bytes('sep=;\r\nEmail,Name;Outlet\r\n'), false)).toBe(';');
    expect(sniffDelimiter(bytes('sep=\t\nEmail;Name\tOutlet\n'), false)).toBe('\t');
    expect(sniffDelimiter(bytes('sep'), false)).toBeUndefined(); // wait for more
    expect(sniffDelimiter(bytes('separator;Email,Name,Outlet\n'), false)).toBe(',');
  });

  it('removes zero-width and bidi characters before validating an address', () => {
    for (const c of ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069']) {
      expect(checkEmail(`anna${c}@example.com${c}`)).toMatchObject({ ok: true, email: 'anna@example.com', key: 'anna@example.com' });
    }
    expect(checkEmail('\u200b')).toEqual({ ok: false, reason: 'missing email' });
  });
});

describe('--where on titles', () => {
  it('selects by a title taken off the name column, case-insensitively', async () => {
    const { contacts } = await readContacts(['test/fixtures/lists/export-muckrack.csv'], { where: ['name_prefix=dr.'] });
    expect(contacts.map((c) => c.lastName)).toEqual(['Halvorsen', 'Okonkwo']);
  });
});
