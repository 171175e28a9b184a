import type { Config } from '../config/schema.js';
import { publicLinkOrigin } from '../config/public-origin.js';
import type { Publication, Store } from '../store/types.js';
import { atomFeed } from './feed.js';
import { articlePage, indexPage, type SiteContext } from './pages.js';
import { NEWSROOM_CSS } from './style.js';
import { feedPath, indexPath, pagePath, stylesheetPath, type NewsroomPlace } from './urls.js';

/** Where the newsroom is and what it is called, from the config. */
export function siteOf(config: Config): SiteContext {
  const place: NewsroomPlace = { path: config.newsroom.path, defaultLanguage: config.defaultLanguage };
  return { place, siteName: config.organisation?.name ?? 'Press releases' };
}

/**
 * The origin readers reach the newsroom at: config web.publicOrigin, else the origin of
 * unsubscribe.baseUrl (as `serve` computes it); undefined when neither is set.
 */
export function newsroomOrigin(config: Config): string | undefined {
  return publicLinkOrigin(config);
}

/** One file of the static newsroom: its URL path and its content. */
export interface SiteFile {
  urlPath: string;
  body: string;
}

/**
 * Every page, index, feed and the stylesheet as published at `now`: what `serve` answers, as
 * files. The default language's index and feed are always there (empty before any publication).
 */
export async function siteFiles(store: Store, config: Config, now: Date): Promise<SiteFile[]> {
  const site = siteOf(config);
  const origin = newsroomOrigin(config);
  const all = await store.publications({}, now);
  const byLanguage = new Map<string, Publication[]>([[site.place.defaultLanguage, []]]);
  const byRelease = new Map<string, Publication[]>();
  for (const p of all) {
    byLanguage.set(p.language, [...(byLanguage.get(p.language) ?? []), p]);
    byRelease.set(p.releaseKey, [...(byRelease.get(p.releaseKey) ?? []), p]);
  }
  const languages = [...byLanguage.keys()];
  const files: SiteFile[] = [{ urlPath: stylesheetPath(site.place), body: NEWSROOM_CSS }];
  for (const [language, pages] of byLanguage) {
    files.push({ urlPath: indexPath(site.place, language), body: indexPage(site, language, pages, languages) });
    files.push({ urlPath: feedPath(site.place, language), body: atomFeed(site, language, pages, origin, now) });
    for (const p of pages) files.push({ urlPath: pagePath(site.place, language, p.slug), body: articlePage(site, p, byRelease.get(p.releaseKey) ?? []) });
  }
  return files;
}
