import type { CsvError } from 'csv-parse';
import { PresslineError } from '../errors.js';
import type { Contact } from './contact.js';
import { MAX_RECORD_CHARS, type RecordSink } from './csv-stream.js';
import { checkEmail } from './email.js';
import { type ExtraColumn, type HeaderMap, mapHeader } from './headers.js';
import type { LoadState } from './load-state.js';
import { type NameParts, MAX_NAME_CHARS, capName, contactName } from './names.js';
import { type Segment, bindSegment, matchesSegment } from './segment.js';
import { isSepRecord } from './sniff.js';
import { splitTags } from './tags.js';
import { UNSAFE, cleanText, countLineBreaks, neutralize, showValue, trimInvisible } from './text.js';
import { checkLanguage, checkTimeZone } from './validate.js';

/** Reads one file's records in order; per-row work is index look-ups, one regex per field and cached checks. */
export class FileLoad implements RecordSink {
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
    private readonly shared: LoadState,
  ) {}

  get hasHeader(): boolean {
    return this.header !== undefined;
  }

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
