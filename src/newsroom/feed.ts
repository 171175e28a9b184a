import { createHash } from 'node:crypto';
import { escapeHtml } from '../html/escape.js';
import type { Publication } from '../store/types.js';
import type { SiteContext } from './pages.js';
import { feedPath, indexPath, pagePath } from './urls.js';
import { newsroomWords } from './wording.js';

/**
 * Characters XML 1.0 forbids that escapeHtml leaves (it already turns controls into spaces): the
 * noncharacters U+FFFE and U+FFFF and lone surrogates. One of them anywhere in release text would
 * make the whole feed unreadable, so each becomes U+FFFD.
 */
const NOT_XML_CHAR = /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text for the feed: XML needs &, <, > and quotes escaped (escapeHtml's five) and only XML characters. */
const x = (value: string): string => escapeHtml(value).replace(NOT_XML_CHAR, '\uFFFD');

/** A stable id that survives a change of domain: a urn:uuid derived from what it names. */
function stableId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * One language's Atom feed (RFC 4287): feed id, title, updated, author, self and alternate links;
 * per entry id, title, updated, published, link, summary and the article as escaped HTML content.
 * `origin` makes links absolute (config web.publicOrigin); without it they are site-relative.
 */
export function atomFeed(site: SiteContext, language: string, pages: Publication[], origin: string | undefined, now: Date): string {
  const at = (path: string) => `${origin ?? ''}${path}`;
  const updated = pages.reduce<Date | undefined>((latest, p) => (!latest || p.updatedAt > latest ? p.updatedAt : latest), undefined) ?? now;
  const words = newsroomWords(language);
  const entries = pages.map(
    (p) => `  <entry>
    <id>${stableId('entry', p.releaseKey, p.language)}</id>
    <title type="text">${x(p.title)}</title>
    <link rel="alternate" type="text/html" hreflang="${x(p.language)}" href="${x(at(pagePath(site.place, p.language, p.slug)))}"/>
    <published>${p.publishedAt.toISOString()}</published>
    <updated>${p.updatedAt.toISOString()}</updated>
${p.summary ? `    <summary type="text">${x(p.summary)}</summary>\n` : ''}    <content type="html">${x(p.articleHtml)}</content>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${x(language)}">
  <id>${stableId('feed', site.place.path, language)}</id>
  <title type="text">${x(`${site.siteName} — ${words.newsroom}`)}</title>
  <updated>${updated.toISOString()}</updated>
  <author><name>${x(site.siteName)}</name></author>
  <link rel="self" type="application/atom+xml" href="${x(at(feedPath(site.place, language)))}"/>
  <link rel="alternate" type="text/html" href="${x(at(indexPath(site.place, language)))}"/>
${entries.join('\n')}${entries.length ? '\n' : ''}</feed>
`;
}
