import type { RunContext } from './attempt.js';
import { sendOne } from './attempt.js';
import type { ClaimBuffer } from './claims.js';
import type { InFlight } from './in-flight.js';
import { STATUS_POLL_INTERVAL_MS, type RunWatch } from './watch.js';
import { EMBARGO_LIFTED } from './attempt.js';

/**
 * The claim loop: keeps up to `concurrency` messages in flight from the claimed batches until
 * something stops the run or nothing is left to send (then the run's stop stays unset).
 * `group`: how many freed slots are refilled at once (see launchGroup).
 */
export async function dispatch(ctx: RunContext, claims: ClaimBuffer, inFlight: InFlight, watch: RunWatch, group: number): Promise<void> {
  const { o, clock, state } = ctx;
  const concurrency = o.pace.concurrency;
  let refilling = true; // launching a group: go on until every slot is taken
  state.progress();
  while (!state.stop) {
    await watch.check();
    if (ctx.pastDeadline()) state.halt({ end: 'embargo-lifted', reason: EMBARGO_LIFTED });
    if (state.stop) break;
    if (claims.empty) {
      if (await claims.refill()) continue;
      if (!(await nothingDue(ctx, inFlight))) break;
      continue;
    }
    if (inFlight.count >= concurrency || (!refilling && inFlight.count > concurrency - group)) {
      refilling = false;
      await inFlight.nextSlot();
      continue;
    }
    refilling = true;
    const picked = claims.pick(ctx.gate, clock.now().getTime(), STATUS_POLL_INTERVAL_MS);
    if ('waitMs' in picked) {
      await clock.sleep(picked.waitMs, o.signal);
      continue;
    }
    const d = picked.delivery;
    ctx.gate.promise(d.domain);
    inFlight.start(() => sendOne(ctx, d), state.failWrite);
    claims.claimAheadIfDue();
  }
}

/**
 * Nothing due to claim: let in-flight messages settle (they may defer), then look for retries,
 * waiting for the next one if the run should. False when the run is over (nothing left to
 * retry, or retries pending and not waited for: then the stop says so).
 */
async function nothingDue(ctx: RunContext, inFlight: InFlight): Promise<boolean> {
  const { o, clock, state } = ctx;
  if (inFlight.count > 0) {
    await inFlight.idle();
    return true;
  }
  // Outcomes are written behind the sends: let the last ones land, or a deferral still on
  // its way to the store would look like nothing left to retry.
  await ctx.writes.drain();
  // Another worker's messages in flight whose claim lapsed (it died) are settled as unknown.
  if (o.shared) await o.store.recoverInFlight(o.campaignId, clock.now());
  const next = await o.store.nextRetryAt(o.campaignId);
  if (!next) return false;
  if (!o.waitForRetries) {
    state.stop = { end: 'retries-pending', reason: `deferred deliveries retry from ${next.toISOString()}` };
    return false;
  }
  state.waitingUntil = next;
  state.progress();
  await clock.sleep(Math.min(Math.max(0, next.getTime() - clock.now().getTime()), STATUS_POLL_INTERVAL_MS * 4), o.signal);
  state.waitingUntil = undefined;
  return true;
}
