/**
 * Message bodies in quoted-printable or base64 (RFC 2045), written into one output buffer: the
 * Writer the MIME builder fills, and quoted-printable pieces a renderer encodes once per template.
 */

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
export function needsBase64(utf8Length: number, chars: number): boolean {
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
export function utf8Bytes(s: string): Buffer {
  if (utf8Scratch.length < s.length * 3) utf8Scratch = Buffer.allocUnsafe(s.length * 3);
  return utf8Scratch.subarray(0, utf8Scratch.write(s, 0, 'utf8'));
}


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
export class Writer {
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
