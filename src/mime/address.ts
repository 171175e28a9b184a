/**
 * Mailboxes in address headers (From, Sender, To, Reply-To), written as nodemailer writes them:
 * display names bare, quoted or as encoded-words; domains IDNA-encoded (A-labels) unless the
 * local part is non-ASCII (SMTPUTF8: the domain then stays Unicode, also as nodemailer).
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { encodedWords, fold, FOLD_AT, hasUnfoldableRun, headerSafe } from './header.js';

/** A mailbox: display name optional. The one address type of pressline (config, releases, messages). */
export interface Address {
  name?: string | undefined;
  address: string;
}

/** `Name: display <address>` (or the bare address), folded; controls out of both parts. */
export function addressHeader(name: string, a: Address): string {
  const address = normalizeAddress(a.address);
  const display = a.name ? headerSafe(a.name) : '';
  if (!display) return fold(name, [PLAIN_ADDRESS.test(address) ? address : `<${address}>`]);
  return fold(name, [...phrase(display, FOLD_AT - name.length - 2), `<${address}>`]);
}

/**
 * A display name as nodemailer writes it: letters, digits, "_" and spaces bare; other printable
 * ASCII as a quoted-string; anything else (or "=?") as encoded-words.
 */
function phrase(name: string, firstMax: number): string[] {
  // A word longer than a folded line cannot be folded (a 5,000-letter first name made a 5,005-character
  // To: line): such a name goes as encoded-words, which fold anywhere.
  if (/^[\w ]*$/.test(name) && !hasUnfoldableRun(name)) return name.split(' ');
  const quoted = `"${name.replace(/["\\]/g, '\\$&')}"`;
  if (/^[\x20-\x7e]*$/.test(name) && !name.includes('=?') && quoted.length < FOLD_AT) return [quoted];
  return encodedWords(name, firstMax);
}

// RFC 5321 atext plus the non-ASCII SMTPUTF8 adds; a local part of these with "." between is a dot-atom.
const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\x80-\\uFFFF]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const QUOTED_STRING = /^"(?:[^"\\]|\\[\s\S])*"$/;
/** An address with no special anywhere may stand bare; any other goes in angle brackets. */
const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+$/;

/**
 * As nodemailer's _normalizeAddress: controls and angle brackets out, the domain as A-labels
 * (punycode) when the local part is ASCII, as U-labels when it is not (the address needs
 * SMTPUTF8 anyway), a local part that is neither dot-atom nor quoted-string quoted.
 */
export function normalizeAddress(raw: string): string {
  const address = raw.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029<>]+/g, ' ').trim();
  const at = address.lastIndexOf('@');
  if (at < 0) return localPart(address);
  const user = address.slice(0, at);
  const domain = address.slice(at + 1);
  let host = domain;
  if (!domain.startsWith('[')) {
    const ascii = domainToASCII(domain);
    if (ascii) host = /[\x80-\uffff]/.test(user) ? domainToUnicode(ascii) || ascii : ascii;
  }
  return `${localPart(user)}@${host}`;
}

function localPart(user: string): string {
  if (DOT_ATOM.test(user) || QUOTED_STRING.test(user)) return user;
  return `"${user.replace(/["\\]/g, '\\$&')}"`;
}
