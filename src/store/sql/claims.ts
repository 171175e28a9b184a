import { CLAIMABLE } from '../../domain/rules.js';
import { suppressedSincePlanning } from '../../domain/wording.js';
import type { Row } from '../rows.js';
import { all, eventRow, insertEvents, marks, type Dialect, type Op } from './adapter.js';
import { byId } from './campaigns.js';

/** What a claim returns of each delivery (what toDelivery reads). */
const CLAIMED_COLUMNS = 'id, campaign_id, email, key, domain, language, contact, status, attempts, next_attempt_at, first_attempt_at, message_id';

/**
 * Claims up to `limit` deliveries due now for `owner`, in id order, and applies the claim-time
 * suppression rule to them. One operation for both engines: SQLite runs it on its writer thread
 * inside an IMMEDIATE transaction (which holds the whole file); PostgreSQL in a transaction where
 * SKIP LOCKED lets workers on several machines claim different rows at once.
 */
export function* claimBatch(d: Dialect, campaignId: number, owner: string, limit: number, now: Date, leaseMs: number): Op<Row[]> {
  const rows = yield* all(
    `UPDATE deliveries SET claimed_by = ?, claim_expires = ?
     WHERE id IN (
       SELECT id FROM deliveries
       WHERE campaign_id = ? AND status IN ('pending', 'deferred') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
         AND (claimed_by IS NULL OR claim_expires < ?)
         -- A campaign still being planned (or finished) has nothing to claim, whoever asks.
         AND EXISTS (SELECT 1 FROM campaigns WHERE id = ? AND status IN (${marks(CLAIMABLE)}))
       ORDER BY id LIMIT ?${d.skipLocked})
     RETURNING ${CLAIMED_COLUMNS}`,
    [owner, new Date(now.getTime() + leaseMs), campaignId, now, now, campaignId, ...CLAIMABLE, limit],
  );
  if (rows.length === 0) return [];
  const suppressed = yield* suppressClaimed(d, campaignId, rows.map((r) => r.id as number), now);
  return byId(rows).filter((r) => !suppressed.has(r.id));
}

/**
 * The claim-time suppression rule, the one place it is written: checked again just before
 * sending, because an unsubscribe (or a bounce) since planning must win. A claimed delivery whose
 * address is suppressed now becomes `suppressed`, unclaimed, with an event saying why.
 * Returns the ids it took out of the claim.
 */
function* suppressClaimed(d: Dialect, campaignId: number, ids: number[], now: Date): Op<Set<number>> {
  const rows = yield* all(
    `UPDATE deliveries SET status = 'suppressed', claimed_by = NULL, claim_expires = NULL, updated_at = ?
     WHERE ${d.inIds('id')} AND key IN (SELECT key FROM suppressions)
     RETURNING id, key, attempts`,
    [now, d.idsArg(ids)],
  );
  if (rows.length === 0) return new Set();
  // Rare (an address suppressed between planning and sending): the reasons in a second read.
  const keys = [...new Set(rows.map((r) => r.key as string))];
  const why = new Map((yield* all(`SELECT key, reason, source FROM suppressions WHERE key IN (${marks(keys)})`, keys)).map((s) => [s.key, s]));
  yield* insertEvents(
    byId(rows).map((r) => {
      const s = why.get(r.key)!;
      return eventRow(campaignId, r.id, now, 'suppressed', suppressedSincePlanning(s.reason, s.source), r.attempts);
    }),
  );
  return new Set(rows.map((r) => r.id as number));
}
