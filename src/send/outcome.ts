import type { DeliveryStatus, SuppressionReason } from '../store/types.js';

/** What a transport saw for one message: the relay's reply, or why there was none. */
export interface SendResult {
  accepted: boolean;
  /** SMTP reply code (250, 550, 421…); undefined when the connection failed before a reply. */
  code: number | undefined;
  /** RFC 3463 enhanced status, e.g. "5.1.1". */
  enhanced: string | undefined;
  /** The reply text as the relay sent it, or the network error's message. */
  response: string;
  /** Transport-level error code (nodemailer's ECONNECTION, ETIMEDOUT, EAUTH…). */
  errorCode?: string | undefined;
  /**
   * The whole message, end-of-data dot included, had been handed to the relay when the attempt
   * failed: from then on the relay may have accepted it, whatever happened to its reply.
   */
  messageSent?: boolean | undefined;
  durationMs: number;
}

/**
 * Why an attempt ended as it did. `connection`/`auth`/`lost-reply` failures are about the relay,
 * not the recipient: they feed the circuit breaker and never count against the address.
 * `lost-reply`: the connection failed after the whole message was sent and before the relay's
 * reply; the relay may have it, so it is not sent again on its own (like a crash at that point).
 */
export type OutcomeClass = 'accepted' | 'hard' | 'policy' | 'permanent' | 'transient' | 'connection' | 'auth' | 'lost-reply';

export interface Policy {
  /** The delivery's status after this attempt (before retry limits are applied). */
  status: Extract<DeliveryStatus, 'sent' | 'deferred' | 'bounced' | 'blocked' | 'failed' | 'unknown'>;
  retry: boolean;
  suppress: SuppressionReason | undefined;
  /** Whether the failure speaks about the relay (for the breaker) rather than the recipient. */
  relayProblem: boolean;
  /** What the event's detail says, when the class name alone would not tell the operator. */
  explain?: string;
}

/** The detail of a delivery left `unknown` because its reply never came. */
export const LOST_REPLY_DETAIL =
  'the relay may have accepted it: the connection was lost after the message was sent, before its reply; not resent unless --resend-unknown';

/** The whole retry / suppress / stop decision, as a table (DESIGN principle 4). */
export const POLICY: Record<OutcomeClass, Policy> = {
  accepted: { status: 'sent', retry: false, suppress: undefined, relayProblem: false },
  hard: { status: 'bounced', retry: false, suppress: 'hard-bounce', relayProblem: false },
  policy: { status: 'blocked', retry: false, suppress: undefined, relayProblem: false },
  permanent: { status: 'failed', retry: false, suppress: undefined, relayProblem: false },
  transient: { status: 'deferred', retry: true, suppress: undefined, relayProblem: false },
  connection: { status: 'deferred', retry: true, suppress: undefined, relayProblem: true },
  auth: { status: 'deferred', retry: true, suppress: undefined, relayProblem: true },
  'lost-reply': { status: 'unknown', retry: false, suppress: undefined, relayProblem: true, explain: LOST_REPLY_DETAIL },
};

/** What to tell the operator about deliveries left `unknown` (a crash, or a reply lost after the data). */
export function unknownAdvice(campaignId: number, unknown: number): string {
  return `${unknown} deliver${unknown === 1 ? 'y' : 'ies'} of unknown fate (the relay may have ${unknown === 1 ? 'it' : 'them'}); not resent unless you run: pressline resume ${campaignId} --resend-unknown`;
}

const ENHANCED = /(?:^|[\s(-])([245])\.(\d{1,3})\.(\d{1,3})(?=$|[\s).;:,])/;

/** Pulls "5.1.1" out of a reply such as "550 5.1.1 <a@b>: User unknown" (RFC 3463, RFC 2034). */
export function parseEnhanced(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = ENHANCED.exec(text.replace(/^\d{3}[ -]/, ' '));
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

// Servers that answer 550 without an enhanced code still say in words that the mailbox is gone.
const NO_SUCH_USER = /user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|mailbox unavailable|recipient (address )?rejected|invalid recipient|address rejected|not found/i;

// nodemailer's codes for failures of the connection itself: whatever reply code comes with them
// (a 554 greeting from a blocklisting relay, say), they say nothing about the recipient.
const CONNECTION_ERRORS = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EPROTOCOL', 'EDNS', 'ETLS', 'EPROXY', 'EMAXLIMIT']);

// The ways a connection can end without a reply (closed, reset, timed out). nodemailer reports a
// loss before the data and one after the final dot alike (code ECONNECTION or ETIMEDOUT, command
// 'CONN', no responseCode): only the transport's `messageSent` tells them apart.
const NO_REPLY_ERRORS = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET']);

/**
 * What a permanent (5.x.x) enhanced status says about the address (RFC 3463): it is gone or
 * unusable (5.1.1 bad mailbox, 5.1.2 bad domain, 5.1.3 bad syntax, 5.1.6 moved, 5.1.10 null MX,
 * 5.2.1 disabled), or the message was refused by policy (5.7.x), or neither. Bounce reports are
 * read by the same rule (bounces/classify.ts).
 */
export function permanentStatusMeaning(enhanced: string): 'hard' | 'policy' | undefined {
  const [, subject, detail] = enhanced.split('.');
  if (subject === '1' && ['1', '2', '3', '6', '10'].includes(detail!)) return 'hard';
  if (subject === '2' && detail === '1') return 'hard';
  if (subject === '7') return 'policy';
  return undefined;
}

/** Sorts one attempt's result into a class; the table above says what follows from it. */
export function classify(result: SendResult): OutcomeClass {
  if (result.accepted) return 'accepted';
  const code = result.code;
  if (result.errorCode === 'EAUTH' || result.errorCode === 'ENOAUTH' || code === 535 || code === 530 || code === 534) return 'auth';
  if (result.messageSent && code === undefined && (result.errorCode === undefined || NO_REPLY_ERRORS.has(result.errorCode))) return 'lost-reply';
  if (result.errorCode && CONNECTION_ERRORS.has(result.errorCode)) return 'connection';
  // 421 closes the session: it is the server's state, not the recipient's.
  if (code === undefined || code === 421) return 'connection';
  const enhanced = result.enhanced;
  if (code >= 500 && code < 600) {
    if (enhanced) return permanentStatusMeaning(enhanced) ?? 'permanent';
    if ((code === 550 || code === 551 || code === 553) && NO_SUCH_USER.test(result.response)) return 'hard';
    return 'permanent';
  }
  if (code >= 400 && code < 500) return 'transient';
  // A 2xx with accepted=false or an odd 3xx: the transaction did not complete as it should.
  return 'connection';
}

export interface RetrySettings {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxAgeMs: number;
}

/**
 * Delay before attempt `attempt + 1`: exponential, capped, with "equal jitter" so many deferred
 * recipients of one domain do not all come back in the same second.
 */
export function backoffMs(attempt: number, retry: RetrySettings, random: () => number = Math.random): number {
  const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Whether a deferred delivery has used up its attempts or its time, and becomes a soft bounce. */
export function retriesExhausted(attempts: number, firstAttemptAt: Date, now: Date, retry: RetrySettings): boolean {
  return attempts >= retry.maxAttempts || now.getTime() - firstAttemptAt.getTime() >= retry.maxAgeMs;
}
