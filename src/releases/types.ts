import type { Location } from '../errors.js';
import type { Address } from '../mime/address.js';
import type { Embargo } from './embargo.js';

/** The organisation issuing the release (footer and From: fallback). */
export interface Organisation {
  name: string;
  address?: string;
  web?: string;
}

/** A press contact printed in the release: phones are kept as written (display form). */
export interface ReleaseContact {
  name: string;
  role?: string;
  phones: string[];
  email?: string;
}

/** A link printed under the release; `language` marks e.g. a translation elsewhere. */
export interface ReleaseLink {
  label: string;
  url: string;
  language?: string;
}

/** A file sent with the release; `path` is its real path (symlinks resolved), confined by src/releases/confine.ts. */
export interface ReleaseAttachment {
  path: string;
  /** The file name recipients see. */
  filename: string;
  bytes: number;
  /** The file's identity when it was loaded: it is read for sending only while it still matches. */
  dev: number;
  ino: number;
  ctimeMs: number;
}

/** One language of a release, with every inherited field already filled in. */
export interface ReleaseVariant {
  /** Canonical BCP 47 tag (e.g. "en", "ru", "pt-BR"). */
  language: string;
  /** The file this variant's body comes from. */
  file: string;
  title: string;
  subtitle?: string;
  summary?: string;
  /** YYYY-MM-DD. */
  date?: string;
  /** Place the release is issued from, e.g. "Brussels". */
  dateline?: string;
  /** Subject override; the title is used otherwise. */
  subject?: string;
  /** Greeting line with merge fields; the language default unless set; undefined = no greeting. */
  greeting?: string;
  organisation?: Organisation;
  contacts: ReleaseContact[];
  links: ReleaseLink[];
  attachments: ReleaseAttachment[];
  from?: Address;
  replyTo?: Address;
  bodyMarkdown: string;
  /** Where each field was written (the original file for inherited fields); key "body" = first body line. */
  where: Record<string, Location>;
}

/** A release file and its translations, validated: variants[0] is the original. */
export interface Release {
  file: string;
  variants: ReleaseVariant[];
  embargo?: Embargo;
  /** false: front matter `newsroom: false` keeps the release off the public newsroom. */
  newsroom?: boolean;
  /** Every distinct attachment across the variants. */
  attachments: ReleaseAttachment[];
  /** Problems worth a look that do not stop a send (e.g. large attachments). */
  warnings: string[];
}
