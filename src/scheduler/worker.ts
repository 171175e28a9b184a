import type { Logger } from 'pino';
import { PresslineError } from '../errors.js';
import { ownerIsDead } from '../process/owner.js';
import { planningInterrupted, transition } from '../campaigns/lifecycle.js';
import { holdUnstartable, preflightCampaign, unstartableReason } from '../campaigns/preflight.js';
import { heldAlone, runCampaign, type RunDeps } from '../campaigns/run.js';
import { defaultTransport, relayTransport } from '../send/transport-factories.js';
import { loadRelease } from '../releases/load.js';
import type { RunSummary } from '../send/sender.js';
import { unknownAdvice } from '../send/outcome.js';
import type { Campaign } from '../store/types.js';
import { formatWithUtc } from './display.js';
import { checkSchedule, decideAtStart } from './guards.js';
import { RelayRecovery } from './relay-recovery.js';

/** What one look at the store decided for one campaign. */
export type WorkerAction =
  | { kind: 'start'; campaignId: number; late?: string }
  | { kind: 'resume'; campaignId: number; why: string }
  | { kind: 'missed'; campaignId: number; why: string }
  | { kind: 'rescheduled'; campaignId: number; to: Date; why: string }
  | { kind: 'held'; campaignId: number; why: string }
  | { kind: 'awaiting-relay'; campaign: Campaign }
  | { kind: 'error'; campaignId: number; error: string }
  | { kind: 'stalled'; campaignId: number; why: string };

/**
 * Whether a worker should join a campaign that is sending: there are due deliveries nobody
 * holds, or messages in flight whose sender is gone. Workers share a campaign, so other workers
 * on it are no reason to stay away; an interactive `send`/`resume` holding it alone is.
 */
