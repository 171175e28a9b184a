/**
 * Per-recipient merge fields. Syntax, in templates and in release text alike:
 *   {{ first_name }}                 the contact's value (empty when the contact has none)
 *   {{ title }} {{ last_name }}      the honorific ("Dr.", "Mme") and surname, for formal greetings
 *   {{ first_name | "colleague" }}   with a fallback used when the value is empty
 *   {{#if field}} … {{else}} … {{/if}}  chooses text by whether the value is non-empty
 * Before compilation every tag becomes an opaque alphanumeric token, which survives Markdown,
 * HTML escaping and MJML untouched; after compilation the output is split on the tokens once, so
 * rendering a recipient is a join over pre-escaped literals.
 */
import { PresslineError, formatLocation, type Location } from '../errors.js';
import { CONTACT_FIELDS, type Contact } from '../lists/contact.js';

/** Values that come from the sending engine rather than the contact row. */
export interface MergeSpecials {
  unsubscribe_url?: string;
}

export const SPECIAL_FIELDS = ['unsubscribe_url'] as const;

type Resolver = (contact: Contact, specials: MergeSpecials) => string;

/** Known merge field names and how to read each from a contact. */
export interface FieldCatalog {
  /** Canonical name for a field as written, or undefined when unknown. */
  canonical(name: string): string | undefined;
  resolver(canonical: string): Resolver;
  /** Every accepted name, for error messages. */
  names(): string[];
}

