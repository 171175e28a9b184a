import type { CampaignStatus, DeliveryStatus } from './types.js';

/** Campaigns that may still send: their pending recipients count as about to be reached. */
const STILL_SENDING: readonly CampaignStatus[] = ['planning', 'draft', 'scheduled', 'sending', 'paused'];

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
