import { PresslineError } from '../errors.js';
import { trimInvisible } from './text.js';

/** The recognised list columns; `name` is a full-name column split into first/last when those are absent. */
export type ColumnField =
  | 'email'
  | 'title'
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
  'title',
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
 * Header spellings seen in spreadsheet, CRM, media-database, Google Contacts and Outlook exports
 * (en, de, fr, es, it and more), in matching form (see `aliasForm`: lower case, letters and digits
 * only, accents dropped), so "E-mail Address", "email_address" and "EMAIL ADDRESS" are one entry and
 * "Société" matches "societe". Only whole headers match: "Media Type" or "Company Phone" stay extras.
 */
const ALIASES: Record<ColumnField, readonly string[]> = {
  email: [
    'email', 'emailaddress', 'emailaddr', 'mail', 'primaryemail', 'workemail', 'businessemail',
    'email1value', // Google Contacts ("E-mail 1 - Value"); "E-mail 2 - Value" stays an extra column
    'emailadresse', // German Outlook ("E-Mail-Adresse")
    'courriel', 'adressemail', 'adresseemail', 'adressedemessagerie', 'adressecourriel', 'adressedecourriel', // French
    'direcciondecorreoelectronico', 'correoelectronico', 'correo', // Spanish
    'indirizzoemail', 'postaelettronica', // Italian
    'почта', 'электроннаяпочта', 'емейл',
  ],
  // Honorifics ("Dr.", "Mme"): Google's "Name Prefix", Outlook's "Anrede"/"Tratamiento", CRM "Salutation".
  // A plain "Title" is usually the job title, so it is read as this only beside a job-title column.
  title: ['nameprefix', 'honorific', 'honorifics', 'salutation', 'anrede', 'civilite', 'tratamiento'],
  firstName: ['firstname', 'givenname', 'forename', 'first', 'vorname', 'prenom', 'voornaam', 'имя'],
  lastName: [
    'lastname', 'surname', 'familyname', 'last', 'nachname', 'familienname', 'nomdefamille', 'achternaam',
    'apellido', 'apellidos', 'cognome', 'sobrenome', 'фамилия',
  ],
  name: [
    'name', 'fullname', 'contactname', 'journalist', 'journalistname', 'contact', 'nom', 'naam', 'nombre', 'nome',
    'nomcomplet', 'nombrecompleto', 'nomecompleto', 'vollstandigername', 'фио',
  ],
  outlet: [
    'outlet', 'outlets', 'outletname', 'mediaoutlet', 'mediaoutlets', 'publication', 'publications', 'publicationname',
    'media', 'medianame', 'medium', 'newsroom', 'masthead', 'publisher',
    'company', 'companyname', 'organisation', 'organization', 'organisationname', 'organizationname',
    'organization1name', // Google Contacts ("Organization 1 - Name")
    'firma', 'medien', 'zeitung', 'verlag', // de (not "Redaktion": often the desk)
    'societe', 'organisme', 'entreprise', 'journal', // fr ("média" is "media" once accents are dropped)
    'medio', 'medios', 'empresa', 'organizacion', // es
    'testata', 'azienda', 'societa', 'giornale', // it
    'издание', 'сми',
  ],
  tags: [
    'beat', 'beats', 'tags', 'tag', 'topics', 'topic',
    'groupmembership', 'labels', // Google Contacts (whose legacy export also has an empty "Subject")
    'categories', 'kategorien', 'categorias', 'categorie', // Outlook
    'etiquettes', 'etiketten', 'etiquetas', 'etichette', // "labels" in fr, de, es, it
    'subjects', 'subject', 'coverage', 'themes',
  ],
  language: ['language', 'preferredlanguage', 'lang', 'locale', 'sprache', 'langue', 'idioma', 'lingua', 'taal', 'язык'],
  country: ['country', 'countryregion', 'nation', 'land', 'pays', 'pais', 'paese', 'страна'],
  timeZone: ['timezone', 'tz', 'zone', 'tzname', 'zeitzone', 'fuseauhoraire', 'часовойпояс'],
};

