import type { Delivery } from './delivery-queue.js';
import type { EngagementTotals } from './engagement.js';
import type { EventRecord } from './events.js';
import type { CampaignPhase, CampaignStatus, DeliveryStatus, EventType, StatusCounts } from '../../domain/status.js';
import type { Suppression, SuppressionLogEntry } from './suppressions.js';

/** One recipient's last known fate, as reports show it. */
export interface DeliveryRow {
  id: number;
  email: string;
  domain: string;
  language: string;
  outlet: string;
  status: DeliveryStatus;
  attempts: number;
  code: number | undefined;
  enhanced: string | undefined;
  response: string | undefined;
  messageId: string | undefined;
  updatedAt: Date;
  /** The worker (owner id or `--name`) that made the last attempt, and the relay it used. */
  worker: string | undefined;
  relay: string | undefined;
}

export type DeliverySort = 'id' | 'email' | 'status' | 'domain' | 'outlet' | 'language' | 'attempts' | 'updated';
export const DELIVERY_SORTS: readonly DeliverySort[] = ['id', 'email', 'status', 'domain', 'outlet', 'language', 'attempts', 'updated'];

/** Filters, order and page of the per-recipient table (reports, dashboard). */
export interface DeliveryQuery {
  /** Case-insensitive substring of the address or the outlet. */
  search?: string | undefined;
  status?: DeliveryStatus[] | undefined;
  /** Exact language; '' picks contacts whose list gave none. */
  language?: string | undefined;
  outlet?: string | undefined;
  domain?: string | undefined;
  sort?: DeliverySort | undefined;
  descending?: boolean | undefined;
  /** 1..200. */
  limit: number;
  offset: number;
}

/** One bucket of the outcome series: events of one type that happened in [at, at + bucket). */
export interface OutcomeBucket {
  at: Date;
  type: EventType;
  n: number;
}

/** Failure and deferral events grouped by a reason key (enhanced status, or receiving domain). */
export interface ReasonCount {
  type: EventType;
  /** Enhanced status code, or the receiving domain. */
  key: string;
  /** Events of this type and key. */
  events: number;
  /** Distinct recipients they concern. */
  recipients: number;
  /** One reply text as an example. */
  sample: string | undefined;
}

/** The facets a filter form offers: values with their counts, most frequent first. */
export interface DeliveryFacets {
  languages: { value: string; n: number }[];
  domains: { value: string; n: number }[];
  outlets: { value: string; n: number }[];
}

/** At most this many deliveries (newest first) and reports of each kind in one contact history. */
export const CONTACT_HISTORY_LIMIT = 500;

/** One campaign a journalist was in: the campaign's facts and their delivery's fate. */
export interface ContactDelivery {
  deliveryId: number;
  campaignId: number;
  releaseTitle: string;
  phase: CampaignPhase;
  test: boolean;
  campaignStatus: CampaignStatus;
  /** The address as that campaign's list wrote it. */
  email: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the delivery was planned (its first event), first accepted by the relay, and its latest event. */
  plannedAt: Date | undefined;
  sentAt: Date | undefined;
  lastEventAt: Date | undefined;
  code: number | undefined;
  enhanced: string | undefined;
  response: string | undefined;
  messageId: string | undefined;
  /** The relay of the last attempt (an outbox folder's name when it was only written there; see send/outbox-relay.ts). */
  relay: string | undefined;
  /** Opens and clicks when the campaign tracked them and any came (undefined otherwise). */
  engagement?: EngagementTotals | undefined;
}

/** A bounce, complaint or unsubscribe that named the journalist (a stored report, or a bounce at SMTP time). */
export interface ContactReport {
  /** hard | soft | policy | sender (bounces), complaint, unsubscribe. */
  kind: string;
  at: Date;
  /** Where it came from: "smtp" (the relay refused at send time), "one-click", "ses", "sendgrid", "imap:…", "maildir:…". */
  source: string;
  campaignId: number | undefined;
  deliveryId: number | undefined;
  /** The reply code the diagnostic starts with, and the enhanced status. */
  code: number | undefined;
  status: string | undefined;
  diagnostic: string | undefined;
  /** False for a report kept for review: nothing proved it is about our message to this journalist. */
  attributed: boolean;
}

