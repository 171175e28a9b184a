/**
 * One message from the bounce mailbox → what it is and the BounceEvents it reports. Pure apart
 * from the clock fallback: no store, no network, no HMAC check (the caller verifies tokens).
 *
 * Order matters: a delivery-status part first (a DSN usually carries Auto-Submitted itself), then
 * feedback reports and provider formats (SES by mail, Microsoft complaints), then the prose bounce
 * formats, then any other bounce (by sender, subject or words: its own words name the failed
 * addresses), then unsubscribe requests, and only then auto-replies: Exim, MDaemon and others put
 * auto-reply headers on their bounces, and Apple Mail on its unsubscribe requests. Anything else
 * is 'unrecognised' and the caller keeps it for a person to look at.
 */
import { createHash } from 'node:crypto';
import type { Attachment, ParsedMail } from 'mailparser';
import type { BounceEvent, BounceKind } from './types.js';
import { classifyDsn } from './classify.js';
import { detectAutoReply } from './autoreply.js';
import {
  FieldBlock,
  firstAddress,
  normaliseMessageId,
  looksLikeAddress,
  normaliseBareCr,
  normaliseNewlines,
  parseDeliveryStatus,
  parseFields,
  parseStatusField,
  stripAddressType,
  stripTypePrefix,
} from './dsn-fields.js';
import { microsoftComplaint, sesEmailNotification } from './notifications.js';
import { diagnosticNear, genericBounce, parseTextBounce, prose as proseOf, statusInText, type Prose } from './text-bounces.js';
import { verifiedSender } from './sender-auth.js';
import { stripNul, withoutNul } from './bounds.js';

export type ReportKind = 'dsn' | 'arf' | 'auto-reply' | 'unsubscribe-request' | 'unrecognised';

export interface ParsedMessage {
  kind: ReportKind;
  /** One per recipient the report speaks of (a DSN may list several); empty for auto-replies. */
  events: BounceEvent[];
  /** Why it was recognised as what it is (for the log), e.g. "multipart/report; report-type=delivery-status". */
  reason: string;
  /** What the report quotes of our original message, when it quotes it (for matching without VERP). */
  original?: OriginalMessage | undefined;
}

/** Headers of our original message as a report quotes them. */
export interface OriginalMessage {
  messageId: string | undefined;
  to: string | undefined;
  returnPath: string | undefined;
  /** Our X-Pressline-Campaign header. */
  campaign: string | undefined;
}

export interface ParseOptions {
  source: string;
  verpLocalPart?: string;
  bounceDomain?: string;
  /** The configured unsubscribe mailto address: requests to `<local>+<token>@<domain>` carry their token. */
  unsubscribeMailto?: string | undefined;
  /** Our receiving host's authserv-id (see sender-auth.ts). */
  authservId?: string | undefined;
  now?: Date;
  /** Always run the full MIME parser (tests compare the quick path with it). */
  fullParseOnly?: boolean;
}

// A DSN's prose is searched for the first recipients only: each look-up scans the prose, and a
// report with thousands of recipients names them all in its delivery-status part anyway.
const PROSE_LOOKUPS = 200;

/** Reports are kept for the recipient's timeline; the start carries everything a person reads. */
export const RAW_CAP_CHARS = 64 * 1024;

/**
 * The most text any recogniser scans: a report's own words and the quoted headers come first,
 * and a cap bounds the cost of every pattern whatever a sender pads the message with.
 */
export const SCAN_CAP_CHARS = 256 * 1024;

// `<store>-<campaign>-<delivery>-<hmac>`; the old form without the store is still found, so it is refused with its reason.
const TOKEN = '(?:[0-9a-f]{12}-)?[0-9a-z]{1,12}-[0-9a-z]{1,12}-[0-9a-f]{16}';
const DSN_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ORIGINAL_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/rfc822-headers', 'text/rfc822-header', 'message/global-headers']);

