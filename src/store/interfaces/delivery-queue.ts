import type { Contact } from '../../lists/contact.js';
import type { Suppression } from './suppressions.js';
import type { DeliveryStatus } from '../../domain/status.js';

/** One recipient of a campaign as a sender claims it. */
export interface Delivery {
  id: number;
  campaignId: number;
  email: string;
  key: string;
  domain: string;
  language: string;
  contact: Contact;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | undefined;
  firstAttemptAt: Date | undefined;
  messageId: string | undefined;
}

/**
 * A delivery marked in flight: the attempt's Message-ID, and who sends it through which relay.
 * The mark succeeds only while `worker` still holds the delivery's claim, so a worker whose
 * claim lapsed and was taken over can never send it a second time.
 */
export interface SendingMark {
  deliveryId: number;
  messageId: string;
  worker: string;
  relay: string;
}

/** The result of one attempt, written with the delivery's new status in one transaction. */
export interface OutcomeRecord {
  deliveryId: number;
  status: DeliveryStatus;
  at: Date;
  attempt: number;
  code: number | undefined;
  enhanced: string | undefined;
  response: string | undefined;
  messageId: string;
  durationMs: number;
  /** For deferred: when to try again. */
  nextAttemptAt?: Date | undefined;
  detail?: string | undefined;
  /**
   * Suppresses the address in the same transaction (a hard bounce), with its suppression_log
   * entry; only when the outcome itself is written, and never over an existing suppression.
   */
  suppression?: Omit<Suppression, 'createdAt'> | undefined;
}

/** Who sends a campaign: its owner's lease, the claims on its deliveries, and their outcomes. */
export interface DeliveryQueue {
  /** Takes the campaign for `owner` unless another live owner holds it; renews when it is ours. */
  acquireCampaign(id: number, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  releaseCampaign(id: number, owner: string): Promise<void>;
  /** Who holds (or last held) the campaign, so a caller can tell a dead process from a live one. */
  campaignOwner(id: number): Promise<{ owner: string; expires: Date } | undefined>;
  /** Expires a dead owner's campaign lease and claims at once, instead of waiting out the lease. */
  forceReleaseCampaign(id: number, deadOwner: string): Promise<void>;
  /** Deliveries left `sending` by an owner that is gone become `unknown` (they may have been sent). */
  recoverInFlight(campaignId: number, now: Date): Promise<number>;
  /** Claims up to `limit` deliveries due now (pending, or deferred whose time has come). */
  claimBatch(campaignId: number, owner: string, limit: number, now: Date, leaseMs: number): Promise<Delivery[]>;
  /** Returns claimed-but-unsent deliveries to the pool. */
  releaseClaims(campaignId: number, owner: string): Promise<void>;
  /** Extends the claims `owner` holds on a campaign's deliveries (shared sending keeps them alive). */
  renewClaims(campaignId: number, owner: string, now: Date, leaseMs: number): Promise<void>;
  /** Owners other than `except` whose claims on the campaign are still live. */
  liveClaimHolders(campaignId: number, now: Date, except?: string): Promise<string[]>;
  /**
   * Whether a worker joining the campaign now would find work: due deliveries nobody holds a
   * live claim on, or deliveries in flight whose sender's claim lapsed (to be recovered).
   */
  claimableWork(campaignId: number, now: Date): Promise<{ due: number; lapsedInFlight: number }>;
  /**
   * Durably marks deliveries as in flight (counting the attempt, before any byte goes to the
   * relay) and records outcomes, in one transaction. Must be durable (survive power loss) when
   * `marks` is non-empty; an outcomes-only write may be lazier, since a lost outcome leaves the
   * delivery `sending`, which recovery turns into `unknown`, never into a second send.
   */
  writeBatch(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void>;
  /** Puts `unknown` (or other final) deliveries back to pending, e.g. for --resend-unknown. */
  requeue(campaignId: number, from: DeliveryStatus[], now: Date): Promise<number>;
  /** When the next pending or deferred delivery becomes due (the epoch when one is due now). */
  nextRetryAt(campaignId: number): Promise<Date | undefined>;
}
