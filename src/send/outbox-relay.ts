import type { DeliveryStatus, StatusCounts } from '../store/types.js';

/**
 * How a delivery written to the outbox folder is told from one a relay accepted. Both end as
 * `sent` (a new status would ripple through both stores' CHECKs and the lifecycle); the relay the
 * delivery records says which it was. The outbox records "outbox <dir>"; a relay from config
 * records "<name> smtp://host:port", so even a relay named "outbox" is never taken for it.
 */

/** What people read instead of "sent" when nothing left the machine. */
export const WRITTEN_TO_OUTBOX = 'written to outbox';

/** The relay name the outbox transport records on each delivery it writes. */
export function outboxRelayName(dir: string): string {
  return `outbox ${dir}`;
}

export function isOutboxRelay(relay: string | undefined): boolean {
  return relay !== undefined && relay.startsWith('outbox ') && !/^outbox smtps?:\/\//.test(relay);
}

// The same test as an SQL condition: OUTBOX_RELAY_SQL in src/store/outbox-relay-sql.ts.

/** A delivery's status as people read it: `sent` into the outbox is "written to outbox". */
export function statusWord(status: string, relay: string | undefined): string {
  return status === 'sent' && isOutboxRelay(relay) ? WRITTEN_TO_OUTBOX : status;
}

/** Status counts with `sent` split: `sent` only what a relay accepted, `outbox` what was written to the folder. */
export type ShownCounts = Record<DeliveryStatus | 'outbox', number>;

export function splitSent(counts: StatusCounts, outbox: number): ShownCounts {
  const shown = {} as ShownCounts;
  // Insertion order is display order: the outbox right after `sent`.
  for (const [status, n] of Object.entries(counts) as [DeliveryStatus, number][]) {
    shown[status] = status === 'sent' ? n - outbox : n;
    if (status === 'sent') shown.outbox = outbox;
  }
  return shown;
}

/** The words for one entry of ShownCounts. */
export function countLabel(key: string): string {
  return key === 'outbox' ? WRITTEN_TO_OUTBOX : key;
}

/** Domains kept for examples and tests (RFC 2606, RFC 6761): mail from them is never meant to go out. */
function isExampleDomain(domain: string): boolean {
  return /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost|local)$/i.test(domain);
}

/**
 * A warning when the config looks meant for real sending (a From address on a real domain) while
 * no relay is set, so everything would only be written to the outbox folder; undefined otherwise.
 */
export function realSenderWithoutRelay(fromAddress: string | undefined): string | undefined {
  const domain = fromAddress?.split('@').pop()?.trim() ?? '';
  if (!domain || isExampleDomain(domain)) return undefined;
  return `From ${fromAddress} looks meant for real sending, but no SMTP_URL is set: the messages are only written to the outbox folder and nobody receives them; set SMTP_URL (in .env) to send through your relay`;
}