// Where prose bounces start quoting the original message.
const INLINE_ORIGINAL = [
  /^-+ ?This is a copy of the message,? including all the headers\.? ?-+[ \t]*$/im,
  /^-+ ?This is a copy of the message's headers\.? ?-+[ \t]*$/im,
  /^--- Below this line is a copy of the message\.?[ \t]*$/im,
  /^-+ ?(?:Original message|Original message follows|Forwarded message|Undelivered message)\b.*$/im,
  /^Original message headers:[ \t]*$/im,
  // DragonFly, IMail, GMX/1&1, Notes, V5 Sendmail, OpenSMTPD.
  /^Message headers follow\.?[ \t]*$/im,
  /^Original message follows\.?[ \t]*$/im,
  /^-+ ?The header of the original message is following\.? ?-+[ \t]*$/im,
  /^-+ ?Returned Message ?-+[ \t]*$/im,
  /^[ \t]*-+ ?Unsent message follows ?-+[ \t]*$/im,
  /^[ \t]*Below is a copy of the original message:?[ \t]*$/im,
];

const BOUNCE_SENDER = /mailer-daemon|postmaster|mail delivery (?:subsystem|system)|mail administrator/i;
const BOUNCE_TEXT = /could not be delivered|couldn't be delivered|undeliverable|delivery (?:has )?failed|permanent (?:fatal )?error|error delivering your mail|unable to deliver|was not delivered|not be delivered|delivery to the following recipients? (?:failed|has been delayed)|returned mail|delivery status notification|mail delivery (?:failed|error)|failed to deliver|non-delivery/i;
const BOUNCE_SUBJECT = /undeliver|undelivered|returned mail|delivery status notification|delivery (?:failure|failed|has failed|problem)|failure notice|mail delivery failed|non[- ]?delivery|could not be delivered|returned to sender/i;

/** `source` goes into each event; `receivedAt` defaults to the Date header or now. */
export async function parseMailboxMessage(input: Buffer, options: ParseOptions): Promise<ParsedMessage> {
  const raw = normaliseBareCr(withoutNul(input));
  const plain = options.fullParseOnly ? undefined : plainMail(raw);
  if (plain) {
    const quick = analyse(raw, plain, options, true);
    if (quick) return quick;
  }
  const { simpleParser } = await import('mailparser'); // loaded on first use: keeps CLI start-up fast
  // No HTML is ever shown from here, and HTML-to-text over megabytes costs seconds and hundreds
  // of MB: converted only up to the scan cap (a longer HTML-only body leaves the text empty).
  const mail = await simpleParser(raw, { keepDeliveryStatus: true, skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: SCAN_CAP_CHARS });
  return analyse(raw, mail, options, false)!;
}

/** What analyse reads of a parsed message: mailparser's ParsedMail, or plainMail's view of a plain one. */
type MailView = Pick<ParsedMail, 'headerLines' | 'text' | 'attachments' | 'headers' | 'messageId' | 'date' | 'subject' | 'from'>;

/** Headers whose presence means MIME structure, an encoding or a disposition: the full parser's job. */
const MIME_HEADER = /^(?:content-|mime-version$)/i;
/** One unfolded header line: a field name (printable ASCII but ':') and its value. */
const PLAIN_HEADER_LINE = /^([!-9;-~]+):(.*)$/;

/**
 * The quick path, for the mass of tiny messages in a large bounce mailbox (~60 bytes each: the
 * full MIME parser is most of their cost). A message qualifies only when the full parser would
 * read it as it stands: printable ASCII with LF line ends, unfolded headers, none about MIME or
 * content, one Subject, no encoded words. Then its text is its body and its subject the trimmed
 * header value (what mailparser gives). Anything else: undefined, and the full parser runs.
 */
