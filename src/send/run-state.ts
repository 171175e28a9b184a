import type { DeliveryStatus, StatusCounts } from '../store/types.js';
import type { PauseCause, Progress, RunEnd } from './sender.js';

/** Why a run is stopping; the first reason recorded wins (see RunState.halt). */
export interface Stop {
  end: RunEnd;
  reason: string | undefined;
  pause?: PauseCause;
}

/**
 * What one run of the sender knows while it sends: the counts it reports, the attempts made,
 * and why it is stopping once something said so. Every part of the run (dispatch, attempts,
 * outcomes, status checks) reads and writes the run's state only through this object.
 */
export class RunState {
  stop: Stop | undefined;
  attemptsDone = 0;
  /** Set while the run sleeps until the next deferred delivery is due. */
  waitingUntil: Date | undefined;
  /** The first failed store write: the run stops, and sendCampaign rethrows it at the end. */
  writeError: unknown;

  constructor(
    readonly counts: StatusCounts,
    readonly startedAt: Date,
    private readonly inFlight: () => number,
    private readonly onProgress: ((progress: Progress) => void) | undefined,
  ) {}

  /** Records why the run stops, unless an earlier reason already did. */
  halt(stop: Stop): void {
    this.stop ??= stop;
  }

  /** A delivery changed status: the counts shown follow without asking the store. */
  move(from: DeliveryStatus, to: DeliveryStatus): void {
    this.counts[from]--;
    this.counts[to]++;
  }

  progress(): void {
    this.onProgress?.({ counts: this.counts, inFlight: this.inFlight(), startedAt: this.startedAt, attemptsDone: this.attemptsDone, waitingUntil: this.waitingUntil });
  }

  /** A store write failed: stop at once; what is in flight becomes `unknown` on resume. */
  readonly failWrite = (err: unknown): void => {
    this.writeError ??= err;
    this.halt({ end: 'paused', reason: `store write failed: ${(err as Error).message}`, pause: 'store' });
  };
}
