import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { PresslineError } from '../errors.js';
import { foldedSubject, hasUnfoldableRun } from '../send/mime.js';

/** A mailbox: display name optional. */
export interface Address {
  name?: string;
  address: string;
}

/** Everything one outgoing message needs; `messageId` and `date` make the bytes reproducible. */
export interface OutgoingMessage {
  from: Address;
  to: string;
  replyTo?: Address;
  sender?: Address;
  subject: string;
  html: string;
  text: string;
  /** "<local@domain>" or "local@domain". */
  messageId: string;
  date: Date;
  headers?: Record<string, string>;
  attachments?: { filename: string; path: string }[];
  /** SMTP MAIL FROM (e.g. a VERP bounce address); not a header. */
  envelopeFrom?: string;
}

const UNSAFE_HEADER_VALUE = /[\r\n\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u0085\u2028\u2029]/;
const HEADER_NAME = /^[!-9;-~]+$/; // RFC 5322 ftext: printable ASCII except ":"

/**
 * Builds the RFC 5322 bytes. Header values cannot carry a line break: names are checked and
 * values with CR/LF or other controls are refused (display names and subject are neutralised).
 * The multipart boundary derives from the Message-ID, so equal input gives identical bytes.
 */
export async function buildMime(message: OutgoingMessage): Promise<Buffer> {
  const headers: Record<string, string | { prepared: true; value: string }> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new PresslineError('USAGE', `invalid header name ${JSON.stringify(name)}`);
    if (UNSAFE_HEADER_VALUE.test(value)) {
      throw new PresslineError('USAGE', `header ${name} contains a line break or control character; refusing to build the message`);
    }
    headers[name] = value;
  }
  for (const a of [message.from, message.replyTo, message.sender]) if (a) assertAddress(a.address);
  assertAddress(message.to);
  if (message.envelopeFrom !== undefined) assertAddress(message.envelopeFrom);
  const messageId = message.messageId.trim();
  if (UNSAFE_HEADER_VALUE.test(messageId) || !/^<?[^<>\s@]+@[^<>\s@]+>?$/.test(messageId)) {
    throw new PresslineError('USAGE', `invalid Message-ID ${JSON.stringify(message.messageId)}`);
  }
  const bracketed = messageId.startsWith('<') ? messageId : `<${messageId}>`;
  if (hasUnfoldableRun(message.subject)) headers.Subject = { prepared: true, value: foldedSubject(oneLine(message.subject)) };

  const composer = new MailComposer({
    from: mailbox(message.from),
    to: message.to,
    ...(message.replyTo ? { replyTo: mailbox(message.replyTo) } : {}),
    ...(message.sender ? { sender: mailbox(message.sender) } : {}),
    // nodemailer cannot fold a long run without spaces (a 5,000-character merged name made a
    // 5,002-character Subject: line); such a subject goes folded and encoded as send writes it.
    ...(hasUnfoldableRun(message.subject) ? {} : { subject: oneLine(message.subject) }),
    messageId: bracketed,
    date: message.date,
    text: message.text,
    html: message.html,
    headers,
    attachments: (message.attachments ?? []).map((a) => ({ filename: oneLine(a.filename), path: a.path })),
    baseBoundary: createHash('sha256').update(bracketed).digest('hex').slice(0, 24),
    boundaryPrefix: '--_pressline',
    newline: '\r\n',
    textEncoding: 'Q',
    ...(message.envelopeFrom ? { envelope: { from: message.envelopeFrom, to: [message.to] } } : {}),
  });
  return composer.compile().build();
}

function mailbox(a: Address): { name: string; address: string } | string {
  return a.name ? { name: oneLine(a.name), address: a.address } : a.address;
}

function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g, ' ').trim();
}

function assertAddress(address: string): void {
  if (UNSAFE_HEADER_VALUE.test(address) || !/^[^\s<>,;]+@[^\s<>,;]+$/.test(address)) {
    throw new PresslineError('USAGE', `invalid email address ${JSON.stringify(address)}`);
  }
}
