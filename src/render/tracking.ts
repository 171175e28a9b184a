/**
 * Engagement tracking in a rendered HTML part: http(s) links in `<a href>` go through a click
 * link, and a 1×1 image at the end of the body reports the open. Pure text surgery on the
 * compiled HTML: the tags stay as they are but for the one attribute value replaced. Links that
 * are not http(s) (mailto:, tel:, anchors), the unsubscribe link, and hrefs this cannot read for
 * sure (an unknown entity) are left alone: a wrongly rewritten link is worse than an untracked one.
 */
import { escapeHtml } from '../html/escape.js';

export interface TrackingLinks {
  /** The click link for a target (absolute http(s) URL as written), or undefined to leave it alone. */
  click?: ((target: string) => string) | undefined;
  /** The open pixel's URL; none when opens are not tracked. */
  pixel?: string | undefined;
  /** Targets never rewritten (the recipient's unsubscribe link). */
  keep?: readonly string[] | undefined;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The attribute value's text, or undefined when it holds an entity this does not know. */
export function decodeAttribute(value: string): string | undefined {
  let unknown = false;
  const text = value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#')) {
      const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
      // Beyond Unicode (a hostile `&#x110000;`) String.fromCodePoint throws: leave such a link alone.
      if (!(code <= 0x10ffff)) unknown = true;
      else return String.fromCodePoint(code);
      return whole;
    }
    const named = NAMED[lower];
    if (named === undefined) unknown = true;
    return named ?? whole;
  });
  return unknown ? undefined : text;
}

/** Longest target a click link stands for (serve refuses longer ones; such a link is left as it is). */
export const MAX_TARGET_CHARS = 2048;

/** True for a target a click link may stand for: an absolute http or https URL. */
export function isWebTarget(target: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(target);
}

// An <a …> start tag's href attribute, in either quote (MJML writes double quotes).
const ANCHOR_HREF = /(<a\b[^>]*?\shref\s*=\s*)(?:"([^"]*)"|'([^']*)')/gi;

/** The HTML with its links and pixel as `links` says (see the module comment). */
export function addTracking(html: string, links: TrackingLinks): string {
  let out = html;
  if (links.click) {
    const click = links.click;
    const keep = new Set(links.keep ?? []);
    out = out.replace(ANCHOR_HREF, (whole, head: string, dq: string | undefined, sq: string | undefined) => {
      const target = decodeAttribute((dq ?? sq ?? '').trim());
      if (target === undefined || target.length > MAX_TARGET_CHARS || !isWebTarget(target) || keep.has(target)) return whole;
      return `${head}"${escapeHtml(click(target))}"`;
    });
  }
  if (links.pixel) {
    const img = `<img src="${escapeHtml(links.pixel)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;" />`;
    const end = out.toLowerCase().lastIndexOf('</body>');
    out = end < 0 ? out + img : out.slice(0, end) + img + out.slice(end);
  }
  return out;
}
