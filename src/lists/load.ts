import { parse, type CsvError, type Parser } from 'csv-parse';
import { PresslineError } from '../errors.js';
import type { Contact } from './contact.js';
import { checkEncodingName, utf8Chunks } from './decode.js';
import { checkEmail } from './email.js';
import { type ExtraColumn, type HeaderMap, mapHeader } from './headers.js';
import { KeyIndex } from './keyindex.js';
import { type NameParts, contactName } from './names.js';
import { type Segment, bindSegment, matchesSegment, parseWhere } from './segment.js';
import { type Delimiter, isSepRecord, sniffDelimiter } from './sniff.js';
import { splitTags } from './tags.js';
import { UNSAFE, cleanText, countLineBreaks, neutralize, showValue, trimInvisible } from './text.js';
import { checkLanguage, checkTimeZone } from './validate.js';

export interface LoadOptions {
  /** Encoding of files without a BOM (default UTF-8, validated strictly); any name iconv-lite knows. */
  encoding?: string;
  /** `--where` expressions (see segment.ts); all must hold. */
  where?: string[];
  /**
   * The extra columns each contact carries in `extra` (headers as written); default every one. A
   * contact keeps its extra columns as object properties, so a 5,000-column list whose contacts are
   * kept or stored in thousands costs gigabytes: callers that know which columns they read (the merge
   * fields a release uses) name them here. Columns a `where` term reads are read regardless.
   */
  columns?: ReadonlySet<string>;
  onContact?: (contact: Contact) => void;
}

/**
 * What loading found. Every data row (blank lines excluded) is exactly one of: invalid, a duplicate
 * of an earlier valid row, or valid; so rows = valid + invalid.length + duplicates.length.
 */
export interface ListReport {
  files: string[];
  /** Data rows read (the header and blank lines are not rows). */
  rows: number;
  /** Valid rows whose address was not seen before: the contacts. */
  valid: number;
  /** Valid contacts that match the segment (= valid without `where`). */
  matched: number;
  /** One entry per invalid row; `line` is the physical line where the row starts, `reason` lists every problem. */
  invalid: { file: string; line: number; reason: string }[];
  /** Later occurrences of an address already seen (by Contact.key); the first occurrence is the contact. */
  duplicates: { file: string; line: number; email: string; first: { file: string; line: number } }[];
  /** Matched contacts per language; "" counts contacts without a language. */
  languages: Record<string, number>;
  /** Union of extra column headers, as written, in order of first appearance. */
  columns: string[];
  /** Name cells of valid rows longer than MAX_NAME_CHARS: contacts get their first MAX_NAME_CHARS characters. */
  capped: { file: string; line: number; column: string; length: number }[];
  /**
   * What a person should check because the list could be read more than one way: two candidate
   * columns for one field, a "Name" column read as the surname, a cell that looked like a full name.
   * `line` is absent for notes about the header as a whole. At most MAX_NOTES, then one summary note.
   */
  notes: { file: string; line?: number; column: string; text: string }[];
}

/**
 * The longest first, last or full name a contact keeps. A name goes into the To: header line,
 * which RFC 5322 caps at 998 characters; nodemailer (which builds messages with attachments and
 * render's .eml) cannot fold a long run of letters, so a 5,000-character first name made a
 * 5,005-character line. 150 leaves room for both names, quoted and escaped, and the address.
 */
export const MAX_NAME_CHARS = 150;

