import { z } from 'zod';

/** zod reports a missing key as a type error; say "is required" instead. */
const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : what);

const text = z.string({ error: required('must be text') }).trim().min(1, { error: 'must not be empty' });

/** YYYY-MM-DD that names a real calendar day. */
export const isoDate = z.string({ error: required('must be a date written YYYY-MM-DD') }).refine(
  (s) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return false;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  },
  { error: 'must be a real date written YYYY-MM-DD (e.g. 2026-12-01)' },
);

/** A BCP 47 language tag Intl accepts. */
export const languageTag = z.string({ error: required('must be a BCP 47 language tag such as "en" or "pt-BR"') }).refine(
  (s) => {
    try {
      return Intl.getCanonicalLocales(s).length === 1;
    } catch {
      return false;
    }
  },
  { error: 'must be a BCP 47 language tag such as "en", "ru" or "pt-BR"' },
);

const webUrl = z.string({ error: required('must be a URL') }).refine((s) => /^(https?:\/\/|mailto:)\S+$/i.test(s.trim()), {
  error: 'must be an http(s):// or mailto: URL',
});

const email = z.email({ error: required('must be an email address') });
const address = z.strictObject({ name: z.string().optional(), address: email });

const phones = z
  .union([text, z.array(text)], { error: 'must be a phone number or a list of them' })
  .transform((v) => (Array.isArray(v) ? v : [v]));

/** Every front-matter field a release may carry; unknown keys are rejected (catches typos). */
export const releaseFields = {
  title: text,
  subtitle: text.optional(),
  summary: text.optional(),
  date: isoDate.optional(),
  dateline: text.optional(),
  organisation: z
    .strictObject({ name: text, address: text.optional(), web: webUrl.optional() })
    .optional(),
  contacts: z
    .array(
      z.strictObject({
        name: text,
        role: text.optional(),
        phones: phones.optional(),
        email: email.optional(),
      }),
    )
    .optional(),
  links: z.array(z.strictObject({ label: text, url: webUrl, language: languageTag.optional() })).optional(),
  attachments: z.array(z.strictObject({ file: text, name: text.optional() })).optional(),
  language: languageTag.optional(),
  translations: z.array(text).optional(),
  subject: text.optional(),
  /** A line with merge fields; false or "" turns the greeting off. */
  greeting: z.union([z.string(), z.literal(false), z.null()], { error: 'must be text (or false for none)' }).optional(),
  /** "YYYY-MM-DD HH:MM Zone/Name" or "YYYY-MM-DDTHH:MM+01:00 Zone/Name"; parsed by embargo.ts. */
  embargo: text.optional(),
  from: address.optional(),
  replyTo: address.optional(),
  /** false keeps the release off the public newsroom (it is still mailed). */
  newsroom: z.boolean({ error: 'must be true or false' }).optional(),
};

/** The original release's front matter. */
export const releaseSchema = z.strictObject(releaseFields);
export type ReleaseFrontMatter = z.infer<typeof releaseSchema>;

/** A translation's front matter: everything optional (inherited) except its own language. */
export const translationSchema = z.strictObject({
  ...releaseSchema.partial().shape,
  language: languageTag,
});
export type TranslationFrontMatter = z.infer<typeof translationSchema>;

export const KNOWN_FIELDS = Object.keys(releaseFields);
