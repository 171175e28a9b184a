import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve, relative } from 'node:path';
import type { z } from 'zod';
import type { Config } from '../config/schema.js';
import { PresslineError, type Location } from '../errors.js';
import { formatBytes } from './attachments.js';
import { attachmentRoots, confineFile, ConfinementRefusal } from './confine.js';
import { parseEmbargo, type Embargo } from './embargo.js';
import { lineOfPath, parseFrontMatter, type FrontMatterFile } from './frontmatter.js';
import { defaultGreeting } from './greetings.js';
import {
  KNOWN_FIELDS,
  releaseSchema,
  translationSchema,
  type ReleaseFrontMatter,
  type TranslationFrontMatter,
} from './schema.js';
import type { Release, ReleaseAttachment, ReleaseVariant } from './types.js';

/**
 * Reads a release file and its translations into a validated Release (original variant first).
 * Throws PresslineError('RELEASE_INVALID' | 'EMBARGO_INVALID' | 'FILE_UNREADABLE') naming the
 * file, the field and the line; large attachments become warnings, never errors.
 */
export async function loadRelease(file: string, config: Config): Promise<Release> {
  const path = resolve(file);
  const shown = displayPath(path);
  const original = await readParsed(path, shown);
  const data = validate(original, shown, releaseSchema) as ReleaseFrontMatter;
  const warnings: string[] = [];

  const embargo = data.embargo !== undefined ? readEmbargo(data.embargo, original, shown) : undefined;
  const base = await buildVariant(data, original, shown, path, config, warnings, undefined);
  const variants: ReleaseVariant[] = [base];

  const seen = new Map<string, string>([[base.language.toLowerCase(), shown]]);
  const translationFiles = new Set<string>();
  for (const [i, rel] of (data.translations ?? []).entries()) {
    const where: Location = { file: shown, line: lineOfPath(original, ['translations', i]), field: `translations[${i}]` };
    const tPath = resolve(dirname(path), rel);
    if (tPath !== path) await confineTranslation(rel, dirname(path), where);
    if (tPath === path) throw new PresslineError('RELEASE_INVALID', 'a release cannot list itself as its own translation', where);
    if (translationFiles.has(tPath)) throw new PresslineError('RELEASE_INVALID', `translation "${rel}" is listed twice`, where);
    translationFiles.add(tPath);
    const tShown = displayPath(tPath);
    let parsed: FrontMatterFile;
    try {
      parsed = await readParsed(tPath, tShown);
    } catch (err) {
      if (err instanceof PresslineError && err.code === 'FILE_UNREADABLE') {
        throw new PresslineError('RELEASE_INVALID', `translation file "${rel}" not found or unreadable (${tShown})`, where);
      }
      throw err;
    }
    const tData = validate(parsed, tShown, translationSchema) as TranslationFrontMatter;
    if (tData.translations !== undefined) {
      throw new PresslineError(
        'RELEASE_INVALID',
        'a translation must not list translations itself; list every translation in the original release',
        { file: tShown, line: lineOfPath(parsed, ['translations']), field: 'translations' },
      );
    }
    if (tData.embargo !== undefined) {
      const tEmbargo = readEmbargo(tData.embargo, parsed, tShown);
      if (!embargo || tEmbargo.instant.getTime() !== embargo.instant.getTime()) {
        throw new PresslineError(
          'EMBARGO_INVALID',
          `a translation cannot change the embargo: it is set once in the original (${shown}); remove this field`,
          { file: tShown, line: lineOfPath(parsed, ['embargo']), field: 'embargo' },
        );
      }
    }
    const variant = await buildVariant(tData, parsed, tShown, tPath, config, warnings, { data, fm: original, shown, path, base });
    const key = variant.language.toLowerCase();
    const clash = seen.get(key);
    if (clash) {
      throw new PresslineError('RELEASE_INVALID', `language "${variant.language}" is already used by ${clash}; each variant needs its own language`, {
        file: tShown,
        line: lineOfPath(parsed, ['language']),
        field: 'language',
      });
    }
    seen.set(key, tShown);
    variants.push(variant);
  }

  const attachments: ReleaseAttachment[] = [];
  for (const a of variants.flatMap((v) => v.attachments)) {
    if (!attachments.some((b) => b.path === a.path && b.filename === a.filename)) attachments.push(a);
  }
  return { file: shown, variants, ...(embargo ? { embargo } : {}), ...(data.newsroom === false ? { newsroom: false } : {}), attachments, warnings };
}

