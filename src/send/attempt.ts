import type { Clock } from '../time/clock.js';
import type { Delivery, OutcomeRecord, RateSlot, SendingMark } from '../store/types.js';
import type { CircuitBreaker } from './breaker.js';
import type { GroupCommitter } from './committer.js';
import { composeMail, renderFor } from './compose.js';
import { messageIdFor } from '../mime/message-id.js';
import type { RateGate } from './limiter.js';
import { recordOutcome } from './outcome-recorder.js';
import type { SendResult } from './outcome.js';
import type { RunState } from './run-state.js';
import type { SenderOptions } from './sender.js';

export const EMBARGO_LIFTED = 'the embargo lifted before this embargoed copy went out; it was not sent';

/** Marks and outcomes of the same tick share one transaction: one fsync covers both. */
export type Write = { mark: SendingMark } | { outcome: OutcomeRecord };

/** What every attempt of one run shares. */
export interface RunContext {
  o: SenderOptions;
  clock: Clock;
  gate: RateGate;
  writes: GroupCommitter<Write>;
  breaker: CircuitBreaker;
  state: RunState;
  random: () => number;
  /** Embargoed phase: true once no copy may start any more. */
  pastDeadline(): boolean;
}

/**
 * Sends one claimed delivery. The shared ceiling first, before the mark: if this worker is told
 * to stop while it waits, the delivery was never marked and simply goes back to the pool with
 * the rest of its claims.
 */
export async function sendOne(ctx: RunContext, d: Delivery): Promise<void> {
  const rates = ctx.o.sharedRates;
  if (!rates) return attemptOne(ctx, d, undefined);
  const slots = await rates.acquire(d.domain, ctx.clock, () => ctx.state.stop !== undefined || ctx.pastDeadline());
  if (!slots) {
    ctx.gate.withdraw(d.domain);
    return;
  }
  // Released as soon as the relay answered, or at the latest when the attempt ends.
  let held: RateSlot[] = slots;
  const endShared = async () => {
    const ending = held;
    held = [];
    if (ending.length > 0) await rates.release(ending, ctx.clock);
  };
  try {
    await attemptOne(ctx, d, endShared);
  } finally {
    await endShared();
  }
}

/** Mark `sending` durably, pass the rate gate, hand the message to the transport, record the outcome. */
async function attemptOne(ctx: RunContext, d: Delivery, endShared: (() => Promise<void>) | undefined): Promise<void> {
  const { o, clock, gate, state } = ctx;
  // Assigned at planning; a delivery planned without one (an older database, or one handed back
  // from the embargoed phase to the public one) gets it now.
  const messageId = d.messageId ?? messageIdFor({ instance: o.compose.instance, secret: o.compose.secret }, o.campaignId, d.key, o.compose.from.address);
  const { rendered, unsubscribe } = renderFor(o.compiled, o.compose, d);
  const attempt = d.attempts + 1;
  await ctx.writes.add({ mark: { deliveryId: d.id, messageId, worker: o.owner, relay: o.transport.name } });
  state.move(d.status, 'sending');

  // The rate gate is passed right before the transport gets the message (see SlidingWindow
  // for why the ceiling then holds for what the relay sees).
  for (let wait = gate.waitPromisedMs(d.domain, clock.now().getTime()); wait > 0; wait = gate.waitPromisedMs(d.domain, clock.now().getTime())) {
    await clock.sleep(wait);
  }
  if (ctx.pastDeadline()) {
    // The lift came while this one waited for the rate gate: it must not go out embargoed.
    gate.withdraw(d.domain);
    ctx.writes.add({ outcome: liftedOutcome(d, attempt, messageId, clock.now()) }).catch(state.failWrite);
    state.move('sending', 'skipped');
    state.halt({ end: 'embargo-lifted', reason: EMBARGO_LIFTED });
    return;
  }
  const ticket = gate.take(d.domain);
  const mail = composeMail(o.compose, { id: d.id, key: d.key, contact: d.contact, messageId }, rendered, unsubscribe, clock.now());
  let result: SendResult;
  try {
    result = await o.transport.send(mail);
  } finally {
    gate.end(ticket, clock.now().getTime());
    if (endShared) await endShared();
  }
  recordOutcome(ctx, d, attempt, messageId, result);
}

function liftedOutcome(d: Delivery, attempt: number, messageId: string, at: Date): OutcomeRecord {
  return { deliveryId: d.id, status: 'skipped', at, attempt, code: undefined, enhanced: undefined, response: EMBARGO_LIFTED, messageId, durationMs: 0, detail: EMBARGO_LIFTED };
}