/** "Name", "Nom", "Naam" beside a first-name column (and no last-name column) are the last name. */
const NAME_OR_LAST = new Set(['name', 'nom', 'naam']);
/**
 * The first-name header each surname word is paired with in its own language ("Vorname"/"Name"):
 * such a pair is unambiguous. English "Name" beside "First Name" might still be a full name, so it
 * gets a note.
 */
const NATIVE_PAIR: Record<string, string> = { name: 'vorname', nom: 'prenom', naam: 'voornaam' };
/** "Nombre", "Nome" beside a last-name column (and no first-name column) are the first name. */
const NAME_OR_FIRST = new Set(['nombre', 'nome']);
/** Outlook's honorific column is called "Title" in several languages; it is the job title elsewhere. */
const TITLE_WORDS = new Set(['title', 'titre', 'titel', 'titulo']);
/** A job-title column: its presence makes a "Title" column the honorific (Outlook's layout). */
const JOB_TITLE_WORDS = new Set(['jobtitle', 'fonction', 'position', 'puesto', 'cargo', 'poste', 'organization1title']);

const COMBINING = /\p{M}+/gu;
const NON_ASCII = /[^\x00-\x7f]/;

/** The form headers and aliases are compared in: normalised, accents dropped ("Société" → "societe"). */
function aliasForm(normal: string): string {
  return NON_ASCII.test(normal) ? normal.normalize('NFD').replace(COMBINING, '').normalize('NFC') : normal;
}

const ALIAS_TO_FIELD = new Map<string, ColumnField>();
/** An alias's place in its field's list: when two columns could be one field, the earlier alias wins. */
const ALIAS_RANK = new Map<string, number>();
for (const field of COLUMN_FIELDS) {
  ALIASES[field].forEach((alias, rank) => {
    ALIAS_TO_FIELD.set(aliasForm(alias), field);
    ALIAS_RANK.set(aliasForm(alias), rank);
  });
}

const NON_ALNUM = /[^\p{L}\p{N}]+/gu;

/** Case-, space- and punctuation-insensitive form of a header or `--where` key ("Time Zone" → "timezone"). */
export function normalizeHeader(header: string): string {
  return header.normalize('NFKC').toLowerCase().replace(NON_ALNUM, '');
}

/** The recognised field a header (or `--where` key) stands for, or undefined for an extra column. */
export function fieldForHeader(header: string): ColumnField | undefined {
  return ALIAS_TO_FIELD.get(aliasForm(normalizeHeader(header)));
}

/** One extra (unrecognised) column: where it sits and its header as written. */
export interface ExtraColumn {
  index: number;
  name: string;
}

/** Something about the header a person should confirm: the column and what was made of it. */
export interface HeaderNote {
  column: string;
  text: string;
}

/** A file's header, mapped once so rows are read by index. */
export interface HeaderMap {
  /** The header cells as written (trimmed), one per column. */
  columns: string[];
  /** Column index of each recognised field, -1 when the list lacks it (the most specific header wins, then the first). */
  index: Record<ColumnField, number>;
  extras: ExtraColumn[];
  /**
   * True when `index.lastName` is a "Name"/"Nom" column read as the surname beside a first-name
   * column: its cells may still hold a full name, which the loader checks row by row.
   */
  lastNameFromName: boolean;
  /** Choices a person should check (two candidate columns for one field, a reinterpreted column). */
  notes: HeaderNote[];
}

const FIELD_WORDS: Record<ColumnField, string> = {
  email: 'the e-mail address',
  title: 'the title (honorific)',
  firstName: 'the first name',
  lastName: 'the last name',
  name: 'the full name',
  outlet: 'the outlet',
  tags: 'the tags',
  language: 'the language',
  country: 'the country',
  timeZone: 'the time zone',
};

/**
 * The field each column stands for, with the words whose meaning depends on their neighbours
 * ("Name" beside "Vorname", "Nombre" beside "Apellidos", "Title" beside "Job Title") resolved.
 */
