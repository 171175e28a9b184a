/**
 * The messages being sent right now. The dispatcher decides when to start one (never more than
 * the concurrency), so this only counts them and wakes whoever waits for a free slot or for
 * all of them to finish: a queue of its own would only add a promise and an event per message.
 */
export class InFlight {
  private running = 0;
  private slotWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  get count(): number {
    return this.running;
  }

  /** Starts `task` now; `onError` gets what it throws (it never rejects the caller). */
  start(task: () => Promise<void>, onError: (err: unknown) => void): void {
    this.running++;
    task().then(() => this.finished(), (err: unknown) => {
      onError(err);
      this.finished();
    });
  }

  /** Resolves when the next message in flight finishes. */
  nextSlot(): Promise<void> {
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /** Resolves when nothing is in flight (at once if nothing is). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private finished(): void {
    this.running--;
    const slots = this.slotWaiters;
    if (slots.length > 0) {
      this.slotWaiters = [];
      for (const wake of slots) wake();
    }
    if (this.running === 0 && this.idleWaiters.length > 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of idle) wake();
    }
  }
}
