/**
 * Tokens in the addresses a report was sent to: the VERP token of the delivery it is about
 * (`<local>+<token>@<bounce domain>`) and the token of a request sent to the tokenised
 * unsubscribe mailto. Found only; the caller verifies them.
 */
import type { FieldBlock } from './dsn-fields.js';

/** Whose addresses carry tokens; without them any local part and domain will do. */
export interface TokenAddress {
  verpLocalPart?: string | undefined;
  bounceDomain?: string | undefined;
}

// `<store>-<campaign>-<delivery>-<hmac>`; the old form without the store is still found, so it is refused with its reason.
const TOKEN = '(?:[0-9a-f]{12}-)?[0-9a-z]{1,12}-[0-9a-z]{1,12}-[0-9a-f]{16}';

function tokenPattern(options: TokenAddress): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const local = options.verpLocalPart ? esc(options.verpLocalPart) : '[^\\s<>@"+,;:]+';
  const domain = options.bounceDomain ? esc(options.bounceDomain) : '[a-z0-9.-]+';
  return new RegExp(`(?:^|[\\s<"';:,])${local}\\+(${TOKEN})@${domain}(?=$|[\\s>"';,])`, 'i');
}

export function findVerpIn(values: (string | undefined)[], options: TokenAddress): string | undefined {
  const re = tokenPattern(options);
  for (const v of values) {
    const m = v ? re.exec(v.trim()) : null;
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

/** The VERP token from the envelope headers, the original's Return-Path, then the report's To. */
export function findVerpToken(headers: FieldBlock, original: FieldBlock, options: TokenAddress): string | undefined {
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
export function findUnsubscribeToken(headers: FieldBlock, mailto: string | undefined): string | undefined {
  const at = mailto?.lastIndexOf('@') ?? -1;
  if (!mailto || at < 1) return undefined;
  const values = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'to'].flatMap((h) => headers.all(h));
  return findVerpIn(values, { verpLocalPart: mailto.slice(0, at), bounceDomain: mailto.slice(at + 1) });
}
