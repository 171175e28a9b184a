/**
 * Characters that must never reach a mail header or a merge field unchanged: C0 and C1 controls
 * (CR, LF and TAB among them), DEL, the Unicode line/paragraph separators, and the bidi embedding,
 * override and isolate controls that can disguise text ("Trojan Source").
 */
const UNSAFE_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** True when the text holds at least one unsafe character (see above). */
export const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`);
const UNSAFE_RUN = new RegExp(`[${UNSAFE_CLASS}]+`, 'g');
const SPACES = / {2,}/g;

/** Unsafe characters become a space, runs of spaces collapse to one, the ends are trimmed. */
export function neutralize(text: string): string {
  return text.replace(UNSAFE_RUN, ' ').replace(SPACES, ' ').trim();
}

/** Trimmed text, neutralised only when it needs it (the common case is one regex test). */
export function cleanText(text: string): string {
  return UNSAFE.test(text) ? neutralize(text) : text.trim();
}

/** Line breaks in a field (CRLF, LF or a lone CR each count once), as an editor would number lines. */
export function countLineBreaks(text: string): number {
  let n = 0;
  let i = text.indexOf('\n');
  while (i !== -1) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  i = text.indexOf('\r');
  while (i !== -1) {
    if (text.charCodeAt(i + 1) !== 10) n++;
    i = text.indexOf('\r', i + 1);
  }
  return n;
}

/** Readable form of a value for a problem message: quoted, unsafe characters shown as \uXXXX escapes. */
export function showValue(value: string): string {
  const shown = value.length > 80 ? value.slice(0, 77) + '...' : value;
  return JSON.stringify(shown).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

/**
 * Zero-width characters (U+200B-U+200D, U+2060, U+FEFF) and bidi controls (U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069): invisible, so a person cannot see them in a cell, but they make
 * "anna@example.com\u200B" a different address. Pasting from web pages and chat leaves them behind.
 */
export const INVISIBLE = /[\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069]/;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'g');

function isInvisible(code: number): boolean {
  return (
    (code >= 0x200b && code <= 0x200f) || code === 0x2060 || code === 0xfeff ||
    (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)
  );
}

/** Every invisible character (see INVISIBLE) removed. */
export function removeInvisible(text: string): string {
  return text.replace(INVISIBLE_ALL, '');
}

/** Trimmed of white space and of invisible characters at either end (one char test each in the common case). */
export function trimInvisible(text: string): string {
  const t = text.trim();
  if (t.length === 0 || (!isInvisible(t.charCodeAt(0)) && !isInvisible(t.charCodeAt(t.length - 1)))) return t;
  let start = 0;
  let end = t.length;
  while (start < end && (isInvisible(t.charCodeAt(start)) || /\s/.test(t[start]!))) start++;
  while (end > start && (isInvisible(t.charCodeAt(end - 1)) || /\s/.test(t[end - 1]!))) end--;
  return t.slice(start, end);
}