interface OriginalContext {
  data: ReleaseFrontMatter;
  fm: FrontMatterFile;
  shown: string;
  path: string;
  base: ReleaseVariant;
}

type VariantFields = Partial<ReleaseFrontMatter>;

async function buildVariant(
  own: VariantFields,
  fm: FrontMatterFile,
  shown: string,
  path: string,
  config: Config,
  warnings: string[],
  original: OriginalContext | undefined,
): Promise<ReleaseVariant> {
  // Each field comes from this file when written here, otherwise from the original.
  const where: Record<string, Location> = {};
  const pick = <K extends keyof ReleaseFrontMatter>(key: K): ReleaseFrontMatter[K] | undefined => {
    if (own[key] !== undefined) {
      where[key] = { file: shown, line: lineOfPath(fm, [key]), field: key };
      return own[key] as ReleaseFrontMatter[K];
    }
    if (original && original.data[key] !== undefined) {
      where[key] = { file: original.shown, line: lineOfPath(original.fm, [key]), field: key };
      return original.data[key];
    }
    return undefined;
  };

  const title = pick('title');
  if (title === undefined) {
    throw new PresslineError('RELEASE_INVALID', 'title is required', { file: shown, line: 1, field: 'title' });
  }
  const language = canonicalLanguage(own.language ?? config.defaultLanguage);
  where.language = { file: shown, line: lineOfPath(fm, ['language']), field: 'language' };

  let greeting: string | undefined;
  if (own.greeting !== undefined) {
    where.greeting = { file: shown, line: lineOfPath(fm, ['greeting']), field: 'greeting' };
    greeting = typeof own.greeting === 'string' && own.greeting.trim() !== '' ? own.greeting.trim() : undefined;
  } else if (original && (original.data.greeting === false || original.data.greeting === '')) {
    greeting = undefined; // the original turned greetings off for the whole release
  } else {
    // A custom greeting in the original is in its language, so a translation gets its own default.
    greeting = defaultGreeting(language);
    where.greeting = { file: shown, line: 1, field: 'greeting (default for the language)' };
  }

  // Attachments resolve against the file that lists them.
  let attachments: ReleaseAttachment[];
  if (own.attachments !== undefined) {
    // Confined to the original release's folder, wherever the listing translation sits.
    const roots = attachmentRoots(dirname(original?.path ?? path), config.attachments.allowedDirs);
    attachments = await readAttachments(own.attachments, fm, shown, path, roots, config, warnings);
  } else if (original) {
    attachments = original.base.attachments;
  } else {
    attachments = [];
  }

  const body = fm.body.replace(/\s+$/, '');
  if (body.trim() === '') {
    throw new PresslineError('RELEASE_INVALID', 'the release has no body text after the front matter', {
      file: shown,
      line: fm.bodyFirstLine,
      field: 'body',
    });
  }
  where.body = { file: shown, line: fm.bodyFirstLine, field: 'body' };

  const organisation = pick('organisation') ?? config.organisation;
  const contacts = (pick('contacts') ?? []).map((c) => ({
    name: c.name,
    ...(c.role ? { role: c.role } : {}),
    phones: c.phones ?? [],
    ...(c.email ? { email: c.email } : {}),
  }));
  const links = (pick('links') ?? []).map((l) => ({
    label: l.label,
    url: l.url.trim(),
    ...(l.language ? { language: canonicalLanguage(l.language) } : {}),
  }));

  const variant: ReleaseVariant = {
    language,
    file: shown,
    title,
    contacts,
    links,
    attachments,
    bodyMarkdown: body,
    where,
  };
  const optional = {
    subtitle: pick('subtitle'),
    summary: pick('summary'),
    date: pick('date'),
    dateline: pick('dateline'),
    subject: pick('subject'),
    greeting,
    organisation: organisation ? { ...organisation } : undefined,
    from: pick('from'),
    replyTo: pick('replyTo'),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (variant as unknown as Record<string, unknown>)[k] = v;
  }
  return variant;
}

