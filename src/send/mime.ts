/**
 * The RFC 5322 bytes of one OutgoingMail without attachments, built directly instead of through
 * nodemailer's MIME tree. Profiling a send on loopback showed nodemailer's MIME building
 * (mime-node, its quoted-printable encoder and the streams between them) as the largest share of
 * CPU per message; this does the same job in one pass over the strings. Messages with
 * attachments still go through nodemailer (see toMailOptions).
 *
 * What comes out, and how it relates to nodemailer's output for the same mail:
 * - From, Sender, To, Reply-To, Subject, Date, Message-ID, MIME-Version, then the extra headers
 *   (List-Unsubscribe…), then Content-Type/-Transfer-Encoding. Display names and unstructured
 *   values that are not plain printable ASCII become RFC 2047 encoded-words (Q or B, chosen as
 *   nodemailer chooses); address domains are IDNA-encoded (A-labels) as nodemailer does, unless
 *   the local part is non-ASCII (SMTPUTF8, the domain then stays Unicode, also as nodemailer).
 * - Header lines are folded at whitespace to at most 78 characters where the content allows it,
 *   and never exceed 998 (a value that cannot be folded under that is encoded instead).
 * - Bodies: text/plain and text/html in UTF-8, quoted-printable, or base64 when at least half the
 *   characters are non-ASCII (a Russian text part; nodemailer picks base64 for it too). Both parts
 *   present → multipart/alternative; one → a single part.
 * - Every header value has control characters replaced first (compose.ts's headerSafe), so no
 *   input can start a header line of its own.
 * The result is not byte-identical to nodemailer's (header order, boundary, fold points differ);
 * decoded, it carries the same headers and bodies (test/send/mime.test.ts checks that).
 */
import { createHash } from 'node:crypto';
import { domainToASCII, domainToUnicode } from 'node:url';
import { headerSafe } from './compose.js';
import type { Address, OutgoingMail } from './transport.js';

/** Header lines are folded to this where their content allows (RFC 5322 §2.1.1 SHOULD). */
const FOLD_AT = 78;
/** Hard limit of a header line without CRLF (RFC 5322 §2.1.1 MUST). */
const MAX_LINE = 998;
/** Longest encoded-word (RFC 2047 §2). */
const MAX_WORD = 75;

const HEADER_NAME = /^[!-9;-~]+$/; // ftext: printable ASCII except ":"
/** Headers this builder writes itself; an extra header by one of these names would duplicate it. */
const RESERVED = new Set([
  'from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'message-id',
  'mime-version', 'content-type', 'content-transfer-encoding',
]);

export class MimeBuildError extends Error {}

/** The complete message: header block, blank line, body; CRLF line ends throughout. */
export function buildMessage(mail: OutgoingMail): Buffer {
  if (mail.attachments.length > 0) throw new MimeBuildError('buildMessage does not build attachments; send those through nodemailer');
  const head: string[] = [];
  head.push(addressHeader('From', mail.from));
  if (mail.sender) head.push(addressHeader('Sender', mail.sender));
  head.push(addressHeader('To', mail.to));
  if (mail.replyTo) head.push(addressHeader('Reply-To', mail.replyTo));
  head.push(unstructuredHeader('Subject', headerSafe(mail.subject)));
  head.push(`Date: ${rfc5322Date(mail.date)}`);
  const messageId = msgId(mail.messageId);
  head.push(`Message-ID: ${messageId}`);
  head.push('MIME-Version: 1.0');
  for (const name of Object.keys(mail.headers)) {
    if (!HEADER_NAME.test(name)) throw new MimeBuildError(`invalid header name ${JSON.stringify(name)}`);
    if (RESERVED.has(name.toLowerCase())) throw new MimeBuildError(`header ${name} is written by the MIME builder itself`);
    // An empty value is left out, as nodemailer does.
    const value = headerSafe(mail.headers[name]!);
    if (value) head.push(unstructuredHeader(name, value));
  }

  const parts: Part[] = [];
  if (mail.text) parts.push({ type: 'text/plain', body: mail.text, pieces: mail.encoded?.text });
  if (mail.html) parts.push({ type: 'text/html', body: mail.html, pieces: mail.encoded?.html });
  if (parts.length === 0) parts.push({ type: 'text/plain', body: '' });

  const out = new Writer(head.length * 80 + (mail.text.length + mail.html.length) * 4 + 1024);
  if (parts.length === 1) {
    const part = parts[0]!;
    out.str(head.join('\r\n'));
    out.str('\r\n');
    writePart(out, part);
    // A message ends with a line break (nodemailer adds one too); it is no part of the text.
    out.endLine();
  } else {
    // "=_" never occurs in quoted-printable or base64 output ("=" is always followed by two hex
    // digits, a line break, or nothing), so this boundary cannot appear inside either part.
    const boundary = `=_pl_${createHash('sha1').update(messageId).digest('hex').slice(0, 24)}`;
    head.push(`Content-Type: multipart/alternative;\r\n boundary="${boundary}"`);
    out.str(head.join('\r\n'));
    out.str('\r\n\r\n');
    for (const part of parts) {
      out.str(`--${boundary}\r\n`);
      writePart(out, part);
      // This CRLF belongs to the delimiter (RFC 2046 §5.1.1), not to the part's content.
      out.str('\r\n');
    }
    out.str(`--${boundary}--\r\n`);
  }
  return out.result();
}

