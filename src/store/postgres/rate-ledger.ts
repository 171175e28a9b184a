import type { RateKey, RateLedger, RateSlot } from '../types.js';
import type { PgConnection } from './connection.js';

/** A ring whose every slot is running: look again this soon. */
const RATE_RUNNING_POLL_MS = 5;
const RATE_MIN_WAIT_MS = 1;
/**
 * The count a worker keeps to on ring $1 ($4: its own): the lowest any worker took a slot with in
 * the last window ($2: window start; $3: older running slots are stale), so the strictest
 * ceiling in force holds for all of them.
 */
const STRICTEST_COUNT = `SELECT least($4::int, coalesce(min(taker_count), $4::int)) FROM rate_slots
  WHERE key = $1 AND taker_count IS NOT NULL AND ((running_since IS NOT NULL AND running_since > $3) OR ended_at > $2)`;

/**
 * The shared rate ledger in PostgreSQL (RateLedger in src/store/interfaces/rate-ledger.ts). Apart
 * from SQLite's because the engines take a free slot differently: here FOR UPDATE SKIP LOCKED lets
 * workers on several machines take different slots at once, and the ledger's commits skip the
 * WAL flush wait; SQLite takes the whole file for one IMMEDIATE transaction instead.
 */
export class PgRateLedger implements RateLedger {
  private readonly rings = new Set<string>();

  constructor(private readonly conn: PgConnection) {}

  async takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }> {
    await this.ensureRings(keys);
    const taken = await this.conn.tx(async (c) => {
      const slots: (RateSlot & { count: number })[] = [];
      for (const k of keys) {
        // SKIP LOCKED: two workers never queue on the same slot; each takes a different free one.
        const { rows } = await c.query(
          `SELECT slot FROM rate_slots
           WHERE key = $1 AND slot < (${STRICTEST_COUNT}) AND ((running_since IS NULL AND ended_at <= $2) OR running_since <= $3)
           ORDER BY ended_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [k.key, new Date(now.getTime() - k.windowMs), new Date(staleBefore.getTime() - k.windowMs), k.count],
        );
        if (rows.length === 0) return undefined; // all or nothing: the commit just drops the row locks
        slots.push({ key: k.key, slot: rows[0]!.slot, count: k.count });
      }
      for (const s of slots) {
        await c.query('UPDATE rate_slots SET running_since = $3, holder = $4, taker_count = $5 WHERE key = $1 AND slot = $2', [s.key, s.slot, now, owner, s.count]);
      }
      return slots.map(({ key, slot }) => ({ key, slot }));
    }, { lazyCommit: true }); // see endRateSlots
    return taken ? { slots: taken } : { waitMs: await this.rateWaitMs(keys, now, staleBefore) };
  }

  /** How long until every ring may have a free slot (a running slot: ask again shortly). */
  private async rateWaitMs(keys: RateKey[], now: Date, staleBefore: Date): Promise<number> {
    let wait = 0;
    for (const k of keys) {
      const { rows } = await this.conn.query(
        `SELECT min(CASE WHEN running_since IS NULL THEN ended_at ELSE $5::timestamptz END) AS free_from FROM rate_slots
         WHERE key = $1 AND slot < (${STRICTEST_COUNT})`,
        [k.key, new Date(now.getTime() - k.windowMs), new Date(staleBefore.getTime() - k.windowMs), k.count, new Date(now.getTime() + RATE_RUNNING_POLL_MS - k.windowMs)],
      );
      const freeFrom = (rows[0]?.free_from as Date | undefined)?.getTime() ?? 0;
      wait = Math.max(wait, freeFrom + k.windowMs - now.getTime());
    }
    return Math.max(RATE_MIN_WAIT_MS, wait);
  }

  async endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void> {
    // The ledger's commits skip the WAL flush wait: only a server crash can lose one, and then
    // every worker has stalled for far longer than any rate window.
    await this.conn.tx(
      (c) =>
        c.query(
          `UPDATE rate_slots r SET running_since = NULL, ended_at = $3
           FROM unnest($1::text[], $2::int[]) AS s(key, slot)
           WHERE r.key = s.key AND r.slot = s.slot AND r.holder = $4 AND r.running_since IS NOT NULL`,
          [slots.map((s) => s.key), slots.map((s) => s.slot), now, owner],
        ),
      { lazyCommit: true },
    );
  }

  /**
   * Makes each ring at least as large as this caller's count, once per process (idempotent, so
   * workers with any counts may race to do it; a larger count only adds the missing slots).
   */
  private async ensureRings(keys: RateKey[]): Promise<void> {
    for (const k of keys) {
      const ring = `${k.key}#${k.count}`;
      if (this.rings.has(ring)) continue;
      await this.conn.query(`INSERT INTO rate_slots (key, slot) SELECT $1, s FROM generate_series(0, $2 - 1) AS s ON CONFLICT DO NOTHING`, [k.key, k.count]);
      this.rings.add(ring);
    }
  }
}
