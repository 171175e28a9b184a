import type { Clock } from '../time/clock.js';
import type { Env } from '../config/load.js';
import { parseRate, type Rate } from '../config/rate.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { readAttachmentContents } from '../releases/attachments.js';
import { loadRelease } from '../releases/load.js';
import { compileRelease } from '../render/compile.js';
import { campaignTracking } from '../engagement/settings.js';
import { composeContext, withReleaseSender, type ComposeContext } from '../send/compose.js';
import { openDeliveryLog } from '../log/delivery-log.js';
import { sendCampaign, type Pace, type Progress, type RunSummary } from '../send/sender.js';
import { SharedRateGate } from '../send/shared-limiter.js';
import { defaultTransport, relayTransport } from '../send/transport-factories.js';
import type { Transport } from '../send/transport.js';
import type { Campaign, Store } from '../store/types.js';
import type { Release } from '../releases/types.js';
import type { CompiledRelease } from '../render/types.js';
import { fingerprintFiles } from './fingerprint.js';
import { assertColumnsKept, columnsRead } from './kept-columns.js';
import { transition, type LifecycleDeps } from './lifecycle.js';
import { acquireOrTakeOver } from './lease.js';
import { newOwnerId, ownerIsDead } from '../process/owner.js';
import { recordRunPause } from './pause.js';
import { textChangedError } from './preflight.js';
import { releaseFiles, templatePath } from './plan.js';
import { publishAtStart, readOnlineUrls } from '../newsroom/publish.js';

/** Whether any rate ceiling is set (a count of 0 is no limit). */
function hasCeiling(pace: Pace): boolean {
  return pace.global.count > 0 || pace.perDomain.count > 0 || [...pace.domains.values()].some((r) => r.count > 0);
}

/** How often a running campaign copies its new events to the delivery log (`tail -f` friendly). */
const LOG_CATCH_UP_MS = 500;

export interface RunDeps {
  config: Config;
  env: Env;
  store: Store;
  clock: Clock;
}

export interface PaceOverrides {
  rate?: string | undefined;
  perDomain?: string | undefined;
  concurrency?: number | undefined;
  batchSize?: number | undefined;
  batchPauseMs?: number | undefined;
}

export interface RunOptions {
  waitForRetries: boolean;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /** Put `unknown` deliveries (in flight at a crash) back in line. */
  resendUnknown?: boolean;
  /** Send even though the release or template changed since the campaign was planned. */
  acceptChanges?: boolean;
  pace?: PaceOverrides;
  transport?: Transport;
  owner?: string;
  leaseMs?: number;
  /**
   * Worker mode: share the campaign with other workers (claims, not the campaign lease) and
   * hold the rate ceilings across all of them through the store's ledger.
   */
  shared?: boolean;
  /** A relay named in config `relays` instead of SMTP_URL (per-worker relay or source IP). */
  relay?: string | undefined;
  /**
   * A relay-trouble pause is left for workers to probe and resume (worker mode with config
   * `breaker.autoResume`); otherwise it waits for \`pressline resume\`.
   */
  autoResume?: boolean;
  /** Where a problem that does not stop the send is said (the worker's log); stderr otherwise. */
  warn?: (message: string) => void;
  /** Called once recovery is done and sending is about to begin. */
  onStart?: (info: { recovered: number; requeued: number; transport: string }) => void;
}

/** Config rates with command-line overrides applied. */
export function paceFrom(config: Config, overrides: PaceOverrides = {}): Pace {
  const domains = new Map<string, Rate>();
  for (const [domain, rate] of Object.entries(config.rate.domains)) domains.set(domain.toLowerCase(), parseRate(rate, `rate.domains.${domain}`));
  return {
    global: parseRate(overrides.rate ?? config.rate.global, overrides.rate ? '--rate' : 'rate.global'),
    perDomain: parseRate(overrides.perDomain ?? config.rate.perDomain, overrides.perDomain ? '--per-domain' : 'rate.perDomain'),
    domains,
    concurrency: overrides.concurrency ?? config.rate.concurrency,
    batchSize: overrides.batchSize ?? config.rate.batchSize,
    batchPauseMs: overrides.batchPauseMs ?? config.rate.batchPauseMs,
  };
}

