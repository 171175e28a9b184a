/**
 * Bounces that carry no machine-readable delivery-status part, only prose: Exim (and 1&1/GMX),
 * qmail, Exchange, Gmail and the Postfix text part, then a generic reader for every other wording
 * (DragonFly, IMail, Zoho, Notes, V5 Sendmail, OpenSMTPD, EZweb...). Each recogniser is a pure
 * function over the (LF-normalised) text body, linear in it and reading only its start; it
 * returns undefined when the text is not its format.
 */
import { parseEnhanced } from '../send/outcome.js';
import { normaliseNewlines } from './dsn-fields.js';

/** One recipient as a prose bounce describes it, before classification. */
export interface TextRecipient {
  recipient: string;
  action: 'failed' | 'delayed';
  status: string | undefined;
  diagnostic: string | undefined;
  remoteMta?: string | undefined;
}

export interface TextBounce {
  /** Which format matched, for the log ("exim", "qmail"…). */
  format: string;
  recipients: TextRecipient[];
}

// Addresses in prose: no spaces, brackets, quotes or trailing sentence punctuation. The local
// part is at most 64 characters and a label at most 63 (RFC 5321), which also keeps every search
// linear: from any position the pattern looks at most 64 characters ahead for the "@".
const ADDR = "[^\\s<>()\\[\\]\"',;:@]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+";
const ADDR_RE = new RegExp(ADDR, 'i');
// Per-line patterns, compiled once (no `g` flag, so they keep no state between lines).
const EXIM_ENTRY_START = new RegExp(`^\\s*<?(${ADDR})>?(?::(?:\\s+(.*))?|\\s*)$`, 'i');
const EXCHANGE_BARE_ADDRESS = new RegExp(`^\\s*(?:mailto:)?(${ADDR})(?:\\s*<mailto:[^>]*>)?\\s*(?:on .*)?$`, 'i');

/** The enhanced status in prose: "550 5.1.1 …", "(#5.1.1)", "#550 5.1.10 …##". */
export function statusInText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const hash = /#([245]\.\d{1,3}\.\d{1,3})\b/.exec(text);
  if (hash) return hash[1];
  return parseEnhanced(text) ?? parseEnhanced(text.replace(/#/g, ' '));
}

function collapse(text: string): string | undefined {
  const v = text.replace(/\s+/g, ' ').trim();
  return v === '' ? undefined : v;
}

function entry(recipient: string, action: 'failed' | 'delayed', diagnostic: string | undefined): TextRecipient {
  const diag = diagnostic ? collapse(diagnostic) : undefined;
  const remote = diag ? /\bhost ([a-z0-9.-]+\.[a-z]{2,})\b/i.exec(diag)?.[1] : undefined;
  return { recipient, action, status: statusInText(diag), diagnostic: diag, remoteMta: remote };
}

// --- qmail ---------------------------------------------------------------------------------
// "<addr>:\nSorry, no mailbox here by that name. (#5.1.1)" — one paragraph per address.
function qmail(text: string): TextBounce | undefined {
  if (!/This is the qmail-send program at/i.test(text)) return undefined;
  const body = text.split(/^--- Below this line is a copy of the message\.?.*$/m)[0]!;
  const recipients: TextRecipient[] = [];
  const re = new RegExp(`^<(${ADDR})>:[ \\t]*\\n?([\\s\\S]*?)(?=\\n[ \\t]*\\n|\\n<${ADDR}>:|(?![\\s\\S]))`, 'gim');
  for (const m of body.matchAll(re)) recipients.push(entry(m[1]!, 'failed', m[2]));
  return { format: 'qmail', recipients };
}

// --- Exim ----------------------------------------------------------------------------------
// After "The following address(es) failed:", each address sits at one indentation, its
// diagnostic lines are indented deeper; the copy of the message starts with "------".
function indentedEntries(section: string, action: 'failed' | 'delayed'): TextRecipient[] {
  const lines = section.split('\n');
  const out: { recipient: string; diag: string[] }[] = [];
  let entryIndent: number | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (/^\s*-{3,}/.test(line)) break;
    const indent = /^\s*/.exec(line)![0].replace(/\t/g, '        ').length;
    const start = EXIM_ENTRY_START.exec(line);
    if (start && (entryIndent === undefined || indent <= entryIndent)) {
      entryIndent = indent;
      out.push({ recipient: start[1]!, diag: start[2] ? [start[2]] : [] });
      continue;
    }
    if (entryIndent === undefined) continue; // prose before the first address
    // 1&1 writes the reason unindented under its address: the first such line is still its reason.
    if (indent <= entryIndent && out[out.length - 1]!.diag.length === 0 && /\b[245]\d\d\b|error/i.test(line)) {
      out[out.length - 1]!.diag.push(line.trim());
      continue;
    }
    if (indent <= entryIndent) break; // back to prose: the list is over
    out[out.length - 1]!.diag.push(line.trim());
  }
  return out.map((e) => entry(e.recipient, action, e.diag.join(' ')));
}