/** At most MAX_NAME_CHARS characters, never cutting a surrogate pair in half. */
function capName(value: string): string {
  if (value.length <= MAX_NAME_CHARS) return value;
  let cut = value.slice(0, MAX_NAME_CHARS);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

/** Row notes beyond this many are counted, not listed: a million-row list must not make a million notes. */
const MAX_NOTES = 200;

/** A quoted value longer than this is almost surely an unclosed quote swallowing the file. */
const MAX_RECORD_CHARS = 1_000_000;
/** Give up waiting for the end of the header line after this many bytes (sniff what we have). */
const MAX_HEADER_BYTES = 1 << 20;

/** State shared by all files of one load: the dedupe map is the only per-row memory. */
class Shared {
  /** Contact.key → position: a file's base plus the line, so one int32 locates the first occurrence. */
  readonly seen = new KeyIndex(1 << 14);
  readonly bases: { file: string; base: number }[] = [];
  readonly languages = new Map<string, number>();
  readonly columns = new Set<string>();
  notesDropped = 0;

  constructor(
    readonly report: ListReport,
    readonly segment: Segment,
    readonly onContact: ((contact: Contact) => void) | undefined,
    readonly keepColumns: ReadonlySet<string> | undefined,
  ) {}

  note(note: ListReport['notes'][number]): void {
    if (this.report.notes.length < MAX_NOTES) this.report.notes.push(note);
    else this.notesDropped++;
  }

  locate(position: number): { file: string; line: number } {
    for (let k = this.bases.length - 1; k >= 0; k--) {
      const entry = this.bases[k]!;
      if (entry.base < position) return { file: entry.file, line: position - entry.base };
    }
    throw new Error(`position ${position} precedes every file`);
  }
}

/** Reads one file's records in order; per-row work is index look-ups, one regex per field and cached checks. */
class FileLoad {
  /** Physical line where the next record starts. */
  nextLine = 1;
  header: HeaderMap | undefined;
  private width = 0;
  private iEmail = -1;
  private iTitle = -1;
  private lastIsName = false;
  private iFirst = -1;
  private iLast = -1;
  private iName = -1;
  private iOutlet = -1;
  private iTags = -1;
  private iLang = -1;
  private iCountry = -1;
  private iZone = -1;
  private extras: ExtraColumn[] = [];
  private segment: Segment | undefined;
  private buildContacts = false;

  constructor(
    readonly file: string,
    readonly base: number,
    private readonly shared: Shared,
  ) {}

  onRecord(fields: string[]): void {
    const line = this.nextLine;
    const n = fields.length;
    // One pass over the fields: find unsafe characters and count line breaks inside quoted values, so
    // the next record's line is right even when this row is rejected.
    let unsafe: Uint8Array | undefined;
    let breaks = 0;
    for (let i = 0; i < n; i++) {
      const f = fields[i]!;
      if (f.length !== 0 && UNSAFE.test(f)) {
        unsafe ??= new Uint8Array(n);
        unsafe[i] = 1;
        breaks += countLineBreaks(f);
      }
    }
    this.nextLine = line + 1 + breaks;

    if (this.header === undefined) {
      if (isBlank(fields)) return;
      if (line === 1 && isSepRecord(fields)) return; // Excel's "sep=;" line chose the delimiter; the header follows
      this.readHeader(fields, line);
      return;
    }
    const email = this.iEmail < n ? fields[this.iEmail]! : '';
    if (email.length === 0 || email.trim() === '') {
      if (isBlank(fields)) return; // blank lines and ",,,," rows that spreadsheets leave behind
    }
    const shared = this.shared;
    const report = shared.report;
    report.rows++;
    if (n !== this.width) {
      report.invalid.push({
        file: this.file,
        line,
        reason:
          `has ${n} field${n === 1 ? '' : 's'} but the header has ${this.width}: ` +
          'a delimiter inside an unquoted value, or a missing quote?',
      });
      return;
    }
    const checked = checkEmail(email);
    let reason = checked.ok ? '' : checked.reason;
    let language = '';
    if (this.iLang !== -1) {
      const lang = checkLanguage(fields[this.iLang]!);
      if (lang.ok) language = lang.value;
      else {
        const why = `column ${showValue(this.header.columns[this.iLang]!)}: ${lang.reason}`;
        reason = reason === '' ? why : `${reason}; ${why}`;
      }
    }
    let timeZone = '';
    if (this.iZone !== -1) {
      const zone = checkTimeZone(fields[this.iZone]!);
      if (zone.ok) timeZone = zone.value;
      else reason = reason === '' ? zone.reason : `${reason}; ${zone.reason}`;
    }
    if (!checked.ok || reason !== '') {
      report.invalid.push({ file: this.file, line, reason });
      return;
    }
    const first = shared.seen.getOrSet(checked.key, this.base + line);
    if (first !== -1) {
      report.duplicates.push({ file: this.file, line, email: checked.email, first: shared.locate(first) });
      return;
    }
    report.valid++;
    for (const i of [this.iFirst, this.iLast, this.iName]) {
      if (i !== -1 && fields[i]!.length > MAX_NAME_CHARS) {
        const length = fields[i]!.trim().length;
        if (length > MAX_NAME_CHARS) report.capped.push({ file: this.file, line, column: this.header.columns[i]!, length });
      }
    }

    if (this.buildContacts) {
      const name = this.readName(fields, unsafe, line);
      const extra: Record<string, string> = {};
      const extras = this.extras;
      for (let k = 0; k < extras.length; k++) extra[extras[k]!.name] = text(fields, unsafe, extras[k]!.index);
      const contact: Contact = {
        email: checked.email,
        key: checked.key,
        domain: checked.domain,
        title: name.title,
        firstName: name.firstName,
        lastName: name.lastName,
        outlet: text(fields, unsafe, this.iOutlet),
        tags: splitTags(text(fields, unsafe, this.iTags)),
        language,
        country: text(fields, unsafe, this.iCountry),
        timeZone,
        extra,
        source: { file: this.file, line },
      };
      if (this.segment !== undefined && !matchesSegment(contact, this.segment)) return;
      report.matched++;
      shared.languages.set(language, (shared.languages.get(language) ?? 0) + 1);
      shared.onContact?.(contact);
    } else {
      if (this.lastIsName) this.readName(fields, unsafe, line); // `lists check` reports full names there too
      report.matched++;
      shared.languages.set(language, (shared.languages.get(language) ?? 0) + 1);
    }
  }

  /** The row's title and names; notes a "Name" cell that held the full name (see HeaderMap.lastNameFromName). */
  private readName(fields: string[], unsafe: Uint8Array | undefined, line: number): NameParts {
    const name = contactName({
      title: text(fields, unsafe, this.iTitle),
      first: capName(text(fields, unsafe, this.iFirst)),
      last: capName(text(fields, unsafe, this.iLast)),
      full: capName(text(fields, unsafe, this.iName)),
      lastIsName: this.lastIsName,
    });
    if (name.fullInLast) {
      this.shared.note({
        file: this.file,
        line,
        column: this.header!.columns[this.iLast]!,
        text: `holds the full name (it starts with the first name); read ${showValue(name.lastName)} as the last name`,
      });
    }
    return name;
  }

  private readHeader(fields: string[], line: number): void {
    const cells = fields.map(cleanText);
    if (cells[0]?.toLowerCase().startsWith('sep=')) {
      throw new PresslineError('LIST_HEADER', `the first line ${showValue(cells.join(','))} names a delimiter other than comma, semicolon, tab or "|"; export the list again with one of those`, { file: this.file, line });
    }
    const header = mapHeader(cells, this.file, line);
    this.header = header;
    this.width = fields.length;
    const { index } = header;
    this.iEmail = index.email;
    this.iTitle = index.title;
    this.lastIsName = header.lastNameFromName;
    for (const n of header.notes) this.shared.note({ file: this.file, column: n.column, text: n.text });
    this.iFirst = index.firstName;
    this.iLast = index.lastName;
    this.iName = index.name;
    this.iOutlet = index.outlet;
    this.iTags = index.tags;
    this.iLang = index.language;
    this.iCountry = index.country;
    this.iZone = index.timeZone;
    for (const column of header.extras) this.shared.columns.add(column.name);
    const segment = this.shared.segment;
    this.segment = segment.terms.length > 0 ? bindSegment(segment, header, this.file) : undefined;
    const keep = this.shared.keepColumns;
    if (keep === undefined) {
      this.extras = header.extras;
    } else {
      const filtered = new Set(this.segment?.terms.map((t) => t.column).filter((c) => c !== undefined));
      this.extras = header.extras.filter((c) => keep.has(c.name) || filtered.has(c.name));
    }
    this.buildContacts = this.segment !== undefined || this.shared.onContact !== undefined;
  }

  /** A CSV syntax error csv-parse could not recover from: the row where it starts is invalid, the rest unread. */
  parseFailed(err: CsvError): void {
    const why =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted value that starts in this row is never closed'
        : err.code === 'CSV_MAX_RECORD_SIZE'
          ? `the row is longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)`
          : `cannot be parsed as CSV (${err.message})`;
    if (this.header === undefined) {
      throw new PresslineError('LIST_HEADER', `the header ${why}`, { file: this.file, line: this.nextLine });
    }
    this.shared.report.rows++;
    this.shared.report.invalid.push({
      file: this.file,
      line: this.nextLine,
      reason: `${why}; the rest of the file was not read`,
    });
  }
}

/**
 * A field's value for a contact: trimmed (of zero-width and bidi characters too), and neutralised
 * when the first pass found unsafe characters.
 */
function text(fields: string[], unsafe: Uint8Array | undefined, i: number): string {
  if (i === -1) return '';
  return trimInvisible(unsafe !== undefined && unsafe[i] === 1 ? neutralize(fields[i]!) : fields[i]!);
}

function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f.length !== 0 && f.trim() !== '') return false;
  return true;
}

