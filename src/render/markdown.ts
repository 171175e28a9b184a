import { Marked, type Tokens, type Token } from 'marked';
import { escapeHtml } from './escape.js';

/** Link targets a press release may carry; anything else (javascript:, data:) loses its link. */
export function isSafeHref(href: string): boolean {
  return /^(https?:|mailto:|tel:)/i.test(href.trim());
}

// Set for the duration of one synchronous parse: hrefs the caller vouches for (a merge token).
let extraSafeHref: ((href: string) => boolean) | undefined;

function createMarked(): Marked {
  const marked = new Marked({ gfm: true, breaks: false, async: false });
  marked.use({
    renderer: {
      // Raw HTML in a release is shown as text, never interpreted.
      html({ text }: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(text);
      },
      link(token: Tokens.Link) {
        const inner = this.parser.parseInline(token.tokens);
        if (!isSafeHref(token.href) && !extraSafeHref?.(token.href)) return inner;
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
        return `<a href="${escapeHtml(token.href)}"${title}>${inner}</a>`;
      },
      image(token: Tokens.Image) {
        if (!/^https?:/i.test(token.href)) return escapeHtml(token.text);
        return `<img src="${escapeHtml(token.href)}" alt="${escapeHtml(token.text)}" style="max-width:100%;height:auto;">`;
      },
    },
  });
  return marked;
}

const markedInstance = createMarked();

/**
 * Release Markdown → safe HTML (raw HTML escaped, links other than http(s)/mailto/tel dropped
 * unless `allowHref` vouches for them, e.g. an href that is the unsubscribe merge field).
 */
export function markdownToHtml(markdown: string, allowHref?: (href: string) => boolean): string {
  extraSafeHref = allowHref;
  try {
    return markedInstance.parse(markdown, { async: false }) as string;
  } finally {
    extraSafeHref = undefined;
  }
}

/** Markdown for inline use (one line, no <p>), e.g. a greeting or a label. */
export function inlineMarkdownToHtml(markdown: string): string {
  return markedInstance.parseInline(markdown, { async: false }) as string;
}

/** Lexes Markdown with the same options as the HTML renderer, for the text part. */
export function lexMarkdown(markdown: string): Token[] {
  return markedInstance.lexer(markdown);
}
