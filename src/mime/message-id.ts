/**
 * pressline's Message-IDs: unguessable, so a report quoting one proves it saw our message, and
 * never repeated across stores (a receiver may drop a message whose Message-ID it has seen).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Digest characters of a Message-ID: 96 bits, so one cannot be guessed from what a message shows. */
const MESSAGE_ID_DIGEST = 24;

/**
 * `<pressline.<instance>.<campaign>.<digest>@<from domain>>`. The digest is an HMAC of store,
 * campaign and recipient under PRESSLINE_SECRET, so a report quoting it proves it saw our message
 * (the campaign and address are in plain sight; the secret is not); without a secret it is random,
 * which is as unguessable. The instance keeps two stores (same secret, campaign numbers starting
 * at 1 again) from ever repeating one (a receiver may drop a message whose Message-ID it has seen).
 * Assigned when the campaign is planned (see persistPlan) and stored, so a retry carries the same
 * one and the send-time mark leaves the Message-ID index alone.
 */
export function messageIdFor(store: { instance: string; secret: string | undefined }, campaignId: number, key: string, fromAddress: string): string {
  const domain = fromAddress.split('@').pop() ?? 'pressline.invalid';
  const digest = store.secret
    ? createHmac('sha256', store.secret).update(`message-id:${store.instance}:${campaignId}:${key}`).digest('hex').slice(0, MESSAGE_ID_DIGEST)
    : randomBytes(MESSAGE_ID_DIGEST / 2).toString('hex');
  return `<pressline.${store.instance}.${campaignId}.${digest}@${domain}>`;
}

/**
 * Whether a Message-ID has the form this store gives out. Older ones (`<pressline.<campaign>.<sha256
 * of campaign and address>@…>`) can be computed by anyone, so quoting one proves nothing.
 */
export function isUnguessableMessageId(messageId: string, instance: string): boolean {
  return new RegExp(`^<?pressline\\.${instance}\\.\\d+\\.[0-9a-f]{${MESSAGE_ID_DIGEST}}@[^@>\\s]+>?$`, 'i').test(messageId.trim());
}