function createParser(delimiter: Delimiter): Parser {
  return parse({
    delimiter,
    // Every line ending, even mixed in one file (lists get pasted together); CRLF first so it is one break.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true, // we report the row with its line instead of stopping
    relax_quotes: true, // `Anna "Ania" Nowak` in an unquoted field is data, not an error
    skip_empty_lines: false, // blank lines must be seen to keep line numbers right
    bom: false, // utf8Chunks already removed it
    max_record_size: MAX_RECORD_CHARS,
  });
}

/** Streams one file through csv-parse into `load`, with backpressure; the decoded source is never buffered whole. */
async function streamFile(load: FileLoad, encoding: string | undefined): Promise<void> {
  let parser: Parser | undefined;
  let failure: unknown;
  let parseError: CsvError | undefined;
  let ended: Promise<void> = Promise.resolve();

  const start = (delimiter: Delimiter): Parser => {
    const p = createParser(delimiter);
    p.on('data', (record: string[]) => {
      if (failure !== undefined) return;
      try {
        load.onRecord(record);
      } catch (err) {
        failure = err;
      }
    });
    p.on('error', (err: CsvError) => {
      parseError ??= err;
    });
    ended = new Promise<void>((resolve) => {
      p.once('end', resolve);
      p.once('close', resolve);
    });
    parser = p;
    return p;
  };
  const write = async (p: Parser, buf: Buffer): Promise<void> => {
    if (p.write(buf)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        p.off('drain', done);
        p.off('close', done);
        resolve();
      };
      p.on('drain', done);
      p.on('close', done);
    });
  };

  try {
    let head: Buffer | undefined; // the start of the file, until it holds the whole header line
    for await (const buf of utf8Chunks(load.file, encoding)) {
      if (failure !== undefined || parseError !== undefined) break;
      if (parser !== undefined) {
        await write(parser, buf);
        continue;
      }
      head = head === undefined ? buf : Buffer.concat([head, buf]);
      const delimiter = sniffDelimiter(head, head.length > MAX_HEADER_BYTES);
      if (delimiter === undefined) continue;
      await write(start(delimiter), head);
      head = undefined;
    }
    if (parser === undefined) {
      // The file ended inside (or before) its first line.
      const rest = head ?? Buffer.alloc(0);
      const p = start(sniffDelimiter(rest, true)!);
      if (rest.length > 0) await write(p, rest);
    }
    if (failure === undefined && parseError === undefined) parser!.end();
    else parser!.destroy();
    await ended;
  } catch (err) {
    // The source failed (unreadable, not decodable): drop the parser and whatever it buffered.
    (parser as Parser | undefined)?.destroy();
    throw err;
  }
  if (failure !== undefined) throw failure;
  if (parseError !== undefined) load.parseFailed(parseError);
  if (load.header === undefined) {
    throw new PresslineError('LIST_HEADER', 'the file is empty: expected a header line naming the columns, e.g. Email,First Name,Last Name', {
      file: load.file,
    });
  }
}

