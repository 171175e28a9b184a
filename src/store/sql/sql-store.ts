import type { Contact } from '../../lists/contact.js';
import type {
  AudienceEntry, BounceChange, BounceRecorded, BounceReport, Campaign, CampaignInput, CampaignTransition, Delivery, DeliveryFacets, DeliveryQuery,
  DeliveryRef, DeliveryRow, DeliveryStatus, EventRecord, EventType, LoggedEvent, NewDeliveryOptions, OutcomeBucket, OutcomeRecord, QuarantinedMessage,
  Publication, PublicationInput, RateKey, RateSlot, ReasonCount, ContactHistory, ReleaseIdentity, SendingMark, SkippedRow, StatusCounts, Store, StoredBounceEvent, Suppression, SuppressionLogEntry,
} from '../types.js';
import type { CampaignEngagement, EngagementEvent, EngagementTarget, EngagementTotals } from '../interfaces/engagement.js';
import { toDelivery } from '../rows.js';
import type { Dialect, Op } from './adapter.js';
import * as bounces from './bounces.js';
import * as campaigns from './campaigns.js';
import * as claims from './claims.js';
import * as contacts from './contact-history.js';
import * as queue from './delivery-queue.js';
import * as engagement from './engagement.js';
import * as events from './events.js';
import * as pages from './publications.js';
import * as reads from './read-models.js';
import * as suppressions from './suppressions.js';

/**
 * Everything both engines do alike: each member runs one shared operation (src/store/sql/*.ts).
 * An engine says how to run one (`exec`: statements on their own; `transaction`: all or none)
 * and implements what only it can do well: claims, the hot writes, the rate ledger, bulk inserts.
 */
export abstract class SqlStore implements Store {
  constructor(
    readonly kind: 'sqlite' | 'postgres',
    /** See EventLog: true only where one writer at a time commits (SQLite). */
    readonly eventIdsInCommitOrder: boolean,
    protected readonly dialect: Dialect,
  ) {}

  /** Runs the statements of `op` each on its own (reads, and single-statement writes). */
  protected abstract exec<T>(op: Op<T>): Promise<T>;
  /**
   * Runs `op` in one transaction. `serialised`: it reads what it then changes, so it takes the
   * write lock up front (SQLite's IMMEDIATE; PostgreSQL locks rows itself with FOR UPDATE).
   */
  protected abstract transaction<T>(op: Op<T>, options?: { serialised?: boolean }): Promise<T>;

  /** Runs an idempotent write again when the engine chose it as a deadlock victim (PostgreSQL). */
  protected retryOnDeadlock<T>(write: () => Promise<T>): Promise<T> {
    return write();
  }

  abstract addDeliveries(campaignId: number, contacts: Contact[], status: DeliveryStatus, now: Date, options?: NewDeliveryOptions): Promise<number>;
  abstract addSkipped(campaignId: number, rows: SkippedRow[], now: Date): Promise<void>;
  abstract writeBatch(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void>;
  abstract takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }>;
  abstract endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void>;
  abstract close(): Promise<void>;

  private instance: string | undefined;
  async instanceId(): Promise<string> {
    this.instance ??= await this.exec(bounces.instanceId());
    return this.instance;
  }

  // CampaignStore
  createCampaign = (input: CampaignInput, now: Date): Promise<number> => this.exec(campaigns.createCampaign(input, now));
  deliveryKeys = (campaignId: number): Promise<Set<string>> => this.exec(campaigns.deliveryKeys(campaignId));
  skipped = (campaignId: number): Promise<SkippedRow[]> => this.exec(campaigns.skipped(this.dialect, campaignId));
  getCampaign = (id: number): Promise<Campaign | undefined> => this.exec(campaigns.getCampaign(id));
  listCampaigns = (): Promise<Campaign[]> => this.exec(campaigns.listCampaigns());
  updateCampaignOptions = (id: number, options: Record<string, unknown>): Promise<void> => this.exec(campaigns.updateCampaignOptions(id, options));
  reschedule = (id: number, at: Date, embargoAt?: Date | null): Promise<void> => this.exec(campaigns.reschedule(id, at, embargoAt));
  releaseUnreachedFromEmbargo = (publicId: number, embargoedId: number, now: Date): Promise<number> =>
    this.transaction(campaigns.releaseUnreachedFromEmbargo(publicId, embargoedId, now));
  transitionCampaign = (id: number, change: CampaignTransition, now: Date): Promise<boolean> =>
    this.transaction(campaigns.transitionCampaign(this.dialect, id, change, now), { serialised: true });
  finishPlanning = (id: number, to: 'draft' | 'scheduled', now: Date, guard: campaigns.PlanGuard): Promise<campaigns.PlanEnd> =>
    this.transaction(campaigns.finishPlanning(this.dialect, id, to, now, guard), { serialised: true });
  releaseAudience = (release: ReleaseIdentity, except: number): Promise<Map<string, AudienceEntry>> => this.exec(campaigns.releaseAudience(release, except));

