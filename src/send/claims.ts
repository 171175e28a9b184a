import type { Delivery } from '../store/types.js';
import type { RunContext } from './attempt.js';
import type { RateGate } from './limiter.js';

/**
 * The deliveries this run has claimed and not yet started, and the claim of the next batch,
 * made while the current one is still being sent so the connections never wait on the store.
 */
export class ClaimBuffer {
  private buffer: Delivery[] = [];
  private claiming: Promise<Delivery[]> | undefined;
  private lastClaimFull = false;
  /** Batches claimed so far (the pause between batches comes before every one but the first). */
  batches = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly leaseMs: number,
  ) {}

  get empty(): boolean {
    return this.buffer.length === 0;
  }

  /** Waits for the next batch (the one claimed ahead, if any); true if it brought deliveries. */
  async refill(): Promise<boolean> {
    const { o, clock } = this.ctx;
    if (!this.claiming && this.batches > 0 && o.pace.batchPauseMs > 0) await clock.sleep(o.pace.batchPauseMs, o.signal);
    this.buffer = await (this.claiming ?? this.claimNext());
    this.claiming = undefined;
    this.lastClaimFull = this.buffer.length === o.pace.batchSize;
    if (this.buffer.length === 0) return false;
    this.batches++;
    return true;
  }

  /**
   * Takes the first claimed delivery whose domain may start now, so one slow domain never holds
   * up the others; else says how long until one may (at most `maxWaitMs`).
   */
  pick(gate: RateGate, now: number, maxWaitMs: number): { delivery: Delivery } | { waitMs: number } {
    let minWait = Infinity;
    for (let i = 0; i < this.buffer.length; i++) {
      const wait = gate.waitMs(this.buffer[i]!.domain, now);
      if (wait === 0) {
        const [d] = this.buffer.splice(i, 1);
        return { delivery: d! };
      }
      if (wait < minWait) minWait = wait;
    }
    return { waitMs: Math.min(minWait, maxWaitMs) };
  }

  /** A claim still on its way is awaited before the claims are released, or it would land after. */
  async settle(): Promise<void> {
    await this.claiming?.catch(() => undefined);
  }

  /**
   * Claim the next batch while this one is sent. Not with a pause between batches (the pause
   * comes first), nor after a short batch (none left).
   */
  claimAheadIfDue(): void {
    const { pace } = this.ctx.o;
    if (this.claiming || !this.lastClaimFull || pace.batchPauseMs !== 0 || this.buffer.length > pace.batchSize / 2) return;
    this.claiming = this.claimNext();
    this.claiming.catch(() => undefined); // handled where it is awaited; not an unhandled rejection meanwhile
  }

  private claimNext(): Promise<Delivery[]> {
    const { o, clock } = this.ctx;
    return o.store.claimBatch(o.campaignId, o.owner, o.pace.batchSize, clock.now(), this.leaseMs);
  }
}
