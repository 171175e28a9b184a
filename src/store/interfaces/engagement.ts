import type { EngagementKind } from '../../domain/status.js';

/** One recorded open or click. No IP address is kept: only who it seemed to be and why. */
export interface EngagementEvent {
  campaignId: number;
  deliveryId: number;
  kind: EngagementKind;
  at: Date;
  /** A reader's (true) or a machine's acting for the mailbox: a proxy, a scanner (false). */
  human: boolean;
  /** The classifier's reason (src/engagement/classify.ts EngagementReason). */
  reason: string;
  /** Truncated user agent (at most 200 characters). */
  userAgent: string;
  /** The clicked target (clicks only). */
  url: string | undefined;
}

/** Counts and human times of one delivery or one campaign (machine events counted apart, never in the times). */
export interface EngagementTotals {
  opensHuman: number;
  opensMachine: number;
  clicksHuman: number;
  clicksMachine: number;
  firstOpenAt: Date | undefined;
  lastOpenAt: Date | undefined;
  firstClickAt: Date | undefined;
  lastClickAt: Date | undefined;
}

/** A campaign's totals, with how many recipients a reader opened or clicked for. */
export interface CampaignEngagement extends EngagementTotals {
  /** Recipients with at least one human open. */
  opened: number;
  /** Recipients with at least one human click. */
  clicked: number;
  /** Recipients with machine opens only (Apple's proxy, scanners): delivered, maybe not read. */
  machineOnlyOpened: number;
}

/** What an open or click handler needs about the delivery its token names. */
export interface EngagementTarget {
  id: number;
  campaignId: number;
  /** The address key the token is signed for. */
  key: string;
  /** When the message was last handed over successfully (its `sent` event), if it was. */
  sentAt: Date | undefined;
}

/** At most this many events of one kind are stored per delivery; counters go on counting. */
export const MAX_STORED_ENGAGEMENT = 50;

/** Opens and clicks: recorded per delivery, summed per campaign (tables engagement_events, engagement_totals). */
export interface EngagementStore {
  /** The delivery an open or click token names, with its sent time; undefined when there is none. */
  engagementTarget(deliveryId: number): Promise<EngagementTarget | undefined>;
  /**
   * Counts the event on its delivery and stores it unless MAX_STORED_ENGAGEMENT of its kind are
   * stored already (one transaction). `stored`: whether the event row was kept.
   */
  recordEngagement(event: EngagementEvent): Promise<{ stored: boolean }>;
  /** The delivery's totals; undefined when nothing was recorded for it. */
  deliveryEngagement(deliveryId: number): Promise<EngagementTotals | undefined>;
  /** The delivery's stored events, oldest first. */
  engagementEvents(deliveryId: number): Promise<EngagementEvent[]>;
  /** The campaign's totals (zeros and no times when nothing was recorded). */
  campaignEngagement(campaignId: number): Promise<CampaignEngagement>;
}
