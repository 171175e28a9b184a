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
import type { BounceEvent } from './types.js';
import { classifyDsn } from './classify.js';
import { detectAutoReply } from './autoreply.js';
import { FieldBlock, firstAddress, normaliseBareCr, normaliseMessageId, normaliseNewlines, parseDeliveryStatus, parseFields, stripAddressType } from './dsn-fields.js';
import { microsoftComplaint, sesEmailNotification } from './notifications.js';
import { genericBounce, parseTextBounce, prose as proseOf, statusInText } from './text-bounces.js';
import { verifiedSender } from './sender-auth.js';
import { stripNul, withoutNul } from './bounds.js';
import { type MailView, plainMail } from './plain-mail.js';
import { DSN_TYPES, findOriginal, headerBlock, partText, rawBody, rawDeliveryStatus, type OriginalMessage } from './report-parts.js';
import { findUnsubscribeToken, findVerpIn, findVerpToken } from './verp.js';
import { looksLikeBounce } from './bounce-signals.js';
import { dsnEvent, eventMaker } from './report-events.js';

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
  const event = eventMaker({ ...base, verpToken: token });
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
