/** One journalist row, validated: fields are trimmed and free of control characters. */
export interface Contact {
  /** The address as written in the list (trimmed); IDN domains kept in their Unicode form. */
  email: string;
  /** Dedupe and suppression key: lower-cased local part @ ASCII (punycode) lower-cased domain. */
  key: string;
  /** ASCII form of the domain, for per-domain rate limits and reports. */
  domain: string;
  /**
   * Honorific as written ("Dr.", "Mme", "Prof. Dr. med."): from a title column or peeled off the
   * name, never left in the first name; "" or absent when none (optional so contacts built
   * elsewhere, and those stored before it existed, stay valid).
   */
  title?: string;
  firstName: string;
  lastName: string;
  outlet: string;
  /** Beats / tags: several values from one cell, trimmed, original case. */
  tags: string[];
  /** BCP 47 tag, lower-cased primary language (e.g. "en", "ru", "pt-br"); "" when the list has none. */
  language: string;
  country: string;
  /** IANA zone name, validated; "" when the list has none. */
  timeZone: string;
  /** Columns the list has beyond the recognised ones, by their header as written. */
  extra: Record<string, string>;
  /** Where the row starts: the physical line of its first character. */
  source: { file: string; line: number };
}

/** The merge fields every contact offers, by the names templates and releases use. */
export const CONTACT_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'name',
  'title',
  'outlet',
  'tags',
  'language',
  'country',
  'time_zone',
] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