async function readAttachments(
  list: NonNullable<ReleaseFrontMatter['attachments']>,
  fm: FrontMatterFile,
  shown: string,
  path: string,
  roots: string[],
  config: Config,
  warnings: string[],
): Promise<ReleaseAttachment[]> {
  const out: ReleaseAttachment[] = [];
  for (const [i, a] of list.entries()) {
    const where: Location = { file: shown, line: lineOfPath(fm, ['attachments', i, 'file']), field: `attachments[${i}].file` };
    let file;
    try {
      file = await confineFile(a.file, dirname(path), roots, 'attachment');
    } catch (err) {
      if (err instanceof ConfinementRefusal) throw new PresslineError('RELEASE_INVALID', err.message, where);
      throw err;
    }
    const size = file.bytes;
    const limit = config.attachments.warnBytes;
    if (size > limit) {
      warnings.push(
        `${shown}:${where.line} (attachments[${i}]): "${a.file}" is ${formatBytes(size)}, above the ${formatBytes(limit)} warning ` +
          `threshold (attachments.warnBytes); newsroom mail servers often refuse large messages, consider linking to it instead`,
      );
    }
    out.push({ path: file.realPath, filename: a.name ?? basename(a.file), bytes: size, dev: file.dev, ino: file.ino, ctimeMs: file.ctimeMs });
  }
  return out;
}

function readEmbargo(value: string, fm: FrontMatterFile, shown: string): Embargo {
  return parseEmbargo(value, { file: shown, line: lineOfPath(fm, ['embargo']), field: 'embargo' });
}

async function readParsed(path: string, shown: string): Promise<FrontMatterFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PresslineError('FILE_UNREADABLE', `cannot read release: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      file: shown,
    });
  }
  return parseFrontMatter(text, shown);
}

/** Validates front matter; the error names the first problem's field and line and lists the rest. */
function validate(fm: FrontMatterFile, shown: string, schema: z.ZodType): unknown {
  const raw = fm.doc.toJS() ?? {};
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const field = [...path, key].join('.');
      const known = path.length === 0 ? `; known fields: ${KNOWN_FIELDS.join(', ')}` : '';
      return {
        field,
        line: lineOfPath(fm, [...path, key]),
        message: `unknown field "${issue.keys.join('", "')}" (check the spelling${known})`,
      };
    }
    const field = formatPath(path);
    const missing = issue.message === 'is required' || (issue.code === 'invalid_type' && /received undefined/.test(issue.message));
    return { field, line: lineOfPath(fm, path), message: missing ? `${field} is required` : `${field} ${issue.message}` };
  });
  const first = problems[0]!;
  const more = problems.slice(1).map((p) => `; line ${p.line} (${p.field}): ${p.message}`).join('');
  throw new PresslineError('RELEASE_INVALID', first.message + more, { file: shown, line: first.line, field: first.field });
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(front matter)';
}

function canonicalLanguage(tag: string): string {
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  } catch {
    return tag;
  }
}

/** A translation is read from the release's folder only (the same confinement as attachments). */
async function confineTranslation(rel: string, releaseDir: string, where: Location): Promise<void> {
  try {
    await confineFile(rel, releaseDir, [releaseDir], 'translation file', 'keep translations in the folder of the original release');
  } catch (err) {
    if (!(err instanceof ConfinementRefusal)) throw err;
    // A missing file keeps its own wording below (readParsed), so only the other refusals stop here.
    if (/ not found /.test(err.message)) return;
    throw new PresslineError('RELEASE_INVALID', err.message, where);
  }
}

function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') ? rel : abs;
}
