import { replyCode, reportEventDetail } from '../../domain/wording.js';
import { opt, REF_COLUMNS, toRef } from '../rows.js';
import type { BounceChange, BounceRecorded, BounceReport, BounceSuppression, DeliveryRef, QuarantinedMessage, StoredBounceEvent } from '../types.js';
import { all, get, INSERT_EVENT, run, type Op } from './adapter.js';
import { addSuppression } from './suppressions.js';

// Bounce, complaint and unsubscribe reports (the BounceStore interface).

export function* getDelivery(id: number): Op<DeliveryRef | undefined> {
  const r = yield* get(`SELECT ${REF_COLUMNS} FROM deliveries WHERE id = ?`, [id]);
  return r ? toRef(r) : undefined;
}

export function* findDeliveryByMessageId(messageId: string, key?: string): Op<DeliveryRef | undefined> {
  const id = messageId.trim().startsWith('<') ? messageId.trim() : `<${messageId.trim()}>`;
  const r = key
    ? yield* get(`SELECT ${REF_COLUMNS} FROM deliveries WHERE message_id = ? AND key = ? ORDER BY id LIMIT 1`, [id, key])
    : yield* get(`SELECT ${REF_COLUMNS} FROM deliveries WHERE message_id = ? ORDER BY id LIMIT 1`, [id]);
  return r ? toRef(r) : undefined;
}

export function* latestDeliveryTo(key: string): Op<DeliveryRef | undefined> {
  const r = yield* get(`SELECT ${REF_COLUMNS} FROM deliveries WHERE key = ? AND status NOT IN ('pending', 'suppressed', 'skipped') ORDER BY id DESC LIMIT 1`, [key]);
  return r ? toRef(r) : undefined;
}

export function* recordBounce(e: Omit<StoredBounceEvent, 'id'>, change: BounceChange | undefined, now: Date): Op<BounceRecorded> {
  const stored = yield* run(
    `INSERT INTO bounce_events (report_id, source, kind, recipient, campaign_id, delivery_id, status, diagnostic, remote_mta,
       original_message_id, outcome, note, raw, received_at, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id, recipient, kind) DO NOTHING`,
    [
      e.reportId, e.source, e.kind, e.recipient, e.campaignId ?? null, e.deliveryId ?? null, e.status ?? null, e.diagnostic ?? null,
      e.remoteMta ?? null, e.originalMessageId ?? null, e.outcome, e.note ?? null, e.raw, e.receivedAt, now,
    ],
  );
  const s = change?.suppress;
  if (stored === 0) {
    if (!s || !(yield* suppressionMissing(e, s)) || !(yield* suppressionDue(s))) return { result: 'duplicate', suppressed: false };
    yield* addSuppression(s, now);
    return { result: 'completed', suppressed: true };
  }
  if (change && e.deliveryId !== undefined && e.campaignId !== undefined) {
    if (change.newStatus) {
      yield* run('UPDATE deliveries SET status = ?, enhanced = coalesce(?, enhanced), response = coalesce(?, response), updated_at = ? WHERE id = ?', [
        change.newStatus, e.status ?? null, e.diagnostic ?? null, now, e.deliveryId,
      ]);
    }
    yield* run(INSERT_EVENT, [
      e.campaignId, e.deliveryId, e.receivedAt, change.eventType, null, replyCode(e.diagnostic) ?? null, e.status ?? null, e.diagnostic ?? null,
      e.originalMessageId ?? null, null, reportEventDetail(e),
    ]);
  }
  if (!s || !(yield* suppressionDue(s))) return { result: 'new', suppressed: false };
  yield* addSuppression(s, now);
  return { result: 'new', suppressed: true };
}

/**
 * A report stored before whose suppression is missing: it was applied, the address is not
 * suppressed, and no operator removed its suppression since the report was stored.
 */
