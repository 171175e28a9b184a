import PQueue from 'p-queue';

/**
 * The messages being sent right now, on a p-queue with no limit of its own: the dispatcher decides
 * when to start one (never more than the concurrency, and not while it waits on the rate gate), so
 * the queue only runs them, counts them and says when one or all of them are done.
 */
export class InFlight {
  private readonly queue = new PQueue();

  get count(): number {
    return this.queue.pending + this.queue.size;
  }

  /** Starts `task` now; `onError` gets what it throws (it never rejects the caller). */
  start(task: () => Promise<void>, onError: (err: unknown) => void): void {
    this.queue.add(task).catch(onError);
  }

  /** Resolves when the next message in flight finishes (p-queue says `next` after each task, failed or not). */
  nextSlot(): Promise<void> {
    return new Promise((resolve) => this.queue.once('next', () => resolve()));
  }

  /** Resolves when nothing is in flight (at once if nothing is). */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }
}