interface Part {
  type: string;
  body: string;
  /** The body already in quoted-printable pieces (EncodedBodies), when the renderer has them. */
  pieces?: readonly Buffer[] | undefined;
}

/** Content-Type, Content-Transfer-Encoding, blank line, encoded body (a line break only if the text ends in one). */
function writePart(out: Writer, { type, body, pieces }: Part): void {
  if (pieces) {
    out.str(`Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`);
    out.pieces(pieces);
    return;
  }
  const bytes = utf8Bytes(body);
  if (needsBase64(bytes.length, body.length)) {
    out.str(`Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`);
    out.base64Lines(bytes);
  } else {
    out.str(`Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`);
    out.quotedPrintable(bytes);
  }
}

/**
 * A stretch of body text in quoted-printable that starts at column 0 and ends with a soft line
 * break ("=" CRLF, which decodes to nothing) unless it ends at column 0 already. Pieces therefore
 * join in any order and number into valid quoted-printable for the joined text: a template's
 * fixed text is encoded once for all recipients, and only the merge values per recipient.
 */
export function quotedPrintablePiece(text: string): Buffer {
  const bytes = utf8Bytes(text);
  const out = new Writer(bytes.length * 3);
  out.quotedPrintable(bytes, true);
  return out.result();
}

/**
 * Base64 or quoted-printable, whichever is smaller. Quoted-printable spends three characters on
 * every byte above 127 (six on a Cyrillic letter) plus a soft break per 76; base64 spends 4/3 on
 * every byte plus a break per 76. Counted by the extra bytes UTF-8 spends (no scan in JS): with
 * `extra` such bytes, quoted-printable is about 1.04 × (length + 4 × extra) and base64 about
 * 1.37 × length, so base64 wins once extra reaches about 8% of the length. A Russian HTML part of
 * 23.5 kB goes as 32 kB of base64 instead of 35.6 kB of quoted-printable; a French one stays
 * quoted-printable, readable in the source.
 */
function needsBase64(utf8Length: number, chars: number): boolean {
  return chars > 0 && (utf8Length - chars) * 12 >= utf8Length;
}

/** Whether writePart would send this body as quoted-printable (else base64). */
export function suitsQuotedPrintable(body: string): boolean {
  return !needsBase64(Buffer.byteLength(body, 'utf8'), body.length);
}

/**
 * The UTF-8 bytes of a body in a scratch buffer reused by every build, valid until the next
 * call: a fresh Buffer per part and message would be garbage a few microseconds later.
 */
