import { HttpError } from './body.js';

function decodes(part: string): boolean {
  try {
    // decodeURIComponent refuses a lone or malformed %xx and any sequence that is not UTF-8.
    // eslint-disable-next-line no-control-regex
    return !/[\u0000-\u001f\u007f]/.test(decodeURIComponent(part.replace(/\+/g, ' ')));
  } catch {
    return false;
  }
}

/**
 * The path of a request target, or HttpError 400 when the target carries bytes no link of ours
 * does: anything outside printable ASCII, a malformed %-escape, an escape that is not UTF-8, or a
 * control character (NUL included) once decoded. Checked before any route runs, so no store or
 * handler ever sees such text (PostgreSQL refuses NUL in text with an error, not an answer).
 */
export function checkedPath(rawUrl: string | undefined): string {
  const target = rawUrl ?? '/';
  const bad = (why: string) => new HttpError(400, 'bad request: the address contains bytes that are not allowed', why);
  // Node hands non-ASCII octets through as latin1 characters: none belong in a request target.
  if (!/^[\x21-\x7e]*$/.test(target)) throw bad('raw byte outside printable ASCII in the request target');
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (!path.startsWith('/')) throw bad('request target is not a path');
  for (const segment of path.split('/')) if (!decodes(segment)) throw bad('malformed or control-character escape in the path');
  if (q >= 0) {
    for (const pair of target.slice(q + 1).split('&')) {
      for (const part of pair.split('=')) if (!decodes(part)) throw bad('malformed or control-character escape in the query');
    }
  }
  return path;
}
