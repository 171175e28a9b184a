import type { CampaignStatus, DeliveryStatus } from './status.js';

// Rules about who was reached and who may still be, shared by planning (campaigns/) and the
// store's SQL (which filters by them). A leaf: it imports nothing but the status vocabulary.

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

/**
 * The embargoed phase's delivery statuses that mean it reached, or tried to reach, a recipient:
 * the public phase then leaves that recipient out.
 */
export const EMBARGO_TRIED: readonly DeliveryStatus[] = ['sending', 'sent', 'unknown', 'bounced', 'blocked', 'failed', 'deferred'];
