/**
 * Field-level parsing shared by DSN (RFC 3464), ARF (RFC 5965) and embedded-header parts.
 * All of these are RFC 5322-style "Name: value" lines with folding; MIME decoding is
 * mailparser's job, this module only sees the decoded text of one part.
 */

/** One header/field block: lower-cased names, values unfolded; repeated names keep every value. */
export class FieldBlock {
  private readonly fields = new Map<string, string[]>();

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.fields.get(key);
    if (list) list.push(value);
    else this.fields.set(key, [value]);
  }

  /** The first value of a field (names are case-insensitive), trimmed; undefined when absent or empty. */
  get(name: string): string | undefined {
    const v = this.fields.get(name.toLowerCase())?.[0]?.trim();
    return v ? v : undefined;
  }

  /** Every value of a field, in order. */
  all(name: string): string[] {
    return (this.fields.get(name.toLowerCase()) ?? []).map((v) => v.trim()).filter((v) => v !== '');
  }

  has(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }

  get size(): number {
    return this.fields.size;
  }
}

/** CRLF, bare CR and LF all become LF, so every regex below can think in `\n`. */
export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Parses "Name: value" lines with folding (continuation lines start with space or tab) until
 * the first blank line or the end. Lines that are neither fields nor continuations are skipped:
 * real reports carry stray text, and one bad line must not lose the rest.
 */
export function parseFields(text: string): FieldBlock {
  const block = new FieldBlock();
  let name: string | undefined;
  let value = '';
  const flush = (): void => {
    if (name !== undefined) block.add(name, value.replace(/\s+/g, ' ').trim());
    name = undefined;
    value = '';
  };
  for (const line of normaliseNewlines(text).split('\n')) {
    if (line.trim() === '') {
      if (name !== undefined || block.size > 0) break;
      continue; // leading blank lines before the block
    }
    if (/^[ \t]/.test(line)) {
      if (name !== undefined) value += ' ' + line.trim();
      continue;
    }
    const m = /^([!-9;-~]+)[ \t]*:(.*)$/.exec(line);
    flush();
    if (m) {
      name = m[1]!;
      value = m[2]!;
    }
  }
  flush();
  return block;
}

/**
 * Splits a message/delivery-status body into its per-message block and one block per recipient.
 * Blocks are separated by one or more blank (or whitespace-only) lines.
 */
export function parseDeliveryStatus(text: string): { perMessage: FieldBlock; recipients: FieldBlock[] } {
  const chunks = normaliseNewlines(text)
    .split(/\n[ \t]*\n/)
    .map((c) => c.replace(/^\n+/, ''))
    .filter((c) => c.trim() !== '');
  // AOL writes recipient blocks without blank lines between them: a second Final-Recipient in
  // one chunk starts the next block.
  const blocks = chunks.flatMap(splitAtRepeatedRecipient).map(parseFields).filter((b) => b.size > 0);
  // The per-message block is optional in practice (some MTAs omit it): a first block that names a
  // recipient is a recipient block.
  const first = blocks[0];
  const perMessage = first && !speaksOfRecipient(first) ? first : new FieldBlock();
  const rest = perMessage === first ? blocks.slice(1) : blocks;
  return { perMessage, recipients: rest.filter(speaksOfRecipient) };
}

function splitAtRepeatedRecipient(chunk: string): string[] {
  const out: string[][] = [[]];
  // Counts of the current block's recipient fields, kept as we go: one pass over the lines.
  let finals = 0;
  let originals = 0;
  for (const line of chunk.split('\n')) {
    const current = out[out.length - 1]!;
    if (FINAL_RE.test(line) && finals > 0) {
      // An Original-Recipient right before it belongs to the new block when the old one has its own.
      const last = current[current.length - 1];
      const carry = last !== undefined && ORIGINAL_RE.test(last) && originals > 1 ? [current.pop()!] : [];
      out.push([...carry, line]);
      finals = 1;
      originals = carry.length;
      continue;
    }
    if (ORIGINAL_RE.test(line) && originals > 0 && finals > 0) {
      out.push([line]);
      finals = 0;
      originals = 1;
      continue;
    }
    if (FINAL_RE.test(line)) finals++;
    if (ORIGINAL_RE.test(line)) originals++;
    current.push(line);
  }
  return out.map((lines) => lines.join('\n'));
}
const FINAL_RE = /^final-recipient[ \t]*:/i;
const ORIGINAL_RE = /^original-recipient[ \t]*:/i;

function speaksOfRecipient(b: FieldBlock): boolean {
  return b.has('final-recipient') || b.has('original-recipient') || b.has('action') || b.has('status');
}

/** "rfc822; Louis <louisl@x.example>" → "louisl@x.example"; lower-cases nothing (local parts may be case-sensitive). */
export function stripAddressType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let v = value.trim();
  const semi = /^[a-z0-9-]+\s*;\s*(.*)$/i.exec(v);
  if (semi) v = semi[1]!.trim();
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(v);
  if (angle) v = angle[1]!;
  // A quoted whole value ('"a@b"') loses its quotes; a quoted local part ('"a..b"@c') keeps them.
  const quoted = /^(["'])(.*)\1$/.exec(v);
  if (quoted) v = quoted[2]!.trim();
  return v === '' ? undefined : v;
}

/**
 * Whether a recipient field holds a mail address we could have sent to: not a source route
 * ("@mx:a@b"), a pipe or a file path, a bare host ("@mx.example.org"), or a local part alone.
 */
export function looksLikeAddress(value: string | undefined): value is string {
  if (!value || value.length > 320) return false;
  return /^(?:"[^"\r\n]{1,64}"|[^\s@"|/:<>(),;]+)@[a-z0-9-]+(?:\.[a-z0-9-]+)*$/i.test(value);
}

/** "smtp; 550 5.1.1 user unknown" → "550 5.1.1 user unknown"; "dns; mx.example.com" → "mx.example.com". */
export function stripTypePrefix(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(?:smtp|x-[a-z0-9-]+|dns|x-unix|x-postfix|x-local|x-exim)\s*;\s*(.*)$/is.exec(value.trim());
  const v = (m ? m[1]! : value).trim();
  return v === '' ? undefined : v;
}

/** The first "d.d.d" in a Status field ("5.1.1 (bad destination mailbox)" → "5.1.1"). */
export function parseStatusField(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(value);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The bare address out of a header value like `"Louis" <louisl@x.example>` (first one). */
export function firstAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  if (angle) return angle[1];
  const bare = /([^\s<>",;:()]+@[^\s<>",;:()]+)/.exec(value);
  return bare ? bare[1]!.replace(/\.$/, '') : undefined;
}

/** A Message-ID in its bracketed form, as the sender stores it. */
export function normaliseMessageId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /<([^<>\s]+)>/.exec(value);
  const id = m ? m[1]! : value.trim().split(/\s+/)[0];
  return id ? `<${id}>` : undefined;
}

/**
 * A message written with bare CR line ends (old Mac mail tools) as CRLF, so the MIME parser sees
 * its header lines at all. Messages with LF or CRLF are returned as they are (same buffer).
 */
export function normaliseBareCr(raw: Buffer): Buffer {
  const head = raw.subarray(0, 8192);
  const cr = head.indexOf(0x0d);
  if (cr === -1 || head[cr + 1] === 0x0a) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r(?!\n)/g, '\r\n'), 'latin1');
}