function* suppressionMissing(e: Omit<StoredBounceEvent, 'id'>, s: BounceSuppression): Op<boolean> {
  const row = yield* get(
    `SELECT 1 AS missing FROM bounce_events b WHERE b.report_id = ? AND b.recipient = ? AND b.kind = ? AND b.outcome = 'applied'
       AND NOT EXISTS (SELECT 1 FROM suppressions WHERE key = ?)
       AND NOT EXISTS (SELECT 1 FROM suppression_log WHERE key = ? AND action = 'remove' AND at >= b.recorded_at)`,
    [e.reportId, e.recipient, e.kind, s.key, s.key],
  );
  return row !== undefined;
}

/** Whether a report's suppression condition holds now (inside the report's transaction). */
function* suppressionDue(s: BounceSuppression): Op<boolean> {
  if (!s.onlyAfter) return true;
  return (yield* countBounces(s.key, s.onlyAfter.kind, s.onlyAfter.since)) >= s.onlyAfter.atLeast;
}

export function* countBounces(recipientKey: string, kind: string, since: Date): Op<number> {
  const row = yield* get(`SELECT count(*) AS n FROM bounce_events WHERE lower(recipient) = ? AND kind = ? AND outcome = 'applied' AND received_at >= ?`, [
    recipientKey, kind, since,
  ]);
  return Number(row!.n);
}

export function* bounceEvents(filter: { outcome?: string; deliveryId?: number } = {}): Op<StoredBounceEvent[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.outcome) {
    where.push('b.outcome = ?');
    args.push(filter.outcome);
  }
  if (filter.deliveryId !== undefined) {
    where.push('b.delivery_id = ?');
    args.push(filter.deliveryId);
  }
  // A mailbox report's raw text sits once in bounce_reports; its rows keep an empty raw.
  const rows = yield* all(
    `SELECT b.id, b.report_id, b.source, b.kind, b.recipient, b.campaign_id, b.delivery_id, b.status, b.diagnostic, b.remote_mta, b.original_message_id,
            b.outcome, b.note, b.received_at, coalesce(nullif(b.raw, ''), r.raw, '') AS raw
     FROM bounce_events b LEFT JOIN bounce_reports r ON r.report_id = b.report_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY b.id`,
    args,
  );
  return rows.map((r) => ({
    id: r.id, reportId: r.report_id, source: r.source, kind: r.kind, recipient: r.recipient, campaignId: opt(r.campaign_id), deliveryId: opt(r.delivery_id),
    status: opt(r.status), diagnostic: opt(r.diagnostic), remoteMta: opt(r.remote_mta), originalMessageId: opt(r.original_message_id),
    outcome: r.outcome, note: opt(r.note), raw: r.raw, receivedAt: new Date(r.received_at),
  }));
}

export function* keepBounceReport(r: BounceReport, now: Date): Op<boolean> {
  const kept = yield* run(
    'INSERT INTO bounce_reports (report_id, source, raw, recipients, recipients_kept, recorded_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING',
    [r.reportId, r.source, r.raw, r.recipients, r.recipientsKept, now],
  );
  return kept > 0;
}

export function* quarantineMessage(q: QuarantinedMessage): Op<boolean> {
  const kept = yield* run(
    'INSERT INTO bounce_quarantine (key, source, location, bytes, reason, quarantined_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
    [q.key, q.source, q.location, q.bytes, q.reason, q.quarantinedAt],
  );
  return kept > 0;
}

export function* quarantinedKeys(): Op<Set<string>> {
  return new Set((yield* all('SELECT key FROM bounce_quarantine')).map((r) => r.key as string));
}

export function* listQuarantined(): Op<QuarantinedMessage[]> {
  return (yield* all('SELECT * FROM bounce_quarantine ORDER BY id')).map((r) => ({
    key: r.key, source: r.source, location: r.location, bytes: Number(r.bytes), reason: r.reason, quarantinedAt: new Date(r.quarantined_at),
  }));
}

export function* rememberWebhook(provider: string, messageId: string, now: Date): Op<boolean> {
  return (yield* run('INSERT INTO webhook_replays (provider, message_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [provider, messageId, now])) > 0;
}

export function* instanceId(): Op<string> {
  return String((yield* get('SELECT instance_id FROM store_meta WHERE id = 1'))!.instance_id);
}
