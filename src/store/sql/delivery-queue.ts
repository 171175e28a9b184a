import { IN_FLIGHT_AT_CRASH } from '../../domain/wording.js';
import { date, type Row } from '../rows.js';
import type { DeliveryStatus } from '../types.js';
import { all, eventRow, get, insertEvents, marks, run, type Dialect, type Op } from './adapter.js';
import { byId } from './campaigns.js';

// Campaign leases and delivery claims shared by both engines (the DeliveryQueue interface). The
// claim itself and the hot writes (marks and outcomes) differ by engine: see sqlite/writer-thread.ts
// and postgres/claims.ts.

const EPOCH = new Date(0);
const after = (now: Date, ms: number) => new Date(now.getTime() + ms);

export function* acquireCampaign(d: Dialect, id: number, owner: string, now: Date, leaseMs: number): Op<boolean> {
  const expires = after(now, leaseMs);
  const taken = yield* run('UPDATE campaigns SET owner = ?, owner_expires = ? WHERE id = ? AND (owner IS NULL OR owner = ? OR owner_expires < ?)', [
    owner, expires, id, owner, now,
  ]);
  if (taken === 0) return false;
  yield* run(d.setClaimExpiry, [expires, id, owner]);
  return true;
}

export function* releaseCampaign(id: number, owner: string): Op<void> {
  yield* run('UPDATE campaigns SET owner = NULL, owner_expires = NULL WHERE id = ? AND owner = ?', [id, owner]);
}

/** Who held the campaign last, so a caller on the same host can tell a dead process from a live one. */
export function* campaignOwner(id: number): Op<{ owner: string; expires: Date } | undefined> {
  const row = yield* get('SELECT owner, owner_expires FROM campaigns WHERE id = ? AND owner IS NOT NULL', [id]);
  return row ? { owner: row.owner, expires: date(row.owner_expires) ?? EPOCH } : undefined;
}

export function* forceReleaseCampaign(d: Dialect, id: number, deadOwner: string): Op<void> {
  yield* run('UPDATE campaigns SET owner_expires = ? WHERE id = ? AND owner = ?', [EPOCH, id, deadOwner]);
  yield* run(d.setClaimExpiry, [EPOCH, id, deadOwner]);
}

export function* recoverInFlight(campaignId: number, now: Date): Op<number> {
  const wording = IN_FLIGHT_AT_CRASH;
  const rows = yield* all(
    `UPDATE deliveries SET status = 'unknown', claimed_by = NULL, claim_expires = NULL, updated_at = ?, response = ?
     WHERE campaign_id = ? AND status = 'sending' AND (claim_expires IS NULL OR claim_expires < ?)
     RETURNING id, attempts, message_id`,
    [now, wording.response, campaignId, now],
  );
  yield* insertEvents(byId(rows).map((r) => eventRow(campaignId, r.id, now, 'unknown', wording.detail, r.attempts, r.message_id)));
  // Claims of a dead owner on deliveries that never started simply lapse.
  yield* run(`UPDATE deliveries SET claimed_by = NULL, claim_expires = NULL WHERE campaign_id = ? AND status IN ('pending', 'deferred') AND claim_expires < ?`, [
    campaignId, now,
  ]);
  return rows.length;
}

export function* releaseClaims(campaignId: number, owner: string): Op<void> {
  yield* run(`UPDATE deliveries SET claimed_by = NULL, claim_expires = NULL WHERE campaign_id = ? AND claimed_by = ? AND status IN ('pending', 'deferred')`, [
    campaignId, owner,
  ]);
}

export function* renewClaims(d: Dialect, campaignId: number, owner: string, now: Date, leaseMs: number): Op<void> {
  yield* run(d.setClaimExpiry, [after(now, leaseMs), campaignId, owner]);
}

export function* liveClaimHolders(campaignId: number, now: Date, except?: string): Op<string[]> {
  const rows = yield* all(
    'SELECT DISTINCT claimed_by FROM deliveries WHERE campaign_id = ? AND claimed_by IS NOT NULL AND claim_expires >= ? AND claimed_by <> ? ORDER BY 1',
    [campaignId, now, except ?? ''],
  );
  return rows.map((r) => r.claimed_by as string);
}

export function* claimableWork(campaignId: number, now: Date): Op<{ due: number; lapsedInFlight: number }> {
  const row = (yield* get(
    `SELECT count(*) FILTER (WHERE status IN ('pending', 'deferred') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                               AND (claimed_by IS NULL OR claim_expires < ?)) AS due,
            count(*) FILTER (WHERE status = 'sending' AND (claim_expires IS NULL OR claim_expires < ?)) AS lapsed
     FROM deliveries WHERE campaign_id = ? AND status IN ('pending', 'deferred', 'sending')`,
    [now, now, now, campaignId],
  )) as Row;
  return { due: Number(row.due), lapsedInFlight: Number(row.lapsed) };
}

export function* requeue(campaignId: number, from: DeliveryStatus[], now: Date): Op<number> {
  if (from.length === 0) return 0;
  const rows = yield* all(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = NULL, updated_at = ? WHERE campaign_id = ? AND status IN (${marks(from)}) RETURNING id`,
    [now, campaignId, ...from],
  );
  yield* insertEvents(byId(rows).map((r) => eventRow(campaignId, r.id, now, 'planned', `requeued from ${from.join('/')}`)));
  return rows.length;
}

export function* nextRetryAt(campaignId: number): Op<Date | undefined> {
  const row = yield* get(`SELECT min(coalesce(next_attempt_at, ?)) AS at FROM deliveries WHERE campaign_id = ? AND status IN ('pending', 'deferred')`, [
    EPOCH, campaignId,
  ]);
  return date(row?.at);
}