/**
 * When a ledger slot still marked running must belong to a worker that died: no live attempt
 * outlasts the connection, greeting and socket timeouts together, nor a live worker its lease.
 */
function slotStaleMs(config: Config, leaseMs: number): number {
  return Math.max(leaseMs, config.smtp.connectionTimeoutMs + config.smtp.greetingTimeoutMs + config.smtp.socketTimeoutMs);
}

async function takeCampaign(store: Store, id: number, owner: string, now: Date, leaseMs: number): Promise<void> {
  if (await acquireOrTakeOver(store, id, owner, now, leaseMs)) {
    const workers = await store.liveClaimHolders(id, now, owner);
    if (workers.length === 0) return;
    await store.releaseCampaign(id, owner);
    throw new PresslineError(
      'REFUSED',
      `campaign ${id} is being sent by ${workers.length === 1 ? 'worker' : 'workers'} ${workers.join(', ')}; pause it with \`pressline pause ${id}\` or let them finish`,
    );
  }
  const holder = await store.campaignOwner(id);
  throw new PresslineError(
    'REFUSED',
    `campaign ${id} is being sent by ${holder?.owner ?? 'another process'} (lease until ${holder?.expires.toISOString() ?? '?'}); pause it with \`pressline pause ${id}\` or wait for that process to stop`,
  );
}

/** What an embargoed copy that never went out is marked with. */
const EMBARGO_SKIP = 'the embargo lifted before the embargoed phase reached this recipient';

/** A run's end that changes no status still gets a `campaign` event, for the log. */
function noteRunEnd(store: Store, campaignId: number, now: Date, detail: string): Promise<void> {
  return store.addEvent({ campaignId, deliveryId: undefined, at: now, type: 'campaign', detail });
}

/** Who holds the campaign alone right now (an interactive `send`/`resume`), if anyone. */
export async function heldAlone(store: Store, id: number, now: Date): Promise<string | undefined> {
  const holder = await store.campaignOwner(id);
  return holder && holder.expires > now && !ownerIsDead(holder.owner) ? holder.owner : undefined;
}

/** Worker mode: join the campaign unless an interactive `send`/`resume` holds it alone. */
async function joinCampaign(store: Store, id: number, now: Date): Promise<void> {
  const holder = await heldAlone(store, id, now);
  if (holder) throw new PresslineError('REFUSED', `campaign ${id} is being sent by ${holder} on its own; workers join when it stops`);
}

/**
 * What every message of a campaign is made from: the release compiled as of `now` (before the
 * lift it renders embargoed) and the campaign's compose context. The send and the dashboard's
 * "view the message" both start here, so what the dashboard shows is what the send composes.
 */
export async function campaignMessages(
  deps: { config: Config; env: Env; store: Store },
  campaign: Campaign,
  release: Release,
  templateFile: string | undefined,
  now: Date,
): Promise<{ compiled: CompiledRelease; compose: ComposeContext }> {
  const { config, env, store } = deps;
  const columns = campaign.options.columns ?? [];
  // Lifted copies link the release's newsroom page (published as the send starts).
  const readOnline = await readOnlineUrls(config, env.secret, campaign, release, now, async (releaseKey) =>
    store.publications({ releaseKey }, now),
  );
  const compiled = await compileRelease(release, { config, now, columns, templateFile, ...(readOnline ? { readOnline } : {}) });
  // A release edited after planning to merge a column that was not stored is refused by name.
  assertColumnsKept(campaign.id, columnsRead([compiled], columns), campaign.options.keptColumns);
  const compose = composeContext(
    withReleaseSender(config, release),
    campaign.id,
    {
      instance: await store.instanceId(),
      secret: env.secret,
      test: campaign.test,
      attachments: await readAttachmentContents(release.attachments),
      // Decided per recipient as each message renders (engagement/links.ts).
      tracking: campaign.test ? undefined : campaignTracking(config, campaign.options.track, env.secret, columns),
    },
  );
  return { compiled, compose };
}