  // DeliveryQueue (writeBatch is the engine's)
  async claimBatch(campaignId: number, owner: string, limit: number, now: Date, leaseMs: number): Promise<Delivery[]> {
    return (await this.transaction(claims.claimBatch(this.dialect, campaignId, owner, limit, now, leaseMs), { serialised: true })).map(toDelivery);
  }
  acquireCampaign = (id: number, owner: string, now: Date, leaseMs: number): Promise<boolean> =>
    this.transaction(queue.acquireCampaign(this.dialect, id, owner, now, leaseMs));
  releaseCampaign = (id: number, owner: string): Promise<void> => this.exec(queue.releaseCampaign(id, owner));
  campaignOwner = (id: number): Promise<{ owner: string; expires: Date } | undefined> => this.exec(queue.campaignOwner(id));
  forceReleaseCampaign = (id: number, deadOwner: string): Promise<void> => this.transaction(queue.forceReleaseCampaign(this.dialect, id, deadOwner));
  recoverInFlight = (campaignId: number, now: Date): Promise<number> => this.transaction(queue.recoverInFlight(campaignId, now));
  releaseClaims = (campaignId: number, owner: string): Promise<void> => this.exec(queue.releaseClaims(campaignId, owner));
  renewClaims = (campaignId: number, owner: string, now: Date, leaseMs: number): Promise<void> =>
    this.retryOnDeadlock(() => this.exec(queue.renewClaims(this.dialect, campaignId, owner, now, leaseMs)));
  liveClaimHolders = (campaignId: number, now: Date, except?: string): Promise<string[]> => this.exec(queue.liveClaimHolders(campaignId, now, except));
  claimableWork = (campaignId: number, now: Date): Promise<{ due: number; lapsedInFlight: number }> => this.exec(queue.claimableWork(campaignId, now));
  requeue = (campaignId: number, from: DeliveryStatus[], now: Date): Promise<number> => this.transaction(queue.requeue(campaignId, from, now));
  nextRetryAt = (campaignId: number): Promise<Date | undefined> => this.exec(queue.nextRetryAt(campaignId));

  // EventLog
  events = (campaignId: number, deliveryId?: number): Promise<EventRecord[]> => this.exec(events.events(campaignId, deliveryId));
  addEvent = (event: EventRecord): Promise<void> => this.exec(events.addEvent(event));
  eventsAfter = (campaignId: number, afterId: number, limit: number): Promise<LoggedEvent[]> => this.exec(events.eventsAfter(this.dialect, campaignId, afterId, limit));

  // SuppressionStore
  suppressionLog = (key?: string): Promise<SuppressionLogEntry[]> => this.exec(suppressions.suppressionLog(key));
  isSuppressed = (key: string): Promise<Suppression | undefined> => this.exec(suppressions.isSuppressed(key));
  suppressedKeys = (): Promise<Set<string>> => this.exec(suppressions.suppressedKeys());
  addSuppression = (s: Omit<Suppression, 'createdAt'>, now: Date): Promise<boolean> => this.transaction(suppressions.addSuppression(s, now));
  removeSuppression = (key: string, source = 'operator', now = new Date()): Promise<boolean> => this.transaction(suppressions.removeSuppression(key, source, now));
  listSuppressions = (): Promise<Suppression[]> => this.exec(suppressions.listSuppressions());

