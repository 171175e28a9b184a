import type { Contact } from '../lists/contact.js';
import type { CampaignOptions } from './campaign-options.js';

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

/** One change of a campaign's status, as the lifecycle module asks the store for it. */
export interface CampaignTransition {
  from: readonly CampaignStatus[];
  to: CampaignStatus;
  reason?: string | undefined;
  /**
   * When the status allows the change: deliveries still pending or deferred become `skipped` with
   * this reason in the same transaction (kept even when `done` is then refused for a delivery
   * still in flight elsewhere).
   */
  skipOpen?: string | undefined;
  /** To `paused`: what paused it (stored with the instant as `pausedSince`); any other status clears both. */
  pause?: PauseKind | undefined;
  /** Change only while paused by one of these kinds (a worker resuming only its own relay pause). */
  fromPause?: readonly PauseKind[] | undefined;
}

/** What identifies "the same release" across campaigns: its file as given, its absolute path, its fingerprint. */
export interface ReleaseIdentity {
  file: string;
  path: string;
  fingerprint: string;
}

/** One journalist in another campaign of the same release: whether it reached them, or may still. */
export interface AudienceEntry {
  campaignId: number;
  status: CampaignStatus;
  reached: boolean;
}

/** Another campaign of the same release that would reach some of the same journalists. */
export interface PlanConflict {
  campaignId: number;
  status: CampaignStatus;
  /** Recipients of the new campaign this one already reached, or is about to. */
  recipients: number;
}

/**
 * What paused a campaign, which says who may resume it. `relay`: the relay failed under a worker,
 * and workers probe it and resume the campaign when it answers. `relay-held`: the relay failed
 * under an interactive send (or with `breaker.autoResume` off), or refused most messages for
 * good (which a probe cannot tell is fixed): a person resumes it. The others
 * (refused credentials, an operator, Ctrl-C, a failed store write) always wait for a person.
 */
/** Why a campaign is paused; 'sender': a receiving server refused OUR sender (domain, SPF/DKIM, IP). */
export type PauseKind = 'relay' | 'relay-held' | 'credentials' | 'operator' | 'interrupted' | 'store' | 'sender';

/** A single send, or one of the two phases of an embargoed release. */
export type CampaignPhase = 'single' | 'embargoed' | 'public';

/** What a log line and an event row record: a lifecycle step of one delivery (or of the campaign). */
export type EventType =
  | 'planned'
  | 'sending'
  | 'sent'
  | 'deferred'
  | 'bounced'
  | 'blocked'
  | 'failed'
  | 'suppressed'
  | 'skipped'
  | 'unknown'
  | 'complained'
  | 'delayed'
  | 'unsubscribed'
  | 'campaign';

export interface CampaignInput {
  releaseFile: string;
  releaseTitle: string;
  lists: string[];
  where: string[];
  test: boolean;
  status: CampaignStatus;
  scheduledAt?: Date | undefined;
  /** Anything the sender needs to rebuild the run (rates, flags), kept as JSON. */
  options: CampaignOptions;
  phase?: CampaignPhase | undefined;
  /** The other phase's campaign id shares this group id (the embargoed phase's id). */
  groupId?: number | undefined;
  /** The embargo as it was when the campaign was planned; re-checked before sending. */
  embargoAt?: Date | undefined;
  embargoZone?: string | undefined;
  /** Zone the --at time was given in, for display. */
  scheduleZone?: string | undefined;
}

export interface Campaign extends CampaignInput {
  id: number;
  createdAt: Date;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  /** Why the campaign is paused or stopped (breaker, Ctrl-C, operator). */
  statusReason: string | undefined;
  /** While paused: what paused it (undefined for pauses recorded before kinds were stored). */
  pausedKind?: PauseKind | undefined;
  /** While paused: since when. */
  pausedSince?: Date | undefined;
}

/** What addDeliveries may set besides the contact and status. */
export interface NewDeliveryOptions {
  /** The `planned` (or status) event's detail. */
  detail?: string | undefined;
  /** Holds a recipient back until that instant (local delivery time). */
  notBefore?: ((c: Contact) => Date | undefined) | undefined;
  /** The Message-ID its message will carry (assigned at planning, kept across retries). */
  messageId?: ((c: Contact) => string) | undefined;
}

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

/**
 * One ring of a shared rate ceiling, as one caller uses it: the caller takes only slots numbered
 * below `count`, so it starts at most `count` events per `windowMs` itself, and callers with
 * different counts under one key together start at most the largest of their counts.
 */