function exim(text: string): TextBounce | undefined {
  if (!/This message was created automatically by mail delivery software/i.test(text)) return undefined;
  // 1&1/IONOS wrap "The following address(es)" and "failed:" onto two lines.
  const failed = /could not be delivered to one or more of\s+its\s+recipients[\s\S]*?(?:address(?:\(es\)|es)?\s+failed|failed\s+addresses?)\s*:?[ \t]*\n/i.exec(text);
  if (failed) {
    return { format: 'exim', recipients: indentedEntries(text.slice(failed.index + failed[0].length), 'failed') };
  }
  const delayed = /has not yet been delivered to one or more of its\s+recipients[\s\S]*?(?:not yet been delivered (?:is|are)|delayed addresses?)\s*:?[ \t]*\n/i.exec(text);
  if (delayed) {
    return { format: 'exim', recipients: indentedEntries(text.slice(delayed.index + delayed[0].length), 'delayed') };
  }
  return undefined;
}

// --- Postfix (human-readable part) ---------------------------------------------------------
// "<addr>: host mx[192.0.2.1] said: 550 5.1.1 … (in reply to RCPT TO command)" with folding.
function postfix(text: string): TextBounce | undefined {
  if (!/This is the mail system at host/i.test(text)) return undefined;
  const action = /THIS IS A WARNING ONLY/i.test(text) ? 'delayed' : 'failed';
  const recipients: TextRecipient[] = [];
  const re = new RegExp(`^<(${ADDR})>(?: \\(expanded from <[^>]*>\\))?:[ \\t]*((?:.*)(?:\\n[ \\t]+\\S.*)*)`, 'gim');
  for (const m of text.matchAll(re)) recipients.push(entry(m[1]!, action, m[2]));
  return { format: 'postfix', recipients };
}

// --- Exchange / Microsoft 365 ----------------------------------------------------------------
function exchange(text: string): TextBounce | undefined {
  if (!/Delivery has failed to these recipients or groups|Your message (?:to .* )?couldn't be delivered|Diagnostic information for administrators/i.test(text)) return undefined;
  const recipients: TextRecipient[] = [];
  const lines = text.split('\n');
  let current: string | undefined;
  for (const line of lines) {
    const bare = EXCHANGE_BARE_ADDRESS.exec(line);
    if (bare) {
      current = bare[1];
      continue;
    }
    const remote = /Remote Server returned '([^']*)'/i.exec(line) ?? /#(\d{3}[ -][245]\.\d{1,3}\.\d{1,3}[^#]*)##/.exec(line) ?? /<[^>#]*#([245]\.\d{1,3}\.\d{1,3} [^>]*)>/.exec(line);
    if (remote && current && !recipients.some((r) => r.recipient === current)) {
      recipients.push(entry(current, 'failed', remote[1]));
    }
  }
  if (recipients.length === 0) {
    // No administrators' section: the addresses listed right under the heading.
    const head = /Delivery has failed to these recipients or groups:?\s*\n([\s\S]*?)(?:\n\s*\n\s*\n|Diagnostic information|$)/i.exec(text);
    if (head) {
      const block = head[1]!;
      const addr = ADDR_RE.exec(block);
      if (addr) recipients.push(entry(addr[0], 'failed', block.slice(addr.index + addr[0].length).replace(/<mailto:[^>]*>/g, '')));
    }
  }
  return { format: 'exchange', recipients };
}