let utf8Scratch = Buffer.allocUnsafe(128 * 1024);
function utf8Bytes(s: string): Buffer {
  if (utf8Scratch.length < s.length * 3) utf8Scratch = Buffer.allocUnsafe(s.length * 3);
  return utf8Scratch.subarray(0, utf8Scratch.write(s, 0, 'utf8'));
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

// ---------------------------------------------------------------------------------------------
// Output buffer and body encoders

const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
/** What quoted-printable does with each byte value. */
const ENCODE = 0;
const LITERAL = 1; // printable ASCII except "=" (RFC 2045 §6.7 rule 2)
const SPACE = 2; // space and tab: literal except before a line end (rule 3)
const LINE_END = 3; // CR or LF: a hard line break
const QP_CLASS = new Uint8Array(256).fill(ENCODE);
for (let c = 33; c <= 126; c++) QP_CLASS[c] = c === 0x3d ? ENCODE : LITERAL;
QP_CLASS[0x20] = SPACE;
QP_CLASS[0x09] = SPACE;
QP_CLASS[0x0d] = LINE_END;
QP_CLASS[0x0a] = LINE_END;

/**
 * One message's bytes, written into a scratch buffer shared by all builds (the process builds
 * one message at a time: everything here is synchronous) and copied out once at the end, so a
 * message holds exactly its own size, not a worst-case allocation.
 */
class Writer {
  private static scratch = Buffer.allocUnsafe(256 * 1024);
  private buf: Buffer;
  private pos = 0;

  constructor(estimate: number) {
    if (Writer.scratch.length < estimate) Writer.scratch = Buffer.allocUnsafe(estimate * 2);
    this.buf = Writer.scratch;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    Writer.scratch = bigger;
  }

  /** Header text; UTF-8 because an SMTPUTF8 address may carry non-ASCII in its local part. */
  str(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** CRLF unless the output already ends with one. */
  endLine(): void {
    if (this.pos >= 2 && this.buf[this.pos - 2] === 0x0d && this.buf[this.pos - 1] === 0x0a) return;
    this.ensure(2);
    this.buf[this.pos++] = 0x0d;
    this.buf[this.pos++] = 0x0a;
  }

  /** Base64 in lines of 76 characters joined by CRLF (none after the last). */
  base64Lines(bytes: Buffer): void {
    const b64 = bytes.toString('base64');
    this.ensure(b64.length + Math.ceil(b64.length / 76) * 2 + 2);
    for (let i = 0; i < b64.length; i += 76) {
      if (i > 0) {
        this.buf[this.pos++] = 0x0d;
        this.buf[this.pos++] = 0x0a;
      }
      this.pos += this.buf.write(b64.slice(i, i + 76), this.pos, 'latin1');
    }
  }

  /** Quoted-printable pieces one after another, without the soft line break that ends the last. */
  pieces(list: readonly Buffer[]): void {
    let total = 0;
    for (const p of list) total += p.length;
    this.ensure(total);
    for (const p of list) this.pos += p.copy(this.buf, this.pos);
    // A soft break at the very end joins the part's last line with nothing: drop it, unless it
    // guards a space or tab there (a line may not end in one: relays strip them).
    const b = this.buf;
    const p = this.pos;
    if (p >= 4 && b[p - 3] === 0x3d && b[p - 2] === 0x0d && b[p - 1] === 0x0a && b[p - 4] !== 0x20 && b[p - 4] !== 0x09) this.pos -= 3;
  }

  /**
   * Quoted-printable (RFC 2045 §6.7) with CRLF line ends: any of CRLF, LF or a lone CR in the
   * input is one hard line break; soft breaks keep lines at most 76 characters and never split
   * an =XX escape; space and tab before a line end are encoded; "=" and bytes outside printable
   * ASCII are encoded. A "." or the "F" of "From " at the start of a line are encoded too, so
   * neither SMTP dot-stuffing nor mbox ">From " quoting on the way can alter the body (and with
   * it a DKIM body hash). Ends with CRLF only where the input ends with a line break.
   *
   * `piece`: more text follows on the same line (quotedPrintablePiece), so the end of the input is
   * no line end: the last line keeps room for a soft break, which then ends the piece.
   */
  quotedPrintable(src: Buffer, piece = false): void {
    const n = src.length;
    // Worst case: every byte as =XX, a soft break after every 25 of them, and a piece's last one.
    this.ensure(n * 3 + Math.ceil(n / 25) * 3 + 3);
    const out = this.buf;
    let o = this.pos;
    let col = 0;
    let i = 0;
    while (i < n) {
      // Fast path, most of an HTML body: bytes that go as they are, in mid-line, with room left
      // on the line whatever comes next. One table lookup and one store per byte.
      if (col > 0) {
        while (i < n && col < 75 && QP_CLASS[src[i]!] === LITERAL) {
          out[o++] = src[i++]!;
          col++;
        }
        if (i >= n) break;
      }
      const c = src[i]!;
      const cls = QP_CLASS[c]!;
      if (cls === LINE_END) {
        i += c === 0x0d && src[i + 1] === 0x0a ? 2 : 1;
        out[o++] = 0x0d;
        out[o++] = 0x0a;
        col = 0;
        continue;
      }
      const next = i + 1 < n ? src[i + 1]! : piece ? 0x41 : 0x0a; // the end of the body is a line end too
      const lineEnds = next === 0x0d || next === 0x0a;
      let literal = cls === LITERAL || (cls === SPACE && !lineEnds);
      // 76 characters a line: 75 plus the "=" of a soft break, or all 76 for the last one.
      if (col + (literal ? 1 : 3) > (lineEnds ? 76 : 75)) {
        out[o++] = 0x3d;
        out[o++] = 0x0d;
        out[o++] = 0x0a;
        col = 0;
      }
      if (col === 0 && (c === 0x2e || (c === 0x46 && src[i + 1] === 0x72 && src[i + 2] === 0x6f && src[i + 3] === 0x6d && src[i + 4] === 0x20))) {
        literal = false;
      }
      if (literal) {
        out[o++] = c;
        col += 1;
      } else {
        out[o++] = 0x3d;
        out[o++] = HEX[c >> 4]!;
        out[o++] = HEX[c & 15]!;
        col += 3;
      }
      i++;
    }
    if (piece && col > 0) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    this.pos = o;
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

// ---------------------------------------------------------------------------------------------
// Headers

/** RFC 5322 date in UTC, as nodemailer writes it: "Sat, 28 Nov 2026 12:00:00 +0000". */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT/, '+0000');
}

/** A msg-id in angle brackets with nothing in it that could break or fold the header. */
function msgId(value: string): string {
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
function fold(name: string, tokens: string[]): string {
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
function unstructuredHeader(name: string, value: string): string {
  const words = value.split(' ');
  // Text (Subject) folds at 78 or is encoded; other fields (List-Unsubscribe URLs) may not be
  // encoded, so only the 998 limit forces it on them.
  const longest = name === 'Subject' ? FOLD_AT - 1 : MAX_LINE - name.length - 2;
  const plain = /^[\x20-\x7e]*$/.test(value) && !value.includes('=?') && words.every((w) => w.length <= longest);
  if (plain) return fold(name, words);
  return fold(name, encodedWords(value, FOLD_AT - name.length - 2));
}

function addressHeader(name: string, a: Address): string {
  const address = normalizeAddress(a.address);
  const display = a.name ? headerSafe(a.name) : '';
  if (!display) return fold(name, [PLAIN_ADDRESS.test(address) ? address : `<${address}>`]);
  return fold(name, [...phrase(display, FOLD_AT - name.length - 2), `<${address}>`]);
}

/**
 * A display name as nodemailer writes it: letters, digits, "_" and spaces bare; other printable
 * ASCII as a quoted-string; anything else (or "=?") as encoded-words.
 */
function phrase(name: string, firstMax: number): string[] {
  // A word longer than a folded line cannot be folded (a 5,000-letter first name made a 5,005-character
  // To: line): such a name goes as encoded-words, which fold anywhere.
  if (/^[\w ]*$/.test(name) && !hasUnfoldableRun(name)) return name.split(' ');
  const quoted = `"${name.replace(/["\\]/g, '\\$&')}"`;
  if (/^[\x20-\x7e]*$/.test(name) && !name.includes('=?') && quoted.length < FOLD_AT) return [quoted];
  return encodedWords(name, firstMax);
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

// RFC 5321 atext plus the non-ASCII SMTPUTF8 adds; a local part of these with "." between is a dot-atom.
const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\x80-\\uFFFF]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const QUOTED_STRING = /^"(?:[^"\\]|\\[\s\S])*"$/;
/** An address with no special anywhere may stand bare; any other goes in angle brackets. */
const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+$/;

/**
 * As nodemailer's _normalizeAddress: controls and angle brackets out, the domain as A-labels
 * (punycode) when the local part is ASCII, as U-labels when it is not (the address needs
 * SMTPUTF8 anyway), a local part that is neither dot-atom nor quoted-string quoted.
 */
function normalizeAddress(raw: string): string {
  const address = raw.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029<>]+/g, ' ').trim();
  const at = address.lastIndexOf('@');
  if (at < 0) return localPart(address);
  const user = address.slice(0, at);
  const domain = address.slice(at + 1);
  let host = domain;
  if (!domain.startsWith('[')) {
    const ascii = domainToASCII(domain);
    if (ascii) host = /[\x80-\uffff]/.test(user) ? domainToUnicode(ascii) || ascii : ascii;
  }
  return `${localPart(user)}@${host}`;
}

function localPart(user: string): string {
  if (DOT_ATOM.test(user) || QUOTED_STRING.test(user)) return user;
  return `"${user.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * RFC 2047 encoded-words for a whole value, split between characters (never inside a UTF-8
 * sequence or a surrogate pair), each at most 75 characters, the first one short enough to
 * share a line with the field name. Q when Latin letters outnumber the rest, else B, as nodemailer.
 */
function encodedWords(value: string, firstMax: number): string[] {
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
