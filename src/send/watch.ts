import type { RunContext } from './attempt.js';

const STATUS_POLL_MS = 500;

/**
 * What can stop a run from outside: the campaign lease lost to another process, an operator's
 * pause or cancel in the store, and the caller's abort signal (Ctrl-C, a worker shutting down).
 */
export class RunWatch {
  private lastPoll: number;
  private lastRenew: number;
  private readonly onAbort = () => {
    const shutdown = this.ctx.o.signal?.reason === 'shutdown';
    this.ctx.state.halt(shutdown ? { end: 'interrupted', reason: 'the worker is shutting down' } : { end: 'paused', reason: 'interrupted (Ctrl-C)', pause: 'interrupted' });
  };

  constructor(
    private readonly ctx: RunContext,
    private readonly leaseMs: number,
  ) {
    this.lastPoll = this.lastRenew = ctx.clock.now().getTime();
    ctx.o.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (ctx.o.signal?.aborted) this.onAbort();
  }

  /** Renews the campaign lease (not in shared mode) and looks at the campaign's status, each now and then. */
  async check(): Promise<void> {
    const { o, clock, state } = this.ctx;
    const now = clock.now().getTime();
    if (!o.shared && now - this.lastRenew >= this.leaseMs / 3) {
      this.lastRenew = now;
      if (!(await o.store.acquireCampaign(o.campaignId, o.owner, clock.now(), this.leaseMs))) {
        state.halt({ end: 'lost-lease', reason: 'another process took over this campaign' });
      }
    }
    if (now - this.lastPoll < STATUS_POLL_MS) return;
    this.lastPoll = now;
    const campaign = await o.store.getCampaign(o.campaignId);
    if (campaign?.status === 'paused') state.halt({ end: 'paused', reason: campaign.statusReason ?? 'paused by an operator', pause: 'recorded' });
    if (campaign?.status === 'cancelled') state.halt({ end: 'cancelled', reason: campaign.statusReason });
  }

  close(): void {
    this.ctx.o.signal?.removeEventListener('abort', this.onAbort);
  }
}

/**
 * Shared mode: claims are renewed on their own timer, so a dispatcher waiting for slots (a
 * throttled domain, a slow relay) never lets them lapse into another worker's hands.
 * Returns the function that stops the renewal and waits for it.
 */
export function renewClaimsMeanwhile(ctx: RunContext, leaseMs: number): () => Promise<void> {
  const { o, clock } = ctx;
  if (!o.shared) return async () => undefined;
  const renewal = new AbortController();
  const renewing = (async () => {
    while (!renewal.signal.aborted) {
      await clock.sleep(leaseMs / 3, renewal.signal).catch(() => undefined);
      if (renewal.signal.aborted) return;
      await o.store.renewClaims(o.campaignId, o.owner, clock.now(), leaseMs).catch(ctx.state.failWrite);
    }
  })();
  return async () => {
    renewal.abort();
    await renewing;
  };
}

export const STATUS_POLL_INTERVAL_MS = STATUS_POLL_MS;
