import { Marked, type Tokens, type Token } from 'marked';
import { escapeHtml } from '../html/escape.js';

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
    return scrollableTables(markedInstance.parse(markdown, { async: false }) as string);
  } finally {
    extraSafeHref = undefined;
  }
}

const CELL_STYLE = 'padding:6px 10px;border-bottom:1px solid #e4e4e4;vertical-align:top;word-break:normal;overflow-wrap:normal;';

/**
 * A wide table must not be squeezed until words split ("Brus sels" at 375 px): it keeps its
 * natural width inside a box that scrolls sideways, so the page itself never does. Raw HTML in
 * a release is escaped, so every `<table>` here is one Markdown made.
 */
function scrollableTables(html: string): string {
  return html
    .replace(/<table>/g, '<div class="pl-table" style="overflow-x:auto;max-width:100%;"><table style="border-collapse:collapse;margin:0 0 16px 0;font-size:14px;line-height:1.4;">')
    .replace(/<\/table>/g, '</table></div>')
    .replace(/<(th|td)( align="(?:left|right|center)")?>/g, (_m, tag: string, align: string | undefined) => {
      const textAlign = align ? /"(\w+)"/.exec(align)![1] : 'left';
      return `<${tag} style="${CELL_STYLE}text-align:${textAlign};${tag === 'th' ? 'font-weight:bold;' : ''}">`;
    });
}

/** Markdown for inline use (one line, no <p>), e.g. a greeting or a label. */
export function inlineMarkdownToHtml(markdown: string): string {
  return markedInstance.parseInline(markdown, { async: false }) as string;
}

/** Lexes Markdown with the same options as the HTML renderer, for the text part. */
export function lexMarkdown(markdown: string): Token[] {
  return markedInstance.lexer(markdown);
}
