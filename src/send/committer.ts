/**
 * Group commit: one write (one transaction, one fsync) in flight at a time; everything added
 * while it runs goes into the next one together, and each caller's promise settles when its
 * own item is durable. Under load the batches grow by themselves (many marks share one fsync);
 * when idle, an item is written on the next turn of the event loop.
 *
 * A `lazy` item (an outcome nobody waits for) does not start a write of its own at once: it
 * rides along with the next eager one (a mark), or goes after `lazyDelayMs` when none comes.
 * That halves the transactions of a busy sender, at no risk: a lost outcome leaves its delivery
 * `sending`, which recovery reports as `unknown`, never as a second send.
 */
export class GroupCommitter<T> {
  private pending: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private eagerPending = false;
  private scheduled = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly lazyDelayMs = 20,
  ) {}

  add(item: T, options: { lazy?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (options.lazy) {
        this.armLazyTimer();
        return;
      }
      this.eagerPending = true;
      if (!this.scheduled && !this.writing) {
        this.scheduled = true;
        // The rest of this turn's items join the same write.
        setImmediate(() => {
          this.scheduled = false;
          this.flush(false);
        });
      }
    });
  }

  private flush(force: boolean): void {
    if (this.writing || this.pending.length === 0) return;
    if (!force && !this.eagerPending) return; // only lazy items: their timer will send them
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    this.eagerPending = false;
    this.writing = (async () => {
      try {
        await this.write(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    })().finally(() => {
      this.writing = undefined;
      // What arrived during that write goes now, as one batch (lazy items keep waiting).
      this.flush(false);
      if (this.pending.length > 0 && !this.eagerPending) this.armLazyTimer();
    });
  }

  private armLazyTimer(): void {
    this.lazyTimer ??= setTimeout(() => {
      this.lazyTimer = undefined;
      this.flush(true);
    }, this.lazyDelayMs);
  }

  /** Resolves once everything added so far is written. */
  async drain(): Promise<void> {
    this.flush(true);
    while (this.writing) {
      await this.writing;
      this.flush(true);
    }
  }
}
