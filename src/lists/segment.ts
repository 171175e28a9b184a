import { domainToASCII } from 'node:url';
import { PresslineError } from '../errors.js';
import type { Contact } from './contact.js';
import { checkEmail } from './email.js';
import { type ColumnField, type HeaderMap, fieldForHeader, normalizeHeader } from './headers.js';
import { checkLanguage } from './validate.js';

/** What a `--where` key filters on: a contact field, the address's domain, or (undefined) an extra column. */
export type SegmentField = ColumnField | 'domain';

/** One `key=value[,value...]` or `key!=value[,value...]` condition. */
export interface SegmentTerm {
  /** The expression as given, for messages. */
  expr: string;
  /** The key as written. */
  key: string;
  /** The contact field the key names (header aliases apply: beat, beats, topics → tags); undefined for an extra column. */
  field: SegmentField | undefined;
  /** `!=`: the condition holds when none of the values match. */
  negate: boolean;
  /** Lower-cased, trimmed values, any of which may match; "" matches an empty cell. */
  values: string[];
  /** For an extra column: its header as written in the file bound last (see `bindSegment`). */
  column?: string;
}

/** All terms must hold; an empty segment matches every contact. */
export interface Segment {
  terms: SegmentTerm[];
}

const KEYS_HELP =
  'email, domain, title (or name_prefix), first_name, last_name, name, outlet, tags (or beat, topics), language, country, time_zone';

function usage(message: string): PresslineError {
  return new PresslineError('USAGE', message);
}

function normalizeValue(field: SegmentField | undefined, value: string): string {
  const v = value.trim();
  if (v === '') return '';
  switch (field) {
    case 'language': {
      const checked = checkLanguage(v);
      return checked.ok ? checked.value : v.toLowerCase();
    }
    case 'domain':
      return (domainToASCII(v) || v).toLowerCase();
    case 'email': {
      const checked = checkEmail(v);
      return checked.ok ? checked.key : v.toLowerCase();
    }
    default:
      return v.toLowerCase();
  }
}

/**
 * Parses `--where` expressions (`beat=russia`, `language=en,fr`, `desk!=sport`). Throws USAGE on bad
 * syntax; keys naming extra columns are checked later against each file's header (`bindSegment`).
 */
export function parseWhere(exprs: string[]): Segment {
  const terms: SegmentTerm[] = [];
  for (const expr of exprs) {
    const eq = expr.indexOf('=');
    if (eq === -1) {
      throw usage(`--where ${JSON.stringify(expr)}: expected key=value or key!=value, e.g. --where beat=russia`);
    }
    const negate = eq > 0 && expr[eq - 1] === '!';
    const key = expr.slice(0, negate ? eq - 1 : eq).trim();
    const rest = expr.slice(eq + 1);
    if (key === '' || normalizeHeader(key) === '') {
      throw usage(`--where ${JSON.stringify(expr)}: the key before "=" is missing, e.g. --where beat=russia`);
    }
    if (rest.startsWith('=')) {
      throw usage(`--where ${JSON.stringify(expr)}: use a single "=" (key=value) or "!=" (key!=value)`);
    }
    const norm = normalizeHeader(key);
    const field: SegmentField | undefined = norm === 'domain' ? 'domain' : fieldForHeader(key);
    const values = [...new Set(rest.split(',').map((v) => normalizeValue(field, v)))];
    terms.push({ expr, key, field, negate, values });
  }
  return { terms };
}

/**
 * The segment checked against one file's header: throws USAGE naming the key and the available
 * columns when a key is neither a column of this file nor the always-present email/domain.
 */
export function bindSegment(segment: Segment, header: HeaderMap, file: string): Segment {
  if (segment.terms.length === 0) return segment;
  const terms = segment.terms.map((term) => {
    const { field } = term;
    let known: boolean;
    let column: string | undefined;
    if (field === 'email' || field === 'domain') known = true;
    // A title comes from a title column or off the front of a name, so any name column will do.
    else if (field === 'name' || field === 'title') {
      known = header.index.name >= 0 || header.index.firstName >= 0 || header.index.lastName >= 0 || header.index.title >= 0;
    }
    else if (field !== undefined) known = header.index[field] >= 0;
    else {
      const norm = normalizeHeader(term.key);
      column = header.extras.find((c) => normalizeHeader(c.name) === norm)?.name;
      known = column !== undefined;
    }
    if (!known) {
      const columns = header.columns.filter((c) => c !== '').map((c) => JSON.stringify(c)).join(', ');
      throw usage(
        `--where ${JSON.stringify(term.expr)}: ${file} has no column ${JSON.stringify(term.key)}; ` +
          `its columns are ${columns} (keys: ${KEYS_HELP}, or any column by its header)`,
      );
    }
    return column === undefined ? term : { ...term, column };
  });
  return { terms };
}

function extraValue(contact: Contact, term: SegmentTerm): string {
  if (term.column !== undefined) {
    const direct = contact.extra[term.column];
    if (direct !== undefined) return direct;
  }
  const norm = normalizeHeader(term.key);
  for (const name of Object.keys(contact.extra)) {
    if (normalizeHeader(name) === norm) return contact.extra[name]!;
  }
  return '';
}

function termHolds(contact: Contact, term: SegmentTerm): boolean {
  const { values } = term;
  switch (term.field) {
    case 'tags': {
      if (contact.tags.length === 0) return values.includes('');
      for (const tag of contact.tags) if (values.includes(tag.toLowerCase())) return true;
      return false;
    }
    case 'language': {
      // "en" also selects regional variants ("en-gb"), as a release's language would serve them.
      const lang = contact.language;
      for (const v of values) {
        if (v === '' ? lang === '' : lang === v || lang.startsWith(v + '-')) return true;
      }
      return false;
    }
    case 'email':
      return values.includes(contact.key);
    case 'domain':
      return values.includes(contact.domain);
    case 'name':
      return values.includes(`${contact.firstName} ${contact.lastName}`.trim().toLowerCase());
    case 'title':
      return values.includes((contact.title ?? '').toLowerCase());
    case 'firstName':
      return values.includes(contact.firstName.toLowerCase());
    case 'lastName':
      return values.includes(contact.lastName.toLowerCase());
    case 'outlet':
      return values.includes(contact.outlet.toLowerCase());
    case 'country':
      return values.includes(contact.country.toLowerCase());
    case 'timeZone':
      return values.includes(contact.timeZone.toLowerCase());
    case undefined:
      return values.includes(extraValue(contact, term).toLowerCase());
    default: {
      const _exhaustive: never = term.field;
      return _exhaustive;
    }
  }
}

/** True when every term holds for the contact (case-insensitive; tags match when any tag matches). */
export function matchesSegment(contact: Contact, segment: Segment): boolean {
  for (const term of segment.terms) {
    if (termHolds(contact, term) === term.negate) return false;
  }
  return true;
}