  // BounceStore
  getDelivery = (id: number): Promise<DeliveryRef | undefined> => this.exec(bounces.getDelivery(id));
  findDeliveryByMessageId = (messageId: string, key?: string): Promise<DeliveryRef | undefined> => this.exec(bounces.findDeliveryByMessageId(messageId, key));
  latestDeliveryTo = (key: string): Promise<DeliveryRef | undefined> => this.exec(bounces.latestDeliveryTo(key));
  recordBounce = (event: Omit<StoredBounceEvent, 'id'>, change: BounceChange | undefined, now: Date): Promise<BounceRecorded> =>
    this.transaction(bounces.recordBounce(event, change, now));
  countBounces = (recipientKey: string, kind: string, since: Date): Promise<number> => this.exec(bounces.countBounces(recipientKey, kind, since));
  bounceEvents = (filter?: { outcome?: string; deliveryId?: number }): Promise<StoredBounceEvent[]> => this.exec(bounces.bounceEvents(filter));
  keepBounceReport = (report: BounceReport, now: Date): Promise<boolean> => this.exec(bounces.keepBounceReport(report, now));
  quarantineMessage = (message: QuarantinedMessage): Promise<boolean> => this.exec(bounces.quarantineMessage(message));
  quarantinedKeys = (): Promise<Set<string>> => this.exec(bounces.quarantinedKeys());
  listQuarantined = (): Promise<QuarantinedMessage[]> => this.exec(bounces.listQuarantined());
  rememberWebhook = (provider: string, messageId: string, now: Date): Promise<boolean> => this.exec(bounces.rememberWebhook(provider, messageId, now));

  // ReadModels
  counts = (campaignId: number): Promise<StatusCounts> => this.exec(reads.counts(campaignId));
  deliveries = (campaignId: number, filter?: { status?: DeliveryStatus[]; email?: string }): Promise<DeliveryRow[]> => this.exec(reads.deliveries(campaignId, filter));
  deliveryById = (id: number): Promise<Delivery | undefined> => this.exec(reads.deliveryById(id));
  countsByCampaign = (): Promise<Map<number, StatusCounts>> => this.exec(reads.countsByCampaign());
  outboxCounts = (campaignId?: number): Promise<Map<number, number>> => this.exec(reads.outboxCounts(campaignId));
  queryDeliveries = (campaignId: number, query: DeliveryQuery): Promise<{ rows: DeliveryRow[]; total: number }> => this.exec(reads.queryDeliveries(this.dialect, campaignId, query));
  deliveryRow = (id: number): Promise<(DeliveryRow & { campaignId: number }) | undefined> => this.exec(reads.deliveryRow(id));
  deliveryEvents = (campaignId: number, filter: { types: EventType[]; deliveryIds?: number[] | undefined }): Promise<EventRecord[]> =>
    this.exec(reads.deliveryEvents(this.dialect, campaignId, filter));
  eventSpan = (campaignId: number, types: EventType[]): Promise<{ first: Date; last: Date } | undefined> => this.exec(reads.eventSpan(campaignId, types));
  outcomeSeries = (campaignId: number, types: EventType[], bucketMs: number): Promise<OutcomeBucket[]> => this.exec(reads.outcomeSeries(this.dialect, campaignId, types, bucketMs));
  reasonCounts = (campaignId: number, types: EventType[], by: 'enhanced' | 'domain', limit: number): Promise<ReasonCount[]> =>
    this.exec(reads.reasonCounts(this.dialect, campaignId, types, by, limit));
  deliveryFacets = (campaignId: number, limit: number): Promise<DeliveryFacets> => this.exec(reads.deliveryFacets(this.dialect, campaignId, limit));

  // PublicationStore
  publishRelease = (rows: PublicationInput[], now: Date): Promise<void> => this.transaction(pages.publishRelease(rows, now));
  unpublishRelease = (releaseKey: string): Promise<number> => this.transaction(pages.unpublishRelease(releaseKey));
  publication = (language: string, slug: string, now: Date): Promise<Publication | undefined> => this.exec(pages.publication(language, slug, now));
  publications = (filter: { language?: string; releaseKey?: string; limit?: number }, now: Date): Promise<Publication[]> =>
    this.exec(pages.publications(filter, now));
  // EngagementStore
  engagementTarget = (deliveryId: number): Promise<EngagementTarget | undefined> => this.exec(engagement.engagementTarget(deliveryId));
  recordEngagement = (event: EngagementEvent): Promise<{ stored: boolean }> => this.transaction(engagement.recordEngagement(event));
  deliveryEngagement = (deliveryId: number): Promise<EngagementTotals | undefined> => this.exec(engagement.deliveryEngagement(deliveryId));
  engagementEvents = (deliveryId: number): Promise<EngagementEvent[]> => this.exec(engagement.engagementEvents(deliveryId));
  campaignEngagement = (campaignId: number): Promise<CampaignEngagement> => this.exec(engagement.campaignEngagement(campaignId));
  contactHistory = (key: string, limit?: number): Promise<ContactHistory> => this.exec(contacts.contactHistory(key, limit));
}
