import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PresslineError } from '../../errors.js';
import type { Contact } from '../../lists/contact.js';
import {
  type Campaign,
  type CampaignInput,
  type CampaignTransition,
  type PlanConflict,
  type ReleaseIdentity,
  type AudienceEntry,
  type Delivery,
  type DeliveryRef,
  type DeliveryRow,
  type EventType,
  type StoredBounceEvent,
  type BounceReport,
  type QuarantinedMessage,
  type BounceChange,
  type BounceRecorded,
  type BounceSuppression,
  type SuppressionLogEntry,
  type DeliveryStatus,
  type NewDeliveryOptions,
  type EventRecord,
  type LoggedEvent,
  type OutcomeRecord,
  type RateKey,
  type RateSlot,
  type SendingMark,
  type SkippedRow,
  type StatusCounts,
  type Store,
  type Suppression,
  type DeliveryFacets,
  type DeliveryQuery,
  type DeliverySort,
  type OutcomeBucket,
  type ReasonCount,
} from '../types.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteWriter } from './writer.js';
import { OUTBOX_RELAY_SQL } from '../../send/outbox-relay.js';
import { audienceOf, conflictingStatuses, REACHED, STILL_SENDING } from '../plan-guard.js';
import { date, foldCounts, statusCounts, likeEscape, opt, ROW_COLUMNS, toCampaign, toDelivery, toDeliveryRow, toEvent, toLoggedEvent, toRef, toSuppression, skippedRowDetail, type Row } from '../rows.js';


const ms = (d: Date | undefined) => (d ? d.getTime() : null);
/** A ring whose every slot is running: look again this soon. */
const RATE_RUNNING_POLL_MS = 5;

/** Opens (creating if needed) the SQLite file and brings its schema up to date. */
export function openSqliteStore(file: string): SqliteStore {
  // A file, never ':memory:': the hot-path writer (writer.ts) opens the same file from a worker.
  if (file === ':memory:') throw new PresslineError('STORE', 'the SQLite store needs a file; set PRESSLINE_DB to a path');
  mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new PresslineError('STORE', `cannot open the SQLite store: ${(err as Error).message}; check PRESSLINE_DB`, { file });
  }
  // WAL lets `pause` and `report` read while `send` writes. synchronous=FULL makes every commit
  // survive power loss: the "sending" mark must be on disk before the relay sees a byte.
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw notADatabase(err, file) ?? err;
  }
  return new SqliteStore(db);
}

