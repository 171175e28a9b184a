import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { PresslineError, type Location } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import { formatEmbargoNotice } from '../releases/embargo.js';
import type { Release, ReleaseVariant } from '../releases/types.js';
import { escapeHtml, neutraliseLine, neutraliseText } from '../html/escape.js';
import { embargoWording, labelsFor, languageName, type Labels } from './labels.js';
import { markdownToHtml } from './markdown.js';
import type { CompiledRelease, CompiledVariant } from './types.js';
import { quotedPrintablePiece, suitsQuotedPrintable } from '../mime/body.js';
import {
  createFieldCatalog,
  encodeSegments,
  fieldsOf,
  MergeTokens,
  renderEncoded,
  renderSegments,
  SPECIAL_FIELDS,
  type FieldCatalog,
  type Segment,
} from './merge.js';
import { checkTagBalance, expandTemplate, parseTemplate } from './template.js';
import { markdownToText, wrap, TEXT_WIDTH } from './text.js';
import { tidyCompiledHtml } from './tidy-html.js';

export type { RenderedMessage, CompiledVariant, CompiledRelease } from './types.js';

export interface CompileOptions {
  config: Config;
  /** The moment the copies are for: before the embargo instant they carry the embargo notice. */
  now: Date;
  /** The contact list's extra column headers, usable as merge fields. */
  columns?: string[];
  /** MJML layout; default config.templates.dir/config.templates.layout. */
  templateFile?: string;
  /** The newsroom page of each language (lifted copies only): a "read online" link in both parts. */
  readOnline?: Record<string, string>;
}

/**
 * Compiles every variant of a release through MJML once. Throws TEMPLATE_INVALID (template file
 * and line) or MERGE_FIELD_UNKNOWN (field and where it is written) before anything is sent.
 */
