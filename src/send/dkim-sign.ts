import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';

/*
 * DKIM signing (RFC 6376, relaxed/relaxed) of a whole message, done by us rather than nodemailer
 * for two things receivers weigh (issue 16):
 * - oversigning: each header that decides what the reader sees is listed once more in h= than it
 *   occurs, so a copy with a second From: or Subject: prepended by someone else no longer verifies
 *   (a verifier reading h= bottom-up finds the extra instance where we promised none);
 * - t=, the signing time, which some filters use to judge replayed signatures.
 * RSA keys sign rsa-sha256; Ed25519 keys ed25519-sha256 (RFC 8463).
 */

/** What signing needs: the domain (d=), the selector (s=) and the private key's PEM text. */
export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

/**
 * Headers listed one more time than they occur: those a reader sees or an unsubscribe relies on.
 * Each is signed even when absent (its absence is then covered too).
 */
export const OVERSIGNED = ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post'];

/** Signed as often as they occur (not at all when absent): the rest of what shapes the message. */
const SIGNED_WHEN_PRESENT = [
  'sender', 'reply-to', 'cc', 'mime-version', 'content-type', 'content-transfer-encoding', 'content-language',
  'in-reply-to', 'references', 'list-id', 'list-help', 'feedback-id', 'precedence', 'auto-submitted',
];

export interface DkimSigner {
  /** The message with its DKIM-Signature header in front; `now` is the signing time (t=). */
  sign(message: Buffer, now?: Date): Buffer;
}

export function createDkimSigner(key: DkimKey): DkimSigner {
  const privateKey = createPrivateKey(key.privateKey);
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
  const domain = cleanTag(key.domainName).toLowerCase();
  const selector = cleanTag(key.keySelector);
  return {
    sign(message, now = new Date()) {
      const { headers, body } = splitMessage(message);
      const bodyHash = createHash('sha256').update(relaxedBody(body)).digest('base64');
      const fields = parseHeaders(headers);
      const names = signedNames(fields);
      const tags = [`v=1`, `a=${algorithm}`, `c=relaxed/relaxed`, `d=${domain}`, `s=${selector}`, `t=${Math.floor(now.getTime() / 1000)}`];
      // Folded first, then signed as folded: relaxed canonicalisation must see what is sent.
      const unsigned = fold([...tags.map((t) => `${t};`), ...hPieces(names), `bh=${bodyHash};`, 'b=']);
      const signedText = canonicalHeaders(fields, names) + relaxedHeader('dkim-signature', unsigned.slice(unsigned.indexOf(':') + 1));
      const signature = signWith(privateKey, algorithm, Buffer.from(signedText, 'latin1'));
      const header = unsigned + foldBase64(signature, unsigned.length - unsigned.lastIndexOf('\n') - 1);
      return Buffer.concat([Buffer.from(`${header}\r\n`, 'latin1'), message]);
    },
  };
}

function cleanTag(value: string): string {
  // A tag value cannot carry a delimiter or a control character (it would end the tag list early).
  return value.replace(/[\x00-\x20\x7f;=]/g, '');
}

function signWith(key: KeyObject, algorithm: string, data: Buffer): string {
  if (algorithm === 'ed25519-sha256') return cryptoSign(null, createHash('sha256').update(data).digest(), key).toString('base64');
  return cryptoSign('sha256', data, key).toString('base64');
}

function splitMessage(message: Buffer): { headers: string; body: Buffer } {
  const end = message.indexOf('\r\n\r\n');
  if (end < 0) return { headers: message.toString('latin1'), body: Buffer.alloc(0) };
  return { headers: message.subarray(0, end + 2).toString('latin1'), body: message.subarray(end + 4) };
}

interface HeaderField {
  name: string; // lower case
  value: string; // as written, folding included, without the name and colon
}

function parseHeaders(headers: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of headers.split('\r\n')) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      fields[fields.length - 1]!.value += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1) });
  }
  return fields;
}

/** The h= list: oversigned names (count + 1), then the others as often as they occur. */
function signedNames(fields: HeaderField[]): string[] {
  const count = new Map<string, number>();
  for (const f of fields) count.set(f.name, (count.get(f.name) ?? 0) + 1);
  const names: string[] = [];
  for (const name of OVERSIGNED) for (let i = 0; i <= (count.get(name) ?? 0); i++) names.push(name);
  for (const name of SIGNED_WHEN_PRESENT) for (let i = 0; i < (count.get(name) ?? 0); i++) names.push(name);
  return names;
}

/** RFC 6376 §5.4.2: each listed name takes the next instance from the bottom; none left adds nothing. */
function canonicalHeaders(fields: HeaderField[], names: string[]): string {
  const used = new Map<string, number>();
  let out = '';
  for (const name of names) {
    const instances = fields.filter((f) => f.name === name);
    const taken = used.get(name) ?? 0;
    const field = instances[instances.length - 1 - taken];
    used.set(name, taken + 1);
    if (field) out += `${relaxedHeader(name, field.value)}\r\n`;
  }
  return out;
}

/** Relaxed header canonicalisation: lower-case name, unfolded, runs of WSP as one SP, trimmed. */
function relaxedHeader(name: string, value: string): string {
  return `${name.toLowerCase()}:${value.replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim()}`;
}

/** Relaxed body canonicalisation: WSP runs as one SP, none at line ends, no empty lines at the end. */
export function relaxedBody(body: Buffer): Buffer {
  const text = body.toString('latin1');
  const lines = text.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return Buffer.from(lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`, 'latin1');
}

/** h= as pieces that may start a folded line: FWS is allowed only around its colons. */
function hPieces(names: string[]): string[] {
  return names.map((name, i) => (i === 0 ? `h=${name}` : `:${name}`)).map((p, i, all) => (i === all.length - 1 ? `${p};` : p));
}

/**
 * `DKIM-Signature:` and the pieces, a space before each tag, folded before a piece that would
 * pass 76 columns (the folding whitespace then stands where the signed text has it too).
 */
function fold(pieces: string[]): string {
  let out = 'DKIM-Signature:';
  let column = out.length;
  for (const piece of pieces) {
    const joiner = piece.startsWith(':') ? '' : ' ';
    if (column + joiner.length + piece.length > 76) {
      out += `\r\n ${piece}`;
      column = 1 + piece.length;
    } else {
      out += joiner + piece;
      column += joiner.length + piece.length;
    }
  }
  return out;
}

/** The signature after "b=", broken into lines (FWS anywhere in b= is ignored by verifiers). */
function foldBase64(value: string, column: number): string {
  let out = '';
  let at = 0;
  let room = Math.max(76 - column, 8);
  while (at < value.length) {
    out += (at === 0 ? '' : '\r\n ') + value.slice(at, at + room);
    at += room;
    room = 75;
  }
  return out;
}