/** SQLite's first read of a file that holds something else (a CSV written over it, say) fails here. */
function notADatabase(err: unknown, file: string): PresslineError | undefined {
  const code = (err as { code?: unknown }).code;
  if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') return undefined;
  const what = code === 'SQLITE_NOTADB' ? 'is not a SQLite database' : 'is a damaged SQLite database';
  return new PresslineError(
    'STORE',
    `the store file ${what}; restore it from a backup, or point PRESSLINE_DB (or paths.database in the config) at the right file`,
    { file },
  );
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  // IMMEDIATE takes the write lock first, so two processes starting at once apply each step once.
  db.transaction(() => {
    const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    for (const step of SQLITE_MIGRATIONS) {
      if (done.has(step.version)) continue;
      db.exec(step.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(step.version, Date.now());
    }
  }).immediate();
}


// Sort keys map to columns from a fixed table, never from the request.
const SORT_COLUMN: Record<DeliverySort, string> = {
  id: 'id',
  email: 'key',
  status: 'status',
  domain: 'domain',
  outlet: 'outlet',
  language: 'language',
  attempts: 'attempts',
  updated: 'updated_at',
};

/** The embedded store: one SQLite file, synchronous underneath, async at the interface. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly eventIdsInCommitOrder = true;
  private readonly stmt;
  /** Started on the first hot write; `send` needs it, `report` and friends never do. */
  private writer: SqliteWriter | undefined;
  /** Rate-ledger rings (and sizes) this process has made sure exist (takeRateSlots). */
  private readonly rings = new Set<string>();

  constructor(readonly db: Database.Database) {
    this.stmt = {
      insertDelivery: db.prepare(
        `INSERT INTO deliveries (campaign_id, email, key, domain, language, outlet, contact, status, updated_at, next_attempt_at, message_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, key) DO NOTHING`,
      ),
      // "+e.campaign_id" keeps the planner on the id range (the newest few rows) instead of an
      // index on campaign_id, which would read all of the campaign's events each time.
      eventsAfter: db.prepare(
        `SELECT e.*, d.email, d.worker, d.relay FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.id > ? AND +e.campaign_id = ? ORDER BY e.id LIMIT ?`,
      ),
      insertEvent: db.prepare(
        `INSERT INTO events (campaign_id, delivery_id, at, type, attempt, code, enhanced, response, message_id, duration_ms, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      suppression: db.prepare('SELECT * FROM suppressions WHERE key = ?'),
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

  async createCampaign(input: CampaignInput, now: Date): Promise<number> {
    const info = this.db
      .prepare(
        `INSERT INTO campaigns (release_file, release_title, lists, where_filters, test, status, options, created_at, scheduled_at,
           phase, group_id, embargo_at, embargo_zone, schedule_zone)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.releaseFile,
        input.releaseTitle,
        JSON.stringify(input.lists),
        JSON.stringify(input.where),
        input.test ? 1 : 0,
        input.status,
        JSON.stringify(input.options),
        now.getTime(),
        ms(input.scheduledAt),
        input.phase ?? 'single',
        input.groupId ?? null,
        ms(input.embargoAt),
        input.embargoZone ?? null,
        input.scheduleZone ?? null,
      );
    return Number(info.lastInsertRowid);
  }

  async updateCampaignOptions(id: number, options: Record<string, unknown>): Promise<void> {
    this.db.prepare('UPDATE campaigns SET options = ? WHERE id = ?').run(JSON.stringify(options), id);
  }

  async reschedule(id: number, at: Date, embargoAt?: Date | null): Promise<void> {
    if (embargoAt === undefined) this.db.prepare(`UPDATE campaigns SET scheduled_at = ? WHERE id = ? AND status = 'scheduled'`).run(at.getTime(), id);
    else this.db.prepare(`UPDATE campaigns SET scheduled_at = ?, embargo_at = ? WHERE id = ? AND status = 'scheduled'`).run(at.getTime(), embargoAt?.getTime() ?? null, id);
  }

  async deliveryKeys(campaignId: number): Promise<Set<string>> {
    return new Set(this.db.prepare('SELECT key FROM deliveries WHERE campaign_id = ?').pluck().all(campaignId) as string[]);
  }

  async releaseUnreachedFromEmbargo(publicId: number, embargoedId: number, now: Date): Promise<number> {
    const at = now.getTime();
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `UPDATE deliveries SET status = 'pending', updated_at = ?
           WHERE campaign_id = ? AND status = 'skipped'
             AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.campaign_id = ? AND e.key = deliveries.key
                             AND e.status IN ('sending', 'sent', 'unknown', 'bounced', 'blocked', 'failed', 'deferred'))
           RETURNING id`,
        )
        .all(at, publicId, embargoedId) as Row[];
      for (const r of rows) {
        this.stmt.insertEvent.run(publicId, r.id, at, 'planned', null, null, null, null, null, null, 'the embargoed phase never reached this recipient: sending the public copy');
      }
      return rows.length;
    })();
  }

  /** Every pending or deferred delivery becomes `skipped` with its event (inside a transaction). */
  private skipOpen(campaignId: number, reason: string, at: number): number {
    const rows = this.db
      .prepare(
        `UPDATE deliveries SET status = 'skipped', claimed_by = NULL, claim_expires = NULL, response = ?, updated_at = ?
         WHERE campaign_id = ? AND status IN ('pending', 'deferred') RETURNING id, attempts`,
      )
      .all(reason, at, campaignId) as Row[];
    rows.sort((a, b) => a.id - b.id);
    for (const r of rows) this.stmt.insertEvent.run(campaignId, r.id, at, 'skipped', r.attempts, null, null, null, null, null, reason);
    return rows.length;
  }

  async addDeliveries(campaignId: number, contacts: Contact[], status: DeliveryStatus, now: Date, options: NewDeliveryOptions = {}): Promise<number> {
    const { detail, notBefore, messageId } = options;
    const at = now.getTime();
    let added = 0;
    this.db.transaction(() => {
      for (const c of contacts) {
        const info = this.stmt.insertDelivery.run(campaignId, c.email, c.key, c.domain, c.language, c.outlet, JSON.stringify(c), status, at, ms(notBefore?.(c)), messageId?.(c) ?? null);
        if (info.changes === 0) continue;
        added++;
        const type = status === 'pending' ? 'planned' : status;
        this.stmt.insertEvent.run(campaignId, info.lastInsertRowid, at, type, null, null, null, null, null, null, detail ?? null);
      }
    })();
    return added;
  }

  async addSkipped(campaignId: number, rows: SkippedRow[], now: Date): Promise<void> {
    const insert = this.db.prepare('INSERT INTO skipped_rows (campaign_id, file, line, email, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) {
        insert.run(campaignId, r.file, r.line, r.email, r.reason, now.getTime());
        this.stmt.insertEvent.run(campaignId, null, now.getTime(), 'skipped', null, null, null, null, null, null, skippedRowDetail(r));
      }
    })();
  }

  async skipped(campaignId: number): Promise<SkippedRow[]> {
    return this.db.prepare('SELECT file, line, email, reason FROM skipped_rows WHERE campaign_id = ? ORDER BY rowid').all(campaignId) as SkippedRow[];
  }

  async getCampaign(id: number): Promise<Campaign | undefined> {
    const row = this.db.prepare('SELECT * FROM campaigns WHERE id = ?').get(id) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async listCampaigns(): Promise<Campaign[]> {
    return (this.db.prepare('SELECT * FROM campaigns ORDER BY id').all() as Row[]).map(toCampaign);
  }

  async transitionCampaign(id: number, change: CampaignTransition, now: Date): Promise<boolean> {
    const at = now.getTime();
    const { from, to } = change;
    // IMMEDIATE: the status read below holds until the change, whoever else wants it.
    return this.db.transaction(() => {
      const current = this.db.prepare('SELECT status, paused_kind FROM campaigns WHERE id = ?').get(id) as Row | undefined;
      if (current === undefined || !from.includes(current.status)) return false;
      if (change.fromPause && !change.fromPause.includes(current.paused_kind)) return false;
      if (change.skipOpen !== undefined) this.skipOpen(id, change.skipOpen, at);
      // `done` only once nothing is left to send (a delivery still in flight elsewhere keeps it open).
      if (to === 'done' && this.db.prepare(`SELECT 1 FROM deliveries WHERE campaign_id = ? AND status IN ('pending', 'sending', 'deferred') LIMIT 1`).get(id)) return false;
      this.db
        .prepare(
          `UPDATE campaigns SET status = ?, status_reason = ?, paused_kind = ?, paused_since = ?,
             started_at = CASE WHEN ? = 'sending' THEN coalesce(started_at, ?) ELSE started_at END,
             finished_at = CASE WHEN ? IN ('done', 'cancelled', 'missed') THEN ? ELSE finished_at END
           WHERE id = ?`,
        )
        .run(to, change.reason ?? null, to === 'paused' ? (change.pause ?? null) : null, to === 'paused' ? at : null, to, at, to, at, id);
      this.stmt.insertEvent.run(id, null, at, 'campaign', null, null, null, null, null, null, `${to}${change.reason ? `: ${change.reason}` : ''}`);
      return true;
    }).immediate();
  }

  async finishPlanning(
    id: number,
    to: 'draft' | 'scheduled',
    now: Date,
    guard: { release: ReleaseIdentity; refusal: (conflicts: PlanConflict[]) => string } | undefined,
  ): Promise<{ ok: true } | { ok: false; conflicts: PlanConflict[] }> {
    const at = now.getTime();
    // IMMEDIATE: one end of planning at a time, so two plans of one release cannot both pass.
    return this.db.transaction((): { ok: true } | { ok: false; conflicts: PlanConflict[] } => {
      const conflicts = guard ? this.planConflicts(id, guard.release) : [];
      const refused = conflicts.length > 0;
      const reason = refused ? guard!.refusal(conflicts) : null;
      const info = this.db
        .prepare(`UPDATE campaigns SET status = ?, status_reason = ?, finished_at = ? WHERE id = ? AND status = 'planning'`)
        .run(refused ? 'cancelled' : to, reason, refused ? at : null, id);
      if (info.changes === 0) throw new PresslineError('REFUSED', `campaign ${id} is no longer being planned`);
      this.stmt.insertEvent.run(id, null, at, 'campaign', null, null, null, null, null, null, refused ? `cancelled: ${reason}` : `${to}: planned`);
      return refused ? { ok: false, conflicts } : { ok: true };
    }).immediate();
  }

  private planConflicts(id: number, release: ReleaseIdentity): PlanConflict[] {
    const others = this.db
      .prepare(
        `SELECT id, status FROM campaigns WHERE id <> ? AND test = 0
           AND (release_file = ? OR json_extract(options, '$.releasePath') = ? OR json_extract(options, '$.fingerprint') = ?) ORDER BY id`,
      )
      .all(id, release.file, release.path, release.fingerprint) as Row[];
    const conflicts: PlanConflict[] = [];
    for (const o of others) {
      const statuses = conflictingStatuses(o.status);
      const n = this.db
        .prepare(
          `SELECT count(*) FROM deliveries d JOIN deliveries o ON o.campaign_id = ? AND o.key = d.key
           WHERE d.campaign_id = ? AND d.status = 'pending' AND o.status IN (${statuses.map(() => '?').join(',')})`,
        )
        .pluck()
        .get(o.id, id, ...statuses) as number;
      if (n > 0) conflicts.push({ campaignId: o.id, status: o.status, recipients: n });
    }
    return conflicts;
  }

  async releaseAudience(release: ReleaseIdentity, except: number): Promise<Map<string, AudienceEntry>> {
    const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
    const rows = this.db
      .prepare(
        `SELECT d.key, d.campaign_id, c.status AS campaign_status, d.status FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id
         WHERE c.id <> ? AND c.test = 0
           AND (c.release_file = ? OR json_extract(c.options, '$.releasePath') = ? OR json_extract(c.options, '$.fingerprint') = ?)
           AND (d.status IN (${list(REACHED)}) OR (c.status IN (${list(STILL_SENDING)}) AND d.status IN ('pending', 'deferred')))
         ORDER BY d.id`,
      )
      .all(except, release.file, release.path, release.fingerprint) as Row[];
    return audienceOf(rows);
  }


  async acquireCampaign(id: number, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const info = this.db
      .prepare('UPDATE campaigns SET owner = ?, owner_expires = ? WHERE id = ? AND (owner IS NULL OR owner = ? OR owner_expires < ?)')
      .run(owner, now.getTime() + leaseMs, id, owner, now.getTime());
    if (info.changes > 0) {
      this.db.prepare('UPDATE deliveries SET claim_expires = ? WHERE campaign_id = ? AND claimed_by = ?').run(now.getTime() + leaseMs, id, owner);
    }
    return info.changes > 0;
  }

  async releaseCampaign(id: number, owner: string): Promise<void> {
    this.db.prepare('UPDATE campaigns SET owner = NULL, owner_expires = NULL WHERE id = ? AND owner = ?').run(id, owner);
  }

  /** Who held the campaign last, so a caller on the same host can tell a dead process from a live one. */
  async campaignOwner(id: number): Promise<{ owner: string; expires: Date } | undefined> {
    const row = this.db.prepare('SELECT owner, owner_expires FROM campaigns WHERE id = ? AND owner IS NOT NULL').get(id) as Row | undefined;
    return row ? { owner: row.owner, expires: new Date(row.owner_expires) } : undefined;
  }

  async forceReleaseCampaign(id: number, deadOwner: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE campaigns SET owner_expires = 0 WHERE id = ? AND owner = ?').run(id, deadOwner);
      this.db.prepare('UPDATE deliveries SET claim_expires = 0 WHERE campaign_id = ? AND claimed_by = ?').run(id, deadOwner);
    })();
  }

  async recoverInFlight(campaignId: number, now: Date): Promise<number> {
    const at = now.getTime();
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `UPDATE deliveries SET status = 'unknown', claimed_by = NULL, claim_expires = NULL, updated_at = ?,
             response = 'in flight when the sending process stopped; the relay may or may not have accepted it'
           WHERE campaign_id = ? AND status = 'sending' AND (claim_expires IS NULL OR claim_expires < ?)
           RETURNING id, attempts, message_id`,
        )
        .all(at, campaignId, at) as Row[];
      for (const r of rows) {
        this.stmt.insertEvent.run(campaignId, r.id, at, 'unknown', r.attempts, null, null, null, r.message_id, null, 'in flight at a crash: not resent unless --resend-unknown');
      }
      // Claims of a dead owner on deliveries that never started simply lapse.
      this.db
        .prepare(`UPDATE deliveries SET claimed_by = NULL, claim_expires = NULL WHERE campaign_id = ? AND status IN ('pending','deferred') AND claim_expires < ?`)
        .run(campaignId, at);
      return rows.length;
    })();
  }

  /** On the writer thread, like the marks that follow it: the event loop keeps sending meanwhile. */
  async claimBatch(campaignId: number, owner: string, limit: number, now: Date, leaseMs: number): Promise<Delivery[]> {
    const rows = await this.hotWriter().claim({ campaignId, owner, limit, at: now.getTime(), leaseMs });
    return rows.map(toDelivery);
  }

  async releaseClaims(campaignId: number, owner: string): Promise<void> {
    this.db
      .prepare(`UPDATE deliveries SET claimed_by = NULL, claim_expires = NULL WHERE campaign_id = ? AND claimed_by = ? AND status IN ('pending','deferred')`)
      .run(campaignId, owner);
  }

  async renewClaims(campaignId: number, owner: string, now: Date, leaseMs: number): Promise<void> {
    this.db.prepare('UPDATE deliveries SET claim_expires = ? WHERE campaign_id = ? AND claimed_by = ?').run(now.getTime() + leaseMs, campaignId, owner);
  }

  async liveClaimHolders(campaignId: number, now: Date, except?: string): Promise<string[]> {
    return this.db
      .prepare('SELECT DISTINCT claimed_by FROM deliveries WHERE campaign_id = ? AND claimed_by IS NOT NULL AND claim_expires >= ? AND claimed_by <> ? ORDER BY 1')
      .pluck()
      .all(campaignId, now.getTime(), except ?? '') as string[];
  }

  async claimableWork(campaignId: number, now: Date): Promise<{ due: number; lapsedInFlight: number }> {
    const row = this.db
      .prepare(
        `SELECT count(*) FILTER (WHERE status IN ('pending', 'deferred') AND (next_attempt_at IS NULL OR next_attempt_at <= $now)
                                   AND (claimed_by IS NULL OR claim_expires < $now)) AS due,
                count(*) FILTER (WHERE status = 'sending' AND (claim_expires IS NULL OR claim_expires < $now)) AS lapsed
         FROM deliveries WHERE campaign_id = $campaign AND status IN ('pending', 'deferred', 'sending')`,
      )
      .get({ now: now.getTime(), campaign: campaignId }) as Row;
    return { due: row.due, lapsedInFlight: row.lapsed };
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

  async writeBatch(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void> {
    return this.hotWriter().write(marks, outcomes, now);
  }

  private hotWriter(): SqliteWriter {
    this.writer ??= new SqliteWriter(this.db.name);
    return this.writer;
  }

  async requeue(campaignId: number, from: DeliveryStatus[], now: Date): Promise<number> {
    const at = now.getTime();
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `UPDATE deliveries SET status = 'pending', next_attempt_at = NULL, updated_at = ?
           WHERE campaign_id = ? AND status IN (${from.map(() => '?').join(',')}) RETURNING id`,
        )
        .all(at, campaignId, ...from) as Row[];
      for (const r of rows) this.stmt.insertEvent.run(campaignId, r.id, at, 'planned', null, null, null, null, null, null, `requeued from ${from.join('/')}`);
      return rows.length;
    })();
  }

  async nextRetryAt(campaignId: number): Promise<Date | undefined> {
    const v = this.db
      .prepare(`SELECT min(coalesce(next_attempt_at, 0)) FROM deliveries WHERE campaign_id = ? AND status IN ('pending', 'deferred')`)
      .pluck()
      .get(campaignId) as number | null;
    return date(v);
  }

  async counts(campaignId: number): Promise<StatusCounts> {
    return statusCounts(this.db.prepare('SELECT status, count(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY status').all(campaignId) as Row[]);
  }

  async deliveries(campaignId: number, filter: { status?: DeliveryStatus[]; email?: string } = {}): Promise<DeliveryRow[]> {
    const where = ['campaign_id = ?'];
    const args: unknown[] = [campaignId];
    if (filter.status && filter.status.length > 0) {
      where.push(`status IN (${filter.status.map(() => '?').join(',')})`);
      args.push(...filter.status);
    }
    if (filter.email) {
      where.push('key = ?');
      args.push(filter.email.trim().toLowerCase());
    }
    const rows = this.db
      .prepare(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id`)
      .all(...args) as Row[];
    return rows.map(toDeliveryRow);
  }

  async events(campaignId: number, deliveryId?: number): Promise<EventRecord[]> {
    const rows =
      deliveryId === undefined
        ? this.db.prepare('SELECT * FROM events WHERE campaign_id = ? ORDER BY id').all(campaignId)
        : this.db.prepare('SELECT * FROM events WHERE campaign_id = ? AND delivery_id = ? ORDER BY id').all(campaignId, deliveryId);
    return (rows as Row[]).map(toEvent);
  }

  async eventsAfter(campaignId: number, afterId: number, limit: number): Promise<LoggedEvent[]> {
    return (this.stmt.eventsAfter.all(afterId, campaignId, limit) as Row[]).map(toLoggedEvent);
  }

  async addEvent(e: EventRecord): Promise<void> {
    this.stmt.insertEvent.run(e.campaignId, e.deliveryId ?? null, e.at.getTime(), e.type, e.attempt ?? null, e.code ?? null, e.enhanced ?? null, e.response ?? null, e.messageId ?? null, e.durationMs ?? null, e.detail ?? null);
  }

  async isSuppressed(key: string): Promise<Suppression | undefined> {
    const row = this.stmt.suppression.get(key) as Row | undefined;
    return row ? toSuppression(row) : undefined;
  }

  async suppressedKeys(): Promise<Set<string>> {
    return new Set(this.db.prepare('SELECT key FROM suppressions').pluck().all() as string[]);
  }

  async addSuppression(s: Omit<Suppression, 'createdAt'>, now: Date): Promise<boolean> {
    return this.db.transaction(() => this.insertSuppression(s, now))();
  }

  async removeSuppression(key: string, source = 'operator', now = new Date()): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.stmt.suppression.get(key) as Row | undefined;
      if (!row) return false;
      this.db.prepare('DELETE FROM suppressions WHERE key = ?').run(key);
      this.logSuppression(key, row.email, 'remove', row.reason, source, `was: ${row.reason} from ${row.source}`, now);
      return true;
    })();
  }

  private logSuppression(key: string, email: string, action: 'add' | 'remove', reason: string | undefined, source: string, detail: string | undefined, now: Date): void {
    this.db
      .prepare('INSERT INTO suppression_log (key, email, action, reason, source, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(key, email, action, reason ?? null, source, detail ?? null, now.getTime());
  }

  async suppressionLog(key?: string): Promise<SuppressionLogEntry[]> {
    const rows = (key === undefined
      ? this.db.prepare('SELECT * FROM suppression_log ORDER BY id').all()
      : this.db.prepare('SELECT * FROM suppression_log WHERE key = ? ORDER BY id').all(key)) as Row[];
    return rows.map((r) => ({ key: r.key, email: r.email, action: r.action, reason: opt(r.reason), source: r.source, detail: opt(r.detail), at: new Date(r.at) }));
  }

  private instance: string | undefined;

  async instanceId(): Promise<string> {
    this.instance ??= this.db.prepare('SELECT instance_id FROM store_meta WHERE id = 1').pluck().get() as string;
    return this.instance;
  }

  async getDelivery(id: number): Promise<DeliveryRef | undefined> {
    const r = this.db.prepare('SELECT id, campaign_id, email, key, status, message_id FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return r ? toRef(r) : undefined;
  }

  async deliveryById(id: number): Promise<Delivery | undefined> {
    const r = this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return r ? toDelivery(r) : undefined;
  }

  async findDeliveryByMessageId(messageId: string, key?: string): Promise<DeliveryRef | undefined> {
    const id = messageId.trim().startsWith('<') ? messageId.trim() : `<${messageId.trim()}>`;
    const r = (key
      ? this.db.prepare('SELECT id, campaign_id, email, key, status, message_id FROM deliveries WHERE message_id = ? AND key = ?').get(id, key)
      : this.db.prepare('SELECT id, campaign_id, email, key, status, message_id FROM deliveries WHERE message_id = ?').get(id)) as Row | undefined;
    return r ? toRef(r) : undefined;
  }

  async latestDeliveryTo(key: string): Promise<DeliveryRef | undefined> {
    const r = this.db
      .prepare(`SELECT id, campaign_id, email, key, status, message_id FROM deliveries WHERE key = ? AND status NOT IN ('pending', 'suppressed', 'skipped') ORDER BY id DESC LIMIT 1`)
      .get(key) as Row | undefined;
    return r ? toRef(r) : undefined;
  }

  async recordBounce(e: Omit<StoredBounceEvent, 'id'>, change: BounceChange | undefined, now: Date): Promise<BounceRecorded> {
    return this.db.transaction((): BounceRecorded => {
      const info = this.db
        .prepare(
          `INSERT INTO bounce_events (report_id, source, kind, recipient, campaign_id, delivery_id, status, diagnostic, remote_mta,
             original_message_id, outcome, note, raw, received_at, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id, recipient, kind) DO NOTHING`,
        )
        .run(e.reportId, e.source, e.kind, e.recipient, e.campaignId ?? null, e.deliveryId ?? null, e.status ?? null, e.diagnostic ?? null, e.remoteMta ?? null, e.originalMessageId ?? null, e.outcome, e.note ?? null, e.raw, e.receivedAt.getTime(), now.getTime());
      const s = change?.suppress;
      if (info.changes === 0) {
        const prior = this.db
          .prepare('SELECT outcome, recorded_at FROM bounce_events WHERE report_id = ? AND recipient = ? AND kind = ?')
          .get(e.reportId, e.recipient, e.kind) as Row;
        const missing = s && prior.outcome === 'applied' && !this.stmt.suppression.get(s.key) && !this.removedSince(s.key, prior.recorded_at) && this.suppressionDue(s);
        if (!missing) return { result: 'duplicate', suppressed: false };
        this.insertSuppression(s, now);
        return { result: 'completed', suppressed: true };
      }
      if (change && e.deliveryId !== undefined && e.campaignId !== undefined) {
        if (change.newStatus) {
          this.db
            .prepare('UPDATE deliveries SET status = ?, enhanced = coalesce(?, enhanced), response = coalesce(?, response), updated_at = ? WHERE id = ?')
            .run(change.newStatus, e.status ?? null, e.diagnostic ?? null, now.getTime(), e.deliveryId);
        }
        const code = /^\s*(?:smtp;\s*)?(\d{3})\b/i.exec(e.diagnostic ?? '')?.[1];
        this.stmt.insertEvent.run(e.campaignId, e.deliveryId, e.receivedAt.getTime(), change.eventType, null, code ? Number(code) : null, e.status ?? null, e.diagnostic ?? null, e.originalMessageId ?? null, null, `${e.source}: ${e.kind} report ${e.reportId}`);
      }
      if (!s || !this.suppressionDue(s)) return { result: 'new', suppressed: false };
      this.insertSuppression(s, now);
      return { result: 'new', suppressed: true };
    })();
  }

  /** Whether a report's suppression condition holds now (inside the report's transaction). */
  private suppressionDue(s: BounceSuppression): boolean {
    if (!s.onlyAfter) return true;
    const n = this.db
      .prepare(`SELECT count(*) FROM bounce_events WHERE lower(recipient) = ? AND kind = ? AND outcome = 'applied' AND received_at >= ?`)
      .pluck()
      .get(s.key, s.onlyAfter.kind, s.onlyAfter.since.getTime()) as number;
    return n >= s.onlyAfter.atLeast;
  }

  /** Whether an operator removed the address's suppression at or after `since` (epoch ms). */
  private removedSince(key: string, since: number): boolean {
    return this.db.prepare(`SELECT 1 FROM suppression_log WHERE key = ? AND action = 'remove' AND at >= ? LIMIT 1`).get(key, since) !== undefined;
  }

  /** Adds the suppression unless the address has one, logging only an actual add. */
  private insertSuppression(s: Omit<Suppression, 'createdAt'>, now: Date): boolean {
    const info = this.db
      .prepare('INSERT INTO suppressions (key, email, reason, source, detail, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
      .run(s.key, s.email, s.reason, s.source, s.detail ?? null, now.getTime());
    if (info.changes > 0) this.logSuppression(s.key, s.email, 'add', s.reason, s.source, s.detail, now);
    return info.changes > 0;
  }

  async countBounces(recipientKey: string, kind: string, since: Date): Promise<number> {
    return this.db
      .prepare(`SELECT count(*) FROM bounce_events WHERE lower(recipient) = ? AND kind = ? AND outcome = 'applied' AND received_at >= ?`)
      .pluck()
      .get(recipientKey, kind, since.getTime()) as number;
  }

  async bounceEvents(filter: { outcome?: string; deliveryId?: number } = {}): Promise<StoredBounceEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.outcome) {
      where.push('outcome = ?');
      args.push(filter.outcome);
    }
    if (filter.deliveryId !== undefined) {
      where.push('delivery_id = ?');
      args.push(filter.deliveryId);
    }
    // A mailbox report's raw text sits once in bounce_reports; its rows keep an empty raw.
    const rows = this.db
      .prepare(
        `SELECT b.id, b.report_id, b.source, b.kind, b.recipient, b.campaign_id, b.delivery_id, b.status, b.diagnostic, b.remote_mta, b.original_message_id,
                b.outcome, b.note, b.received_at, coalesce(nullif(b.raw, ''), r.raw, '') AS raw
         FROM bounce_events b LEFT JOIN bounce_reports r ON r.report_id = b.report_id
         ${where.length ? `WHERE ${where.map((w) => `b.${w}`).join(' AND ')}` : ''} ORDER BY b.id`,
      )
      .all(...args) as Row[];
    return rows.map((r) => ({
      id: r.id, reportId: r.report_id, source: r.source, kind: r.kind, recipient: r.recipient, campaignId: opt(r.campaign_id), deliveryId: opt(r.delivery_id),
      status: opt(r.status), diagnostic: opt(r.diagnostic), remoteMta: opt(r.remote_mta), originalMessageId: opt(r.original_message_id),
      outcome: r.outcome, note: opt(r.note), raw: r.raw, receivedAt: new Date(r.received_at),
    }));
  }

  async keepBounceReport(r: BounceReport, now: Date): Promise<boolean> {
    const info = this.db
      .prepare('INSERT INTO bounce_reports (report_id, source, raw, recipients, recipients_kept, recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING')
      .run(r.reportId, r.source, r.raw, r.recipients, r.recipientsKept, now.getTime());
    return info.changes > 0;
  }

  async quarantineMessage(q: QuarantinedMessage): Promise<boolean> {
    const info = this.db
      .prepare('INSERT INTO bounce_quarantine (key, source, location, bytes, reason, quarantined_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
      .run(q.key, q.source, q.location, q.bytes, q.reason, q.quarantinedAt.getTime());
    return info.changes > 0;
  }

  async quarantinedKeys(): Promise<Set<string>> {
    return new Set(this.db.prepare('SELECT key FROM bounce_quarantine').pluck().all() as string[]);
  }

  async listQuarantined(): Promise<QuarantinedMessage[]> {
    return (this.db.prepare('SELECT * FROM bounce_quarantine ORDER BY id').all() as Row[]).map((r) => ({
      key: r.key, source: r.source, location: r.location, bytes: r.bytes, reason: r.reason, quarantinedAt: new Date(r.quarantined_at),
    }));
  }

  async rememberWebhook(provider: string, messageId: string, now: Date): Promise<boolean> {
    const info = this.db.prepare('INSERT INTO webhook_replays (provider, message_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(provider, messageId, now.getTime());
    return info.changes > 0;
  }

  async listSuppressions(): Promise<Suppression[]> {
    return (this.db.prepare('SELECT * FROM suppressions ORDER BY created_at, key').all() as Row[]).map(toSuppression);
  }

  // A plain BEGIN/COMMIT around many store calls: each call's own db.transaction() becomes a
  // savepoint inside it (better-sqlite3 nests that way), so a failed call still undoes only itself
  // until the caller rolls the group back. IMMEDIATE: the write lock up front, as for any writer.
  async beginWriteGroup(): Promise<void> {
    if (this.db.inTransaction) throw new Error('a write group is already open on this SQLite store');
    this.db.exec('BEGIN IMMEDIATE');
  }

  async commitWriteGroup(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  async rollbackWriteGroup(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.db.close();
  }

  // Read models for reports and the dashboard (issue 6).

  async countsByCampaign(): Promise<Map<number, StatusCounts>> {
    const ids = this.db.prepare('SELECT id FROM campaigns ORDER BY id').pluck().all() as number[];
    const rows = this.db.prepare('SELECT campaign_id, status, count(*) AS n FROM deliveries GROUP BY campaign_id, status').all() as Row[];
    return foldCounts(ids, rows);
  }

  async outboxCounts(campaignId?: number): Promise<Map<number, number>> {
    const one = campaignId === undefined ? '' : 'AND campaign_id = ?';
    const rows = this.db
      .prepare(`SELECT campaign_id, count(*) AS n FROM deliveries WHERE status = 'sent' AND ${OUTBOX_RELAY_SQL} ${one} GROUP BY campaign_id`)
      .all(...(campaignId === undefined ? [] : [campaignId])) as Row[];
    return new Map(rows.map((r) => [Number(r.campaign_id), Number(r.n)]));
  }

  async queryDeliveries(campaignId: number, q: DeliveryQuery): Promise<{ rows: DeliveryRow[]; total: number }> {
    const where = ['campaign_id = ?'];
    const args: unknown[] = [campaignId];
    if (q.status && q.status.length > 0) {
      where.push(`status IN (${q.status.map(() => '?').join(',')})`);
      args.push(...q.status);
    }
    if (q.language !== undefined) {
      where.push('language = ?');
      args.push(q.language);
    }
    if (q.outlet) {
      where.push('outlet = ?');
      args.push(q.outlet);
    }
    if (q.domain) {
      where.push('domain = ?');
      args.push(q.domain.trim().toLowerCase());
    }
    const search = q.search?.trim();
    if (search) {
      // LIKE is case-insensitive for ASCII; key is the lower-cased address for the rest.
      const pattern = `%${likeEscape(search)}%`;
      where.push(`(key LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR outlet LIKE ? ESCAPE '\\')`);
      args.push(`%${likeEscape(search.toLowerCase())}%`, pattern, pattern);
    }
    const limit = Math.max(1, Math.min(200, Math.floor(q.limit)));
    const offset = Math.max(0, Math.floor(q.offset));
    const column = SORT_COLUMN[q.sort ?? 'id'] ?? 'id';
    const dir = q.descending ? 'DESC' : 'ASC';
    const order = column === 'id' ? `id ${dir}` : `${column} ${dir}, id ${dir}`;
    const clause = where.join(' AND ');
    const total = this.db.prepare(`SELECT count(*) FROM deliveries WHERE ${clause}`).pluck().get(...args) as number;
    const rows = this.db.prepare(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, limit, offset) as Row[];
    return { rows: rows.map(toDeliveryRow), total };
  }

  async deliveryRow(id: number): Promise<(DeliveryRow & { campaignId: number }) | undefined> {
    const r = this.db.prepare(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE id = ?`).get(id) as Row | undefined;
    return r ? { ...toDeliveryRow(r), campaignId: r.campaign_id } : undefined;
  }

  async deliveryEvents(campaignId: number, filter: { types: EventType[]; deliveryIds?: number[] | undefined }): Promise<EventRecord[]> {
    if (filter.types.length === 0 || filter.deliveryIds?.length === 0) return [];
    const where = ['campaign_id = ?', `type IN (${filter.types.map(() => '?').join(',')})`];
    const args: unknown[] = [campaignId, ...filter.types];
    if (filter.deliveryIds) {
      // A JSON array keeps this one statement whatever the number of ids (no variable limit).
      where.push('delivery_id IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(filter.deliveryIds));
    }
    // Campaign-level events (a skipped list row has no delivery) are dropped here, not in SQL: a
    // `delivery_id IS NOT NULL` there made SQLite walk every event of the campaign by delivery
    // instead of seeking the few types asked for (events_campaign_type_at).
    const rows = this.db.prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id`).all(...args) as Row[];
    return rows.filter((r) => r.delivery_id !== null).map(toEvent);
  }

  async eventSpan(campaignId: number, types: EventType[]): Promise<{ first: Date; last: Date } | undefined> {
    if (types.length === 0) return undefined;
    const r = this.db
      .prepare(`SELECT min(at) AS first, max(at) AS last FROM events WHERE campaign_id = ? AND type IN (${types.map(() => '?').join(',')})`)
      .get(campaignId, ...types) as Row;
    return r.first === null ? undefined : { first: new Date(r.first), last: new Date(r.last) };
  }

  async outcomeSeries(campaignId: number, types: EventType[], bucketMs: number): Promise<OutcomeBucket[]> {
    if (types.length === 0) return [];
    const b = Math.max(1, Math.floor(bucketMs));
    const rows = this.db
      .prepare(
        `SELECT (at / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket, type, count(*) AS n FROM events
         WHERE campaign_id = ? AND type IN (${types.map(() => '?').join(',')})
         GROUP BY bucket, type ORDER BY bucket, type`,
      )
      .all(b, b, campaignId, ...types) as Row[];
    return rows.map((r) => ({ at: new Date(r.bucket), type: r.type, n: r.n }));
  }

  async reasonCounts(campaignId: number, types: EventType[], by: 'enhanced' | 'domain', limit: number): Promise<ReasonCount[]> {
    if (types.length === 0) return [];
    const key = by === 'domain' ? 'd.domain' : `coalesce(e.enhanced, CAST(e.code AS TEXT), '')`;
    const rows = this.db
      .prepare(
        `SELECT e.type AS type, ${key} AS k, count(*) AS events, count(DISTINCT e.delivery_id) AS recipients,
                max(coalesce(e.response, e.detail)) AS sample
         FROM events e JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.campaign_id = ? AND e.type IN (${types.map(() => '?').join(',')})
         GROUP BY e.type, k ORDER BY events DESC, e.type, k LIMIT ?`,
      )
      .all(campaignId, ...types, Math.max(1, limit)) as Row[];
    return rows.map((r) => ({ type: r.type, key: r.k ?? '', events: r.events, recipients: r.recipients, sample: opt(r.sample) }));
  }

  async deliveryFacets(campaignId: number, limit: number): Promise<DeliveryFacets> {
    const facet = (column: string) =>
      (this.db
        .prepare(`SELECT ${column} AS value, count(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY ${column} ORDER BY n DESC, value LIMIT ?`)
        .all(campaignId, Math.max(1, limit)) as Row[]).map((r) => ({ value: String(r.value), n: r.n }));
    return { languages: facet('language'), domains: facet('domain'), outlets: facet('outlet') };
  }
}