/**
 * `resume --workers`: a paused campaign goes back to the workers instead of being sent from this
 * terminal. Only its status changes (the workers join a `sending` campaign with due deliveries);
 * with `resendUnknown`, deliveries whose fate is unknown are queued again first.
 */
export async function handToWorkers(deps: LifecycleDeps, campaignId: number, now: Date, options: { resendUnknown?: boolean } = {}): Promise<{ requeued: number }> {
  const { store } = deps;
  const campaign = await store.getCampaign(campaignId);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${campaignId}; \`pressline campaigns\` lists them`);
  if (campaign.status !== 'paused') {
    throw new PresslineError('REFUSED', `campaign ${campaignId} is ${campaign.status}, not paused; only a paused campaign is handed back to the workers`);
  }
  const requeued = options.resendUnknown ? await store.requeue(campaignId, ['unknown'], now) : 0;
  if (!(await transition(deps, campaignId, 'handToWorkers', now, { reason: 'resumed for the workers' }))) {
    throw new PresslineError('REFUSED', `campaign ${campaignId} changed status meanwhile; look again with \`pressline campaigns\``);
  }
  return { requeued };
}

/**
 * Sends (or resumes) a planned campaign: takes its lease, turns what a dead process left in
 * flight into `unknown`, checks the release is unchanged, and sends until done or stopped.
 */
