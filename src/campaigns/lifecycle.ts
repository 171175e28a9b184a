import { PresslineError } from '../errors.js';
import { openDeliveryLog } from '../log/delivery-log.js';
import type { Campaign, CampaignStatus, PauseKind, PlanConflict, ReleaseIdentity, Store } from '../store/types.js';
import { STILL_SENDING } from '../domain/rules.js';
import { ownerIsDead } from '../process/owner.js';

/**
 * The one owner of campaign status. Every change goes through `transition` (or `finishPlanning`),
 * which asks the store for one compare-and-set transaction that also writes the `campaign` event,
 * and then copies the event to the delivery log, wherever the change was asked for (CLI,
 * dashboard, worker, sender). The same operation allows the same states everywhere.
 *
 *   planning ──finishPlanning──► draft | scheduled     (or cancelled: refused as a second send)
 *   draft | scheduled | paused | sending | done ──start──► sending
 *   draft | scheduled | sending ──pause──► paused      sending ──pauseRun──► paused
 *   scheduled ──hold──► paused                          paused (relay) ──takeOverRelayPause──► paused (operator)
 *   paused (relay) ──resumeAfterRelay──► sending
 *   paused ──handToWorkers──► sending
 *   sending ──finish──► done                            (the store refuses while deliveries are open)
 *   sending ──stopAtLift──► done                        (open deliveries skipped in the same transaction)
 *   scheduled | sending ──miss──► missed                (open deliveries skipped in the same transaction)
 *   planning | draft | scheduled | sending | paused ──cancel──► cancelled
 */
