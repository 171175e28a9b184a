import type { Clock } from '../time/clock.js';
import type { Rate } from '../config/rate.js';
import type { CompiledRelease } from '../render/types.js';
import type { OutcomeRecord, SendingMark, StatusCounts, Store } from '../store/types.js';
import type { RunContext, Write } from './attempt.js';
import { CircuitBreaker, type BreakerSettings } from './breaker.js';
import { ClaimBuffer } from './claims.js';
import { GroupCommitter } from './committer.js';
import type { ComposeContext } from './compose.js';
import { dispatch } from './dispatch.js';
import { InFlight } from './in-flight.js';
import { RateGate } from './limiter.js';
import type { RetrySettings } from './outcome.js';
import { RunState } from './run-state.js';
import type { SharedRateGate } from './shared-limiter.js';
import type { Transport } from './transport.js';
import { renewClaimsMeanwhile, RunWatch } from './watch.js';

export interface Pace {
  global: Rate;
  perDomain: Rate;
  domains: Map<string, Rate>;
  concurrency: number;
  batchSize: number;
  batchPauseMs: number;
}

export interface SenderOptions {
  campaignId: number;
  store: Store;
  transport: Transport;
  compiled: CompiledRelease;
  compose: ComposeContext;
  pace: Pace;
  retry: RetrySettings;
  breaker: BreakerSettings;
  clock: Clock;
  /** This process's name in claims and leases: host:pid:nonce. */
  owner: string;
  leaseMs?: number;
  /** Keep running until deferred deliveries are retried (true), or stop when only they remain. */
  waitForRetries: boolean;
  /** Aborting pauses cleanly: in-flight messages finish, the rest stay pending. */
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  random?: () => number;
  /** Embargoed phase: no copy may start at or after this instant (the embargo lift). */
  deadline?: Date | undefined;
  /**
   * Several workers share the campaign (worker mode): no campaign lease; this sender keeps its
   * own claims alive instead, and other workers' deliveries in flight are theirs to settle.
   */
  shared?: boolean;
  /** The ceilings held across all workers, on top of this process's own gate. */
  sharedRates?: SharedRateGate | undefined;
}

export interface Progress {
  counts: StatusCounts;
  inFlight: number;
  startedAt: Date;
  attemptsDone: number;
  waitingUntil?: Date | undefined;
}

/**
 * How a run ended. `interrupted`: the process is shutting down (worker SIGTERM); the campaign
 * stays `sending` for the next worker. `embargo-lifted`: an embargoed phase reached the lift.
 */
export type RunEnd = 'done' | 'paused' | 'cancelled' | 'retries-pending' | 'lost-lease' | 'interrupted' | 'embargo-lifted';

/**
 * What ended a run `paused`: the breaker (see BreakerTrip), Ctrl-C, a
 * failed store write, or a pause already `recorded` in the store by someone else (an operator,
 * another worker's breaker), which the caller must not record again.
 */
export type PauseCause = 'relay' | 'refusing' | 'credentials' | 'interrupted' | 'store' | 'recorded';

export interface RunSummary {
  end: RunEnd;
  reason: string | undefined;
  /** Set when `end` is `paused`. */
  pause?: PauseCause | undefined;
  counts: StatusCounts;
  nextRetryAt: Date | undefined;
}

/**
 * How many freed slots are refilled at once. One at a time, each mark is a commit of its own
 * (an fsync, and the same hot index pages written again); refilled together, a group's marks share
 * one. The slots still busy meanwhile (two messages per connection) keep every connection fed.
 * bench/send, 20 in flight on 5 connections, groups of 8: 1,250 commits for 10,000 messages
 * instead of 3,157, and 12% less CPU for the process (groups of 8 and 12 sent equally fast).
 */
export function launchGroup(concurrency: number, connections: number): number {
  return Math.max(1, concurrency - 2 * connections);
}

/**
 * Sends a campaign's pending deliveries: claims batches, paces them through the rate gate,
 * marks each one `sending` durably before the relay sees it, and records every outcome.
 * The caller owns the campaign lease (see runCampaign). The parts: RunState (counts, why the
 * run stops), dispatch and ClaimBuffer (the claim loop), sendOne (one message) and
 * recordOutcome, RunWatch (lease, operator, Ctrl-C).
 */
export async function sendCampaign(o: SenderOptions): Promise<RunSummary> {
  const { store, clock, campaignId } = o;
  const leaseMs = o.leaseMs ?? 60_000;
  const inFlight = new InFlight();
  const state = new RunState(await store.counts(campaignId), clock.now(), () => inFlight.count, o.onProgress);
  const ctx: RunContext = {
    o,
    clock,
    gate: new RateGate(o.pace.global, o.pace.perDomain, o.pace.domains),
    writes: new GroupCommitter<Write>((items) => writeTogether(store, items, clock.now())),
    breaker: new CircuitBreaker(o.breaker),
    state,
    random: o.random ?? Math.random,
    pastDeadline: () => o.deadline !== undefined && clock.now().getTime() >= o.deadline.getTime(),
  };
  const claims = new ClaimBuffer(ctx, leaseMs);
  const watch = new RunWatch(ctx, leaseMs);
  const stopRenewing = renewClaimsMeanwhile(ctx, leaseMs);
  try {
    await dispatch(ctx, claims, inFlight, watch, launchGroup(o.pace.concurrency, o.transport.connections ?? 1));
  } finally {
    watch.close();
    await claims.settle();
    await inFlight.idle();
    await stopRenewing();
    await ctx.writes.drain().catch(() => undefined);
    await store.releaseClaims(campaignId, o.owner);
  }
  if (state.writeError) throw state.writeError;

  const finalCounts = await store.counts(campaignId);
  const nextRetryAt = await store.nextRetryAt(campaignId);
  const open = finalCounts.pending + finalCounts.deferred + finalCounts.sending;
  const stop = state.stop ?? (open === 0 ? { end: 'done' as const, reason: undefined } : { end: 'retries-pending' as const, reason: 'deliveries remain' });
  return { end: stop.end, reason: stop.reason, pause: stop.pause, counts: finalCounts, nextRetryAt };
}

/** One transaction for the marks and outcomes gathered by the group committer. */
function writeTogether(store: Store, items: Write[], now: Date): Promise<void> {
  const marks: SendingMark[] = [];
  const outcomes: OutcomeRecord[] = [];
  for (const w of items) {
    if ('mark' in w) marks.push(w.mark);
    else outcomes.push(w.outcome);
  }
  return store.writeBatch(marks, outcomes, now);
}
