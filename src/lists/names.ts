/**
 * Person names as lists write them: honorifics ("Dr.", "Mme", "Herr", "Dott.ssa") belong in the
 * title, never the first name, so "Dear {{ first_name }}" does not become "Dear Dr.,".
 */

/**
 * Honorifics in lower case, each matched with or without its final dot ("Dr" and "Dr."). Words that
 * are also common given names ("Don", "Pan") are left out: a wrong title is worse than none.
 */
const HONORIFICS = new Set([
  // en
  'mr', 'mrs', 'ms', 'mx', 'miss', 'dr', 'prof', 'professor', 'doctor', 'sir', 'dame', 'rev', 'hon',
  // fr ("M." only with its dot: a bare "M" is an initial)
  'mme', 'mlle', 'mmes', 'pr', 'madame', 'monsieur', 'mademoiselle',
  // de
  'herr', 'frau', 'dipl.-ing', 'dr.-ing', 'mag',
  // es, pt
  'sr', 'sra', 'srta', 'señor', 'señora', 'señorita', 'dra', 'sres',
  // it
  'dott', 'dott.ssa', 'dottssa', 'dottoressa', 'sig', 'sig.ra', 'sigra', 'sig.na', 'signor', 'signora', 'avv', 'ing',
  // pl, cs, nl and others
  'mgr', 'inż', 'dhr', 'mevr', 'ir', 'drs',
  // ru
  'г-н', 'г-жа', 'д-р',
]);

/** Honorifics that need their dot to be one (without it they are initials or words). */
const DOTTED_ONLY = new Set(['m.', 'mm.']);

/** Degree parts that follow "Dr." in German ("Dr. med.", "Dr. rer. nat."): only dotted, only after a title. */
const DEGREE_PARTS = new Set(['med.', 'phil.', 'rer.', 'nat.', 'jur.', 'h.c.', 'habil.', 'dent.', 'vet.', 'oec.', 'pol.', 'sc.', 'mult.', 'theol.', 'iur.', 'ing.']);

function isHonorific(word: string): boolean {
  const w = word.toLowerCase();
  if (DOTTED_ONLY.has(w)) return true;
  return HONORIFICS.has(w.endsWith('.') ? w.slice(0, -1) : w);
}

/** Leading honorifics split off: "Prof. Dr. med. Anna" → ["Prof. Dr. med.", "Anna"]; ["", text] when there are none. */
export function peelTitle(text: string): [title: string, rest: string] {
  // The common case, a name without a title, costs one slice and one set look-up.
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  if (!isHonorific(space === -1 ? trimmed : trimmed.slice(0, space))) return ['', trimmed];
  const words = text.split(/\s+/).filter((w) => w !== '');
  let n = 0;
  while (n < words.length) {
    const w = words[n]!;
    if (isHonorific(w) || (n > 0 && DEGREE_PARTS.has(w.toLowerCase()))) n++;
    else break;
  }
  if (n === 0) return ['', text.trim()];
  return [words.slice(0, n).join(' '), words.slice(n).join(' ')];
}

/** A person's name split into its parts. */
export interface NameParts {
  title: string;
  firstName: string;
  lastName: string;
}

/**
 * A full-name cell → title, first and last name. "Last, First" is understood; otherwise the first
 * word is the first name. After a title a single word is the surname ("Dr. Schmidt"), since that is
 * how a title is used.
 */
export function splitFullName(full: string): NameParts {
  const comma = full.indexOf(',');
  if (comma !== -1) {
    const [title, first] = peelTitle(full.slice(comma + 1));
    return { title, firstName: first, lastName: full.slice(0, comma).trim() };
  }
  const [title, rest] = peelTitle(full);
  const space = rest.indexOf(' ');
  if (space === -1) return title !== '' ? { title, firstName: '', lastName: rest } : { title, firstName: rest, lastName: '' };
  return { title, firstName: rest.slice(0, space), lastName: rest.slice(space + 1).trim() };
}

/** A row's name cells; `lastIsName` when the last-name column is a "Name"/"Nom" column (see HeaderMap). */
export interface NameCells {
  title: string;
  first: string;
  last: string;
  full: string;
  lastIsName: boolean;
}

/**
 * A contact's title, first and last name from whichever name columns the list has. `fullInLast` is
 * set when a "Name" column beside the first name held the full name ("Anna" / "Anna Schmidt"): the
 * first name is then taken off the front, and the loader reports the row so a person can check.
 */
export function contactName(cells: NameCells): NameParts & { fullInLast: boolean } {
  let { title, first, last } = cells;
  if (first === '' && last === '') {
    if (cells.full === '') return { title, firstName: '', lastName: '', fullInLast: false };
    const parts = splitFullName(cells.full);
    return { title: title || parts.title, firstName: parts.firstName, lastName: parts.lastName, fullInLast: false };
  }
  if (first !== '') {
    const [peeled, rest] = peelTitle(first);
    if (peeled !== '') {
      title ||= peeled;
      first = rest;
    }
  }
  if (title === '' && cells.full !== '') title = peelTitle(cells.full)[0];
  let fullInLast = false;
  if (cells.lastIsName && last !== '') {
    // A "Name" column may hold "Dr. Anna Schmidt" beside "Anna": the title is never part of the surname.
    const [peeled, rest] = peelTitle(last);
    if (peeled !== '' && rest !== '') {
      title ||= peeled;
      last = rest;
    }
  }
  if (cells.lastIsName && first !== '' && last.length > first.length + 1 && last[first.length] === ' ' &&
      last.slice(0, first.length).toLowerCase() === first.toLowerCase()) {
    last = last.slice(first.length + 1).trim();
    fullInLast = true;
  }
  return { title, firstName: first, lastName: last, fullInLast };
}

/**
 * The longest first, last or full name a contact keeps. A name goes into the To: header line,
 * which RFC 5322 caps at 998 characters; nodemailer (which builds messages with attachments and
 * render's .eml) cannot fold a long run of letters, so a 5,000-character first name made a
 * 5,005-character line. 150 leaves room for both names, quoted and escaped, and the address.
 */
export const MAX_NAME_CHARS = 150;

/** At most MAX_NAME_CHARS characters, never cutting a surrogate pair in half. */
export function capName(value: string): string {
  if (value.length <= MAX_NAME_CHARS) return value;
  let cut = value.slice(0, MAX_NAME_CHARS);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.trimEnd();
}
