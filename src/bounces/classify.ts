import type { BounceKind } from './types.js';
import { parseEnhanced, permanentStatusMeaning } from '../send/outcome.js';
import { parseStatusField } from './dsn-fields.js';

/*
 * How one recipient's report becomes a BounceKind. Only 'hard' suppresses a journalist for good,
 * so 'hard' needs the address itself to be dead (unknown user, no such domain); anything
 * uncertain falls to 'soft'. 'sender' is a failure of OURS (sender domain, SPF/DKIM/DMARC, our
 * IP's PTR, an error after MAIL FROM): it never suppresses anyone, it pauses the campaign.
 *
 *  Action                     | Kind
 *  ---------------------------+--------------------------------------------------------------
 *  delayed                    | delay
 *  delivered, relayed,        | delivered
 *    expanded                 |
 *  failed / missing           | by the steps below
 *
 *  Failed, in order (the first that speaks wins):
 *   1. The remote server's reply (Diagnostic-Code) outranks the reporting MTA's Status: its own
 *      enhanced code, else its reply code, else the Status field, decide permanent or transient.
 *   2. Our side: the words (sender address rejected, SPF, DKIM, DMARC, PTR, after MAIL FROM) or a
 *      X.1.7 / X.1.8 / X.7.23-27 code → 'sender', transient or not (as 'soft' it would count
 *      towards suppressing the journalist).
 *   3. Transient (4.x.x / 4xx) → 'soft': a 450 "user unknown" is not a dead address.
 *   4. The reply's specific words, in this order: dead address (user unknown, no such domain),
 *      mailbox full or rate or temporary → soft, spam/blocklist/policy → policy.
 *   5. The code's own meaning (RFC 3463), the reply's code before the Status: 5.1.1 5.1.2 5.1.3
 *      5.1.6 5.1.10 5.2.1 → hard, 5.7.13 → hard, other 5.7.x → policy, 5.2.2 5.3.x 5.4.x 5.6.x → soft; generic codes
 *      (x.0.0) say nothing.
 *   6. Vague words: "address rejected" → hard; "rejected", "denied" → policy; "mailbox
 *      unavailable", "unknown" → hard.
 *   7. Otherwise soft.
 *   A 'hard' reading of a refusal after DATA ("in reply to end of DATA command") is 'policy':
 *   the server accepted the address at RCPT TO, so what refused the message was a filter,
 *   unless its words leave no doubt (Yahoo's "dd This user doesn't have a … account").
 */

// Every pattern is a plain alternation without nested quantifiers: linear in the text they scan.
const SENDER_WORDS = new RegExp(
  [
    'sender (?:address |domain )?(?:rejected|refused|denied|not (?:allowed|permitted|accepted))',
    'domain of sender address',
    'sender (?:address |domain )?(?:does not exist|not found|unknown|is unknown|invalid|is invalid|has no|must (?:resolve|exist))',
    "sender(?:'s)? domain",
    'sender verif',
    'unverified sender',
    'verification of sender',
    'invalid sender',
    'bad sender',
    'unknown sender',
    'envelope sender',
    'return[- ]path',
    'mail from (?:address |domain )?(?:rejected|refused|invalid|denied)',
    '\\bspf\\b',
    'sender policy framework',
    '\\bdkim\\b',
    '\\bdmarc\\b',
    'domainkeys',
    'reverse (?:dns|lookup|hostname|mapping)',
    '\\bptr\\b',
    '\\brdns\\b',
    'no reverse',
    'unauthenticated (?:email|mail|sender)',
    'not authorized to send',
    'authentication (?:required|failed)',
    'helo (?:command )?rejected',
    'permission to post',
    '投稿する権限',
    'provide a valid from',
    'from: domain is invalid',
    'mismatch(?:es)? client ip',
    'does not match (?:the )?(?:client|connecting) ip',
    'mailfrom domain',
    'purported responsible address',
    'turn on smtp authentication',
    'ehlo (?:command )?rejected',
  ].join('|'),
  'i',
);

