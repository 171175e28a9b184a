import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token may be used for; part of the signed text, so one kind never passes as another. */
export type TokenPurpose = 'unsubscribe' | 'verp';

export interface DeliveryRef {
  campaignId: number;
  deliveryId: number;
}

const SIG_CHARS = 16; // 64 bits of HMAC-SHA256 in hex: forging one takes ~2^63 guesses.

function sign(secret: string, purpose: TokenPurpose, body: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${body}`).digest('hex').slice(0, SIG_CHARS);
}

/**
 * `<campaign>-<delivery>-<hmac>` in lower-case base 36 and hex: safe in a URL path and in an
 * address local part (VERP), which some relays lower-case.
 */
export function makeToken(secret: string, purpose: TokenPurpose, ref: DeliveryRef): string {
  const body = `${ref.campaignId.toString(36)}-${ref.deliveryId.toString(36)}`;
  return `${body}-${sign(secret, purpose, body)}`;
}

/** The delivery a token names, or undefined when it is malformed or its signature is wrong. */
export function readToken(secret: string, purpose: TokenPurpose, token: string): DeliveryRef | undefined {
  const m = /^([0-9a-z]{1,12})-([0-9a-z]{1,12})-([0-9a-f]{16})$/.exec(token.trim().toLowerCase());
  if (!m) return undefined;
  const body = `${m[1]}-${m[2]}`;
  const expected = Buffer.from(sign(secret, purpose, body));
  const given = Buffer.from(m[3]!);
  if (!timingSafeEqual(expected, given)) return undefined;
  return { campaignId: parseInt(m[1]!, 36), deliveryId: parseInt(m[2]!, 36) };
}
