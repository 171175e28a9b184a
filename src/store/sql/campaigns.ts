import { PresslineError } from '../../errors.js';
import { conflictingStatuses, EMBARGO_TRIED, REACHED, STILL_SENDING } from '../../domain/rules.js';
import { EMBARGO_UNREACHED } from '../../domain/wording.js';
import { toCampaign, type Row } from '../rows.js';
import type { AudienceEntry, CampaignStatus, Campaign, CampaignInput, CampaignTransition, PlanConflict, ReleaseIdentity, SkippedRow } from '../types.js';
import { all, eventRow, get, INSERT_EVENT, insertEvents, marks, run, type Dialect, type Op } from './adapter.js';

// Campaign rows, their planning and their status changes (the CampaignStore interface).

export function* createCampaign(input: CampaignInput, now: Date): Op<number> {
  const row = yield* get(
    `INSERT INTO campaigns (release_file, release_title, lists, where_filters, test, status, options, created_at, scheduled_at,
       phase, group_id, embargo_at, embargo_zone, schedule_zone)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      input.releaseFile, input.releaseTitle, JSON.stringify(input.lists), JSON.stringify(input.where), input.test, input.status,
      JSON.stringify(input.options), now, input.scheduledAt ?? null, input.phase ?? 'single', input.groupId ?? null,
      input.embargoAt ?? null, input.embargoZone ?? null, input.scheduleZone ?? null,
    ],
  );
  return Number(row!.id);
}

export function* updateCampaignOptions(id: number, options: Record<string, unknown>): Op<void> {
  yield* run('UPDATE campaigns SET options = ? WHERE id = ?', [JSON.stringify(options), id]);
}

export function* reschedule(id: number, at: Date, embargoAt?: Date | null): Op<void> {
  if (embargoAt === undefined) yield* run(`UPDATE campaigns SET scheduled_at = ? WHERE id = ? AND status = 'scheduled'`, [at, id]);
  else yield* run(`UPDATE campaigns SET scheduled_at = ?, embargo_at = ? WHERE id = ? AND status = 'scheduled'`, [at, embargoAt, id]);
}

export function* deliveryKeys(campaignId: number): Op<Set<string>> {
  return new Set((yield* all('SELECT key FROM deliveries WHERE campaign_id = ?', [campaignId])).map((r) => r.key as string));
}

export function* skipped(d: Dialect, campaignId: number): Op<SkippedRow[]> {
  const rows = yield* all(`SELECT file, line, email, reason FROM skipped_rows WHERE campaign_id = ? ORDER BY ${d.skippedRowsOrder}`, [campaignId]);
  return rows.map((r) => ({ file: r.file, line: r.line, email: r.email, reason: r.reason }));
}

export function* getCampaign(id: number): Op<Campaign | undefined> {
  const row = yield* get('SELECT * FROM campaigns WHERE id = ?', [id]);
  return row ? toCampaign(row) : undefined;
}

export function* listCampaigns(): Op<Campaign[]> {
  return (yield* all('SELECT * FROM campaigns ORDER BY id')).map(toCampaign);
}

export function* releaseUnreachedFromEmbargo(publicId: number, embargoedId: number, now: Date): Op<number> {
  const rows = yield* all(
    `UPDATE deliveries SET status = 'pending', updated_at = ?
     WHERE campaign_id = ? AND status = 'skipped'
       AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.campaign_id = ? AND e.key = deliveries.key AND e.status IN (${marks(EMBARGO_TRIED)}))
     RETURNING id`,
    [now, publicId, embargoedId, ...EMBARGO_TRIED],
  );
  yield* insertEvents(byId(rows).map((r) => eventRow(publicId, r.id, now, 'planned', EMBARGO_UNREACHED)));
  return rows.length;
}

/** RETURNING gives rows in no promised order; events follow delivery ids. */
export function byId(rows: Row[]): Row[] {
  return rows.sort((a, b) => a.id - b.id);
}

/** Every pending or deferred delivery becomes `skipped` with its event (inside a transaction). */
function* skipOpen(campaignId: number, reason: string, now: Date): Op<number> {
  const rows = yield* all(
    `UPDATE deliveries SET status = 'skipped', claimed_by = NULL, claim_expires = NULL, response = ?, updated_at = ?
     WHERE campaign_id = ? AND status IN ('pending', 'deferred') RETURNING id, attempts`,
    [reason, now, campaignId],
  );
  yield* insertEvents(byId(rows).map((r) => eventRow(campaignId, r.id, now, 'skipped', reason, r.attempts)));
  return rows.length;
}

export function* transitionCampaign(d: Dialect, id: number, change: CampaignTransition, now: Date): Op<boolean> {
  const { from, to } = change;
  // Locked (or, in SQLite, inside an IMMEDIATE transaction): the status read holds until the change.
  const current = yield* get(`SELECT status, paused_kind FROM campaigns WHERE id = ?${d.forUpdate}`, [id]);
  if (current === undefined || !from.includes(current.status)) return false;
  if (change.fromPause && !change.fromPause.includes(current.paused_kind)) return false;
  if (change.skipOpen !== undefined) yield* skipOpen(id, change.skipOpen, now);
  // `done` only once nothing is left to send (a delivery still in flight elsewhere keeps it open).
  if (to === 'done' && (yield* get(`SELECT 1 AS open FROM deliveries WHERE campaign_id = ? AND status IN ('pending', 'sending', 'deferred') LIMIT 1`, [id]))) return false;
  const paused = to === 'paused';
  yield* run(
    `UPDATE campaigns SET status = ?, status_reason = ?, paused_kind = ?, paused_since = ?,
       started_at = CASE WHEN CAST(? AS TEXT) = 'sending' THEN coalesce(started_at, ?) ELSE started_at END,
       finished_at = CASE WHEN CAST(? AS TEXT) IN ('done', 'cancelled', 'missed') THEN ? ELSE finished_at END
     WHERE id = ?`,
    [to, change.reason ?? null, paused ? (change.pause ?? null) : null, paused ? now : null, to, now, to, now, id],
  );
  yield* run(INSERT_EVENT, eventRow(id, null, now, 'campaign', `${to}${change.reason ? `: ${change.reason}` : ''}`));
  return true;
}

export type PlanGuard = { release: ReleaseIdentity; refusal: (conflicts: PlanConflict[]) => string } | undefined;
export type PlanEnd = { ok: true } | { ok: false; conflicts: PlanConflict[] };

export function* finishPlanning(d: Dialect, id: number, to: 'draft' | 'scheduled', now: Date, guard: PlanGuard): Op<PlanEnd> {
  // One end of planning at a time, so two plans of one release cannot both pass: each would see
  // the other still planning. Held to the commit.
  if (d.planningLock) yield* get(d.planningLock);
  const conflicts = guard ? yield* planConflicts(id, guard.release) : [];
  const refused = conflicts.length > 0;
  const reason = refused ? guard!.refusal(conflicts) : null;
  const changed = yield* run(`UPDATE campaigns SET status = ?, status_reason = ?, finished_at = ? WHERE id = ? AND status = 'planning'`, [
    refused ? 'cancelled' : to, reason, refused ? now : null, id,
  ]);
  if (changed === 0) throw new PresslineError('REFUSED', `campaign ${id} is no longer being planned`);
  yield* run(INSERT_EVENT, eventRow(id, null, now, 'campaign', refused ? `cancelled: ${reason}` : `${to}: planned`));
  return refused ? { ok: false, conflicts } : { ok: true };
}

/** Campaigns of the same release: same file as given, same absolute path, or same fingerprint. */
const SAME_RELEASE = `(c.release_file = ? OR c.options ->> 'releasePath' = ? OR c.options ->> 'fingerprint' = ?)`;

function* planConflicts(id: number, release: ReleaseIdentity): Op<PlanConflict[]> {
  const others = yield* all(`SELECT id, status FROM campaigns c WHERE id <> ? AND NOT test AND ${SAME_RELEASE} ORDER BY id`, [
    id, release.file, release.path, release.fingerprint,
  ]);
  const conflicts: PlanConflict[] = [];
  for (const o of others) {
    const statuses = conflictingStatuses(o.status);
    const row = yield* get(
      `SELECT count(*) AS n FROM deliveries d JOIN deliveries o ON o.campaign_id = ? AND o.key = d.key
       WHERE d.campaign_id = ? AND d.status = 'pending' AND o.status IN (${marks(statuses)})`,
      [o.id, id, ...statuses],
    );
    const n = Number(row!.n);
    if (n > 0) conflicts.push({ campaignId: o.id, status: o.status, recipients: n });
  }
  return conflicts;
}

export function* releaseAudience(release: ReleaseIdentity, except: number): Op<Map<string, AudienceEntry>> {
  const rows = yield* all(
    `SELECT d.key, d.campaign_id, c.status AS campaign_status, d.status FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id
     WHERE c.id <> ? AND NOT c.test AND ${SAME_RELEASE}
       AND (d.status IN (${marks(REACHED)}) OR (c.status IN (${marks(STILL_SENDING)}) AND d.status IN ('pending', 'deferred')))
     ORDER BY d.id`,
    [except, release.file, release.path, release.fingerprint, ...REACHED, ...STILL_SENDING],
  );
  return audienceOf(rows);
}

/** Rows of (key, campaign_id, campaign_status, status) → one entry per key; a reached one wins. */
function audienceOf(rows: Row[]): Map<string, AudienceEntry> {
  const audience = new Map<string, AudienceEntry>();
  for (const r of rows) {
    const reached = REACHED.includes(r.status);
    if (audience.get(r.key)?.reached) continue;
    audience.set(r.key, { campaignId: r.campaign_id, status: r.campaign_status as CampaignStatus, reached });
  }
  return audience;
}
