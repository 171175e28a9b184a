/**
 * Text from outside (SMTP replies, DSNs, list cells, release titles) on its way to a terminal.
 *
 * Every character a terminal would act on rather than draw is shown as a visible escape in
 * JavaScript notation (`\x1b`, `\x9b`, `\u202e`, `\u{e0041}`), never dropped or replaced by `�`:
 * - an escape cannot be interpreted: once ESC is `\x1b`, the rest of a CSI or OSC sequence
 *   (`[2J`, `]8;;http://evil`) is plain printable text, so no sequence parsing can be fooled by
 *   a truncated or nested one, and the operator still reads the link an attacker hid;
 * - dropping would hide that the text was tampered with, and could join the pieces around it
 *   into something that reads as genuine;
 * - `�` would say "something was here" but not what: a `\r` overwrite and a bidi override
 *   call for different conclusions.
 * The notation is ASCII, so column widths stay right. Backslashes in the text are left alone:
 * this is for reading, not a format to parse back.
 */

/**
 * Characters that must never reach a terminal raw: C0 controls, DEL, C1 controls (U+0080–U+009F,
 * where U+009B is a one-byte CSI), Unicode format characters (bidi embeddings, overrides and
 * isolates, LRM/RLM/ALM, zero-width spaces, word joiner, BOM, invisible tag characters), and the
 * Unicode line and paragraph separators. ZWNJ and ZWJ (U+200C, U+200D) are kept: Persian,
 * Indic scripts and emoji need them to draw correctly, and they cannot reorder or hide text.
 */
const UNSAFE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** `\x1b` below U+0100, `\u202e` in the BMP, `\u{e0041}` above. */
function visible(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/**
 * Returns text safe to write to a terminal: nothing in it moves the cursor, clears the screen,
 * changes colours or titles, makes a hyperlink or reorders what follows.
 * By default line breaks (LF, CRLF) stay as `\n` and TAB stays (it only advances to the next tab
 * stop, and folded mail headers use it); a lone CR, which lets later text overwrite a line, is
 * escaped. With `oneLine`, CR, LF and TAB become spaces (CRLF one space), so the result is
 * exactly one line, as a table cell must be.
 */
export function forTerminal(text: string, options: { oneLine?: boolean } = {}): string {
  const breaks = options.oneLine ? text.replace(/\r\n|[\r\n\t]/g, ' ') : text.replace(/\r\n/g, '\n');
  return breaks.replace(UNSAFE, (ch) => (ch === '\n' || ch === '\t' ? ch : visible(ch)));
}

/** `forTerminal(text, { oneLine: true })`, also for `undefined` (an empty string). */
export function oneLine(text: string | number | undefined | null): string {
  return forTerminal(text === undefined || text === null ? '' : String(text), { oneLine: true });
}
