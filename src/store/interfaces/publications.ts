/** One language of a published release, as the newsroom serves it. */
export interface Publication {
  /** Stable across campaigns of the same release (its file as the campaign names it). */
  releaseKey: string;
  /** Canonical BCP 47 tag of the variant. */
  language: string;
  /** The page name: title words and an HMAC of the release key (not guessable before the lift). */
  slug: string;
  title: string;
  summary: string | undefined;
  /** The article as safe HTML (the email's Markdown renderer; merge fields as for a reader with no data). */
  articleHtml: string;
  /** The first publication; a later campaign of the same release keeps it. */
  publishedAt: Date;
  /** The latest publication's time (Atom `updated`). */
  updatedAt: Date;
  /** The campaign that last published it. */
  campaignId: number;
  /** The release fingerprint the text was taken from. */
  fingerprint: string;
}

/** What a publish writes for one language (times are the store's to keep). */
export type PublicationInput = Omit<Publication, 'publishedAt' | 'updatedAt'>;

/**
 * The newsroom's snapshot of published releases. Rows exist only once a release is published, and
 * every read also takes `now`, so a row dated after it is as absent as a missing one.
 */
export interface PublicationStore {
  /**
   * Publishes every given language of a release at `now`, in one transaction: a new language gets
   * `now` as its publication time, a republished one keeps its first time and slug and takes the new text.
   */
  publishRelease(rows: PublicationInput[], now: Date): Promise<void>;
  /**
   * Takes a release off the newsroom: deletes its row of every language (`pressline publish
   * --remove`). Returns how many rows were deleted (0 when it was not published).
   */
  unpublishRelease(releaseKey: string): Promise<number>;
  /** The page for a language and slug, if published at or before `now`. */
  publication(language: string, slug: string, now: Date): Promise<Publication | undefined>;
  /**
   * Published pages at or before `now`, newest first: of one language (an index, a feed) and/or of
   * one release (its translations, for the language switcher).
   */
  publications(filter: { language?: string; releaseKey?: string; limit?: number }, now: Date): Promise<Publication[]>;
}