// --- Gmail ---------------------------------------------------------------------------------
function gmail(text: string): TextBounce | undefined {
  // The reply sits on the next line, or (older Gmail) on the same line as the lead-in.
  const response =
    collapse(/The (?:response|error) (?:from the remote server )?(?:was|that the other server returned was):?[ \t]*\n?([\s\S]*?)(?:\n[ \t]*\n|$)/i.exec(text)?.[1] ?? '') ??
    collapse(/Technical details of (?:permanent|temporary) failure:?[ \t]*\n?([\s\S]*?)(?:\n[ \t]*\n|$)/i.exec(text)?.[1] ?? '');
  const delay = new RegExp(`(?:temporary problem delivering your message to|Delivery to the following recipients? has been delayed:\\s*)\\s*<?(${ADDR})`, 'i').exec(text);
  if (delay) return { format: 'gmail', recipients: [entry(delay[1]!, 'delayed', response)] };
  const failed =
    new RegExp(`(?:wasn't|was not|couldn't be|could not be|hasn't been|has not been) delivered to\\s+<?(${ADDR})`, 'i').exec(text) ??
    new RegExp(`Delivery to the following recipients? failed(?: permanently)?:\\s*<?(${ADDR})`, 'i').exec(text);
  if (!failed) return undefined;
  if (!/gmail|google|\*\* ?(?:Address not found|Message not delivered|Message blocked)/i.test(text) && !response) return undefined;
  // Without a reply from the remote server, Gmail's headline says what happened.
  const headline = /\*\*\s*([^*\n]+?)\s*\*\*/.exec(text)?.[1];
  const diagnostic = response ?? headline;
  return { format: 'gmail', recipients: [entry(failed[1]!, 'failed', diagnostic)] };
}

const RECOGNISERS: ((text: string) => TextBounce | undefined)[] = [qmail, exim, postfix, exchange, gmail];

// A bounce's own words and its list of failed addresses come first; what follows is the copy of
// the message. Recognisers read this much of the text and no more.
const TEXT_SCAN_CAP = 256 * 1024;

/** The first prose format the text matches with at least one recipient, or undefined. */
export function parseTextBounce(text: string): TextBounce | undefined {
  const t = normaliseNewlines(text.slice(0, TEXT_SCAN_CAP));
  for (const recognise of RECOGNISERS) {
    const found = recognise(t);
    if (found && found.recipients.length > 0) return found;
  }
  return undefined;
}

// --- Any other bounce ------------------------------------------------------------------------
// DragonFly, V5 Sendmail, IMail, Zoho, GMX, Notes, OpenSMTPD and dozens more each word it their
// own way, but all name the failed address in the text before the copy of the message and put
// the server's reply near it. Called only for messages already known to be bounces.

// Where the bounce's own words end and the copy of the original starts.
const ORIGINAL_STARTS = [
  /^-+ ?(?:This is a copy of|Below this line|Original message|Original Message|Forwarded message|Undelivered message|Returned message|The original message|Message headers|Headers of|Copy of)/im,
  /^(?:Message headers follow|Original message headers|The original message headers|Original message follows|Below this line is a copy)/im,
  /^(?:Received|Return-Path|DKIM-Signature|X-Received): /im,
];
// How much of the text a recogniser looks at: the bounce's own words are short.
const GENERIC_SCAN_CAP = 32 * 1024;
const NEAR_CHARS = 700;
const HELP_MAILBOX = /^(?:postmaster|mailer-daemon|abuse|hostmaster|support|help|noc|admin|root)@/;
const ADDR_G = new RegExp(`"[^"\\n]{1,64}"@[a-z0-9-]{1,63}(?:\\.[a-z0-9-]{1,63})+|${ADDR}`, 'gi');

