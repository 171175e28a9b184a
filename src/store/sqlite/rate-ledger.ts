import type Database from 'better-sqlite3';
import type { RateKey, RateLedger, RateSlot } from '../types.js';

/** A ring whose every slot is running: look again this soon. */
const RATE_RUNNING_POLL_MS = 5;

/**
 * The shared rate ledger in SQLite (RateLedger in src/store/interfaces/rate-ledger.ts). Apart from
 * PostgreSQL's because the engines take a free slot differently: here one IMMEDIATE transaction
 * holds the whole file, there FOR UPDATE SKIP LOCKED lets workers take different slots at once.
 */
export class SqliteRateLedger implements RateLedger {
  /** Rate-ledger rings (and sizes) this process has made sure exist. */
  private readonly rings = new Set<string>();
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      ensureRing: db.prepare(
        `INSERT INTO rate_slots (key, slot) WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $count)
         SELECT $key, n FROM s WHERE $count > 0 ON CONFLICT DO NOTHING`,
      ),
      freeRateSlot: db
        .prepare(
          `SELECT slot FROM rate_slots WHERE key = ? AND slot < ? AND ((running_since IS NULL AND ended_at <= ?) OR running_since <= ?)
           ORDER BY ended_at LIMIT 1`,
        )
        .pluck(),
      takeRateSlot: db.prepare('UPDATE rate_slots SET running_since = ?, holder = ?, taker_count = ? WHERE key = ? AND slot = ?'),
      // The lowest count any worker took a slot with in the last window (still running, or ended
      // since): the strictest ceiling in force, which every worker then keeps to.
      strictestCount: db
        .prepare(
          `SELECT min(taker_count) FROM rate_slots WHERE key = ? AND taker_count IS NOT NULL
             AND ((running_since IS NOT NULL AND running_since > ?) OR ended_at > ?)`,
        )
        .pluck(),
      endRateSlot: db.prepare('UPDATE rate_slots SET running_since = NULL, ended_at = ? WHERE key = ? AND slot = ? AND holder = ? AND running_since IS NOT NULL'),
      // When the ring may next have a free slot; a running slot counts as "ask again shortly".
      rateFreeFrom: db.prepare('SELECT min(CASE WHEN running_since IS NULL THEN ended_at ELSE ? END) FROM rate_slots WHERE key = ? AND slot < ?').pluck(),
    };
  }

  async takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }> {
    const at = now.getTime();
    for (const k of keys) {
      const ring = `${k.key}#${k.count}`;
      if (this.rings.has(ring)) continue;
      // Each ring is made at least this large once per process (idempotent, so processes with
      // any counts may race to do it; a larger count only adds the missing slots).
      this.stmt.ensureRing.run({ key: k.key, count: k.count });
      this.rings.add(ring);
    }
    const limit = (k: RateKey) => Math.min(k.count, (this.stmt.strictestCount.get(k.key, staleBefore.getTime() - k.windowMs, at - k.windowMs) as number | null) ?? k.count);
    const take = this.db.transaction(() => {
      const slots: (RateSlot & { count: number })[] = [];
      for (const k of keys) {
        const slot = this.stmt.freeRateSlot.get(k.key, limit(k), at - k.windowMs, staleBefore.getTime() - k.windowMs) as number | undefined;
        if (slot === undefined) return undefined; // all or nothing
        slots.push({ key: k.key, slot, count: k.count });
      }
      for (const s of slots) this.stmt.takeRateSlot.run(at, owner, s.count, s.key, s.slot);
      return slots.map(({ key, slot }) => ({ key, slot }));
    });
    // IMMEDIATE: the write lock up front, so two processes never both see the same slot free.
    const taken = this.lazily(() => take.immediate());
    if (taken) return { slots: taken };
    let wait = 0;
    for (const k of keys) {
      const freeFrom = this.stmt.rateFreeFrom.get(at + RATE_RUNNING_POLL_MS - k.windowMs, k.key, limit(k)) as number | null;
      wait = Math.max(wait, (freeFrom ?? 0) + k.windowMs - at);
    }
    return { waitMs: Math.max(1, wait) };
  }

  async endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void> {
    this.lazily(() => this.db.transaction(() => {
      for (const s of slots) this.stmt.endRateSlot.run(now.getTime(), s.key, s.slot, owner);
    })());
  }

  /**
   * Runs a commit without its fsync (WAL + NORMAL). For the rate ledger: two writes per message
   * would otherwise be two fsyncs on the event loop, and only a power loss can lose such a
   * write, after which every worker has stopped for far longer than any rate window.
   */
  private lazily<T>(fn: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }
}
