import { escapeHtml } from '../html/escape.js';
import type { Publication } from '../store/types.js';
import { feedPath, indexPath, languageRoot, pagePath, stylesheetPath, type NewsroomPlace } from './urls.js';
import { directionOf, formatPublished, nativeName, newsroomWords } from './wording.js';

/** What every newsroom page needs besides its content. */
export interface SiteContext {
  place: NewsroomPlace;
  /** The organisation's name (config organisation.name), shown in the header and titles. */
  siteName: string;
}

const e = escapeHtml;

/** The document around a page: landmarks, skip link, one stylesheet, the language's feed; no script. */
function documentHtml(site: SiteContext, language: string, title: string, main: string, head: string, nav: string): string {
  const words = newsroomWords(language);
  return `<!doctype html>
<html lang="${e(language)}" dir="${directionOf(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<link rel="stylesheet" href="${e(stylesheetPath(site.place))}">
<link rel="alternate" type="application/atom+xml" title="${e(`${site.siteName} — ${words.feed}`)}" href="${e(feedPath(site.place, language))}">
${head}</head>
<body>
<a class="skip" href="#content">${e(words.skip)}</a>
<header class="site"><a href="${e(indexPath(site.place, language))}">${e(site.siteName)} · ${e(words.newsroom)}</a></header>
${nav}<main id="content">
${main}
</main>
<footer class="site"><a href="${e(feedPath(site.place, language))}">${e(words.feed)}</a></footer>
</body>
</html>
`;
}

/** A release page: its headline as the one h1, lead, article, and links to its other published languages. */
export function articlePage(site: SiteContext, page: Publication, translations: Publication[]): string {
  const words = newsroomWords(page.language);
  const others = translations.filter((t) => t.language !== page.language).sort((a, b) => a.language.localeCompare(b.language));
  const head = others.map((t) => `<link rel="alternate" hreflang="${e(t.language)}" href="${e(pagePath(site.place, t.language, t.slug))}">\n`).join('');
  const nav = others.length
    ? `<nav class="languages" aria-label="${e(words.languages)}"><ul>${others
        .map((t) => `<li><a href="${e(pagePath(site.place, t.language, t.slug))}" hreflang="${e(t.language)}" lang="${e(t.language)}">${e(nativeName(t.language))}</a></li>`)
        .join('')}</ul></nav>\n`
    : '';
  const main = `<article>
<h1>${e(page.title)}</h1>
<p class="published">${e(words.published)} <time datetime="${page.publishedAt.toISOString()}">${e(formatPublished(page.publishedAt, page.language))}</time></p>
${page.summary ? `<p class="lead">${e(page.summary)}</p>\n` : ''}${page.articleHtml}
</article>`;
  return documentHtml(site, page.language, `${page.title} — ${site.siteName}`, main, head, nav);
}

/** One language's index: its published releases, newest first. */
export function indexPage(site: SiteContext, language: string, pages: Publication[], otherLanguages: string[]): string {
  const words = newsroomWords(language);
  const items = pages.map(
    (p) => `<li><h2><a href="${e(pagePath(site.place, p.language, p.slug))}">${e(p.title)}</a></h2>
<p class="published"><time datetime="${p.publishedAt.toISOString()}">${e(formatPublished(p.publishedAt, p.language))}</time></p>${p.summary ? `\n<p>${e(p.summary)}</p>` : ''}</li>`,
  );
  const others = otherLanguages.filter((l) => l !== language).sort();
  const nav = others.length
    ? `<nav class="languages" aria-label="${e(words.languages)}"><ul>${others
        .map((l) => `<li><a href="${e(`${languageRoot(site.place, l)}/`)}" hreflang="${e(l)}" lang="${e(l)}">${e(nativeName(l))}</a></li>`)
        .join('')}</ul></nav>\n`
    : '';
  const main = `<h1>${e(site.siteName)} · ${e(words.newsroom)}</h1>
${items.length ? `<ul class="releases">\n${items.join('\n')}\n</ul>` : `<p>${e(words.empty)}</p>`}`;
  return documentHtml(site, language, `${words.newsroom} — ${site.siteName}`, main, '', nav);
}
