// The Atom feed is XML 1.0: a character outside its Char production (C0 controls but TAB/LF/CR,
// U+FFFE, U+FFFF, a lone surrogate) anywhere in it makes the whole feed unreadable to every
// reader. Release text is outside input; whatever it holds, the feed stays well-formed.
import { describe, expect, it } from 'vitest';
import { atomFeed } from '../../src/newsroom/feed.js';
import type { Publication } from '../../src/store/types.js';

// XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const hostile = 'Summit\u0000 ends\u0008 \uFFFE\uFFFF lone \uD800 surrogate \uDC00 and 😀 kept';

function publication(): Publication {
  const at = new Date('2026-12-01T10:00:00Z');
  return {
    releaseKey: 'releases/x.md', language: 'en', slug: 'summit-ends-0123abcd', title: hostile, summary: hostile,
    articleHtml: `<p>${hostile}</p>`, publishedAt: at, updatedAt: at, campaignId: 1, fingerprint: 'f',
  } as Publication;
}

describe('Atom feed characters', () => {
  it('leaves no character XML 1.0 forbids, whatever the release text holds', () => {
    const feed = atomFeed({ place: { path: '/news', defaultLanguage: 'en' }, siteName: `Press\uFFFF Office` }, 'en', [publication()], 'https://ngo.example.org', new Date());
    expect(feed.match(NOT_XML_CHAR)).toBeNull();
    // The text around the removed characters is kept, astral characters included.
    expect(feed).toContain('lone');
    expect(feed).toContain('😀 kept');
  });
});