export interface RateKey {
  /** The ceiling's scope and window (`global/1000ms`), never its count: see SharedRateGate. */
  key: string;
  count: number;
  windowMs: number;
}

/** Slots taken in the shared rate ledger, one per key, to be ended when the relay answered. */
export interface RateSlot {
  key: string;
  slot: number;
}

export interface EventRecord {
  campaignId: number;
  deliveryId: number | undefined;
  at: Date;
  type: EventType;
  attempt?: number | undefined;
  code?: number | undefined;
  enhanced?: string | undefined;
  response?: string | undefined;
  messageId?: string | undefined;
  durationMs?: number | undefined;
  detail?: string | undefined;
}

/** An event as the delivery log writes it: with its id and the recipient it concerns. */
export interface LoggedEvent extends EventRecord {
  id: number;
  email: string | undefined;
  /** The delivery's latest worker and relay (the events table does not repeat them per event). */
  worker: string | undefined;
  relay: string | undefined;
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

export interface SkippedRow {
  file: string;
  line: number;
  email: string;
  reason: string;
}

export type SuppressionReason = 'hard-bounce' | 'soft-bounce' | 'complaint' | 'unsubscribe' | 'manual';

export interface Suppression {
  key: string;
  email: string;
  reason: SuppressionReason;
  source: string;
  createdAt: Date;
  detail: string | undefined;
}

export type StatusCounts = Record<DeliveryStatus, number>;

/** One row of the suppression audit trail: every add and every explicit removal. */
export interface SuppressionLogEntry {
  key: string;
  email: string;
  action: 'add' | 'remove';
  reason: string | undefined;
  source: string;
  detail: string | undefined;
  at: Date;
}

/** A bounce/complaint/unsubscribe report as stored, attributed or not. */
export interface StoredBounceEvent {
  id: number;
  reportId: string;
  source: string;
  kind: string;
  recipient: string;
  campaignId: number | undefined;
  deliveryId: number | undefined;
  status: string | undefined;
  diagnostic: string | undefined;
  remoteMta: string | undefined;
  originalMessageId: string | undefined;
  outcome: string;
  note: string | undefined;
  raw: string;
  receivedAt: Date;
}

/** A bounce mailbox report's raw text, stored once however many recipients it names. */
export interface BounceReport {
  reportId: string;
  source: string;
  /** Already capped by the caller. */
  raw: string;
  /** How many recipients the report named, and how many of them were kept (the cap). */
  recipients: number;
  recipientsKept: number;
}

/** A mailbox message set aside unparsed (too large, too deep, or its parser failed). */
export interface QuarantinedMessage {
  /** What identifies the message on a later run (content hash, or source and size when it was not read). */
  key: string;
  source: string;
  /** Where it is now: the quarantine file, the IMAP folder, or the mbox byte offset. */
  location: string;
  bytes: number;
  reason: string;
  quarantinedAt: Date;
}

/** The suppression a bounce report brings, written in the report's own transaction. */
export interface BounceSuppression extends Omit<Suppression, 'createdAt'> {
  /**
   * Only once the address has at least `atLeast` applied reports of `kind` received since `since`,
   * this one included (soft bounces: suppressed after N within a window).
   */
  onlyAfter?: { kind: string; since: Date; atLeast: number } | undefined;
}

/** What a report does when it is stored: the delivery's new status and event, and a suppression. */
export interface BounceChange {
  /** Applied only to an attributed report (one with a delivery), like the event. */
  newStatus?: DeliveryStatus | undefined;
  eventType: EventType;
  /** Applied with or without a delivery (an unsubscribe names only the address). */
  suppress?: BounceSuppression | undefined;
}

/**
 * What recordBounce did. `new`: stored now, with its change. `completed`: stored before, but its
 * suppression was missing (a second transaction of an older version failed) and is added now.
 * `duplicate`: stored before and whole; nothing changed. `suppressed`: the report's suppression
 * holds for the address (added now, or there already).
 */
export interface BounceRecorded {
  result: 'new' | 'completed' | 'duplicate';
  suppressed: boolean;
}

/** Enough of a delivery to attribute a report to it. */
export interface DeliveryRef {
  id: number;
  campaignId: number;
  email: string;
  key: string;
  status: DeliveryStatus;
  messageId: string | undefined;
}

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

export type DeliverySort = 'id' | 'email' | 'status' | 'domain' | 'outlet' | 'language' | 'attempts' | 'updated';
export const DELIVERY_SORTS: readonly DeliverySort[] = ['id', 'email', 'status', 'domain', 'outlet', 'language', 'attempts', 'updated'];

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

/**
 * The source of truth. Every state change is one statement or one transaction, so a crash leaves
 * each delivery in exactly one status. Async so a PostgreSQL store can implement it unchanged.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  createCampaign(input: CampaignInput, now: Date): Promise<number>;
  /**
   * Inserts recipients (one delivery + one `planned` event each); duplicates by key are ignored.
   * `notBefore` holds a recipient back until that instant (local delivery time).
   */
  addDeliveries(campaignId: number, contacts: Contact[], status: DeliveryStatus, now: Date, options?: NewDeliveryOptions): Promise<number>;
  /** Keys of a campaign's recipients (for excluding one phase's audience from the other). */
  deliveryKeys(campaignId: number): Promise<Set<string>>;
  addSkipped(campaignId: number, rows: SkippedRow[], now: Date): Promise<void>;
  skipped(campaignId: number): Promise<SkippedRow[]>;
  getCampaign(id: number): Promise<Campaign | undefined>;
  listCampaigns(): Promise<Campaign[]>;
  /** Replaces the campaign's options (e.g. the release fingerprint taken when sending starts). */
  updateCampaignOptions(id: number, options: CampaignOptions): Promise<void>;
  /**
   * Moves a scheduled campaign's start (e.g. a public phase after the embargo moved later), and
   * records the embargo it was checked against when given (null: the release has none now), so
   * the next move of the embargo is compared with this one, not with the embargo at planning.
   */
  reschedule(id: number, at: Date, embargoAt?: Date | null): Promise<void>;
  /**
   * Public phase: recipients stored as `skipped` because they were in the embargoed audience go
   * back to `pending` when the embargoed phase never reached them. Returns how many.
   */
  releaseUnreachedFromEmbargo(publicId: number, embargoedId: number, now: Date): Promise<number>;
  /**
   * Compare-and-set, one transaction with its `campaign` event: changes the status only when it is
   * one of `from`; returns whether it did. Refuses `done` while any delivery is pending, sending
   * or deferred. Only the lifecycle module calls this.
   */
  transitionCampaign(id: number, change: CampaignTransition, now: Date): Promise<boolean>;
  /**
   * Ends planning (`planning` → `to`) in one transaction, serialised against every other end of
   * planning. With `guard`, first looks for other campaigns of the same release that reached, or
   * are about to reach, any of this campaign's pending recipients; when there are some, the
   * campaign becomes `cancelled` with `refusal(conflicts)` as its reason instead.
   */
  finishPlanning(
    id: number,
    to: 'draft' | 'scheduled',
    now: Date,
    guard: { release: ReleaseIdentity; refusal: (conflicts: PlanConflict[]) => string } | undefined,
  ): Promise<{ ok: true } | { ok: false; conflicts: PlanConflict[] }>;
  /**
   * Who another campaign of this release (not `except`, not a test) reached (sent, sending,
   * unknown) or may still send to (pending or deferred in a campaign that may still send), by key.
   */
  releaseAudience(release: ReleaseIdentity, except: number): Promise<Map<string, AudienceEntry>>;

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
  /** Durably marks deliveries as in flight, counting the attempt, before any byte goes to the relay. */
  markSending(items: SendingMark[], now: Date): Promise<void>;
  recordOutcomes(outcomes: OutcomeRecord[]): Promise<void>;
  /**
   * Both of the above in one transaction. Must be durable (survive power loss) when `marks` is
   * non-empty; an outcomes-only write may be lazier, since a lost outcome leaves the delivery
   * `sending`, which recovery turns into `unknown`, never into a second send.
   */
  writeBatch(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void>;
  /**
   * The shared rate ledger (several workers, one ceiling): takes one free slot of every ring at
   * once, or none, among each ring's slots numbered below its `count` (the ring grows to the
   * largest count ever asked, and never shrinks). A slot is free when its last event ended a full
   * window ago; a slot still running since before `staleBefore` belongs to a worker that died and
   * counts as ended then.
   * Returns the slots, or how long to wait before asking again.
   */
  takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }>;
  /** Ends taken slots at `now` (the relay answered). */
  endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void>;
  /** Puts `unknown` (or other final) deliveries back to pending, e.g. for --resend-unknown. */
  requeue(campaignId: number, from: DeliveryStatus[], now: Date): Promise<number>;
  /** When the next pending or deferred delivery becomes due (the epoch when one is due now). */
  nextRetryAt(campaignId: number): Promise<Date | undefined>;
  counts(campaignId: number): Promise<StatusCounts>;
  deliveries(campaignId: number, filter?: { status?: DeliveryStatus[]; email?: string }): Promise<DeliveryRow[]>;
  events(campaignId: number, deliveryId?: number): Promise<EventRecord[]>;
  addEvent(event: EventRecord): Promise<void>;
  /** The campaign's events after `afterId`, in id order, at most `limit`: what the delivery log copies. */
  eventsAfter(campaignId: number, afterId: number, limit: number): Promise<LoggedEvent[]>;
  /**
   * Whether event ids become visible in increasing order (SQLite: one writer at a time). Not so
   * in PostgreSQL, where a transaction may commit after a later one that took a higher id.
   */
  readonly eventIdsInCommitOrder: boolean;

