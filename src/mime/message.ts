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
 * - Every header value has control characters replaced first (headerSafe), so no
 *   input can start a header line of its own.
 * The result is not byte-identical to nodemailer's (header order, boundary, fold points differ);
 * decoded, it carries the same headers and bodies (test/send/mime.test.ts checks that).
 *
 * send and `render --contact` both build through here, so a preview is the bytes send would send.
 */
import { createHash } from 'node:crypto';
import { addressHeader, type Address } from './address.js';
import { needsBase64, utf8Bytes, Writer } from './body.js';
import { headerSafe, msgId, rfc5322Date, unstructuredHeader } from './header.js';

/** Quoted-printable pieces in order, each starting at column 0 and ending with a soft line break. */
export interface EncodedBodies {
  html?: readonly Buffer[] | undefined;
  text?: readonly Buffer[] | undefined;
}

/** One fully personalised message for one recipient: To holds that recipient alone. */
export interface OutgoingMail {
  from: Address;
  to: Address;
  replyTo?: Address | undefined;
  sender?: Address | undefined;
  subject: string;
  html: string;
  text: string;
  /**
   * The same bodies already in quoted-printable, when the renderer has them (a template's fixed
   * text encoded once, see quotedPrintablePiece): the MIME builder copies these instead of
   * encoding html and text again for every recipient.
   */
  encoded?: EncodedBodies | undefined;
  messageId: string;
  date: Date;
  /** Extra headers (List-Unsubscribe…); values are already free of CR/LF. */
  headers: Record<string, string>;
  /** Bytes read at the start of the send through the release's confinement (never a path nodemailer would open). */
  attachments: { filename: string; content: Buffer }[];
  /** SMTP envelope: MAIL FROM (VERP address or From) and the single RCPT TO. */
  envelope: { from: string; to: string };
  /** A stable, file-system-safe name for this delivery (outbox file stem). */
  tag: string;
}

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