const HARD_STRONG = new RegExp(
  [
    'user unknown',
    'unknown user',
    'user (?:is )?not found',
    'unknown (?:recipient|mailbox|local[- ]part|address)',
    'no such (?:user|mailbox|recipient|address|account|local user|person|domain|host)',
    'recipient (?:address )?(?:unknown|does not exist|not found|invalid)',
    'recipient address rejected: (?:user unknown|access denied|invalid|unknown)',
    "doesn't have an? \\S+ account",
    'does not have an? \\S+ account',
    'address (?:does not exist|not found|unknown)',
    'account (?:that you tried to reach )?(?:does not exist|is disabled|not found)',
    'user (?:does )?not exist',
    'invalid (?:final delivery )?userid',
    'not listed in (?:the )?(?:domino )?(?:public )?directory',
    'not listed in public name',
    'no valid recipients',
    'invalid domain',
    'domain is not reachable',
    'indicated no smtp service',
    "address couldn'?t be found",
    "couldn'?t find a mail exchanger",
    'mailbox (?:does not exist|not found|unknown|invalid|not available)',
    'invalid (?:recipient|mailbox|address|user)',
    'not a valid (?:recipient|mailbox|user|address)',
    'no mailbox here',
    'unrouteable address',
    'unroutable address',
    'host (?:or domain name )?not found',
    'domain (?:name )?not found',
    'host unknown',
    'unknown host',
    'domain (?:does not exist|unknown|is unknown)',
    'no such domain',
    'null mx',
    'does not accept (?:any )?mail',
    'name or service not known',
    'nxdomain',
    'account (?:has been |is )?(?:disabled|deactivated|closed|deleted|terminated|removed)',
    'user (?:account )?(?:has been |is )?(?:disabled|deactivated|terminated)',
    'no longer (?:exists|active|valid|in use|available)',
    'is not a known user',
    'bad destination mailbox',
    'destination (?:mailbox|address) (?:unknown|invalid)',
  ].join('|'),
  'i',
);

const SOFT_WORDS = new RegExp(
  [
    'quota',
    'mailbox (?:is )?full',
    'mailbox (?:size|storage)',
    'full mailbox',
    'insufficient (?:system )?storage',
    'storage (?:space )?(?:exceeded|full)',
    'exceeded storage',
    'disk (?:full|quota)',
    'not enough disk space',
    'out of (?:disk )?space',
    'too many (?:recipients|messages|connections|mails|emails|sessions|concurrent)',
    'rate limit',
    'at a rate',
    'rate that',
    'ratelimit',
    'throttl',
    'too (?:fast|often|much mail)',
    'try (?:again )?later',
    'temporar(?:y|ily)',
    'deferred',
    'exceed(?:s|ed)? (?:the )?(?:maximum|size|message size|limit|administrative limit)',
    'length exceeds',
    'message (?:is )?too (?:large|big)',
    'size limit',
    'message size',
    'retry (?:timeout|time)',
    'timed? ?out',
    'expired',
    'connection (?:refused|reset|closed|dropped|lost)',
    'mail loop',
    'loops? back',
    'too many hops',
    'system (?:error|problem|failure)',
    'resources? (?:temporarily )?unavailable',
  ].join('|'),
  'i',
);

const POLICY_WORDS = new RegExp(
  [
    'spam',
    '\\bblock(?:ed|ing)?\\b',
    'block ?list',
    'black ?list',
    'deny ?list',
    '\\bpolicy\\b',
    'policies',
    'reputation',
    'spamhaus',
    'spamcop',
    '\\b(?:rbl|dnsbl|uribl)\\b',
    'listed (?:at|on|in|by)',
    'virus',
    'malware',
    'infected',
    'content (?:rejected|filter)',
    'filtered',
    'relay(?:ing)? (?:access )?(?:denied|not permitted)',
    'suspicious',
    'protocol violation',
    'unwanted messages',
  ].join('|'),
  'i',
);

