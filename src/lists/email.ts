import { domainToASCII } from 'node:url';
import { INVISIBLE, UNSAFE, removeInvisible, showValue } from './text.js';

/** A checked address: the trimmed address as written, its dedupe key and ASCII domain. */
export interface EmailOk {
  ok: true;
  email: string;
  key: string;
  domain: string;
}
export interface EmailBad {
  ok: false;
  reason: string;
}
export type EmailResult = EmailOk | EmailBad;

// RFC 5322 dot-atom: atext runs separated by single dots (no quoted local parts, no comments).
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+)*$/;
// An ASCII host name with at least two labels; the top-level label is letters or an IDN (xn--).
const ASCII_DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const NON_ASCII = /[^\x00-\x7f]/;
// The common case in one test: dot-atom "@" an ASCII host name. Anything else (IDN, mistakes) takes
// the slow path below, which also explains what is wrong.
const ATEXT = "[A-Za-z0-9!#$%&'*+\\/=?^_`{|}~-]";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const FAST = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*@(?:${LABEL}\\.)+(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})$`);

const MAX_CACHE = 50_000;
/** Domain as written → ASCII lower-case domain, or "" when it is not a usable domain. Lists repeat domains a lot. */
const domainCache = new Map<string, string>();

function asciiDomain(domain: string): string {
  let ascii = domainCache.get(domain);
  if (ascii !== undefined) return ascii;
  ascii = NON_ASCII.test(domain) ? domainToASCII(domain) : domain.toLowerCase();
  if (!ASCII_DOMAIN.test(ascii)) ascii = '';
  if (domainCache.size >= MAX_CACHE) domainCache.clear();
  domainCache.set(domain, ascii);
  return ascii;
}

function bad(reason: string, value: string): EmailBad {
  return { ok: false, reason: `invalid email ${showValue(value)}: ${reason}` };
}

/**
 * Checks one address (already trimmed by the caller or not; surrounding whitespace and any zero-width
 * or bidi control characters are ignored).
 * Accepts dot-atom local parts and internationalised domains; the key lower-cases the local part and
 * uses the punycode domain, so "Anna@Bücher.example" and "anna@xn--bcher-kva.example" collide.
 */
export function checkEmail(raw: string): EmailResult {
  const email = raw.trim();
  if (FAST.test(email)) {
    const at = email.indexOf('@');
    if (at <= 64 && email.length <= 254) {
      // The lower-cased address is the key: one flat string, which matters because the dedupe map
      // holds every key of a million-row list.
      const key = email.toLowerCase();
      return { ok: true, email, key, domain: key.slice(at + 1) };
    }
  }
  // Zero-width and bidi characters are invisible in a spreadsheet and never part of an address: drop
  // them before validation and dedupe, so "anna@example.com<U+200B>" is anna@example.com.
  if (INVISIBLE.test(email)) return checkEmail(removeInvisible(email));
  if (email === '') return { ok: false, reason: 'missing email' };
  if (UNSAFE.test(email)) return bad('contains a control character', email);
  const at = email.lastIndexOf('@');
  if (at === -1) return bad('no "@"', email);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local === '') return bad('nothing before "@"', email);
  if (domain === '') return bad('nothing after "@"', email);
  if (!DOT_ATOM.test(local)) {
    if (local.includes('@')) return bad('more than one "@"', email);
    if (/\s/.test(local)) return bad('contains a space', email);
    if (NON_ASCII.test(local)) return bad('non-ASCII characters before "@" are not supported', email);
    if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
      return bad('a dot may not start or end the part before "@" or be doubled', email);
    }
    return bad('characters not allowed before "@"', email);
  }
  if (local.length > 64) return bad('more than 64 characters before "@"', email);
  if (email.length > 254) return bad('longer than 254 characters', email);
  const ascii = asciiDomain(domain);
  if (ascii === '') return bad(`${showValue(domain)} is not a valid domain`, email);
  // IDN domains need the punycode form spliced in.
  const key = NON_ASCII.test(domain) ? `${local.toLowerCase()}@${ascii}` : email.toLowerCase();
  return { ok: true, email, key, domain: ascii };
}
