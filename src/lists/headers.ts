import { PresslineError } from '../errors.js';

/** The recognised list columns; `name` is a full-name column split into first/last when those are absent. */
export type ColumnField =
  | 'email'
  | 'firstName'
  | 'lastName'
  | 'name'
  | 'outlet'
  | 'tags'
  | 'language'
  | 'country'
  | 'timeZone';

export const COLUMN_FIELDS: readonly ColumnField[] = [
  'email',
  'firstName',
  'lastName',
  'name',
  'outlet',
  'tags',
  'language',
  'country',
  'timeZone',
];

/**
 * Header spellings seen in spreadsheet, CRM and media-database exports, in normalised form
 * (see `normalizeHeader`: lower case, letters and digits only), so "E-mail Address", "email_address"
 * and "EMAIL ADDRESS" are one entry.
 */
const ALIASES: Record<ColumnField, readonly string[]> = {
  email: [
    'email', 'emailaddress', 'emailaddr', 'mail', 'primaryemail', 'workemail', 'businessemail',
    'emailadresse', 'courriel', 'adressemail', 'adresseemail', 'почта', 'электроннаяпочта', 'емейл',
  ],
  firstName: ['firstname', 'givenname', 'forename', 'first', 'vorname', 'prénom', 'prenom', 'voornaam', 'имя'],
  lastName: ['lastname', 'surname', 'familyname', 'last', 'nachname', 'nomdefamille', 'achternaam', 'фамилия'],
  name: ['name', 'fullname', 'contactname', 'journalist', 'journalistname', 'contact', 'nom', 'naam', 'фио'],
  outlet: [
    'outlet', 'publication', 'mediaoutlet', 'outletname', 'media', 'medium', 'company', 'organisation',
    'organization', 'newsroom', 'masthead', 'publisher', 'média', 'издание', 'сми',
  ],
  tags: ['beat', 'beats', 'tags', 'tag', 'topics', 'topic', 'subjects', 'subject', 'coverage', 'themes'],
  language: ['language', 'preferredlanguage', 'lang', 'locale', 'sprache', 'langue', 'taal', 'язык'],
  country: ['country', 'countryregion', 'nation', 'land', 'pays', 'страна'],
  timeZone: ['timezone', 'tz', 'zone', 'tzname', 'zeitzone', 'fuseauhoraire', 'часовойпояс'],
};

const ALIAS_TO_FIELD = new Map<string, ColumnField>();
for (const field of COLUMN_FIELDS) for (const alias of ALIASES[field]) ALIAS_TO_FIELD.set(alias, field);

const NON_ALNUM = /[^\p{L}\p{N}]+/gu;

/** Case-, space- and punctuation-insensitive form of a header or `--where` key ("Time Zone" → "timezone"). */
export function normalizeHeader(header: string): string {
  return header.normalize('NFKC').toLowerCase().replace(NON_ALNUM, '');
}

/** The recognised field a header (or `--where` key) stands for, or undefined for an extra column. */
export function fieldForHeader(header: string): ColumnField | undefined {
  return ALIAS_TO_FIELD.get(normalizeHeader(header));
}

/** One extra (unrecognised) column: where it sits and its header as written. */
export interface ExtraColumn {
  index: number;
  name: string;
}

/** A file's header, mapped once so rows are read by index. */
export interface HeaderMap {
  /** The header cells as written (trimmed), one per column. */
  columns: string[];
  /** Column index of each recognised field, -1 when the list lacks it (first matching column wins). */
  index: Record<ColumnField, number>;
  extras: ExtraColumn[];
}

/**
 * Maps a header row. Throws LIST_HEADER when no column holds e-mail addresses, two columns have the
 * same name or both hold the address, or a header could corrupt merge-field objects (`__proto__`).
 */
export function mapHeader(cells: string[], file: string, line: number): HeaderMap {
  const index = {} as Record<ColumnField, number>;
  for (const f of COLUMN_FIELDS) index[f] = -1;
  const extras: ExtraColumn[] = [];
  // Two columns with the same name, or two address columns, are ambiguous (which value does a merge
  // field or `--where` read? which address is the contact's?), so they are refused. Two other
  // columns for one field (Beat and Tags) are not: the first is the field, the next an extra column
  // under its own name, as media databases export both.
  const seenNames = new Map<string, string>();
  const columns = cells.map((c) => c.trim());
  columns.forEach((name, i) => {
    if (name === '') return; // trailing empty columns are common in spreadsheet exports
    const normal = normalizeHeader(name) || name.toLowerCase();
    const earlier = seenNames.get(normal);
    if (earlier !== undefined) {
      throw new PresslineError('LIST_HEADER', `columns ${JSON.stringify(earlier)} and ${JSON.stringify(name)} have the same name; delete or rename one of them`, { file, line });
    }
    seenNames.set(normal, name);
    const field = fieldForHeader(name);
    if (field === 'email' && index.email !== -1) {
      throw new PresslineError('LIST_HEADER', `columns ${JSON.stringify(columns[index.email])} and ${JSON.stringify(name)} both hold the e-mail address; delete or rename one of them`, { file, line });
    }
    if (field !== undefined && index[field] === -1) {
      index[field] = i;
      return;
    }
    if (name === '__proto__') {
      throw new PresslineError('LIST_HEADER', 'a column may not be named "__proto__"', { file, line });
    }
    extras.push({ index: i, name });
  });
  if (index.email === -1) {
    const found = columns.filter((c) => c !== '').map((c) => JSON.stringify(c)).join(', ') || '(none)';
    throw new PresslineError(
      'LIST_HEADER',
      `no email column in the header (found ${found}); name the address column "Email" (or "E-mail", "Email Address")`,
      { file, line },
    );
  }
  return { columns, index, extras };
}