function fieldsOf(
  columns: string[],
  notes: HeaderNote[],
): { fields: (ColumnField | undefined)[]; ranks: number[]; lastNameFromName: boolean } {
  const forms = columns.map((c) => aliasForm(normalizeHeader(c)));
  const fields = columns.map((c) => (c === '' ? undefined : fieldForHeader(c)));
  const has = (f: ColumnField): boolean => fields.includes(f);
  const hasFirst = has('firstName');
  const hasLast = has('lastName');
  let lastNameFromName = false;
  const firstForm = forms[fields.indexOf('firstName')];
  forms.forEach((form, i) => {
    if (fields[i] !== 'name') return;
    if (NAME_OR_LAST.has(form) && hasFirst && !hasLast) {
      fields[i] = 'lastName';
      lastNameFromName = true;
      if (NATIVE_PAIR[form] !== firstForm) {
        notes.push({ column: columns[i]!, text: 'read as the last name (it stands beside a first-name column); a cell holding the full name is reported' });
      }
    } else if (NAME_OR_FIRST.has(form) && hasLast && !hasFirst) {
      fields[i] = 'firstName';
    }
  });
  if (forms.some((f) => JOB_TITLE_WORDS.has(f)) && !has('title')) {
    const i = forms.findIndex((f) => TITLE_WORDS.has(f));
    if (i !== -1) fields[i] = 'title';
  }
  const ranks = forms.map((f) => ALIAS_RANK.get(f) ?? 0);
  return { fields, ranks, lastNameFromName };
}

/**
 * Maps a header row. Throws LIST_HEADER when no column holds e-mail addresses, two columns have the
 * same name or both hold the address, or a header could corrupt merge-field objects (`__proto__`).
 */
export function mapHeader(cells: string[], file: string, line: number): HeaderMap {
  const index = {} as Record<ColumnField, number>;
  for (const f of COLUMN_FIELDS) index[f] = -1;
  const extras: ExtraColumn[] = [];
  const notes: HeaderNote[] = [];
  // Two columns with the same name, or two address columns, are ambiguous (which value does a merge
  // field or `--where` read? which address is the contact's?), so they are refused. Two other
  // columns for one field (Beat and Tags, Company and Publication) are not: the first is the field,
  // the next an extra column under its own name, and a note says so, as exports often hold both.
  const seenNames = new Map<string, string>();
  // Zero-width and bidi characters (pasted headers, a BOM repeated where files were joined) are not part of a name.
  const columns = cells.map((c) => trimInvisible(c));
  const { fields, ranks, lastNameFromName } = fieldsOf(columns, notes);
  // Where two columns could be one field, the more specific header wins ("Publication" over
  // "Company", "Group Membership" over Google's always-empty "Subject"); on a tie, the first.
  const chosen = {} as Record<ColumnField, number>;
  for (const f of COLUMN_FIELDS) chosen[f] = -1;
  fields.forEach((f, i) => {
    if (f !== undefined && (chosen[f] === -1 || ranks[i]! < ranks[chosen[f]]!)) chosen[f] = i;
  });
  columns.forEach((name, i) => {
    if (name === '') return; // trailing empty columns are common in spreadsheet exports
    const normal = normalizeHeader(name) || name.toLowerCase();
    const earlier = seenNames.get(normal);
    if (earlier !== undefined) {
      throw new PresslineError('LIST_HEADER', `columns ${JSON.stringify(earlier)} and ${JSON.stringify(name)} have the same name; delete or rename one of them`, { file, line });
    }
    seenNames.set(normal, name);
    const field = fields[i];
    const firstEmail = fields.indexOf('email');
    if (field === 'email' && firstEmail !== i) {
      throw new PresslineError('LIST_HEADER', `columns ${JSON.stringify(columns[firstEmail])} and ${JSON.stringify(name)} both hold the e-mail address; delete or rename one of them`, { file, line });
    }
    if (field !== undefined && chosen[field] === i) {
      index[field] = i;
      return;
    }
    if (name === '__proto__') {
      throw new PresslineError('LIST_HEADER', 'a column may not be named "__proto__"', { file, line });
    }
    if (field !== undefined) {
      notes.push({
        column: name,
        text: `could also be ${FIELD_WORDS[field]}; ${JSON.stringify(columns[chosen[field]])} is used and this one is kept as an extra column (rename one to choose)`,
      });
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
  return { columns, index, extras, lastNameFromName, notes };
}