/**
 * Streams every file in order; calls onContact for each valid, unique contact matching the segment.
 * Keeps no contacts (only a compact key index). Throws PresslineError FILE_UNREADABLE, ENCODING,
 * LIST_HEADER or USAGE when a file cannot be read as a list; onContact may have run for earlier
 * rows by then, so commit what it gathered only after the promise resolves.
 */
export async function loadLists(files: string[], options: LoadOptions = {}): Promise<ListReport> {
  checkEncodingName(options.encoding);
  const segment = parseWhere(options.where ?? []);
  const report: ListReport = {
    files: [...files],
    rows: 0,
    valid: 0,
    matched: 0,
    invalid: [],
    duplicates: [],
    languages: {},
    columns: [],
    capped: [],
    notes: [],
  };
  const shared = new Shared(report, segment, options.onContact, options.columns);
  let base = 0;
  for (const file of files) {
    shared.bases.push({ file, base });
    const load = new FileLoad(file, base, shared);
    await streamFile(load, options.encoding);
    base += load.nextLine; // every line of this file maps below the next file's base
    if (base > 0x7fffffff) throw new PresslineError('USAGE', 'too many lines in these lists for one check (over 2^31)');
  }
  for (const [language, count] of [...shared.languages].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    report.languages[language] = count;
  }
  report.columns = [...shared.columns];
  if (shared.notesDropped > 0) {
    report.notes.push({ file: '', column: '', text: `${shared.notesDropped} more notes like these were not listed` });
  }
  return report;
}

/** Convenience for small lists and tests. */
export async function readContacts(
  files: string[],
  options: Omit<LoadOptions, 'onContact'> = {},
): Promise<{ report: ListReport; contacts: Contact[] }> {
  const contacts: Contact[] = [];
  const report = await loadLists(files, { ...options, onContact: (c) => contacts.push(c) });
  return { report, contacts };
}