/**
 * The server's reply near a mention of an address (at = its index in `words`): the first line
 * with a reply or enhanced code after it, with its continuation lines; else the text around it.
 */
function replyNear(words: string, at: number | undefined): string {
  const lineStart = at === undefined ? 0 : words.lastIndexOf('\n', at) + 1;
  const window = words.slice(lineStart, (at ?? 0) + NEAR_CHARS * (at === undefined ? 2 : 1));
  const reply = /(?:^|[\s:(])([245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\b)?.*(?:\n[ \t]+\S.*)*)/m.exec(window)?.[1] ?? /[245]\.\d{1,3}\.\d{1,3}\b.*/.exec(window)?.[0];
  if (reply) return reply;
  // No code after it: Notes and others write the reason on the line above the address.
  const above = lineStart > 1 ? words.slice(words.lastIndexOf('\n', lineStart - 2) + 1, lineStart) : '';
  return above.trim() !== '' ? `${above}${window}` : window;
}

/** A bounce's own words, prepared once for many diagnosticNear look-ups. */
export interface Prose {
  words: string;
  lower: string;
}

export function prose(text: string): Prose {
  const words = ownWords(text);
  return { words, lower: words.toLowerCase() };
}

/** What a bounce's own words say next to `address` (for a DSN whose block has no Diagnostic-Code). */
export function diagnosticNear(p: Prose, address: string): string | undefined {
  const at = p.lower.indexOf(address.toLowerCase());
  return at === -1 ? undefined : collapse(replyNear(p.words, at));
}

/** The bounce's own text: up to where it starts quoting the original message. */
export function ownWords(text: string): string {
  const t = normaliseNewlines(text).slice(0, GENERIC_SCAN_CAP);
  let end = t.length;
  for (const re of ORIGINAL_STARTS) {
    const m = re.exec(t);
    if (m && m.index > 0 && m.index < end) end = m.index;
  }
  return t.slice(0, end);
}

/**
 * The failed addresses a bounce names in its own words (skipping `exclude`, our own addresses),
 * each with the text right after its first mention as its diagnostic. `hints` (X-Failed-Recipients,
 * the quoted original's To) come first when the text names them.
 */
export function genericBounce(text: string, exclude: Set<string>, hints: string[], reportingDomain?: string): TextBounce | undefined {
  const words = ownWords(text);
  const found = new Map<string, number>();
  for (const m of words.matchAll(ADDR_G)) {
    const addr = m[0].replace(/\.$/, '');
    const key = addr.toLowerCase();
    if (exclude.has(key) || found.has(key)) continue;
    // "contact <postmaster@the reporting host>": the reporting host's own addresses are help, not failures.
    if (reportingDomain && key.endsWith(`@${reportingDomain}`) && HELP_MAILBOX.test(key)) continue;
    found.set(key, m.index);
  }
  const recipients: TextRecipient[] = [];
  const delayed = /(?:will (?:retry|keep trying|continue)|not yet been delivered|delayed|warning only|still trying)/i.test(words) && !/(?:permanent|fatal|gave up|giving up|could not be delivered)/i.test(words);
  const diagnosticAround = (at: number | undefined): string | undefined => replyNear(words, at);
  const ordered = [...hints.map((h) => h.toLowerCase()).filter((h) => !exclude.has(h)), ...found.keys()];
  const seen = new Set<string>();
  for (const key of ordered) {
    if (seen.has(key)) continue;
    seen.add(key);
    const at = found.get(key);
    if (at === undefined && !hints.some((h) => h.toLowerCase() === key)) continue;
    const original = at !== undefined ? words.slice(at, at + key.length) : hints.find((h) => h.toLowerCase() === key)!;
    const r = entry(original.replace(/\.$/, ''), delayed ? 'delayed' : 'failed', diagnosticAround(at));
    recipients.push(r);
  }
  return recipients.length > 0 ? { format: 'unknown', recipients } : undefined;
}
