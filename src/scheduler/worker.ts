import type { Logger } from 'pino';
import type { App } from '../app.js';
import { ownerIsDead } from '../campaigns/owner.js';
import { heldAlone, runCampaign } from '../campaigns/run.js';
import { loadRelease } from '../releases/load.js';
import type { RunSummary } from '../send/sender.js';
import { unknownAdvice } from '../send/outcome.js';
import type { Campaign } from '../store/types.js';
import { formatWithUtc } from './display.js';
import { checkSchedule, decideAtStart } from './guards.js';

/** What one look at the store decided for one campaign. */
export type WorkerAction =
  | { kind: 'start'; campaignId: number; late?: string }
  | { kind: 'resume'; campaignId: number; why: string }
  | { kind: 'missed'; campaignId: number; why: string }
  | { kind: 'rescheduled'; campaignId: number; to: Date; why: string }
  | { kind: 'held'; campaignId: number; why: string }
  | { kind: 'error'; campaignId: number; error: string };

/**
 * Whether a worker should join a campaign that is sending: there are due deliveries nobody
 * holds, or messages in flight whose sender is gone. Workers share a campaign, so other workers
 * on it are no reason to stay away; an interactive `send`/`resume` holding it alone is.
 */
async function hasWorkNow(app: App, c: Campaign, now: Date): Promise<string | undefined> {
  if (await heldAlone(app.store, c.id, now)) return undefined;
  // A worker on this host that died lets go of its claims at once instead of after the lease.
  for (const owner of await app.store.liveClaimHolders(c.id, now)) {
    if (ownerIsDead(owner)) await app.store.forceReleaseCampaign(c.id, owner);
  }
  const work = await app.store.claimableWork(c.id, now);
  if (work.lapsedInFlight > 0) return `${work.lapsedInFlight} messages were in flight when their sender stopped`;
  if (work.due > 0) return 'deliveries are due (pending, retries or local delivery times)';
  return undefined;
}

/**
 * Decides, from the store alone, what is due at `now`: scheduled campaigns whose time has come
 * (through the embargo guards, with the release re-read so an edited embargo is honoured),
 * interrupted sends, and deferred retries. Changes only statuses and schedule times; starting
 * the sends is the caller's job. `busy` are campaigns this worker is already running.
 */
export async function decideDue(app: App, now: Date, busy: Set<number>): Promise<WorkerAction[]> {
  const actions: WorkerAction[] = [];
  for (const c of await app.store.listCampaigns()) {
    if (busy.has(c.id)) continue;
    try {
      if (c.status === 'scheduled' && c.scheduledAt) {
        const action = await decideScheduled(app, c, now);
        if (action) actions.push(action);
      } else if (c.status === 'sending') {
        const why = await hasWorkNow(app, c, now);
        if (why) actions.push({ kind: 'resume', campaignId: c.id, why });
      }
    } catch (err) {
      actions.push({ kind: 'error', campaignId: c.id, error: (err as Error).message });
    }
  }
  return actions;
}