const QUOTA_WORDS = /quota|mailbox (?:is )?full|disk space|insufficient (?:system )?storage/i;

// Providers that check mailboxes only after DATA (Yahoo's "dd") say so in words that leave no doubt.
const STILL_DEAD_AFTER_DATA = /do(?:es)?n[o']?t have an? \S+ account|account (?:that you tried to reach )?does not exist|no such (?:user|mailbox)/i;
const AFTER_DATA = /(?:after|in reply to) end of data|after data\b/i;
const AFTER_MAIL_FROM = /(?:after|in reply to) mail from|sender was rejected|my name was rejected/i;

// A dead-looking reply that the server itself calls passing ("Host not found, try again").
const TRANSIENT_FIRST = /host not found, try again|try again later|temporar(?:y|ily) (?:failure|error|unavailable|rejected|deferred|blocked|over)|over quota temporarily/i;

// Refusals that name no cause: they count only when no specific status code says more.
const POLICY_WEAK = /not accepted|not allowed|not permitted|access denied|prohibited|refused|security|rejected|denied/i;

const HARD_WEAK = /mailbox (?:is )?unavailable|does ?n[o']t exist|recipient ?not ?found|address not found|no mailbox|unknown|invalid address|mailbox disabled|account (?:is )?(?:inactive|suspended|expired)/i;

// Long diagnostics are cut here: the words that decide are at the start of a server's reply.
const SCAN_CAP = 4096;

/**
 * The kind a failed report's specific words point to, or undefined when they say nothing we
 * trust. Vague words (weakWords) come second to a specific status code.
 */
export function classifyDiagnosticWords(diagnostic: string | undefined): BounceKind | undefined {
  if (!diagnostic) return undefined;
  const text = diagnostic.slice(0, SCAN_CAP);
  const sender = SENDER_WORDS.exec(text);
  // "rejected due to spam classification … set up SPF": the cause comes first, the advice after.
  const policy = POLICY_WORDS.exec(text);
  if (sender) return policy && policy.index < sender.index ? 'policy' : 'sender';
  if (TRANSIENT_FIRST.test(text)) return 'soft';
  if (HARD_STRONG.test(text)) return 'hard';
  if (SOFT_WORDS.test(text)) return 'soft';
  if (POLICY_WORDS.test(text)) return 'policy';
  return undefined;
}

/** Vague refusals ("rejected", "mailbox unavailable"): used only when no code is specific. */
function weakWords(diagnostic: string | undefined): BounceKind | undefined {
  if (!diagnostic) return undefined;
  const text = diagnostic.slice(0, SCAN_CAP);
  // "Recipient address rejected." alone is the address; "…rejected: Media error" names its own cause.
  if (/address rejected(?!:)/i.test(text)) return 'hard';
  if (POLICY_WEAK.test(text)) return 'policy';
  if (HARD_WEAK.test(text)) return 'hard';
  return undefined;
}

/** The kind an enhanced status names by itself, or undefined when it is too generic to tell. */
export function classifyStatus(status: string): BounceKind | undefined {
  const [klass, subject, detail] = status.split('.');
  if (klass === '2') return 'delivered';
  if (klass === '4') return 'soft';
  if (klass !== '5') return undefined;
  if (isSenderStatus(status)) return 'sender';
  if (subject === '7' && detail === '13') return 'hard'; // X.7.13 user account disabled
  const meaning = permanentStatusMeaning(status);
  if (meaning) return meaning;
  if (subject === '2' && detail === '2') return 'soft';
  // System, network, protocol and content trouble: not the address.
  if (subject === '3' || subject === '4' || subject === '6') return 'soft';
  return undefined;
}

/** X.1.7 bad sender address, X.1.8 bad sender domain, X.7.25-27 our PTR / SPF / DKIM. */
function isSenderStatus(status: string): boolean {
  const [, subject, detail] = status.split('.');
  return (subject === '1' && (detail === '7' || detail === '8')) || (subject === '7' && ['23', '24', '25', '26', '27'].includes(detail!));
}

/**
 * From Action + Status (+ the remote server's reply). `context` is the bounce's prose about the
 * same recipient, read for which SMTP command failed ("in reply to end of DATA command") when the
 * Diagnostic-Code leaves it out, and for a contradiction: prose that speaks of a full mailbox
 * beside a "user unknown" makes the report uncertain, and uncertain is never hard.
 */
export function classifyDsn(action: string | undefined, status: string | undefined, diagnostic: string | undefined, context?: string): BounceKind {
  const act = action?.trim().toLowerCase().split(/[\s(;]/)[0];
  if (act === 'delayed') return 'delay';
  if (act === 'delivered' || act === 'relayed' || act === 'expanded') return 'delivered';

  const kind = classifyFailure(status, diagnostic, context);
  // A report that says "failed" never counts as delivered, whatever its status claims.
  return act === 'failed' && kind === 'delivered' ? 'soft' : kind;
}

/**
 * The remote server's own reply inside a diagnostic that wraps it in the reporting MTA's words
 * ("5.1.0 - Unknown address error 550-'5.2.2 … Mailbox Full'"): from its reply code on.
 */
export function remoteReply(diagnostic: string | undefined): string | undefined {
  if (!diagnostic) return undefined;
  const text = diagnostic.slice(0, SCAN_CAP);
  const m = /(?:^|[\s'"(:])([2-5]\d\d[ -]['"]?[245]\.\d{1,3}\.\d{1,3}\b)/.exec(text);
  return m && m.index > 0 ? text.slice(m.index).replace(/^[\s'"(:]/, '') : text;
}

function classifyFailure(status: string | undefined, wrapped: string | undefined, context: string | undefined): BounceKind {
  const diagnostic = remoteReply(wrapped);
  const given = parseStatusField(status);
  const fromReply = parseEnhanced(diagnostic);
  const replyCode = /^\s*([245])\d\d\b/.exec(diagnostic ?? '')?.[1];
  // The remote server's own words first: its enhanced code, then its reply code, then the Status.
  const klass = fromReply?.[0] ?? replyCode ?? given?.[0];
  if (klass === '2' && !given?.startsWith('5')) return 'delivered';
  const transient = klass === '4';

  const words = classifyDiagnosticWords(diagnostic);
  const codes = [fromReply, given].filter((c): c is string => !!c && c[0] === '5');
  // The reporting MTA's own context ("after MAIL FROM") counts too: it says which command failed.
  const where = `${wrapped?.slice(0, SCAN_CAP) ?? ''}\n${context?.slice(0, SCAN_CAP) ?? ''}`;
  const afterMailFrom = AFTER_MAIL_FROM.test(where);
  // Transient or not: a soft bounce counts towards suppressing the journalist, and a sender
  // problem (our DNS down, say) would then suppress everyone whose server checks it.
  const senderCodes = [fromReply, given].filter((c): c is string => !!c && (c[0] === '5' || c[0] === '4'));
  // A rate limit or a full disk met at MAIL FROM is still only soft: its words say so.
  if (words === 'sender' || senderCodes.some(isSenderStatus) || (afterMailFrom && words !== 'soft')) return 'sender';
  if (transient) return 'soft';
  const kind = words ?? codes.map(classifyStatus).find((k) => k !== undefined) ?? weakWords(diagnostic) ?? 'soft';
  // The server took the address at RCPT TO and refused the message after its data: whatever the
  // words, that is a filter, not a dead address.
  if (kind === 'hard' && AFTER_DATA.test(where) && !STILL_DEAD_AFTER_DATA.test(diagnostic ?? '')) return 'policy';
  if (kind === 'hard' && context && QUOTA_WORDS.test(context.slice(0, SCAN_CAP)) && !HARD_STRONG.test(context.slice(0, SCAN_CAP))) return 'soft';
  return kind;
}
