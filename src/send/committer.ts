/**
 * Group commit: calls made in the same tick are written in one transaction (one fsync), and
 * each caller's promise settles when its own item is durable. Keeps per-message durability
 * without paying an fsync per message.
 */
export class GroupCommitter<T> {
  private pending: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flushNow());
      }
    });
  }

  private flushNow(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    // Writes stay in order: each batch waits for the one before it.
    this.running = this.running.then(async () => {
      try {
        await this.write(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    });
  }

  /** Resolves once everything added so far is written. */
  async drain(): Promise<void> {
    if (this.pending.length > 0) this.flushNow();
    await this.running;
  }
}
