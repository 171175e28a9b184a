import { createHash } from 'node:crypto';

/**
 * Checks a mailbox message must pass before any parser sees it. Anyone can mail the bounce
 * address, so every limit here is about what one hostile message may cost: each check is one
 * linear pass, and a message that fails one is set aside with the reason, never parsed.
 */

/** Deeper than this, MIME is no report any MTA writes (real DSNs nest 3 or 4 levels). */
export const MAX_MIME_DEPTH = 20;

/** Content-Type headers longer than this are not read for a boundary (no real one is). */
const MAX_CONTENT_TYPE_CHARS = 4096;

/**
 * How deep the message's multipart structure goes, counting up to `limit + 1` (enough to refuse
 * it). One pass over the lines: boundaries opened by multipart Content-Type headers are kept on a
 * stack, a `--boundary` line starts a part of its level (and closes any deeper ones), and
 * `--boundary--` closes its level. Comparing a `--` line with at most `limit + 1` boundaries
 * keeps the pass linear.
 */
export function mimeDepth(raw: Buffer, limit = MAX_MIME_DEPTH): number {
  const text = raw.toString('latin1'); // byte-preserving, and boundaries are ASCII
  const open: string[] = [];
  let deepest = 0;
  let inHeaders = true;
  let contentType: string | undefined;
  let readingContentType = false;
  let pos = 0;
  while (pos <= text.length && deepest <= limit) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
    pos = end + 1;
    if (inHeaders) {
      if (line === '') {
        inHeaders = false;
        const boundary = contentType && /^\s*multipart\//i.test(contentType) ? boundaryOf(contentType) : undefined;
        // A message/rfc822 part's body starts with the headers of the message it carries.
        if (contentType && /^\s*message\/(?:rfc822|global)\b/i.test(contentType)) inHeaders = true;
        if (boundary) {
          open.push(`--${boundary}`);
          deepest = Math.max(deepest, open.length);
        }
        contentType = undefined;
        readingContentType = false;
      } else if (readingContentType && /^[ \t]/.test(line)) {
        if (contentType!.length < MAX_CONTENT_TYPE_CHARS) contentType += line;
      } else {
        readingContentType = /^content-type:/i.test(line);
        if (readingContentType) contentType = line.slice('content-type:'.length, MAX_CONTENT_TYPE_CHARS);
      }
    } else if (line.startsWith('--') && open.length > 0) {
      const trimmed = line.trimEnd();
      for (let i = open.length - 1; i >= 0; i--) {
        const b = open[i]!;
        if (trimmed === b) {
          open.length = i + 1; // a new part of this level ends every deeper one
          inHeaders = true;
          break;
        }
        if (trimmed === `${b}--`) {
          open.length = i;
          break;
        }
      }
    }
    if (nl === -1) break;
  }
  return deepest;
}

function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;"]{1,200}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The message without NUL bytes (no mail format allows them; PostgreSQL text refuses them). */
export function withoutNul(raw: Buffer): Buffer {
  if (raw.indexOf(0) === -1) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i] !== 0) out[n++] = raw[i]!;
  return out.subarray(0, n);
}

/** A string without NUL characters (decoded parts can carry them: `=00`, base64). */
export function stripNul(text: string): string;
export function stripNul(text: string | undefined): string | undefined;
export function stripNul(text: string | undefined): string | undefined {
  return text?.includes('\u0000') ? text.replace(/\u0000/g, '') : text;
}

/** Longest report id, recipient or quoted Message-ID stored as it is: they are indexed, and PostgreSQL refuses index entries over ~2.7 kB. */
const MAX_STORED_ID_CHARS = 320;

/**
 * An id a stored report is keyed or searched by, bounded: anyone can write an 8 kB Message-ID
 * into a bounce, and a store that refused the row would stop every later run on that message.
 * A longer one becomes its digest (still unique, still the same on a second run).
 */
export function storableId(value: string): string;
export function storableId(value: string | undefined): string | undefined;
export function storableId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const clean = stripNul(value);
  return clean.length <= MAX_STORED_ID_CHARS ? clean : `sha256:${createHash('sha256').update(clean).digest('hex')}`;
}
