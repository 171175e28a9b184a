import type { Logger } from 'pino';
import type { LifecycleDeps } from '../campaigns/lifecycle.js';
import { resumeAfterRelayProbe, utcSecond } from '../campaigns/pause.js';
import type { Clock } from '../time/clock.js';
import type { Campaign } from '../store/types.js';

/** How often a relay that tripped the breaker is probed. */
export interface ProbeSettings {
  /** Wait before the first probe after the pause; doubles after each failed probe. */
  initialMs: number;
  /** The longest wait between two probes. */
  maxMs: number;
}

/** Failed probes in a row logged between two at error level (the first is logged at warn). */
const LOG_EVERY = 5;

/**
 * The wait before the next probe after `failed` probes failed in a row: `initialMs` doubling up
 * to `maxMs`, less up to a fifth at random so workers sharing a relay do not probe in step.
 * Never above `maxMs` (nor below 80% of `initialMs`).
 */
export function probeDelayMs(failed: number, settings: ProbeSettings, random: () => number = Math.random): number {
  const max = Math.max(settings.initialMs, settings.maxMs);
  const step = Math.min(max, settings.initialMs * 2 ** Math.min(Math.max(0, failed), 30));
  return Math.round(step * (1 - 0.2 * random()));
}

export interface RelayRecoveryDeps extends LifecycleDeps {
  clock: Clock;
  log: Logger;
  /** Resolves when the relay answers; rejects with the reason when it does not. */
  probe: () => Promise<void>;
  /** The relay as logs name it (no credentials). */
  relay: string;
  settings: ProbeSettings;
  random?: () => number;
}

/**
 * One worker's watch over campaigns paused for relay trouble: it probes its relay with backoff,
 * in the background so the worker's loop never waits on a dead relay, and when the relay answers
 * resumes every such campaign (through a guarded change: of several workers one resumes each,
 * and a campaign an operator paused meanwhile stays paused). Workers then rejoin it as any
 * `sending` campaign with due deliveries.
 */
export class RelayRecovery {
  private failed = 0;
  private nextAt: number | undefined;
  private probing: Promise<void> | undefined;
  private readonly random: () => number;

  constructor(private readonly deps: RelayRecoveryDeps) {
    this.random = deps.random ?? Math.random;
  }

  /**
   * Called on every look at the store with the campaigns awaiting the relay: starts a probe when
   * its time has come (the first one `initialMs` after the earliest pause). Never throws.
   */
  poll(waiting: readonly Campaign[]): void {
    if (waiting.length === 0) {
      // Nothing waits (resumed elsewhere, cancelled): the next outage starts a fresh schedule.
      if (!this.probing) {
        this.failed = 0;
        this.nextAt = undefined;
      }
      return;
    }
    if (this.probing) return;
    const now = this.deps.clock.now().getTime();
    if (this.nextAt === undefined) {
      const earliest = Math.min(...waiting.map((c) => c.pausedSince?.getTime() ?? now));
      this.nextAt = earliest + probeDelayMs(0, this.deps.settings, this.random);
    }
    if (now < this.nextAt) return;
    this.probing = this.probeAndResume([...waiting]).finally(() => {
      this.probing = undefined;
    });
  }

  /** Milliseconds until the next probe is due (0: now), or undefined when none is planned. */
  msUntilNextProbe(): number | undefined {
    if (this.nextAt === undefined || this.probing) return undefined;
    return Math.max(0, this.nextAt - this.deps.clock.now().getTime());
  }

  /** Failed probes in a row so far. */
  get failedProbes(): number {
    return this.failed;
  }

  /** Resolves when no probe is running (a worker shutting down waits for it). */
  async idle(): Promise<void> {
    await this.probing;
  }

  private async probeAndResume(waiting: Campaign[]): Promise<void> {
    const { log, clock, settings } = this.deps;
    const ids = waiting.map((c) => c.id).join(', ');
    try {
      await this.deps.probe();
    } catch (err) {
      this.failed++;
      const wait = probeDelayMs(this.failed, settings, this.random);
      this.nextAt = clock.now().getTime() + wait;
      const since = Math.min(...waiting.map((c) => c.pausedSince?.getTime() ?? clock.now().getTime()));
      const line = {
        relay: this.deps.relay,
        campaigns: waiting.map((c) => c.id),
        probe: this.failed,
        err: (err as Error).message,
        nextProbeInMs: wait,
      };
      const text = `relay ${this.deps.relay} still does not answer (${this.failed} failed probe${this.failed === 1 ? '' : 's'} since ${utcSecond(new Date(since))}); campaign${waiting.length === 1 ? '' : 's'} ${ids} stay paused, next probe in ${Math.round(wait / 1000)} s`;
      if (this.failed === 1) log.warn(line, text);
      else if (this.failed % LOG_EVERY === 0) log.error(line, text);
      else log.debug(line, text);
      return;
    }
    const failedBefore = this.failed;
    this.failed = 0;
    this.nextAt = undefined;
    for (const c of waiting) {
      const now = clock.now();
      const after = Math.round((now.getTime() - (c.pausedSince ?? now).getTime()) / 1000);
      const text = `relay answers again after ${after} s: resuming campaign ${c.id}`;
      try {
        if (await resumeAfterRelayProbe(this.deps, c.id, now, text)) {
          log.warn({ campaign: c.id, relay: this.deps.relay, failedProbes: failedBefore, pausedSeconds: after }, text);
        } else {
          log.info({ campaign: c.id }, `relay answers again; campaign ${c.id} is no longer waiting for it (another worker resumed it, or an operator took it over)`);
        }
      } catch (err) {
        // The store is unreachable: the campaign stays paused for relay trouble, so the next look probes and tries again.
        log.error({ campaign: c.id, err: (err as Error).message }, `relay answers again, but campaign ${c.id} could not be resumed; trying again at the next look`);
      }
    }
  }
}
