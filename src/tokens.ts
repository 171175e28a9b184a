import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token may be used for; part of the signed text, so one kind never passes as another. */
export type TokenPurpose = 'unsubscribe' | 'verp' | 'open' | 'click';

/** The delivery a token names: the store it was made in, its campaign and delivery numbers. */
export interface TokenRef {
  instance: string;
  campaignId: number;
  deliveryId: number;
}

/** What a token must be checked against: the named delivery as this store has it. */
export interface TokenTarget {
  campaignId: number;
  /** The delivery's address key: bound into the signature, so a token names one address only. */
  key: string;
}

/** Why a token proves nothing (for notes and logs; pages show one answer). */
export type TokenRefusal = 'malformed' | 'old-format' | 'other-store' | 'no-delivery' | 'signature';

export const TOKEN_REFUSALS: Record<TokenRefusal, string> = {
  malformed: 'token malformed',
  // Made before store identity: it binds neither a store nor an address, so a store that was
  // reset (or another install with the same secret) would take it for one of its own deliveries.
  'old-format': 'token of the old form (no store id, no address): cannot prove its recipient',
  'other-store': 'token made by another store (a reset or another install)',
  'no-delivery': 'token names no delivery',
  signature: 'token failed its signature check (forged or mangled)',
};

const SIG_CHARS = 16; // 64 bits of HMAC-SHA256 in hex: forging one takes ~2^63 guesses.
const INSTANCE = /^[0-9a-f]{12}$/;

/** Text a token or Message-ID is signed over: purpose, store, numbers, and the address key last. */
function sign(secret: string, purpose: TokenPurpose, ref: TokenRef, key: string): string {
  const body = `${purpose}:${ref.instance}:${ref.campaignId.toString(36)}:${ref.deliveryId.toString(36)}:${key}`;
  return createHmac('sha256', secret).update(body).digest('hex').slice(0, SIG_CHARS);
}

/**
 * `<instance>-<campaign>-<delivery>-<hmac>` in lower-case hex and base 36: safe in a URL path and
 * in an address local part (VERP, the tokenised unsubscribe mailto), which some relays lower-case.
 * The recipient's address key is signed but not carried: the check looks it up.
 */
export function makeToken(secret: string, purpose: TokenPurpose, ref: TokenRef, key: string): string {
  if (!INSTANCE.test(ref.instance)) throw new Error(`store instance id "${ref.instance}" is not 12 hex digits`);
  return `${ref.instance}-${ref.campaignId.toString(36)}-${ref.deliveryId.toString(36)}-${sign(secret, purpose, ref, key)}`;
}

const CURRENT = /^([0-9a-f]{12})-([0-9a-z]{1,12})-([0-9a-z]{1,12})-([0-9a-f]{16})$/;
const OLD = /^[0-9a-z]{1,12}-[0-9a-z]{1,12}-[0-9a-f]{16}$/;

/** What a token claims, unverified: its store and delivery, or why it cannot be read. */
export function readToken(token: string): { ref: TokenRef; sig: string } | { refused: 'malformed' | 'old-format' } {
  const t = token.trim().toLowerCase();
  const m = CURRENT.exec(t);
  if (!m) return { refused: OLD.test(t) ? 'old-format' : 'malformed' };
  return { ref: { instance: m[1]!, campaignId: parseInt(m[2]!, 36), deliveryId: parseInt(m[3]!, 36) }, sig: m[4]! };
}

/**
 * The delivery a token proves, checked in this order: well-formed, made by this store, names a
 * delivery of the campaign it says, and signed for that delivery's address. `find` looks the
 * delivery up in this store. Old-format tokens are refused (see TOKEN_REFUSALS).
 */
export async function checkToken<D extends TokenTarget>(
  secret: string,
  purpose: TokenPurpose,
  token: string,
  instance: string,
  find: (deliveryId: number) => Promise<D | undefined>,
): Promise<{ delivery: D; ref: TokenRef; canonical: string } | { refused: TokenRefusal }> {
  if (token.length > 80) return { refused: 'malformed' };
  const read = readToken(token);
  if ('refused' in read) return read;
  if (read.ref.instance !== instance) return { refused: 'other-store' };
  const delivery = await find(read.ref.deliveryId);
  if (!delivery || delivery.campaignId !== read.ref.campaignId) return { refused: 'no-delivery' };
  const expected = Buffer.from(sign(secret, purpose, read.ref, delivery.key));
  if (!timingSafeEqual(expected, Buffer.from(read.sig))) return { refused: 'signature' };
  // The canonical spelling, so a re-cased copy of the token is the same report.
  return { delivery, ref: read.ref, canonical: makeToken(secret, purpose, read.ref, delivery.key) };
}

/**
 * The signature of a click link's target: HMAC over the purpose, the link's token and the exact
 * target text, so a link's `u=` cannot be swapped for another address (no open redirect) and a
 * target signed for one delivery does not pass under another's token.
 */
export function signClickTarget(secret: string, token: string, target: string): string {
  return createHmac('sha256', secret).update(`click-target:${token}:${target}`).digest('hex').slice(0, SIG_CHARS);
}

/** True when `sig` is the signature of `target` under `token` (constant-time). */
export function clickTargetMatches(secret: string, token: string, target: string, sig: string): boolean {
  const expected = Buffer.from(signClickTarget(secret, token, target));
  const given = Buffer.from(sig.toLowerCase());
  return given.length === expected.length && timingSafeEqual(expected, given);
}