async function hasWorkNow(deps: RunDeps, c: Campaign, now: Date): Promise<string | undefined> {
  if (await heldAlone(deps.store, c.id, now)) return undefined;
  // A worker on this host that died lets go of its claims at once instead of after the lease.
  for (const owner of await deps.store.liveClaimHolders(c.id, now)) {
    if (ownerIsDead(owner)) await deps.store.forceReleaseCampaign(c.id, owner);
  }
  const work = await deps.store.claimableWork(c.id, now);
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
export async function decideDue(deps: RunDeps, now: Date, busy: Set<number>): Promise<WorkerAction[]> {
  const actions: WorkerAction[] = [];
  for (const c of await deps.store.listCampaigns()) {
    if (busy.has(c.id)) continue;
    try {
      if (c.status === 'scheduled' && c.scheduledAt) {
        const action = await decideScheduled(deps, c, now);
        if (action) actions.push(action);
      } else if (c.status === 'sending') {
        const why = await hasWorkNow(deps, c, now);
        if (why) actions.push({ kind: 'resume', campaignId: c.id, why });
      } else if (c.status === 'planning' && (await planningInterrupted(deps.store, c.id, now))) {
        // Never sent as it is (part of its list is missing), and nobody is finishing it.
        actions.push({ kind: 'stalled', campaignId: c.id, why: `planning was interrupted before every recipient was stored; finish it with \`pressline resume ${c.id}\` or drop it with \`pressline cancel ${c.id}\`` });
      } else if (c.status === 'paused' && c.pausedKind === 'relay') {
        actions.push({ kind: 'awaiting-relay', campaign: c });
      }
    } catch (err) {
      actions.push({ kind: 'error', campaignId: c.id, error: (err as Error).message });
    }
  }
  return actions;
}

async function decideScheduled(deps: RunDeps, c: Campaign, now: Date): Promise<WorkerAction | undefined> {
  const phase = c.phase ?? 'single';
  let release;
  try {
    release = await loadRelease(c.releaseFile, deps.config);
  } catch (err) {
    // A due campaign whose release no longer loads (deleted, broken, an attachment refused) would
    // fail at every poll: it waits for a person instead, once, with the reason.
    if (!(err instanceof PresslineError) || c.scheduledAt! > now) throw err;
    const why = `cannot load the release: ${err.message}; fix it, then \`pressline resume ${c.id} --workers\``;
    return (await transition(deps, c.id, 'hold', now, { reason: why })) ? { kind: 'held', campaignId: c.id, why } : undefined;
  }
  const embargo = release.embargo;
  const zone = embargo?.zone ?? c.scheduleZone ?? deps.config.defaultTimeZone;
  const moved = (embargo?.instant.getTime() ?? null) !== (c.embargoAt?.getTime() ?? null);
  if (moved && phase === 'public' && embargo && c.scheduledAt!.getTime() === c.embargoAt?.getTime()) {
    // The public phase was set for the lift: it follows the lift.
    await deps.store.reschedule(c.id, embargo.instant, embargo.instant);
    return { kind: 'rescheduled', campaignId: c.id, to: embargo.instant, why: `the release's embargo moved; the public phase follows it to ${formatWithUtc(embargo.instant, zone)}` };
  }
  if (moved) {
    const check = checkSchedule(phase, c.scheduledAt!, embargo, deps.config.embargo.minLeadHours);
    if (!check.ok) {
      await transition(deps, c.id, 'hold', now, { reason: `the release's embargo changed: ${check.reason}; reschedule or cancel it` });
      return { kind: 'held', campaignId: c.id, why: check.reason };
    }
    // Still fine with the moved embargo: it is the one the next move is compared with.
    await deps.store.reschedule(c.id, c.scheduledAt!, embargo?.instant ?? null);
  }
  const decision = decideAtStart(phase, c.scheduledAt!, now, embargo);
  switch (decision.action) {
    case 'wait':
      if (phase === 'public' && embargo && c.scheduledAt! < embargo.instant) {
        await deps.store.reschedule(c.id, embargo.instant, embargo.instant);
        return { kind: 'rescheduled', campaignId: c.id, to: embargo.instant, why: decision.message ?? 'waiting for the lift' };
      }
      return undefined;
    case 'missed': {
      await transition(deps, c.id, 'miss', now, { reason: decision.message, skipOpen: 'the embargoed phase did not start before the embargo lifted' });
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

/**
 * Runs a due campaign, unless this worker cannot send it at all (secret, DKIM key, relay,
 * template, attachments): then it is paused with the reason and logged once at error, never
 * tried again at every poll. Undefined when it did not start.
 */
async function startUnlessUnfit(deps: RunDeps, campaignId: number, options: WorkerOptions, autoResume: boolean): Promise<RunSummary | undefined> {
  const campaign = await deps.store.getCampaign(campaignId);
  const problems = campaign ? await preflightCampaign(deps, campaign, { relay: options.relay }) : [];
  if (problems.length > 0) {
    const reason = unstartableReason(campaignId, problems, options.owner);
    const held = await holdUnstartable(deps, campaignId, deps.clock.now(), reason);
    options.log.error({ campaign: campaignId, problems: problems.map((p) => p.message), paused: held }, held ? `campaign paused: ${reason}` : `campaign cannot start (its status changed meanwhile): ${reason}`);
    return undefined;
  }
  return runCampaign(campaignId, deps, {
    waitForRetries: false,
    signal: options.signal,
    owner: options.owner,
    shared: true,
    relay: options.relay,
    leaseMs: deps.config.worker.leaseMs,
    autoResume,
    warn: (message) => options.log.warn({ campaign: campaignId }, message),
  });
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
 * decideDue, but a failure (the store down longer than its retries lasted, or a fault no retry
 * cures) costs one poll, said at error, instead of the worker: the next poll looks again.
 */
async function decideDueOrNothing(deps: RunDeps, now: Date, busy: Set<number>, log: Logger): Promise<WorkerAction[]> {
  try {
    return await decideDue(deps, now, busy);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'cannot look for due campaigns; looking again at the next poll');
    return [];
  }
}

/**
 * The long-running loop behind `pressline worker`: every interval, start what is due, each
 * campaign as its own task. On abort (SIGTERM), sends stop after their messages in flight and
 * stay `sending`, so the next worker picks them up; nothing scheduled is lost.
 */
export async function runWorker(deps: RunDeps, options: WorkerOptions): Promise<void> {
  const running = new Map<number, Promise<void>>();
  const stalled = new Set<number>();
  const { log } = options;
  const autoResume = deps.config.breaker.autoResume;
  const recovery = autoResume ? relayRecovery(deps, log, options.relay) : undefined;
  log.info({ interval: options.intervalMs, owner: options.owner, relay: options.relay ?? 'SMTP_URL', autoResume }, 'worker started');
  if (!options.relay && !deps.env.smtpUrl) {
    log.warn({ outbox: deps.config.paths.outbox }, `no SMTP_URL set: due campaigns are written to the outbox folder ${deps.config.paths.outbox}/<campaign>/ as .eml files and nothing is sent`);
  }
  while (!options.signal.aborted) {
    const actions = await decideDueOrNothing(deps, deps.clock.now(), new Set(running.keys()), log);
    const awaitingRelay: Campaign[] = [];
    for (const a of actions) {
      switch (a.kind) {
        case 'start':
        case 'resume': {
          if (a.kind === 'start' && a.late) log.warn({ campaign: a.campaignId }, a.late);
          log.info({ campaign: a.campaignId, why: a.kind === 'resume' ? a.why : 'scheduled time reached' }, 'starting campaign');
          const task = startUnlessUnfit(deps, a.campaignId, options, autoResume)
            .then((s: RunSummary | undefined) => s && logRunEnd(log, a.campaignId, s, autoResume))
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
        case 'stalled':
          // Once per campaign and worker: it says the same thing on every poll.
          if (!stalled.has(a.campaignId)) log.warn({ campaign: a.campaignId }, a.why);
          stalled.add(a.campaignId);
          break;
        case 'awaiting-relay':
          awaitingRelay.push(a.campaign);
          break;
        default: {
          const never: never = a;
          throw new Error(`unhandled action ${JSON.stringify(never)}`);
        }
      }
    }
    recovery?.poll(awaitingRelay);
    if (options.once) break;
    // A probe due before the next look is not kept waiting for it.
    await deps.clock.sleep(Math.min(options.intervalMs, recovery?.msUntilNextProbe() ?? Infinity), options.signal);
  }
  await Promise.all(running.values());
  await recovery?.idle();
  log.info('worker stopped');
}

/** The worker's relay recovery: probes through a fresh transport each time (the same settings as sending). */
function relayRecovery(deps: RunDeps, log: Logger, relay: string | undefined): RelayRecovery {
  const open = () => (relay ? relayTransport(deps.config, deps.env, relay) : defaultTransport(deps.config, deps.env, 0));
  return new RelayRecovery({
    store: deps.store,
    config: deps.config,
    clock: deps.clock,
    log,
    relay: relay ?? 'SMTP_URL',
    settings: { initialMs: deps.config.breaker.probeInitialMs, maxMs: deps.config.breaker.probeMaxMs },
    async probe() {
      const transport = open();
      try {
        await transport.probe?.();
      } finally {
        await transport.close();
      }
    },
  });
}

/** A run's end in the log; a pause at warn (relay trouble, which workers recover from) or error (it needs a person). */
function logRunEnd(log: Logger, campaignId: number, s: RunSummary, autoResume: boolean): void {
  const line = { campaign: campaignId, end: s.end, reason: s.reason, counts: s.counts };
  if (s.end !== 'paused') {
    // Deliveries whose fate is unknown wait for a person's decision: say so where people look.
    if (s.counts.unknown > 0) return log.warn(line, `campaign run ended; ${unknownAdvice(campaignId, s.counts.unknown)}`);
    return log.info(line, 'campaign run ended');
  }
  switch (s.pause) {
    case 'relay':
      if (autoResume) return log.warn(line, `campaign ${campaignId} paused for relay trouble: ${s.reason}; workers probe the relay and resume it when it answers`);
      return log.error(line, `campaign ${campaignId} paused for relay trouble: ${s.reason}; continue with: pressline resume ${campaignId}`);
    case 'recorded':
      return log.warn(line, `campaign ${campaignId} paused: ${s.reason}`);
    case 'refusing':
    case 'credentials':
    case 'store':
    case 'interrupted':
    case undefined:
      return log.error(line, `campaign ${campaignId} paused: ${s.reason}; continue with: pressline resume ${campaignId}`);
    default: {
      const never: never = s.pause;
      throw new Error(`unhandled pause ${String(never)}`);
    }
  }
}
