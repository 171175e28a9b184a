import { atomFeed } from '../newsroom/feed.js';
import { articlePage, indexPage } from '../newsroom/pages.js';
import { newsroomOrigin, siteOf } from '../newsroom/site.js';
import { NEWSROOM_CSS } from '../newsroom/style.js';
import { FEED_FILE, PAGE_NAME, STYLESHEET_FILE } from '../newsroom/urls.js';
import type { Config } from '../config/schema.js';
import { text, type Handler, type Reply } from './context.js';

/**
 * The newsroom's pages load one stylesheet from this origin and images from the web (a release
 * may show one); nothing else, and no script at all.
 */
const NEWSROOM_CSP = "default-src 'none'; style-src 'self'; img-src https: http:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
/** Published pages may be cached briefly; anything else (404s above all) never is. */
const PUBLISHED_CACHE = 'public, max-age=60';

function published(body: string, contentType: string): Reply {
  return {
    status: 200,
    type: contentType.startsWith('text/html') ? 'html' : 'text',
    body,
    headers: { 'Content-Type': contentType, 'Cache-Control': PUBLISHED_CACHE, 'Content-Security-Policy': NEWSROOM_CSP },
  };
}

/** One answer for unknown, unpublished and not-yet-lifted alike: same status, words and headers. */
const notFound = (): Reply => text(404, 'not found');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const LANGUAGE = '[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}';

/**
 * The routes of the public newsroom (config newsroom.path, default `/news`): the default
 * language's pages under the path, each other language under `/<lang><path>`; an index (`/`), an
 * Atom feed (`feed.atom`), each release page and the stylesheet. Capture groups: language (maybe
 * empty), then the rest after the path.
 */
export function newsroomRoutes(config: Config): { pattern: RegExp; methods: Partial<Record<string, Handler>> }[] {
  if (!config.newsroom.enabled) return [];
  const path = escapeRegExp(config.newsroom.path);
  const handler = newsroomHandler(config);
  return [{ pattern: new RegExp(`^(?:/(${LANGUAGE}))?${path}(/[^/]*)?$`), methods: { GET: handler, HEAD: handler } }];
}

function newsroomHandler(config: Config): Handler {
  const site = siteOf(config);
  const origin = newsroomOrigin(config);
  return async (ctx) => {
    const { store, clock } = ctx.app;
    const now = clock.now();
    const prefixed = ctx.params[0];
    // The default language lives without a prefix only: `/en/news/…` is not a second copy.
    if (prefixed === site.place.defaultLanguage) return notFound();
    const language = prefixed ?? site.place.defaultLanguage;
    const rest = (ctx.params[1] ?? '/').slice(1);
    if (rest === STYLESHEET_FILE) {
      return prefixed === undefined ? published(NEWSROOM_CSS, 'text/css; charset=utf-8') : notFound();
    }
    if (rest === '' || rest === FEED_FILE) {
      const pages = await store.publications({ language, limit: 100 }, now);
      // An index of a language nothing is published in would only confirm guesses: 404.
      if (pages.length === 0 && prefixed !== undefined) return notFound();
      if (rest === FEED_FILE) return published(atomFeed(site, language, pages, origin, now), 'application/atom+xml; charset=utf-8');
      const languages = new Set([site.place.defaultLanguage, ...(await store.publications({ limit: 500 }, now)).map((p) => p.language)]);
      return published(indexPage(site, language, pages, [...languages]), 'text/html; charset=utf-8');
    }
    if (!PAGE_NAME.test(rest)) return notFound();
    const page = await store.publication(language, rest, now);
    if (!page) return notFound();
    const translations = await store.publications({ releaseKey: page.releaseKey }, now);
    return published(articlePage(site, page, translations), 'text/html; charset=utf-8');
  };
}
