import type { Clock } from '../time/clock.js';
import type { Rate } from '../config/rate.js';
import type { RateKey, RateSlot, Store } from '../store/types.js';

/** Longest single sleep between asks, so a stop or a deadline is noticed promptly. */
const MAX_SLEEP_MS = 250;

/**
 * The rate ceilings held across every worker sharing a store (issue 7): each start takes one
 * slot of the global ring and one of its domain's ring in the store's ledger, and ends them when
 * the relay answered. A slot is reused only a full window after its last event ended, so any
 * window holds at most one start per slot from all workers together (see SlidingWindow, whose
 * rule this is, for why end times make the ceiling hold as the relay sees it).
 *
 * One ring per ceiling scope (the global one; each receiving domain) and window length, not per
 * rate string (issue 13): workers configured with different counts for the same scope, as during
 * a rolling config change, share one ring, and the strictest count in force holds for all of
 * them: each slot remembers the count its taker keeps to, and a worker takes only slots numbered
 * below the lowest count any worker took a slot with in the last window (and below its own). So a
 * lowered rate holds for everyone from its first message; a raised one only once no worker with
 * the lower one has sent for a window. The ring is as large as the largest count any worker asked
 * for. Rings are named by scope, not by campaign or worker: campaigns sent at the same time share
 * them, as they share the relay.
 *
 * Different window lengths are different ceilings and get different rings: a 100/s worker and a
 * 6000/m worker each hold their own ceiling, and neither's starts count against the other's.
 */
export class SharedRateGate {
  constructor(
    private readonly store: Store,
    private readonly owner: string,
    private readonly global: Rate,
    private readonly perDomain: Rate,
    private readonly domainRates: Map<string, Rate>,
    /** A slot running longer than this belongs to a worker that died (the claim lease). */
    private readonly staleMs: number,
  ) {}

  private keysFor(domain: string): RateKey[] {
    const keys: RateKey[] = [];
    if (this.global.count > 0) keys.push(rateKey('global', this.global));
    const d = this.domainRates.get(domain) ?? this.perDomain;
    if (d.count > 0) keys.push(rateKey(`domain:${domain}`, d));
    return keys;
  }

  /**
   * Waits until this start may happen everywhere at once and takes its slots. Returns undefined
   * (nothing taken) when `giveUp` says to stop waiting: a stop request or an embargo deadline.
   */
  async acquire(domain: string, clock: Clock, giveUp: () => boolean): Promise<RateSlot[] | undefined> {
    const keys = this.keysFor(domain);
    if (keys.length === 0) return [];
    for (;;) {
      if (giveUp()) return undefined;
      const now = clock.now();
      const got = await this.store.takeRateSlots(keys, this.owner, now, new Date(now.getTime() - this.staleMs));
      if ('slots' in got) return got.slots;
      await clock.sleep(Math.min(got.waitMs, MAX_SLEEP_MS));
    }
  }

  async release(slots: RateSlot[], clock: Clock): Promise<void> {
    if (slots.length > 0) await this.store.endRateSlots(slots, this.owner, clock.now());
  }
}

/** The ledger ring of one ceiling scope at one window length, as this worker's rate uses it. */
export function rateKey(scope: string, rate: Rate): RateKey {
  return { key: `${scope}/${rate.windowMs}ms`, count: rate.count, windowMs: rate.windowMs };
}
