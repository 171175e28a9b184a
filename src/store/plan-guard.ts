import type { AudienceEntry, CampaignStatus, DeliveryStatus } from './types.js';

/** Campaigns that may still send: their pending recipients count as about to be reached. */
export const STILL_SENDING: readonly CampaignStatus[] = ['planning', 'draft', 'scheduled', 'sending', 'paused'];

/** Deliveries that reached (or may have reached) their recipient, whatever the campaign's status. */
export const REACHED: readonly DeliveryStatus[] = ['sending', 'sent', 'unknown'];

/**
 * The delivery statuses of another campaign of the same release that make a recipient off limits
 * for a new one: anything reached, plus, while that campaign may still send, anything waiting.
 */
export function conflictingStatuses(other: CampaignStatus): readonly DeliveryStatus[] {
  return STILL_SENDING.includes(other) ? [...REACHED, 'pending', 'deferred'] : REACHED;
}

/** Campaign statuses whose deliveries a sender may claim: never one still being planned. */
export const CLAIMABLE: readonly CampaignStatus[] = ['draft', 'scheduled', 'sending', 'paused'];
/** CLAIMABLE as an SQL list, for both engines' claim statements. */
export const CLAIMABLE_SQL = CLAIMABLE.map((s) => `'${s}'`).join(', ');

/** Rows of (key, campaign_id, campaign_status, status) → one entry per key; a reached one wins. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- driver rows
export function audienceOf(rows: Record<string, any>[]): Map<string, AudienceEntry> {
  const audience = new Map<string, AudienceEntry>();
  for (const r of rows) {
    const reached = REACHED.includes(r.status);
    if (audience.get(r.key)?.reached) continue;
    audience.set(r.key, { campaignId: r.campaign_id, status: r.campaign_status, reached });
  }
  return audience;
}