async function decideScheduled(app: App, c: Campaign, now: Date): Promise<WorkerAction | undefined> {
  const phase = c.phase ?? 'single';
  const embargo = (await loadRelease(c.releaseFile, app.config)).embargo;
  const zone = embargo?.zone ?? c.scheduleZone ?? app.config.defaultTimeZone;
  const moved = (embargo?.instant.getTime() ?? null) !== (c.embargoAt?.getTime() ?? null);
  if (moved && phase === 'public' && embargo && c.scheduledAt!.getTime() === c.embargoAt?.getTime()) {
    // The public phase was set for the lift: it follows the lift.
    await app.store.reschedule(c.id, embargo.instant, embargo.instant);
    return { kind: 'rescheduled', campaignId: c.id, to: embargo.instant, why: `the release's embargo moved; the public phase follows it to ${formatWithUtc(embargo.instant, zone)}` };
  }
  if (moved) {
    const check = checkSchedule(phase, c.scheduledAt!, embargo, app.config.embargo.minLeadHours);
    if (!check.ok) {
      await app.store.setCampaignStatus(c.id, 'paused', now, { from: ['scheduled'], reason: `the release's embargo changed: ${check.reason}; reschedule or cancel it` });
      return { kind: 'held', campaignId: c.id, why: check.reason };
    }
    // Still fine with the moved embargo: it is the one the next move is compared with.
    await app.store.reschedule(c.id, c.scheduledAt!, embargo?.instant ?? null);
  }
  const decision = decideAtStart(phase, c.scheduledAt!, now, embargo);
  switch (decision.action) {
    case 'wait':
      if (phase === 'public' && embargo && c.scheduledAt! < embargo.instant) {
        await app.store.reschedule(c.id, embargo.instant, embargo.instant);
        return { kind: 'rescheduled', campaignId: c.id, to: embargo.instant, why: decision.message ?? 'waiting for the lift' };
      }
      return undefined;
    case 'missed': {
      const skipped = await app.store.skipRemaining(c.id, 'the embargoed phase did not start before the embargo lifted', now);
      await app.store.setCampaignStatus(c.id, 'missed', now, { from: ['scheduled'], reason: `${decision.message} (${skipped} recipients)` });
      return { kind: 'missed', campaignId: c.id, why: decision.message ?? 'embargo lifted' };
    }
    case 'send-late':
      return { kind: 'start', campaignId: c.id, late: decision.message };
    case 'send':
      return { kind: 'start', campaignId: c.id, ...(decision.message ? { late: decision.message } : {}) };
    default: {
      const never: never = decision.action;
      throw new Error(`unhandled decision ${String(never)}`);
    }
  }
}

export interface WorkerOptions {
  intervalMs: number;
  signal: AbortSignal;
  log: Logger;
  owner: string;
  /** A relay from config `relays` instead of SMTP_URL. */
  relay?: string | undefined;
  /** Stop after one look (tests, cron). */
  once?: boolean;
}

/**
 * The long-running loop behind `pressline worker`: every interval, start what is due, each
 * campaign as its own task. On abort (SIGTERM), sends stop after their messages in flight and
 * stay `sending`, so the next worker picks them up; nothing scheduled is lost.
 */
export async function runWorker(app: App, options: WorkerOptions): Promise<void> {
  const running = new Map<number, Promise<void>>();
  const { log } = options;
  log.info({ interval: options.intervalMs, owner: options.owner, relay: options.relay ?? 'SMTP_URL' }, 'worker started');
  while (!options.signal.aborted) {
    const actions = await decideDue(app, app.clock.now(), new Set(running.keys()));
    for (const a of actions) {
      switch (a.kind) {
        case 'start':
        case 'resume': {
          if (a.kind === 'start' && a.late) log.warn({ campaign: a.campaignId }, a.late);
          log.info({ campaign: a.campaignId, why: a.kind === 'resume' ? a.why : 'scheduled time reached' }, 'starting campaign');
          const task = runCampaign(a.campaignId, app, {
            waitForRetries: false,
            signal: options.signal,
            owner: options.owner,
            shared: true,
            relay: options.relay,
            leaseMs: app.config.worker.leaseMs,
          })
            .then((s: RunSummary) =>
              s.counts.unknown > 0
                ? log.warn({ campaign: a.campaignId, end: s.end, reason: s.reason, counts: s.counts }, `campaign run ended; ${unknownAdvice(a.campaignId, s.counts.unknown)}`)
                : log.info({ campaign: a.campaignId, end: s.end, reason: s.reason, counts: s.counts }, 'campaign run ended'),
            )
            .catch((err: Error) => log.error({ campaign: a.campaignId, err: err.message }, 'campaign run failed'))
            .finally(() => running.delete(a.campaignId));
          running.set(a.campaignId, task);
          break;
        }
        case 'missed':
          log.error({ campaign: a.campaignId }, `missed: ${a.why}`);
          break;
        case 'rescheduled':
          log.warn({ campaign: a.campaignId, to: a.to.toISOString() }, a.why);
          break;
        case 'held':
          log.error({ campaign: a.campaignId }, `held for a person: ${a.why}`);
          break;
        case 'error':
          log.error({ campaign: a.campaignId, err: a.error }, 'cannot check campaign');
          break;
        default: {
          const never: never = a;
          throw new Error(`unhandled action ${JSON.stringify(never)}`);
        }
      }
    }
    if (options.once) break;
    await app.clock.sleep(options.intervalMs, options.signal);
  }
  await Promise.all(running.values());
  log.info('worker stopped');
}