/** snake_case of a list header: "Beat Notes" → "beat_notes". */
export function snakeCase(header: string): string {
  return header
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

const CONTACT_RESOLVERS: Record<(typeof CONTACT_FIELDS)[number], Resolver> = {
  email: (c) => c.email,
  title: (c) => c.title ?? '',
  first_name: (c) => c.firstName,
  last_name: (c) => c.lastName,
  name: (c) => [c.firstName, c.lastName].filter((s) => s !== '').join(' '),
  outlet: (c) => c.outlet,
  tags: (c) => c.tags.join(', '),
  language: (c) => c.language,
  country: (c) => c.country,
  time_zone: (c) => c.timeZone,
};

/**
 * The fields a template may use: the contact fields, the specials, and each extra list column by
 * its header as written or snake_cased (contact fields win a clash).
 */
export function createFieldCatalog(columns: readonly string[] = []): FieldCatalog {
  const map = new Map<string, { canonical: string; get: Resolver }>();
  for (const f of CONTACT_FIELDS) map.set(f, { canonical: f, get: CONTACT_RESOLVERS[f] });
  map.set('unsubscribe_url', { canonical: 'unsubscribe_url', get: (_c, s) => s.unsubscribe_url ?? '' });
  for (const header of columns) {
    const get: Resolver = (c) => c.extra[header] ?? '';
    const snake = snakeCase(header);
    if (!map.has(header)) map.set(header, { canonical: header, get });
    if (snake && !map.has(snake)) map.set(snake, { canonical: header, get });
  }
  return {
    canonical: (name) => map.get(name)?.canonical ?? map.get(snakeCase(name))?.canonical,
    resolver: (canonical) => map.get(canonical)!.get,
    names: () => [...map.keys()],
  };
}

type TagKind = 'field' | 'if' | 'else' | 'end';

/** One merge tag found in a source, with where it was written. */
export interface MergeTag {
  kind: TagKind;
  /** Canonical field name (field and if tags). */
  field?: string;
  fallback?: string;
  where: Location;
  source: string;
}

const TAG_RE = /\{\{([\s\S]*?)\}\}/g;

/**
 * Replaces merge tags with tokens and remembers them. Unknown fields are collected (not thrown)
 * so one error can list them all; call `assertKnown()` when every source is tokenised.
 */
export class MergeTokens {
  readonly tags: MergeTag[] = [];
  private readonly unknown: { name: string; where: Location }[] = [];
  readonly prefix: string;
  private readonly tokenRe: RegExp;

  constructor(
    readonly catalog: FieldCatalog,
    sources: readonly string[],
  ) {
    // A prefix that no input contains, so a token can never be confused with real text.
    let salt = 0;
    const all = sources.join('\n').toLowerCase();
    while (all.includes(`zq${salt}mf`)) salt++;
    this.prefix = `zq${salt}mf`;
    this.tokenRe = new RegExp(`${this.prefix}(\\d+)q`, 'gi');
  }

  /** `text` with every merge tag replaced by a token; `where.line` is the line `text` starts on. */
  tokenise(text: string, where: Location): string {
    let out = '';
    let last = 0;
    for (const m of text.matchAll(TAG_RE)) {
      const before = text.slice(last, m.index);
      out += before;
      last = m.index + m[0].length;
      const at = lineWithin(text, m.index, where);
      this.checkStray(before, text, m.index - before.length, where);
      out += this.token(this.parseTag(m[0], m[1]!, at));
    }
    const rest = text.slice(last);
    this.checkStray(rest, text, last, where);
    return out + rest;
  }

  private checkStray(chunk: string, text: string, start: number, where: Location): void {
    const i = chunk.indexOf('{{');
    if (i >= 0) {
      throw new PresslineError(
        'MERGE_FIELD_UNKNOWN',
        'unclosed "{{": merge fields are written {{ field }}, opened and closed on one tag',
        lineWithin(text, start + i, where),
      );
    }
  }

  private parseTag(source: string, inner: string, where: Location): MergeTag {
    const body = inner.trim();
    let m: RegExpExecArray | null;
    if ((m = /^#if\s+(.+)$/.exec(body))) return { kind: 'if', field: this.field(m[1]!.trim(), where), where, source };
    if (body === 'else') return { kind: 'else', where, source };
    if (body === '/if') return { kind: 'end', where, source };
    if ((m = /^([^|"{}]+?)\s*(?:\|\s*(?:"([^"]*)"|'([^']*)'))?$/.exec(body))) {
      const fallback = m[2] ?? m[3];
      return { kind: 'field', field: this.field(m[1]!.trim(), where), ...(fallback !== undefined ? { fallback } : {}), where, source };
    }
    throw new PresslineError(
      'MERGE_FIELD_UNKNOWN',
      `cannot read merge tag ${source}; write {{ field }}, {{ field | "fallback" }} or {{#if field}}…{{else}}…{{/if}}`,
      where,
    );
  }

  private field(name: string, where: Location): string {
    const canonical = this.catalog.canonical(name);
    if (canonical === undefined) {
      this.unknown.push({ name, where });
      return name;
    }
    return canonical;
  }

  private token(tag: MergeTag): string {
    this.tags.push(tag);
    return `${this.prefix}${this.tags.length - 1}q`;
  }

  /** True when `text` starts with a token for one of `fields` (e.g. an href that is {{ unsubscribe_url }}). */
  startsWithField(text: string, fields: readonly string[]): boolean {
    const m = new RegExp(`^${this.prefix}(\\d+)q`, 'i').exec(text.trim());
    const tag = m ? this.tags[Number(m[1])] : undefined;
    return tag?.kind === 'field' && fields.includes(tag.field!);
  }

  /** Throws MERGE_FIELD_UNKNOWN naming every unknown field and where it appears. */
  assertKnown(): void {
    if (this.unknown.length === 0) return;
    const first = this.unknown[0]!;
    const list = this.unknown.map((u) => `"${u.name}" at ${formatLocation(u.where)}`).join(', ');
    const known = this.catalog.names().filter((n) => /^[a-z0-9_]+$/.test(n));
    throw new PresslineError(
      'MERGE_FIELD_UNKNOWN',
      `unknown merge field ${list}; known fields: ${known.join(', ')} (plus any list column by its header)`,
      { ...first.where, field: first.name },
    );
  }

  /**
   * Splits compiled output on the tokens: literals pass through `literal` (use it to neutralise
   * a subject's line breaks), fallbacks through `escape`. Checks {{#if}} nesting.
   */
  segment(compiled: string, escape: (s: string) => string, literal: (s: string) => string = (s) => s): Segment[] {
    const root: Segment[] = [];
    const stack: { cond: CondSegment; tag: MergeTag; inElse: boolean }[] = [];
    let target = root;
    let last = 0;
    const push = (s: string) => {
      if (s !== '') target.push(literal(s));
    };
    for (const m of compiled.matchAll(this.tokenRe)) {
      push(compiled.slice(last, m.index));
      last = m.index + m[0].length;
      const tag = this.tags[Number(m[1])];
      if (!tag) throw new Error(`merge token ${m[0]} has no tag`);
      switch (tag.kind) {
        case 'field':
          target.push({ field: tag.field!, fallback: escape(tag.fallback ?? '') });
          break;
        case 'if': {
          const cond: CondSegment = { field: tag.field!, then: [], otherwise: [] };
          target.push(cond);
          stack.push({ cond, tag, inElse: false });
          target = cond.then;
          break;
        }
        case 'else': {
          const top = stack[stack.length - 1];
          if (!top || top.inElse) throw new PresslineError('MERGE_FIELD_UNKNOWN', '{{else}} without a matching {{#if}}', tag.where);
          top.inElse = true;
          target = top.cond.otherwise;
          break;
        }
        case 'end': {
          if (!stack.pop()) throw new PresslineError('MERGE_FIELD_UNKNOWN', '{{/if}} without a matching {{#if}}', tag.where);
          const top = stack[stack.length - 1];
          target = top ? (top.inElse ? top.cond.otherwise : top.cond.then) : root;
          break;
        }
        default: {
          const _: never = tag.kind;
          return _;
        }
      }
    }
    push(compiled.slice(last));
    const open = stack.pop();
    if (open) throw new PresslineError('MERGE_FIELD_UNKNOWN', `{{#if ${open.tag.field}}} is never closed with {{/if}}`, open.tag.where);
    return root;
  }
}

function lineWithin(text: string, index: number, where: Location): Location {
  if (where.line === undefined) return where;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return { ...where, line: where.line + n };
}

/** A field slot: the fallback is pre-escaped for the part it sits in. */
export interface FieldSegment {
  field: string;
  fallback: string;
}

export interface CondSegment {
  field: string;
  then: Segment[];
  otherwise: Segment[];
}

/** A compiled part: literal strings (already escaped), field slots and conditionals. */
export type Segment = string | FieldSegment | CondSegment;

/**
 * A segment list ready for sending: its literal text already encoded, once for all recipients
 * (quoted-printable pieces, see quotedPrintablePiece in mime/body.ts); fields and conditionals
 * as in Segment.
 */
export type EncodedSegment = Buffer | FieldSegment | EncodedCondSegment;

export interface EncodedCondSegment {
  field: string;
  then: EncodedSegment[];
  otherwise: EncodedSegment[];
}

export function encodeSegments(segments: readonly Segment[], encode: (text: string) => Buffer): EncodedSegment[] {
  return segments.map((s) =>
    typeof s === 'string' ? encode(s) : 'then' in s ? { field: s.field, then: encodeSegments(s.then, encode), otherwise: encodeSegments(s.otherwise, encode) } : s,
  );
}

/** One recipient's body as encoded pieces: renderSegments' text, with only the merge values encoded now. */
export function renderEncoded(
  segments: readonly EncodedSegment[],
  values: Record<string, string>,
  escape: (s: string) => string,
  encode: (text: string) => Buffer,
  into: Buffer[] = [],
): Buffer[] {
  for (const s of segments) {
    if (Buffer.isBuffer(s)) {
      into.push(s);
    } else if ('then' in s) {
      renderEncoded(values[s.field] ? s.then : s.otherwise, values, escape, encode, into);
    } else {
      const v = values[s.field];
      into.push(encode(v ? escape(v) : s.fallback));
    }
  }
  return into;
}

/** Every field a segment list reads, in first-use order. */
export function fieldsOf(segments: readonly Segment[], into: Set<string> = new Set()): Set<string> {
  for (const s of segments) {
    if (typeof s === 'string') continue;
    into.add(s.field);
    if ('then' in s) {
      fieldsOf(s.then, into);
      fieldsOf(s.otherwise, into);
    }
  }
  return into;
}

/** Joins segments for one recipient: `values` maps field → raw value, `escape` makes it safe. */
export function renderSegments(segments: readonly Segment[], values: Record<string, string>, escape: (s: string) => string): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'string') {
      out += s;
    } else if ('then' in s) {
      out += renderSegments(values[s.field] ? s.then : s.otherwise, values, escape);
    } else {
      const v = values[s.field];
      out += v ? escape(v) : s.fallback;
    }
  }
  return out;
}