export async function compileRelease(release: Release, options: CompileOptions): Promise<CompiledRelease> {
  const { config, now } = options;
  const templateFile = resolve(options.templateFile ?? resolve(config.templates.dir, config.templates.layout));
  let templateText: string;
  try {
    templateText = await readFile(templateFile, 'utf8');
  } catch (err) {
    throw new PresslineError('FILE_UNREADABLE', `cannot read template: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      file: templateFile,
    });
  }
  const nodes = parseTemplate(templateText, templateFile);
  const catalog = createFieldCatalog(options.columns ?? []);
  const embargoed = release.embargo !== undefined && now.getTime() < release.embargo.instant.getTime();

  const variants: CompiledVariant[] = [];
  for (const variant of release.variants) {
    const readOnline = embargoed ? undefined : options.readOnline?.[variant.language];
    variants.push(await compileVariant(variant, release, { config, embargoed, catalog, nodes, templateFile, templateText, readOnline }));
  }
  const byTag = new Map(variants.map((v) => [v.language.toLowerCase(), v]));
  const byPrimary = new Map<string, CompiledVariant>();
  for (const v of variants) {
    const p = primary(v.language);
    if (!byPrimary.has(p)) byPrimary.set(p, v);
  }
  const fallback = variants[0]!;
  return {
    release,
    variants,
    embargoed,
    pickVariant(contact) {
      const lang = contact.language.toLowerCase();
      if (lang === '') return fallback;
      return byTag.get(lang) ?? byPrimary.get(primary(lang)) ?? fallback;
    },
  };
}

/** How many contacts get each variant, in variant order (zero counts kept). */
export function summariseVariants(compiled: CompiledRelease, contacts: Iterable<Contact>): { language: string; file: string; contacts: number }[] {
  const counts = new Map(compiled.variants.map((v) => [v, 0]));
  for (const c of contacts) {
    const v = compiled.pickVariant(c);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return compiled.variants.map((v) => ({ language: v.language, file: v.file, contacts: counts.get(v) ?? 0 }));
}

interface VariantContext {
  config: Config;
  embargoed: boolean;
  catalog: FieldCatalog;
  nodes: ReturnType<typeof parseTemplate>;
  templateFile: string;
  templateText: string;
  /** The variant's newsroom page; never set for an embargoed copy. */
  readOnline: string | undefined;
}

async function compileVariant(variant: ReleaseVariant, release: Release, ctx: VariantContext): Promise<CompiledVariant> {
  const { config } = ctx;
  const lang = variant.language;
  const labels = labelsFor(lang);
  const tokens = new MergeTokens(ctx.catalog, [ctx.templateText, JSON.stringify(variant), JSON.stringify(labels)]);
  const at = (field: string): Location => variant.where[field] ?? { file: variant.file, field };
  const tok = (value: string, field: string) => tokens.tokenise(value, at(field));
  const opt = (value: string | undefined, field: string) => (value === undefined ? undefined : tok(value, field));

  const wording = embargoWording(config, lang);
  const notice = ctx.embargoed && release.embargo ? formatEmbargoNotice(release.embargo, lang) : wording.lifted;
  const title = tok(variant.title, 'title');
  const subtitle = opt(variant.subtitle, 'subtitle');
  const summary = opt(variant.summary, 'summary');
  const greeting = opt(variant.greeting, 'greeting');
  const subjectSource = variant.subject !== undefined ? tok(variant.subject, 'subject') : title;
  const body = tok(variant.bodyMarkdown, 'body');
  const datelineText = [opt(variant.dateline, 'dateline'), variant.date ? formatReleaseDate(variant.date, lang) : undefined]
    .filter((s): s is string => !!s)
    .join(', ');
  const contacts = variant.contacts.map((c, i) => ({
    name: tok(c.name, 'contacts'),
    role: c.role !== undefined ? tok(c.role, 'contacts') : '',
    phones: c.phones.map((p) => ({ display: tok(p, 'contacts'), href: telHref(p) })),
    email: c.email ?? '',
    index: i,
  }));
  const links = variant.links.map((l) => ({
    label: tok(l.label, 'links'),
    url: l.url,
    language_name: l.language && primary(l.language) !== primary(lang) ? languageName(l.language, lang) : '',
  }));
  const org = variant.organisation;
  const organisation = {
    name: org ? tok(org.name, 'organisation') : '',
    address: org?.address ? tok(org.address, 'organisation') : '',
    web: org?.web ?? '',
    web_label: org?.web ? org.web.replace(/^https?:\/\//i, '').replace(/\/$/, '') : '',
  };

  const context = {
    lang,
    dir: textDirection(lang),
    title,
    preview: summary ?? subtitle ?? '',
    subtitle: subtitle ?? '',
    summary: summary ?? '',
    greeting: greeting ?? '',
    dateline_text: datelineText,
    notice: { embargoed: ctx.embargoed, text: notice },
    // A body link may point at the unsubscribe URL, which is ours; other bare merge fields are not links.
    body: markdownToHtml(body, (href) => tokens.startsWithField(href, SPECIAL_FIELDS)),
    contacts,
    links,
    has_meta: contacts.length > 0 || links.length > 0,
    organisation,
    labels,
    read_online: ctx.readOnline ?? '',
  };

  const expanded = expandTemplate(ctx.nodes, context, {
    file: ctx.templateFile,
    literal: (text, line) => tokens.tokenise(text, { file: ctx.templateFile, line }),
  });
  const mapLine = (line: number) => expanded.lineMap[line - 1] ?? line;

  const textSource = composeText({ readOnline: ctx.readOnline, notice, title, subtitle, datelineText, greeting, body, contacts, links, organisation, labels }, tokens);
  const subjectPrefix = ctx.embargoed ? wording.prefix : '';
  tokens.assertKnown();

  checkTagBalance(expanded.text, ctx.templateFile, mapLine);
  const html = await compileMjml(expanded.text, ctx.templateFile, mapLine);

  const htmlSegments = tokens.segment(html, escapeHtml);
  const textSegments = tokens.segment(textSource, neutraliseLine, neutraliseText);
  const subjectSegments = tokens.segment(subjectPrefix + subjectSource, neutraliseLine, (s) => neutraliseLine(s).replace(/\s+/g, ' '));
  const fields = new Set<string>();
  for (const segs of [subjectSegments, htmlSegments, textSegments]) fieldsOf(segs, fields);
  const readers = [...fields].map((f) => [f, ctx.catalog.resolver(f)] as const);
  // The bodies' fixed text encoded once for every recipient, where the part goes as
  // quoted-printable (base64, for a mostly Cyrillic part, is encoded whole per message).
  const encodedOnce = (segments: Segment[], escape: (s: string) => string) =>
    suitsQuotedPrintable(renderSegments(segments, {}, escape)) ? encodeSegments(segments, quotedPrintablePiece) : undefined;
  const htmlEncoded = encodedOnce(htmlSegments, escapeHtml);
  const textEncoded = encodedOnce(textSegments, neutraliseLine);

  return {
    language: lang,
    file: variant.file,
    fields: [...fields],
    source: variant,
    render(contact, specials = {}) {
      const values: Record<string, string> = {};
      for (const [f, get] of readers) values[f] = get(contact, specials);
      return {
        language: lang,
        subject: renderSegments(subjectSegments, values, neutraliseLine).trim(),
        html: renderSegments(htmlSegments, values, escapeHtml),
        text: renderSegments(textSegments, values, neutraliseLine),
        encoded: {
          html: htmlEncoded && renderEncoded(htmlEncoded, values, escapeHtml, quotedPrintablePiece),
          text: textEncoded && renderEncoded(textEncoded, values, neutraliseLine, quotedPrintablePiece),
        },
      };
    },
  };
}

interface TextParts {
  readOnline: string | undefined;
  notice: string;
  title: string;
  subtitle: string | undefined;
  datelineText: string;
  greeting: string | undefined;
  body: string;
  contacts: { name: string; role: string; phones: { display: string }[]; email: string }[];
  links: { label: string; url: string; language_name: string }[];
  organisation: { name: string; address: string; web: string };
  labels: Labels;
}

/** The plain-text alternative, built from the same (tokenised) content as the HTML. */
function composeText(p: TextParts, tokens: MergeTokens): string {
  const blocks: string[] = [p.notice, wrap(p.title)];
  if (p.readOnline) blocks.unshift(`${p.labels.readOnline}: <${p.readOnline}>`);
  if (p.subtitle) blocks.push(wrap(p.subtitle));
  const lead: string[] = [];
  if (p.datelineText) lead.push(p.datelineText);
  if (lead.length) blocks.push(lead.join('\n'));
  if (p.greeting) blocks.push(p.greeting);
  blocks.push(markdownToText(p.body, TEXT_WIDTH));
  if (p.contacts.length) {
    const lines = [p.labels.contacts, '-'.repeat([...p.labels.contacts].length)];
    for (const c of p.contacts) {
      lines.push('', c.name);
      if (c.role) lines.push(c.role);
      for (const ph of c.phones) lines.push(`${p.labels.phone} ${ph.display}`);
      if (c.email) lines.push(`${p.labels.email}: ${c.email}`);
    }
    blocks.push(lines.join('\n'));
  }
  if (p.links.length) {
    const lines = [p.labels.links, '-'.repeat([...p.labels.links].length)];
    for (const l of p.links) {
      const label = l.language_name ? `${l.label} (${l.language_name})` : l.label;
      lines.push(wrap(`- ${label}: <${l.url}>`, TEXT_WIDTH, '', '  '));
    }
    blocks.push(lines.join('\n'));
  }
  const footer = ['-- ', p.organisation.name, p.organisation.address, p.organisation.web].filter((s) => s !== '');
  const unsubscribe = tokens.tokenise(
    `{{#if unsubscribe_url}}${wrap(`${p.labels.unsubscribeText} <{{unsubscribe_url}}>`)}{{else}}${wrap(p.labels.unsubscribeReply)}{{/if}}`,
    { file: '(plain-text part)' },
  );
  blocks.push([...footer, '', unsubscribe].join('\n'));
  return blocks.join('\n\n') + '\n';
}

async function compileMjml(source: string, file: string, mapLine: (line: number) => number): Promise<string> {
  try {
    // Loaded on first use: MJML takes a second to import, and most commands never compile.
    const { default: mjml2html } = await import('mjml');
    const result = await mjml2html(source, { validationLevel: 'strict', keepComments: false, filePath: file, fonts: {} });
    return tidyCompiledHtml(result.html);
  } catch (err) {
    const errors = (err as { errors?: { line: number; message: string; tagName: string }[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const first = errors[0]!;
      const rest = errors.slice(1).map((e) => `; line ${mapLine(e.line)}: <${e.tagName}> ${e.message}`).join('');
      throw new PresslineError('TEMPLATE_INVALID', `<${first.tagName}> ${first.message}${rest}`, { file, line: mapLine(first.line) });
    }
    throw new PresslineError('TEMPLATE_INVALID', `MJML could not compile the template: ${(err as Error).message}`, { file });
  }
}

/** tel: URI from a phone as written: "+44 7798 555 629 (UK mobile)" → "tel:+447798555629". */
export function telHref(phone: string): string {
  const number = phone.replace(/\(.*?\)/g, '').replace(/[^\d+]/g, '');
  return `tel:${number}`;
}

/** "10 November 2002" (en-GB style for English), the language's long date otherwise. */
export function formatReleaseDate(date: string, language: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const instant = new Date(Date.UTC(y, m - 1, d, 12));
  const locale = primary(language) === 'en' && language.toLowerCase() === 'en' ? 'en-GB' : language;
  try {
    return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(instant);
  } catch {
    return date;
  }
}

function primary(tag: string): string {
  return tag.toLowerCase().split('-')[0] ?? '';
}

function textDirection(lang: string): 'rtl' | 'ltr' {
  return ['ar', 'he', 'fa', 'ur', 'yi', 'ps', 'sd', 'ug', 'dv'].includes(primary(lang)) ? 'rtl' : 'ltr';
}