export function plainMail(raw: Buffer): MailView | undefined {
  if (raw.length > 64 * 1024) return undefined;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b > 0x7e) return undefined;
  }
  const text = raw.toString('latin1');
  const end = text.indexOf('\n\n');
  if (end <= 0 || text.slice(0, end).includes('=?')) return undefined;
  const headerLines: { key: string; line: string }[] = [];
  let subject: string | undefined;
  for (const line of text.slice(0, end).split('\n')) {
    const m = PLAIN_HEADER_LINE.exec(line);
    if (!m || MIME_HEADER.test(m[1]!)) return undefined;
    const key = m[1]!.toLowerCase();
    if (key === 'subject') {
      if (subject !== undefined) return undefined;
      subject = m[2]!.trim();
    }
    headerLines.push({ key, line });
  }
  const body = text.slice(end + 2);
  return { headerLines, text: body === '' ? undefined : body, attachments: [], headers: new Map(), messageId: undefined, date: undefined, subject, from: undefined };
}

/**
 * What one message is, from its parsed view. On the quick path (`quick`) the view has no
 * Message-ID, Date or From, so only an answer that needs none of them is given (no events, no
 * unsubscribe request); otherwise undefined, and the caller runs the full parser.
 */
function analyse(raw: Buffer, mail: MailView, options: ParseOptions, quick: boolean): ParsedMessage | undefined {
  const headers = headerBlock(mail);
  const header = (name: string): string | undefined => headers.get(name);
  const text = normaliseNewlines(stripNul(mail.text ?? '').slice(0, SCAN_CAP_CHARS));
  const attachments = mail.attachments ?? [];
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const topType = contentType?.value?.toLowerCase();
  const reportType = contentType?.params?.['report-type']?.toLowerCase();

  const rawText = raw.toString('utf8');
  const original = findOriginal(attachments, text, normaliseNewlines(rawText.slice(0, SCAN_CAP_CHARS)));
  const token = findVerpToken(headers, original.block, options);
  const base = {
    source: options.source,
    reportId: normaliseMessageId(mail.messageId) ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`,
    originalMessageId: original.info.messageId,
    raw: rawText.length > RAW_CAP_CHARS ? rawText.slice(0, RAW_CAP_CHARS) : rawText,
    receivedAt: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : (options.now ?? new Date()),
  };
  const event = (e: EventFields): BounceEvent => ({
    kind: e.kind,
    source: base.source,
    reportId: base.reportId,
    recipient: e.recipient,
    ...(e.finalRecipient ? { finalRecipient: e.finalRecipient } : {}),
    ...(e.unsubscribeToken ? { unsubscribeToken: e.unsubscribeToken } : {}),
    ...(e.senderVerified ? { senderVerified: e.senderVerified } : {}),
    verpToken: e.verpToken ?? token,
    originalMessageId: base.originalMessageId,
    status: e.status,
    diagnostic: e.diagnostic,
    remoteMta: e.remoteMta,
    raw: base.raw,
    receivedAt: base.receivedAt,
  });
  const reportLabel = topType === 'multipart/report' ? `multipart/report; report-type=${reportType ?? '(none)'}` : topType ?? 'text/plain';
  // Events carry the Message-ID and Date the quick view lacks: the full parser gives those.
  const result = (kind: ReportKind, events: BounceEvent[], reason: string): ParsedMessage | undefined =>
    quick && events.length > 0 ? undefined : { kind, events, reason, original: original.found ? original.info : undefined };

  // Exim names the failed addresses in a header of its own.
  const failedRecipients = headers.all('x-failed-recipients').flatMap((v) => v.split(',')).map((v) => firstAddress(v)).filter((v): v is string => !!v);

  // 1. RFC 3464 delivery status notification (in a part the MIME parser could not separate, too).
  const dsnPart = attachments.find((a) => DSN_TYPES.has(a.contentType.toLowerCase()));
  const dsnText = dsnPart ? partText(dsnPart) : rawDeliveryStatus(rawText);
  if (dsnText !== undefined) {
    const { perMessage, recipients } = parseDeliveryStatus(dsnText);
    const words = proseOf(text);
    const events = recipients.map((block, i) =>
      dsnEvent(block, perMessage, { originalTo: original.info.to, failedHeader: recipients.length === failedRecipients.length ? failedRecipients[i] : undefined, prose: i < PROSE_LOOKUPS ? words : undefined, onlyRecipient: recipients.length === 1 }, event),
    );
    if (events.length > 0) {
      const why = !dsnPart ? `delivery-status part found in the raw text of ${topType ?? 'a message'}` : topType === 'multipart/report' ? reportLabel : `${dsnPart.contentType} part inside ${topType ?? 'a message'}`;
      return result('dsn', events, why);
    }
  }

  // 2. RFC 5965 feedback (complaint) report.
  const arfPart = attachments.find((a) => a.contentType.toLowerCase() === 'message/feedback-report');
  if (arfPart || reportType === 'feedback-report') {
    const fields = arfPart ? parseFields(partText(arfPart)) : new FieldBlock();
    const feedbackType = fields.get('feedback-type')?.toLowerCase() ?? 'abuse';
    const why = `${reportLabel}; feedback-type=${feedbackType}`;
    // not-spam is a user rescuing our mail; auth-failure is a DMARC/SPF report about us. Neither is a complaint.
    if (feedbackType === 'not-spam' || feedbackType === 'auth-failure') return result('arf', [], why);
    const fromMailFrom = findVerpIn(fields.all('original-mail-from'), options);
    const agent = fields.get('user-agent');
    const diagnostic = `feedback-type ${feedbackType}${agent ? ` from ${agent}` : ''}`;
    const rcpts = fields.all('original-rcpt-to').map((r) => stripAddressType(r)).filter((r): r is string => !!r);
    const recipients = rcpts.length > 0 ? rcpts : [original.info.to];
    const events = recipients.map((recipient) => event({ kind: 'complaint', recipient, diagnostic, verpToken: token ?? fromMailFrom }));
    return result('arf', events, why);
  }

  // 2b. Provider formats by mail: SES notifications (JSON), Microsoft's complaints (JMRP).
  const ses = sesEmailNotification(text);
  if (ses) {
    const events = ses.entries.map((e) => event({ kind: e.kind, recipient: e.recipient, status: e.status, diagnostic: e.diagnostic }));
    return result(ses.type === 'Complaint' ? 'arf' : 'dsn', events, `Amazon SES ${ses.type} notification by mail`);
  }
  const jmrp = microsoftComplaint(mail.subject ?? '', (name) => original.block.get(name) ?? header(name), original.info.to);
  if (jmrp) {
    return result('arf', [event({ kind: 'complaint', recipient: jmrp, diagnostic: 'Microsoft complaint (JMRP)' })], `Microsoft complaint report ("${(mail.subject ?? '').trim().slice(0, 80)}")`);
  }

  // Read receipts (disposition-notification) and other machine reports: never bounces.
  if (topType === 'multipart/report' && reportType && reportType !== 'delivery-status') {
    return result('auto-reply', [], `${reportLabel} (not a bounce)`);
  }

  // 3. Prose bounces from MTAs that send no delivery-status part.
  const prose = parseTextBounce(text);
  if (prose) {
    const events = prose.recipients.map((r) =>
      event({ kind: classifyDsn(r.action, r.status, r.diagnostic), recipient: r.recipient, status: r.status, diagnostic: r.diagnostic, remoteMta: r.remoteMta }),
    );
    return result('dsn', events, `${prose.format} bounce text${dsnPart ? ' (delivery-status part had no recipients)' : ''}`);
  }
  const from = header('from') ?? '';
  const subject = mail.subject ?? '';
  if (dsnPart || topType === 'multipart/report' || failedRecipients.length > 0 || looksLikeBounce(from, subject, text, header)) {
    // A bounce in a wording we have no recogniser for: the addresses its own words name (not
    // ours), each with the server's reply next to it.
    const ours = new Set([...headers.all('to'), ...headers.all('from'), original.block.get('from'), original.block.get('return-path'), original.block.get('sender')].map((v) => firstAddress(v)?.toLowerCase()).filter((v): v is string => !!v));
    const hints = [...failedRecipients, ...(original.info.to ? [original.info.to] : [])];
    const reportingDomain = /@([^>\s]+)/.exec(from)?.[1]?.toLowerCase();
    // A report whose parts the MIME parser could not separate still has its words in the raw body.
    const generic = genericBounce(text, ours, hints, reportingDomain) ?? genericBounce(rawBody(rawText), ours, hints, reportingDomain);
    if (generic) {
      const events = generic.recipients.map((r) =>
        event({ kind: classifyDsn(r.action, r.status, r.diagnostic), recipient: r.recipient, status: r.status, diagnostic: r.diagnostic, remoteMta: r.remoteMta }),
      );
      return result('dsn', events, `bounce from ${firstAddress(from) ?? from} ("${subject.slice(0, 80)}"), wording without a recogniser of its own`);
    }
    // With a VERP token or the quoted original it still names the delivery. The first enhanced
    // code in the text is the best status we have.
    const recipient = original.info.to;
    if (token || recipient) {
      const line = text.split('\n').find((l) => statusInText(l));
      const status = statusInText(line);
      const diagnostic = line?.trim() || subject || undefined;
      return result('dsn', [event({ kind: classifyDsn('failed', status, diagnostic), recipient, status, diagnostic })], `bounce from ${firstAddress(from) ?? from} ("${subject}"), format unknown`);
    }
    // A bounce is never taken for an auto-reply (they carry Auto-Submitted too): a person reads it.
    return result('unrecognised', [], `bounce from ${firstAddress(from) ?? from} ("${subject.slice(0, 80)}") naming no recipient we can read`);
  }

  // 4. Unsubscribe requests as a List-Unsubscribe mailto: produces them.
  const firstLine = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  // Apple Mail's "Unsubscribe" button sends one marked X-Apple-Unsubscribe (and Auto-Submitted).
  const appleUnsubscribe = /^true$/i.test(header('x-apple-unsubscribe')?.trim() ?? '');
  const unsubscribeBy = appleUnsubscribe ? 'X-Apple-Unsubscribe header' : /^unsubscribe\b/i.test(subject.trim()) ? 'subject' : /^unsubscribe\b/i.test(firstLine) ? 'first body line' : undefined;
  if (quick && unsubscribeBy) return undefined;
  const sender = mail.from?.value[0]?.address;
  if (unsubscribeBy && sender) {
    // Proof for apply.ts: the token of the address it was sent to, or our host's word on the sender.
    const unsubscribeToken = findUnsubscribeToken(headers, options.unsubscribeMailto);
    const verdict = verifiedSender(headers.all('authentication-results'), sender, options.authservId);
    const senderVerified = verdict ? `${verdict.method}=pass for ${verdict.domain}` : undefined;
    return result('unsubscribe-request', [event({ kind: 'unsubscribe', recipient: sender, unsubscribeToken, senderVerified })], appleUnsubscribe ? `Apple Mail unsubscribe request (${unsubscribeBy}) from ${sender}` : `"unsubscribe" in the ${unsubscribeBy} from ${sender}`);
  }

  // 5. Auto-replies, only once it is no bounce and no request: explicit signals first.
  const auto = detectAutoReply(header, subject);
  if (auto) return result('auto-reply', [], auto.reason);
  return result('unrecognised', [], `no report part, bounce text, auto-reply or unsubscribe signal (${topType ?? 'text/plain'}, subject "${subject.slice(0, 80)}")`);
}

interface EventFields {
  kind: BounceKind;
  recipient: string | undefined;
  /** Final-Recipient when it names another address than `recipient` (a forwarded mailbox). */
  finalRecipient?: string | undefined;
  status?: string | undefined;
  diagnostic?: string | undefined;
  remoteMta?: string | undefined;
  verpToken?: string | undefined;
  unsubscribeToken?: string | undefined;
  senderVerified?: string | undefined;
}

// A delivery-status part as raw text: its Content-Type line, its header block, then its fields.
const RAW_DSN_PART = /^Content-Type:[ \t]*message\/(?:global-)?delivery-status\b.*(?:\n(?!\n).*)*\n\n/im;

/** The text of a delivery-status part the MIME parser did not separate (a broken boundary), if any. */
function rawDeliveryStatus(raw: string): string | undefined {
  const t = normaliseNewlines(raw.slice(0, 256 * 1024));
  const m = RAW_DSN_PART.exec(t);
  if (!m) return undefined;
  const rest = t.slice(m.index + m[0].length);
  const boundary = /^--\S/m.exec(rest);
  return boundary ? rest.slice(0, boundary.index) : rest;
}

/** The body of a raw message (after its header block), LF-normalised. */
function rawBody(raw: string): string {
  const t = normaliseNewlines(raw.slice(0, 256 * 1024));
  const blank = t.indexOf('\n\n');
  return blank === -1 ? '' : t.slice(blank + 2);
}

/**
 * A bounce by its sender, subject or first words, whatever its format. The words alone count only
 * from a machine sender and outside a thread: a journalist's reply saying "your mail to x was
 * undeliverable" is a person writing, not a report.
 */
function looksLikeBounce(from: string, subject: string, text: string, header: (name: string) => string | undefined): boolean {
  if (BOUNCE_SENDER.test(from) || BOUNCE_SUBJECT.test(subject)) return true;
  const machine = /no-?reply|daemon|postmaster|mailer|system/i.test(from) || /^\s*<\s*>\s*$/.test(header('return-path') ?? '');
  return machine && !header('in-reply-to') && BOUNCE_TEXT.test(text.slice(0, 4096));
}

function dsnEvent(
  block: FieldBlock,
  perMessage: FieldBlock,
  context: { originalTo: string | undefined; failedHeader: string | undefined; prose: Prose | undefined; onlyRecipient: boolean },
  event: (e: EventFields) => BounceEvent,
): BounceEvent {
  // The address we mailed: Original-Recipient when the report gives one (a forwarded mailbox
  // rewrites Final-Recipient to its target), else Final-Recipient. A pipe, path, source route or
  // bare host is no address we mailed: X-Failed-Recipients or the quoted To stands in.
  const final = stripAddressType(block.get('final-recipient'));
  const originalField = stripAddressType(block.get('original-recipient'));
  const candidates = [originalField, final, context.failedHeader, context.originalTo];
  const recipient = candidates.find(looksLikeAddress) ?? final ?? originalField ?? context.originalTo;
  const finalRecipient = looksLikeAddress(final) && final.toLowerCase() !== recipient?.toLowerCase() ? final : undefined;
  const action = block.get('action')?.toLowerCase();
  // Some MTAs (OpenSMTPD, Domino) leave the server's reply out of the block and write it in the text.
  const nearby = recipient && context.prose ? diagnosticNear(context.prose, recipient) : undefined;
  const diagnostic = stripTypePrefix(block.get('diagnostic-code')) ?? nearby;
  // A report about one recipient speaks of it in all its prose, named or not.
  const about = nearby ?? (context.onlyRecipient ? context.prose?.words.slice(0, 4096) : undefined);
  // Without a Status field, the diagnostic's "550 5.1.1" is the status the server gave.
  const status = parseStatusField(block.get('status')) ?? statusInText(diagnostic);
  // "dns; mx.example.com. (192.0.2.80, the server for the domain …)" → "mx.example.com"
  const remoteMta = stripTypePrefix(block.get('remote-mta') ?? perMessage.get('remote-mta'))?.split(/[\s(]/)[0]?.replace(/\.$/, '') || undefined;
  return event({ kind: classifyDsn(action, status, diagnostic, about), recipient, finalRecipient, status, diagnostic, remoteMta });
}

/** The report's own headers as raw, unfolded text (mailparser's structured values lose the address form). */
function headerBlock(mail: ParsedMail): FieldBlock {
  return parseFields((mail.headerLines ?? []).map((h) => h.line).join('\n'));
}

function partText(a: Attachment): string {
  return normaliseNewlines(a.content.toString('utf8'));
}

// mailparser renders an inline message/rfc822 part into the text (From, To, Subject, Date only)
// instead of keeping it as an attachment; the Message-ID is only in the raw part.
const RAW_ORIGINAL_PART = /^Content-Type:[ \t]*"?(?:message\/rfc822|message\/global|text\/rfc822-headers?|message\/rfc822-headers)\b.*(?:\n(?!\n).*)*\n\n/im;

function findOriginal(attachments: Attachment[], text: string, raw: string): { block: FieldBlock; info: OriginalMessage; found: boolean } {
  let block: FieldBlock | undefined;
  const part = attachments.find((a) => ORIGINAL_TYPES.has(a.contentType.toLowerCase()));
  if (part) block = parseFields(partText(part));
  if (!block || block.size === 0) {
    const m = RAW_ORIGINAL_PART.exec(raw);
    if (m) block = parseFields(raw.slice(m.index + m[0].length));
  }
  if (!block || block.size === 0) {
    for (const marker of INLINE_ORIGINAL) {
      const m = marker.exec(text);
      if (!m) continue;
      const candidate = parseFields(text.slice(m.index + m[0].length));
      if (candidate.size > 0) {
        block = candidate;
        break;
      }
    }
  }
  block ??= new FieldBlock();
  return {
    block,
    found: block.size > 0,
    info: {
      messageId: normaliseMessageId(block.get('message-id')),
      to: firstAddress(block.get('to')),
      returnPath: firstAddress(block.get('return-path')),
      campaign: block.get('x-pressline-campaign'),
    },
  };
}

function tokenPattern(options: ParseOptions): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const local = options.verpLocalPart ? esc(options.verpLocalPart) : '[^\\s<>@"+,;:]+';
  const domain = options.bounceDomain ? esc(options.bounceDomain) : '[a-z0-9.-]+';
  return new RegExp(`(?:^|[\\s<"';:,])${local}\\+(${TOKEN})@${domain}(?=$|[\\s>"';,])`, 'i');
}

function findVerpIn(values: (string | undefined)[], options: ParseOptions): string | undefined {
  const re = tokenPattern(options);
  for (const v of values) {
    const m = v ? re.exec(v.trim()) : null;
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

/** The VERP token from the envelope headers, the original's Return-Path, then the report's To. */
function findVerpToken(headers: FieldBlock, original: FieldBlock, options: ParseOptions): string | undefined {
  return findVerpIn(
    [
      ...headers.all('delivered-to'),
      ...headers.all('x-original-to'),
      ...headers.all('envelope-to'),
      ...headers.all('x-envelope-to'),
      ...original.all('return-path'),
      ...headers.all('to'),
    ],
    options,
  );
}

/** The token of a request sent to the tokenised unsubscribe mailto, from the envelope or To headers. */
function findUnsubscribeToken(headers: FieldBlock, mailto: string | undefined): string | undefined {
  const at = mailto?.lastIndexOf('@') ?? -1;
  if (!mailto || at < 1) return undefined;
  const values = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'to'].flatMap((h) => headers.all(h));
  return findVerpIn(values, { source: '', verpLocalPart: mailto.slice(0, at), bounceDomain: mailto.slice(at + 1) });
}
