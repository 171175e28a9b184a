/**
 * Header fields as the MIME builder writes them (RFC 5322, RFC 2047): control characters out,
 * long lines folded at whitespace to at most 78 characters where the content allows it (never
 * past 998: a value that cannot be folded under that is encoded instead), and values that are
 * not plain printable ASCII as encoded-words, Q or B chosen as nodemailer chooses.
 */

/** Header lines are folded to this where their content allows (RFC 5322 §2.1.1 SHOULD). */
export const FOLD_AT = 78;
/** Hard limit of a header line without CRLF (RFC 5322 §2.1.1 MUST). */
const MAX_LINE = 998;
/** Longest encoded-word (RFC 2047 §2). */
const MAX_WORD = 75;

/** CR, LF and other controls out of anything that becomes a header (defence in depth). */
export function headerSafe(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** RFC 5322 date in UTC, as nodemailer writes it: "Sat, 28 Nov 2026 12:00:00 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT/, '+0000');
}

/** A msg-id in angle brackets with nothing in it that could break or fold the header. */
export function msgId(value: string): string {
  let id = headerSafe(value).replace(/\s+/g, '');
  if (!id.startsWith('<')) id = `<${id}`;
  if (!id.endsWith('>')) id = `${id}>`;
  return id;
}

/**
 * Joins tokens with single spaces into a header field, folding (CRLF before the space) where
 * a line would pass 78 characters. A token is never split; the callers keep tokens short enough
 * that no line passes 998.
 */
export function fold(name: string, tokens: string[]): string {
  let result = '';
  let line = `${name}:`;
  let onLine = 0;
  for (const token of tokens) {
    // An empty token (two spaces in a row) stays on the line: a folded line must not be all blank.
    if (onLine > 0 && token.length > 0 && line.length + 1 + token.length > FOLD_AT) {
      result += `${line}\r\n`;
      line = ` ${token}`;
    } else {
      line += ` ${token}`;
    }
    onLine++;
  }
  return result + line;
}

/**
 * Subject and extra headers: printable ASCII goes as it is (folded at its spaces); anything else,
 * an "=?" that a reader would take for an encoded-word, or a word too long to fold, makes the
 * whole value encoded-words (nodemailer also encodes the whole value). `value` has been through
 * headerSafe already.
 */
export function unstructuredHeader(name: string, value: string): string {
  const words = value.split(' ');
  // Text (Subject) folds at 78 or is encoded; other fields (List-Unsubscribe URLs) may not be
  // encoded, so only the 998 limit forces it on them.
  const longest = name === 'Subject' ? FOLD_AT - 1 : MAX_LINE - name.length - 2;
  const plain = /^[\x20-\x7e]*$/.test(value) && !value.includes('=?') && words.every((w) => w.length <= longest);
  if (plain) return fold(name, words);
  return fold(name, encodedWords(value, FOLD_AT - name.length - 2));
}

/**
 * True when the value has a run of non-blanks too long for a folded line (78 with its leading
 * space): written bare, it could only be one over-long line. nodemailer writes such runs bare.
 */
export function hasUnfoldableRun(value: string): boolean {
  return /[^ \t]{78,}/.test(value);
}

/** A Subject value as buildMessage writes it, folded (CRLF + space), without the "Subject: " in front. */
export function foldedSubject(subject: string): string {
  return unstructuredHeader('Subject', headerSafe(subject)).slice('Subject: '.length);
}

/**
 * For encoded-words, nodemailer's choice between Q and B (mime-node _getTextEncoding): B when
 * non-Latin characters are at least as many as Latin letters. Only ever run on short values.
 */
function prefersBase64(value: string): boolean {
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80 || (c <= 0x1f && c !== 0x09 && c !== 0x0a && c !== 0x0d)) nonLatin++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  return nonLatin >= latin;
}

/**
 * RFC 2047 encoded-words for a whole value, split between characters (never inside a UTF-8
 * sequence or a surrogate pair), each at most 75 characters, the first one short enough to
 * share a line with the field name. Q when Latin letters outnumber the rest, else B, as nodemailer.
 */
export function encodedWords(value: string, firstMax: number): string[] {
  const useB = prefersBase64(value);
  const prefix = useB ? '=?UTF-8?B?' : '=?UTF-8?Q?';
  const words: string[] = [];
  // Payload room per word: the first shares its line with "Name: ", the rest start after a space.
  const room = (first: boolean) => Math.max(16, Math.min(MAX_WORD, first ? firstMax : FOLD_AT - 1)) - 12;
  let max = room(true);
  let payload = '';
  let pending: number[] = []; // B: the UTF-8 bytes of the current word
  const flush = () => {
    words.push(prefix + (useB ? Buffer.from(pending).toString('base64') : payload) + '?=');
    payload = '';
    pending = [];
    max = room(false);
  };
  for (const ch of value) {
    const bytes = Buffer.from(ch, 'utf8'); // a lone surrogate becomes U+FFFD
    if (useB) {
      // base64 of k bytes takes 4*ceil(k/3) characters.
      if (pending.length > 0 && 4 * Math.ceil((pending.length + bytes.length) / 3) > max) flush();
      for (const b of bytes) pending.push(b);
    } else {
      let enc = '';
      for (const b of bytes) {
        if (b === 0x20) enc += '_';
        else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x21 || b === 0x2a || b === 0x2b || b === 0x2d || b === 0x2f) enc += String.fromCharCode(b);
        else enc += `=${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
      }
      if (payload.length > 0 && payload.length + enc.length > max) flush();
      payload += enc;
    }
  }
  if (payload.length > 0 || pending.length > 0 || words.length === 0) flush();
  return words;
}