export const TRANSITIONS = {
  /** A sender takes the campaign (again): a resume after a crash, or `--resend-unknown` after done. */
  start: { from: ['draft', 'scheduled', 'paused', 'sending', 'done'], to: 'sending' },
  /** An operator, or a check that failed before sending. */
  pause: { from: ['draft', 'scheduled', 'sending'], to: 'paused' },
  /** A run ends paused (breaker, Ctrl-C, a failed store write): only a campaign still sending. */
  pauseRun: { from: ['sending'], to: 'paused' },
  /** An operator takes over a pause that workers would end when the relay answers. */
  takeOverRelayPause: { from: ['paused'], fromPause: ['relay'], to: 'paused' },
  /** A worker's probe found the relay answering: only a campaign still paused for the relay. */
  resumeAfterRelay: { from: ['paused'], fromPause: ['relay'], to: 'sending' },
  /** A scheduled campaign that cannot start as planned (an edited embargo would overtake it, its release no longer loads) waits for a person. */
  hold: { from: ['scheduled'], to: 'paused' },
  /** `resume --workers`: the workers take a paused campaign back. */
  handToWorkers: { from: ['paused'], to: 'sending' },
  finish: { from: ['sending'], to: 'done' },
  /** An embargoed phase reached the lift while sending: the rest is never sent. */
  stopAtLift: { from: ['sending'], to: 'done' },
  /** An embargoed phase that cannot start before the lift. */
  miss: { from: ['scheduled', 'sending'], to: 'missed' },
  cancel: { from: ['planning', 'draft', 'scheduled', 'sending', 'paused'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly CampaignStatus[]; fromPause?: readonly PauseKind[]; to: CampaignStatus }>;

export type CampaignOperation = keyof typeof TRANSITIONS;

/** What a transition needs: the store, and where the delivery log lives. */
export interface LifecycleDeps {
  store: Store;
  config: { paths: { logs: string } };
}

/**
 * Applies `operation` to the campaign when its status allows it; returns whether it did. With
 * `skipOpen`, pending and deferred deliveries become `skipped` with that reason in the same
 * transaction (an embargo lift, a missed phase).
 */
export async function transition(
  deps: LifecycleDeps,
  campaignId: number,
  operation: CampaignOperation,
  now: Date,
  options: { reason?: string | undefined; skipOpen?: string | undefined; pause?: PauseKind | undefined } = {},
): Promise<boolean> {
  const rule: { from: readonly CampaignStatus[]; fromPause?: readonly PauseKind[]; to: CampaignStatus } = TRANSITIONS[operation];
  const changed = await deps.store.transitionCampaign(
    campaignId,
    { from: rule.from, fromPause: rule.fromPause, to: rule.to, reason: options.reason, skipOpen: options.skipOpen, pause: options.pause },
    now,
  );
  if (changed) await openDeliveryLog(deps.store, deps.config.paths.logs, campaignId).catchUp();
  return changed;
}

/** The states `operation` may start from, for messages ("only a paused campaign…"). */
export function allowedFrom(operation: CampaignOperation): readonly CampaignStatus[] {
  return TRANSITIONS[operation].from;
}

/**
 * Ends planning: the campaign becomes `to` and claimable. Unless `again`, it is refused (and
 * becomes `cancelled`, with the reason) when another campaign of the same release reached, or is
 * about to reach, any of its recipients; the error says which campaigns and how many.
 */
export async function finishPlanning(
  deps: LifecycleDeps,
  campaignId: number,
  to: 'draft' | 'scheduled',
  now: Date,
  guard: { release: ReleaseIdentity; again: boolean },
): Promise<void> {
  const result = await deps.store.finishPlanning(campaignId, to, now, guard.again ? undefined : { release: guard.release, refusal: describeConflicts });
  await openDeliveryLog(deps.store, deps.config.paths.logs, campaignId).catchUp();
  if (!result.ok) {
    throw new PresslineError(
      'REFUSED',
      `campaign ${campaignId} not sent: ${describeConflicts(result.conflicts)}; pass --new-only to send only to those who have not had it, or --again to send it to everyone anyway`,
    );
  }
}

/** "journalists already had or are about to get this release: 40 from campaign 3 (sending), 2 from campaign 5 (done)". */
export function describeConflicts(conflicts: PlanConflict[]): string {
  // Counted per campaign: one journalist may be in two of them, so the counts are not summed.
  return `journalists already had or are about to get this release: ${conflicts.map((c) => `${c.recipients} from campaign ${c.campaignId} (${c.status})`).join(', ')}`;
}

/** Whether a campaign in `planning` has a live planner, or was left behind by one that stopped. */
export async function planningInterrupted(store: Store, campaignId: number, now: Date): Promise<boolean> {
  const holder = await store.campaignOwner(campaignId);
  return !holder || holder.expires <= now || ownerIsDead(holder.owner);
}

/**
 * Why the campaign stands where it stands, for people (`campaigns`, dashboard, reports): the
 * stored reason, or for a plan whose planner stopped, what to do about it.
 */
export async function explainStatus(store: Store, c: Campaign, now: Date): Promise<string | undefined> {
  if (c.status === 'planning' && (await planningInterrupted(store, c.id, now))) {
    return `planning interrupted: finish it with \`pressline resume ${c.id}\`, or \`pressline cancel ${c.id}\``;
  }
  return c.statusReason;
}

/**
 * Before anything is stored: the refusal a plan meets at the end of planning, said up front so
 * nobody confirms a send that will be refused. None with `again`; with `newOnly`, only for
 * recipients another campaign may still send to (those it reached are left out).
 */
export function overlapRefusal(
  plan: { overlap: PlanConflict[]; alreadyHad: number; stillComing: number },
  flags: { again?: boolean | undefined; newOnly?: boolean | undefined },
): PresslineError | undefined {
  if (flags.again || plan.overlap.length === 0) return undefined;
  if (flags.newOnly) {
    if (plan.stillComing === 0) return undefined;
    const waiting = plan.overlap.filter((c) => STILL_SENDING.includes(c.status)).map((c) => `campaign ${c.campaignId} (${c.status})`);
    return new PresslineError(
      'REFUSED',
      `${plan.stillComing} of these journalists are still to get this release from ${waiting.join(', ')}; let it finish or cancel it first, or pass --again`,
    );
  }
  return new PresslineError('REFUSED', `not sent: ${describeConflicts(plan.overlap)}; pass --new-only to send only to those who have not had it, or --again to send it to everyone anyway`);
}
