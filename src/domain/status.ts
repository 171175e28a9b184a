/** Where one recipient stands. `unknown`: in flight at a crash; the server may or may not have it. */
// Each stored union is written once, as a list, and its type derived from the list: the store's
// CHECK constraints copy these lists, and test/store/check-constraints.test.ts compares the two.
export const DELIVERY_STATUSES = [
  'pending', 'sending', 'sent', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Statuses from which nothing more will be sent without an explicit decision. */
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['sent', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown'];

/**
 * `planning`: the campaign row exists but not all its deliveries are stored yet; invisible to
 * workers and senders until it becomes `draft` (sent from a terminal) or `scheduled`.
 * Only src/campaigns/lifecycle.ts changes a campaign's status (see its transition table).
 */
export const CAMPAIGN_STATUSES = ['planning', 'draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled', 'missed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * What paused a campaign, which says who may resume it. `relay`: the relay failed under a worker,
 * and workers probe it and resume the campaign when it answers. `relay-held`: the relay failed
 * under an interactive send (or with `breaker.autoResume` off), or refused most messages for
 * good (which a probe cannot tell is fixed): a person resumes it. `sender`: a receiving server
 * refused OUR sender (domain, SPF/DKIM, IP). The others (refused credentials, an operator,
 * Ctrl-C, a failed store write) always wait for a person.
 */
export const PAUSE_KINDS = ['relay', 'relay-held', 'credentials', 'operator', 'interrupted', 'store', 'sender'] as const;
export type PauseKind = (typeof PAUSE_KINDS)[number];

/** A single send, or one of the two phases of an embargoed release. */
export const CAMPAIGN_PHASES = ['single', 'embargoed', 'public'] as const;
export type CampaignPhase = (typeof CAMPAIGN_PHASES)[number];

/**
 * What a log line and an event row record: a lifecycle step of one delivery (or of the campaign).
 * Every delivery status is one, plus the steps that leave the status alone.
 */
export const EVENT_TYPES = [
  'planned', ...DELIVERY_STATUSES.filter((s): s is Exclude<DeliveryStatus, 'pending'> => s !== 'pending'), 'complained', 'delayed', 'unsubscribed', 'campaign',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why an address is suppressed. */
export const SUPPRESSION_REASONS = ['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** What a suppression-log row records. */
export const SUPPRESSION_ACTIONS = ['add', 'remove'] as const;
export type SuppressionAction = (typeof SUPPRESSION_ACTIONS)[number];

export type StatusCounts = Record<DeliveryStatus, number>;

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

/** An open (the pixel fetched) or a click (a tracked link followed). */
export const ENGAGEMENT_KINDS = ['open', 'click'] as const;
export type EngagementKind = (typeof ENGAGEMENT_KINDS)[number];