  /**
   * This store's random instance id (12 hex digits, made by its first migration): carried by
   * Message-IDs, tokens and delivery log names so that two stores never share one.
   */
  instanceId(): Promise<string>;
  getDelivery(id: number): Promise<DeliveryRef | undefined>;
  /** One delivery with its contact (the dashboard re-renders its message from it). */
  deliveryById(id: number): Promise<Delivery | undefined>;
  /** The delivery that sent the message with this Message-ID (and, when given, to this address key). */
  findDeliveryByMessageId(messageId: string, key?: string): Promise<DeliveryRef | undefined>;
  /** The most recent delivery to this address key, for reports that name only the recipient. */
  latestDeliveryTo(key: string): Promise<DeliveryRef | undefined>;
  /**
   * Stores a report once (by report id, recipient, kind) and, in the same transaction, when
   * attributed moves the delivery to `newStatus` and adds an event to its timeline, and adds the
   * suppression (with its suppression_log entry). A report stored before changes nothing, except
   * that its missing suppression is added (`completed`) unless an operator removed the address's
   * suppression since the report was stored.
   */
  recordBounce(event: Omit<StoredBounceEvent, 'id'>, change: BounceChange | undefined, now: Date): Promise<BounceRecorded>;
  /** Attributed reports of a kind for an address since a time (soft-bounce counting). */
  countBounces(recipientKey: string, kind: string, since: Date): Promise<number>;
  /** Stored events carry their report's raw text (kept once per report by keepBounceReport). */
  bounceEvents(filter?: { outcome?: string; deliveryId?: number }): Promise<StoredBounceEvent[]>;
  /** Keeps a report's raw text once; false when the report was kept before. */
  keepBounceReport(report: BounceReport, now: Date): Promise<boolean>;
  /**
   * Write groups, for bulk work whose input can be read again (bounce ingestion from files): the
   * writes between `beginWriteGroup` and `commitWriteGroup` become one commit (one fsync instead of
   * one per report), and `rollbackWriteGroup` undoes them all. A crash loses the open group whole,
   * never part of one write. Meanwhile nothing else may write through this Store object (its writes
   * would join the group). Optional: a store without them commits each write on its own, which
   * keeps the same outcomes, only slower.
   */
  beginWriteGroup?(): Promise<void>;
  commitWriteGroup?(): Promise<void>;
  /** Undoes the open group, if any (safe to call when none is open). */
  rollbackWriteGroup?(): Promise<void>;
  /** Records a message set aside; false when its key was recorded before. */
  quarantineMessage(message: QuarantinedMessage): Promise<boolean>;
  /** Keys of every quarantined message (few: read once per ingestion run). */
  quarantinedKeys(): Promise<Set<string>>;
  listQuarantined(): Promise<QuarantinedMessage[]>;
  /** Remembers a webhook message id; false when it was seen before (a replay). */
  rememberWebhook(provider: string, messageId: string, now: Date): Promise<boolean>;
  suppressionLog(key?: string): Promise<SuppressionLogEntry[]>;
  isSuppressed(key: string): Promise<Suppression | undefined>;
  suppressedKeys(): Promise<Set<string>>;
  addSuppression(s: Omit<Suppression, 'createdAt'>, now: Date): Promise<boolean>;
  /** Removal is explicit and logged with who asked. */
  removeSuppression(key: string, source?: string, now?: Date): Promise<boolean>;
  listSuppressions(): Promise<Suppression[]>;
  close(): Promise<void>;

  // Read models for reports and the dashboard (issue 6).
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
}

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as StatusCounts;
}
