import type { Delivery, DeliveryStatus, OutcomeRecord } from '../store/types.js';
import type { RunContext } from './attempt.js';
import { backoffMs, classify, POLICY, retriesExhausted, type OutcomeClass, type RetrySettings, type SendResult } from './outcome.js';

/**
 * Records what the relay said about one attempt: the outcome goes to the store behind the
 * send, the counts move, and the breaker hears of it (and may stop the run).
 */
export function recordOutcome(ctx: RunContext, d: Delivery, attempt: number, messageId: string, result: SendResult): void {
  const { state } = ctx;
  const cls = classify(result);
  const record = outcomeRecord(d, attempt, messageId, result, cls, { campaignId: ctx.o.campaignId, retry: ctx.o.retry, random: ctx.random, now: ctx.clock.now() });
  // Not awaited: the slot is free as soon as the relay answered. A lost outcome leaves the
  // delivery `sending`, which recovery reports as `unknown`, never as a second send.
  ctx.writes.add({ outcome: record }, { lazy: true }).catch(state.failWrite);
  state.move('sending', record.status);
  state.attemptsDone++;
  const trip = ctx.breaker.record(cls, result.response);
  if (trip) state.halt({ end: 'paused', reason: `circuit breaker: ${trip.reason}`, pause: trip.kind });
  state.progress();
}

/** The stored outcome of an attempt: its status, and for a deferral when it is tried again. */
export function outcomeRecord(
  d: Delivery,
  attempt: number,
  messageId: string,
  result: SendResult,
  cls: OutcomeClass,
  run: { campaignId: number; retry: RetrySettings; random: () => number; now: Date },
): OutcomeRecord {
  const { now, retry } = run;
  const policy = POLICY[cls];
  let status: DeliveryStatus = policy.status;
  let detail: string | undefined = cls === 'accepted' ? undefined : (policy.explain ?? cls);
  let nextAttemptAt: Date | undefined;
  if (policy.retry) {
    const first = d.firstAttemptAt ?? now;
    if (retriesExhausted(attempt, first, now, retry)) {
      status = 'failed';
      detail = `soft bounce: still failing after ${attempt} attempt${attempt === 1 ? '' : 's'} (${cls})`;
    } else {
      nextAttemptAt = new Date(now.getTime() + backoffMs(attempt, retry, run.random));
      detail = `${cls}; retry ${attempt + 1} of ${retry.maxAttempts} at ${nextAttemptAt.toISOString()}`;
    }
  }
  // A hard bounce suppresses the address in the same transaction as the delivery's `bounced`:
  // never one without the other.
  const suppression = policy.suppress && status === 'bounced'
    ? { key: d.key, email: d.email, reason: policy.suppress, source: `campaign ${run.campaignId}`, detail: result.response }
    : undefined;
  return {
    deliveryId: d.id, status, at: now, attempt, code: result.code, enhanced: result.enhanced,
    response: result.response, messageId, durationMs: result.durationMs, nextAttemptAt, detail, suppression,
  };
}
