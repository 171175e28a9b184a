/** Where one recipient stands. `unknown`: in flight at a crash; the server may or may not have it. */
export type DeliveryStatus =
  | 'pending'
  | 'sending'
  | 'sent'
  | 'deferred'
  | 'bounced'
  | 'blocked'
  | 'failed'
  | 'suppressed'
  | 'skipped'
  | 'unknown';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending', 'sending', 'sent', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown',
];

/** Statuses from which nothing more will be sent without an explicit decision. */
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['sent', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown'];

/**
 * `planning`: the campaign row exists but not all its deliveries are stored yet; invisible to
 * workers and senders until it becomes `draft` (sent from a terminal) or `scheduled`.
 * Only src/campaigns/lifecycle.ts changes a campaign's status (see its transition table).
 */
export type CampaignStatus = 'planning' | 'draft' | 'scheduled' | 'sending' | 'paused' | 'done' | 'cancelled' | 'missed';

/**
 * What paused a campaign, which says who may resume it. `relay`: the relay failed under a worker,
 * and workers probe it and resume the campaign when it answers. `relay-held`: the relay failed
 * under an interactive send (or with `breaker.autoResume` off), or refused most messages for
 * good (which a probe cannot tell is fixed): a person resumes it. `sender`: a receiving server
 * refused OUR sender (domain, SPF/DKIM, IP). The others (refused credentials, an operator,
 * Ctrl-C, a failed store write) always wait for a person.
 */
export type PauseKind = 'relay' | 'relay-held' | 'credentials' | 'operator' | 'interrupted' | 'store' | 'sender';

/** A single send, or one of the two phases of an embargoed release. */
export type CampaignPhase = 'single' | 'embargoed' | 'public';

/**
 * What a log line and an event row record: a lifecycle step of one delivery (or of the campaign).
 * Every delivery status is one, plus the steps that leave the status alone.
 */
export type EventType = 'planned' | Exclude<DeliveryStatus, 'pending'> | 'complained' | 'delayed' | 'unsubscribed' | 'campaign';

export type StatusCounts = Record<DeliveryStatus, number>;

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as StatusCounts;
}