export async function runCampaign(campaignId: number, deps: RunDeps, options: RunOptions): Promise<RunSummary> {
  const { config, env, store, clock } = deps;
  const campaign = await store.getCampaign(campaignId);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${campaignId}; \`pressline campaigns\` lists them`);
  if (campaign.status === 'cancelled' || campaign.status === 'missed') {
    throw new PresslineError('REFUSED', `campaign ${campaignId} is ${campaign.status}; it will not be sent`);
  }
  if (campaign.status === 'planning') {
    // Not every recipient is stored yet: sending now would leave the rest out and call it done.
    throw new PresslineError('REFUSED', `campaign ${campaignId} is still being planned (or its planning was interrupted); \`pressline resume ${campaignId}\` finishes planning first`);
  }
  const owner = options.owner ?? newOwnerId();
  const leaseMs = options.leaseMs ?? 60_000;
  if (options.shared) await joinCampaign(store, campaignId, clock.now());
  else await takeCampaign(store, campaignId, owner, clock.now(), leaseMs);
  let transport: Transport | undefined;
  // The delivery log copies the store's events as they are committed, from here to the end.
  // On the sending thread: a thread of its own for the copy (tried) sent no faster in paired
  // bench/send runs, and its second heap and module graph cost ~30 MB of peak RSS.
  const log = openDeliveryLog(store, config.paths.logs, campaignId).follow(LOG_CATCH_UP_MS);
  try {
    const recovered = await store.recoverInFlight(campaignId, clock.now());
    const requeued = options.resendUnknown ? await store.requeue(campaignId, ['unknown'], clock.now()) : 0;

    const release = await loadRelease(campaign.releaseFile, config);
    const templateFile = templatePath(config, campaign.options.templateFile);
    const fingerprint = await fingerprintFiles(releaseFiles(release, templateFile));
    if (!campaign.startedAt) {
      // Nothing has gone out yet (a scheduled send): whatever the release says now is what
      // everyone gets. From here on, a change would split the audience, so it is guarded.
      await store.updateCampaignOptions(campaignId, { ...campaign.options, fingerprint });
    } else if (fingerprint !== campaign.options.fingerprint && !options.acceptChanges) {
      throw textChangedError(campaignId);
    }
    const embargo = release.embargo;
    if (campaign.phase === 'public' && embargo && clock.now() < embargo.instant) {
      throw new PresslineError('REFUSED', `campaign ${campaignId} is the public phase and the embargo holds until ${embargo.text}; it starts at the lift`);
    }
    if (campaign.phase === 'public' && campaign.groupId !== undefined) {
      await store.releaseUnreachedFromEmbargo(campaignId, campaign.groupId, clock.now());
    }
    // An embargoed phase may not start a copy at or after the lift, whatever happens meanwhile.
    const deadline = campaign.phase === 'embargoed' && embargo ? embargo.instant : undefined;
    if (deadline && clock.now() >= deadline) {
      await transition(deps, campaignId, 'miss', clock.now(), { reason: `embargo lifted at ${embargo!.text}; embargoed copies not sent`, skipOpen: EMBARGO_SKIP });
      throw new PresslineError('REFUSED', `campaign ${campaignId} is an embargoed phase and the embargo lifted at ${embargo!.text}; it is marked missed and will not be sent`);
    }
    const { compiled, compose } = await campaignMessages(deps, campaign, release, templateFile, clock.now());
    transport = options.transport ?? (options.relay ? relayTransport(config, env, options.relay) : defaultTransport(config, env, campaignId));
    if (!(await transition(deps, campaignId, 'start', clock.now(), { reason: campaign.status === 'sending' ? 'resumed' : undefined }))) {
      throw new PresslineError('REFUSED', `campaign ${campaignId} changed status meanwhile; look again with \`pressline campaigns\``);
    }
    // The public copies and the public page go together: published in the step that starts them.
    await publishAtStart(deps, campaign, release, fingerprint, clock.now(), options.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`)));
    options.onStart?.({ recovered, requeued, transport: transport.name });

    const pace = paceFrom(config, options.pace ?? campaign.options.pace);
    const summary = await sendCampaign({
      campaignId,
      store,
      transport,
      compiled,
      compose,
      pace,
      shared: options.shared,
      // A ceiling holds for everything sent through the store at once (workers, another `send`
      // of another campaign), so every ceiling goes through the store's ledger. Without one there
      // is nothing to share.
      sharedRates: hasCeiling(pace) ? new SharedRateGate(store, owner, pace.global, pace.perDomain, pace.domains, slotStaleMs(config, leaseMs)) : undefined,
      deadline,
      retry: config.retry,
      breaker: config.breaker,
      clock,
      owner,
      leaseMs,
      waitForRetries: options.waitForRetries,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const now = clock.now();
    switch (summary.end) {
      case 'done':
        // Refused by the store while any delivery is still open (another worker's, a retry):
        // then whoever settles the last one finishes it.
        if (!(await transition(deps, campaignId, 'finish', now))) await noteRunEnd(store, campaignId, now, 'deliveries remain open; the campaign stays sending');
        break;
      case 'paused':
        await recordRunPause(deps, campaignId, now, summary, options.autoResume ?? false);
        break;
      case 'embargo-lifted':
        await transition(deps, campaignId, 'stopAtLift', now, { reason: 'stopped at the embargo lift; embargoed copies not sent', skipOpen: EMBARGO_SKIP });
        break;
      case 'cancelled': // recorded by the cancel itself
        break;
      case 'retries-pending':
      case 'lost-lease':
      case 'interrupted':
        // No change of status records these ends: an event of their own does, for the log.
        await noteRunEnd(store, campaignId, now, `${summary.end}${summary.reason ? `: ${summary.reason}` : ''}`);
        break;
      default: {
        const never: never = summary.end;
        throw new Error(`unhandled end ${String(never)}`);
      }
    }
    return summary;
  } finally {
    await log.stop();
    await transport?.close();
    await store.releaseCampaign(campaignId, owner);
  }
}
