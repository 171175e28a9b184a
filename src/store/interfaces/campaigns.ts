import type { Contact } from '../../lists/contact.js';
import type { CampaignOptions } from '../campaign-options.js';
import type { CampaignPhase, CampaignStatus, DeliveryStatus, PauseKind } from '../../domain/status.js';

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

/** What addDeliveries may set besides the contact and status. */
export interface NewDeliveryOptions {
  /** The `planned` (or status) event's detail. */
  detail?: string | undefined;
  /** Holds a recipient back until that instant (local delivery time). */
  notBefore?: ((c: Contact) => Date | undefined) | undefined;
  /** The Message-ID its message will carry (assigned at planning, kept across retries). */
  messageId?: ((c: Contact) => string) | undefined;
}

/** A list row left out of a campaign, with why. */
export interface SkippedRow {
  file: string;
  line: number;
  email: string;
  reason: string;
}

/** Campaigns and their planning: rows, recipients, status changes. */
export interface CampaignStore {
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
}
