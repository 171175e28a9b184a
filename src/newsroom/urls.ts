import { createHmac } from 'node:crypto';
import { relative, resolve, sep } from 'node:path';

/** Where the newsroom lives: its URL prefix and the language served without a language prefix. */
export interface NewsroomPlace {
  /** e.g. `/news` (config newsroom.path). */
  path: string;
  /** config defaultLanguage: its pages are at `<path>/…`, every other language at `/<lang><path>/…`. */
  defaultLanguage: string;
}

/** The shared stylesheet's file name, under `<path>/`. */
export const STYLESHEET_FILE = 'newsroom.css';
export const FEED_FILE = 'feed.atom';

const HASH_CHARS = 8;

/**
 * The release's key in the newsroom (its row, and the message its page name's HMAC is made of):
 * the release file relative to the folder pressline runs in, with `/` separators. `releases/x.md`,
 * `./releases/x.md` and the absolute path all give one key, so one page. Relative rather than
 * absolute because the project folder (config, releases, store) may be moved or restored elsewhere:
 * an absolute key would then name a second page for the same release. The campaign's release file
 * is already read from this folder (loadRelease resolves it against the working directory), so
 * pressline runs there whenever it sends.
 */
export function newsroomReleaseKey(releaseFile: string, cwd = process.cwd()): string {
  const inside = relative(cwd, resolve(cwd, releaseFile));
  return inside.split(sep).join('/');
}

/** "Sommet UE–Russie : « droits »" → "sommet-ue-russie-droits"; ASCII only, at most 60 characters. */
export function slugWords(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = words.slice(0, 60).replace(/-+$/, '');
  return cut === '' ? 'release' : cut;
}

/**
 * `<title words>-<8 hex>`: the hex is an HMAC of the release key, so knowing the headline (or an
 * embargoed copy) is not enough to find the page before it is published.
 */
export function pageName(key: string, releaseKey: string, title: string): string {
  const mac = createHmac('sha256', key).update(`newsroom:${releaseKey}`).digest('hex').slice(0, HASH_CHARS);
  return `${slugWords(title)}-${mac}`;
}

/** A page name as the routes accept it (anything else is a 404 without a store read). */
export const PAGE_NAME = /^[a-z0-9-]{1,70}-[0-9a-f]{8}$/;

/** `/news` or `/ru/news`: the folder of one language's pages. */
export function languageRoot(place: NewsroomPlace, language: string): string {
  return language === place.defaultLanguage ? place.path : `/${language}${place.path}`;
}

export const pagePath = (place: NewsroomPlace, language: string, slug: string): string => `${languageRoot(place, language)}/${slug}`;
export const indexPath = (place: NewsroomPlace, language: string): string => `${languageRoot(place, language)}/`;
export const feedPath = (place: NewsroomPlace, language: string): string => `${languageRoot(place, language)}/${FEED_FILE}`;
export const stylesheetPath = (place: NewsroomPlace): string => `${place.path}/${STYLESHEET_FILE}`;
