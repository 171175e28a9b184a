/*
 * Finishing touches on MJML's output, once per variant:
 * - the preheader (MJML's hidden preview text) is written in white, 1 px high and transparent,
 *   which spam filters score as hidden text (SpamAssassin's HTML_FONT_LOW_CONTRAST in any colour
 *   near the background; FONT_INVIS_* without one). Hidden by display and height alone, in the
 *   text's own colour, it is just as invisible in mail clients and scores nothing;
 * - MJML indents its HTML: about a sixth of a message is leading spaces, and Gmail clips HTML
 *   above 102 KB, so the indentation goes (line breaks stay: they are the same whitespace to HTML).
 */

/** The HTML with a preheader no filter reads as hidden text, and no indentation outside <pre>. */
export function tidyCompiledHtml(html: string): string {
  return stripIndentation(plainPreheader(html));
}

// MJML's <mj-preview>: the first hidden div after <body>.
const PREHEADER = /<div style="display:none;font-size:1px;color:#[0-9a-fA-F]{3,8};[^"]*">/;

export function plainPreheader(html: string): string {
  return html.replace(PREHEADER, '<div style="display:none;max-height:0px;max-width:0px;overflow:hidden;mso-hide:all;">');
}

/** Leading spaces and tabs of every line go, except inside <pre> and <textarea>, whose whitespace shows. */
export function stripIndentation(html: string): string {
  const kept = /<(pre|textarea)\b[\s\S]*?<\/\1>/gi;
  let out = '';
  let last = 0;
  for (let m = kept.exec(html); m; m = kept.exec(html)) {
    out += html.slice(last, m.index).replace(/\n[ \t]+/g, '\n') + m[0];
    last = m.index + m[0].length;
  }
  return out + html.slice(last).replace(/\n[ \t]+/g, '\n');
}
