import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { PresslineError } from '../errors.js';

const CHUNK = 256 * 1024;

const ENCODING_HINT =
  'if the list was saved by Excel or an older tool, run again with --encoding windows-1252 ' +
  '(Western European) or --encoding windows-1251 (Cyrillic)';

function isUtf8Name(encoding: string): boolean {
  return /^utf-?8$/i.test(encoding.trim());
}

/** Throws USAGE for an encoding iconv-lite does not know, so the mistake surfaces before any file is read. */
export function checkEncodingName(encoding: string | undefined): void {
  if (encoding === undefined || isUtf8Name(encoding)) return;
  if (!iconv.encodingExists(encoding)) {
    throw new PresslineError(
      'USAGE',
      `unknown --encoding ${JSON.stringify(encoding)} (try windows-1252, windows-1251, iso-8859-15, utf-16le, mac-roman)`,
    );
  }
}

/** A file-system failure as the user should read it. */
export function unreadable(file: string, err: unknown): PresslineError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOENT' ? 'no such file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory, not a list file'
    : (err as Error)?.message ?? String(err);
  return new PresslineError('FILE_UNREADABLE', `cannot read list: ${why}`, { file });
}

/**
 * Index of the first byte of the first ill-formed UTF-8 sequence (Unicode Table 3-7: no overlongs,
 * no surrogates, nothing above U+10FFFF), or -1. Only runs after the fast native check failed.
 */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n) return i; // truncated sequence
    const b1 = buf[i + 1]!;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = buf[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Where strict UTF-8 validation failed; turned into an ENCODING error once the line is known. */
class Utf8Fault {
  constructor(
    readonly offset: number,
    readonly byte: number | undefined,
  ) {}
}

/** Length of the prefix of `buf` that ends on a character boundary (a trailing partial character is held back). */
function completePrefix(buf: Buffer): number {
  const n = buf.length;
  let i = n - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (buf[i]! & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return n;
  const lead = buf[i]!;
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + size > n ? i : n;
}

/** Physical line (1-based) of a byte offset: CRLF, LF and a lone CR each end a line. */
async function lineOfOffset(file: string, offset: number): Promise<number> {
  let line = 1;
  let pos = 0;
  let prevCR = false;
  for await (const chunk of createReadStream(file, { end: Math.max(0, offset - 1), highWaterMark: CHUNK })) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length && pos < offset; i++, pos++) {
      const b = buf[i]!;
      if (b === 13) line++;
      else if (b === 10 && !prevCR) line++;
      prevCR = b === 13;
    }
  }
  return line;
}

async function encodingError(file: string, offset: number, byte: number | undefined): Promise<PresslineError> {
  const line = await lineOfOffset(file, offset);
  const what = byte === undefined ? 'ends in the middle of a character' : `has byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} at offset ${offset}`;
  return new PresslineError('ENCODING', `not valid UTF-8: the file ${what}; ${ENCODING_HINT}`, { file, line });
}

/**
 * Streams a list file as UTF-8 bytes without a BOM. UTF-8 (with or without BOM) is validated strictly
 * (never decoded into U+FFFD mojibake: the first bad byte stops the read with an ENCODING error
 * naming its line); UTF-16 LE/BE with a BOM and any `encoding` iconv-lite knows are transcoded.
 * A byte-order mark wins over `encoding`, as in browsers.
 */
export async function* utf8Chunks(file: string, encoding?: string): AsyncGenerator<Buffer> {
  checkEncodingName(encoding);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw unreadable(file, err);
  }
  const stream = handle.createReadStream({ highWaterMark: CHUNK });
  let mode: 'utf8' | 'iconv' | undefined;
  let decoder: iconv.DecoderStream | undefined;
  let head: Buffer | undefined; // first bytes, until there are enough to see a BOM
  let carry: Buffer | undefined; // a UTF-8 character split across chunks
  let offset = 0; // file offset of the first byte of the next chunk's data

  const start = (buf: Buffer): Buffer => {
    let bom = 0;
    let enc: string | undefined = encoding !== undefined && !isUtf8Name(encoding) ? encoding : undefined;
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      bom = 3;
      enc = undefined;
    } else if (buf[0] === 0xff && buf[1] === 0xfe) {
      bom = 2;
      enc = 'utf-16le';
    } else if (buf[0] === 0xfe && buf[1] === 0xff) {
      bom = 2;
      enc = 'utf-16be';
    }
    if (enc === undefined && buf.length >= 2 && bom === 0 && (buf[0] === 0) !== (buf[1] === 0)) {
      const guess = buf[0] === 0 ? 'utf-16be' : 'utf-16le';
      throw new PresslineError(
        'ENCODING',
        `the file looks like UTF-16 without a byte-order mark; run again with --encoding ${guess}`,
        { file, line: 1 },
      );
    }
    if (enc === undefined) mode = 'utf8';
    else {
      mode = 'iconv';
      decoder = iconv.getDecoder(enc, { stripBOM: true });
    }
    offset += bom;
    return buf.subarray(bom);
  };

  function* feed(buf: Buffer): Generator<Buffer> {
    if (buf.length === 0) return;
    if (mode === 'iconv') {
      const text = decoder!.write(buf);
      if (text.length > 0) yield Buffer.from(text, 'utf8');
      return;
    }
    const whole = carry === undefined ? buf : Buffer.concat([carry, buf]);
    const base = offset - (carry?.length ?? 0);
    const n = completePrefix(whole);
    const body = n === whole.length ? whole : whole.subarray(0, n);
    if (!isUtf8(body)) {
      const at = firstInvalidUtf8(body);
      throw new Utf8Fault(base + Math.max(at, 0), body[Math.max(at, 0)]);
    }
    carry = n === whole.length ? undefined : Buffer.from(whole.subarray(n));
    offset += buf.length;
    if (body.length > 0) yield body;
  }

  try {
    for await (const chunk of stream) {
      let buf = chunk as Buffer;
      if (mode === undefined) {
        head = head === undefined ? buf : Buffer.concat([head, buf]);
        if (head.length < 4) continue;
        buf = start(head);
        head = undefined;
      }
      yield* feed(buf);
    }
    if (mode === undefined && head !== undefined) yield* feed(start(head));
    if (mode === 'iconv') {
      const tail = decoder!.end();
      if (tail) yield Buffer.from(tail, 'utf8');
    } else if (carry !== undefined) {
      // The file ends inside a multi-byte character.
      throw new Utf8Fault(offset - carry.length, undefined);
    }
  } catch (err) {
    if (err instanceof PresslineError) throw err;
    if (err instanceof Utf8Fault) throw await encodingError(file, err.offset, err.byte);
    throw unreadable(file, err);
  } finally {
    stream.destroy(); // also closes the file handle (autoClose)
  }
}