/** How an unsubscribe arrived: the one-click link, a mail to the unsubscribe address, or a provider's webhook. */
export type UnsubscribeHow = 'one-click' | 'mailto' | 'webhook';

export interface ContactUnsubscribe extends ContactReport {
  how: UnsubscribeHow;
}

/** Everything the store knows about one address, newest first (see ReadModels.contactHistory). */
export interface ContactHistory {
  key: string;
  deliveries: ContactDelivery[];
  /** All deliveries to the address; more than `deliveries.length` when only the newest were kept. */
  totalDeliveries: number;
  bounces: ContactReport[];
  complaints: ContactReport[];
  unsubscribes: ContactUnsubscribe[];
  /** Bounces, complaints and unsubscribes beyond the newest of each kind, left out. */
  reportsLeftOut: number;
  /** The suppression in force, if any. */
  suppression: Suppression | undefined;
  /** Every add and removal of the address's suppression, oldest first. */
  suppressionLog: SuppressionLogEntry[];
}

/** What reports, the CLI and the dashboard read (issue 6). */
export interface ReadModels {
  counts(campaignId: number): Promise<StatusCounts>;
  deliveries(campaignId: number, filter?: { status?: DeliveryStatus[]; email?: string }): Promise<DeliveryRow[]>;
  /** One delivery with its contact (the dashboard re-renders its message from it). */
  deliveryById(id: number): Promise<Delivery | undefined>;
  /** Status counts of every campaign in one pass. */
  countsByCampaign(): Promise<Map<number, StatusCounts>>;
  /**
   * Deliveries `sent` into the outbox folder rather than to a relay (see src/send/outbox-relay.ts),
   * per campaign (only campaigns that have some); one campaign when `campaignId` is given.
   */
  outboxCounts(campaignId?: number): Promise<Map<number, number>>;
  /** One page of a campaign's recipients with the total matching the filters. */
  queryDeliveries(campaignId: number, query: DeliveryQuery): Promise<{ rows: DeliveryRow[]; total: number }>;
  /** A delivery's report row, with its campaign. */
  deliveryRow(id: number): Promise<(DeliveryRow & { campaignId: number }) | undefined>;
  /**
   * The campaign's delivery events of these types, in id order, for all its deliveries or only
   * these ids: what report rows explain themselves with (last reply, skip reason, later reports).
   */
  deliveryEvents(campaignId: number, filter: { types: EventType[]; deliveryIds?: number[] | undefined }): Promise<EventRecord[]>;
  /** First and last instant of the campaign's outcome events of these types. */
  eventSpan(campaignId: number, types: EventType[]): Promise<{ first: Date; last: Date } | undefined>;
  /** Outcome events counted per fixed-width bucket (aligned to the epoch) and type. */
  outcomeSeries(campaignId: number, types: EventType[], bucketMs: number): Promise<OutcomeBucket[]>;
  /** Events of these types grouped by enhanced status (`by: 'enhanced'`) or receiving domain. */
  reasonCounts(campaignId: number, types: EventType[], by: 'enhanced' | 'domain', limit: number): Promise<ReasonCount[]>;
  /** Languages, and the most frequent domains and outlets, of a campaign's recipients. */
  deliveryFacets(campaignId: number, limit: number): Promise<DeliveryFacets>;
  /**
   * One journalist across campaigns, by address key (lists/email.ts: lower-cased, punycode domain):
   * the newest deliveries with their campaigns, the bounces, complaints and unsubscribes that named
   * the address, and its suppression with the audit trail. Bounded: the newest `limit` (at most and
   * by default CONTACT_HISTORY_LIMIT) of each list. An unknown key gives empty lists, never an error.
   */
  contactHistory(key: string, limit?: number): Promise<ContactHistory>;
}
