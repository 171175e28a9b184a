import { replyCode } from '../../domain/wording.js';
import { date, opt, type Row } from '../rows.js';
import { CONTACT_HISTORY_LIMIT, type ContactDelivery, type ContactHistory, type ContactReport, type UnsubscribeHow } from '../types.js';
import { all, get, marks, type Op } from './adapter.js';
import { isSuppressed, suppressionLog } from './suppressions.js';

// One journalist across campaigns (ReadModels.contactHistory). Every query is by the address key,
// the column deliveries, bounce_events (recipient) and suppressions share.

/** Report kinds (src/bounces/types.ts BounceKind) that are bounces; delays and delivery notices are not. */
const BOUNCE_KINDS = ['hard', 'soft', 'policy', 'sender'];
/** A refusal at send time is an outcome event with an attempt number (a stored report's event has none). */
const SMTP_BOUNCE_KIND: Record<string, string> = { bounced: 'hard', blocked: 'policy' };

/**
 * How an unsubscribe arrived, from its report's source: the one-click endpoint (web/unsubscribe.ts
 * ONE_CLICK_SOURCE), a provider's webhook (web/ses.ts, web/sendgrid.ts), else a mail to the
 * unsubscribe address read from the bounce mailbox (maildir:, mbox:, imap:).
 */
export function unsubscribeHow(source: string): UnsubscribeHow {
  if (source === 'one-click') return 'one-click';
  if (source === 'ses' || source === 'sendgrid') return 'webhook';
  return 'mailto';
}

const EVENTS_OF = 'FROM events e WHERE e.campaign_id = d.campaign_id AND e.delivery_id = d.id';

function toContactDelivery(r: Row): ContactDelivery {
  return {
    deliveryId: Number(r.id),
    campaignId: Number(r.campaign_id),
    releaseTitle: r.release_title,
    phase: r.phase,
    test: r.test === 1 || r.test === true,
    campaignStatus: r.campaign_status,
    email: r.email,
    status: r.status,
    attempts: Number(r.attempts),
    plannedAt: date(r.planned_at),
    sentAt: date(r.sent_at),
    lastEventAt: date(r.last_event_at),
    code: opt(r.code),
    enhanced: opt(r.enhanced),
    response: opt(r.response),
    messageId: opt(r.message_id),
    relay: opt(r.relay),
    engagement:
      r.g_delivery === null || r.g_delivery === undefined
        ? undefined
        : {
            opensHuman: Number(r.opens_human), opensMachine: Number(r.opens_machine), clicksHuman: Number(r.clicks_human), clicksMachine: Number(r.clicks_machine),
            firstOpenAt: date(r.first_open_at), lastOpenAt: date(r.last_open_at), firstClickAt: date(r.first_click_at), lastClickAt: date(r.last_click_at),
          },
  };
}

function toReport(r: Row): ContactReport {
  return {
    kind: r.kind,
    at: new Date(r.received_at),
    source: r.source,
    campaignId: opt(r.campaign_id),
    deliveryId: opt(r.delivery_id),
    code: replyCode(opt(r.diagnostic)),
    status: opt(r.status),
    diagnostic: opt(r.diagnostic),
    attributed: r.outcome === 'applied',
  };
}

/** Newest first; equal times by the newer row. */
const newestFirst = (a: ContactReport, b: ContactReport) => b.at.getTime() - a.at.getTime();

export function* contactHistory(key: string, newest = CONTACT_HISTORY_LIMIT): Op<ContactHistory> {
  // Written into the SQL: an integer from a fixed range, never from the request.
  const limit = Math.max(1, Math.min(CONTACT_HISTORY_LIMIT, Math.floor(newest) || CONTACT_HISTORY_LIMIT));
  const total = Number((yield* get('SELECT count(*) AS n FROM deliveries WHERE key = ?', [key]))!.n);
  const deliveries = (yield* all(
    `SELECT d.id, d.campaign_id, d.email, d.status, d.attempts, d.code, d.enhanced, d.response, d.message_id, d.relay,
            c.release_title, c.phase, c.test, c.status AS campaign_status,
            g.delivery_id AS g_delivery, g.opens_human, g.opens_machine, g.clicks_human, g.clicks_machine,
            g.first_open_at, g.last_open_at, g.first_click_at, g.last_click_at,
            (SELECT min(e.at) ${EVENTS_OF}) AS planned_at,
            (SELECT min(e.at) ${EVENTS_OF} AND e.type = 'sent') AS sent_at,
            (SELECT max(e.at) ${EVENTS_OF}) AS last_event_at
     FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id LEFT JOIN engagement_totals g ON g.delivery_id = d.id
     WHERE d.key = ? ORDER BY d.id DESC LIMIT ${limit}`,
    [key],
  )).map(toContactDelivery);

  // Stored reports name the address by its key (bounces/apply.ts lower-cases the key it stores).
  const reportKinds = [...BOUNCE_KINDS, 'complaint', 'unsubscribe'];
  const counted = yield* all(`SELECT kind, count(*) AS n FROM bounce_events WHERE recipient = ? AND kind IN (${marks(reportKinds)}) GROUP BY kind`, [key, ...reportKinds]);
  const group = function* (kinds: string[]) {
    return (yield* all(
      `SELECT kind, received_at, source, campaign_id, delivery_id, status, diagnostic, outcome FROM bounce_events
       WHERE recipient = ? AND kind IN (${marks(kinds)}) ORDER BY received_at DESC, id DESC LIMIT ${limit}`,
      [key, ...kinds],
    )).map(toReport);
  };
  const reported = yield* group(BOUNCE_KINDS);
  // Refusals at send time (550 5.1.1 at RCPT) are bounces too, kept only as the delivery's outcome event.
  const atSmtp = (yield* all(
    `SELECT e.type, e.at, e.campaign_id, e.delivery_id, e.code, e.enhanced, e.response FROM deliveries d
     JOIN events e ON e.campaign_id = d.campaign_id AND e.delivery_id = d.id
     WHERE d.key = ? AND e.type IN ('bounced', 'blocked') AND e.attempt IS NOT NULL ORDER BY e.at DESC, e.id DESC LIMIT ${limit}`,
    [key],
  )).map((r): ContactReport => ({
    kind: SMTP_BOUNCE_KIND[r.type] ?? 'hard', at: new Date(r.at), source: 'smtp', campaignId: Number(r.campaign_id), deliveryId: Number(r.delivery_id),
    code: opt(r.code), status: opt(r.enhanced), diagnostic: opt(r.response), attributed: true,
  }));
  const bounces = [...reported, ...atSmtp].sort(newestFirst);
  const complaints = yield* group(['complaint']);
  const unsubscribes = (yield* group(['unsubscribe'])).map((r) => ({ ...r, how: unsubscribeHow(r.source) }));
  const stored = counted.reduce((n, r) => n + Number(r.n), 0);
  const reportsLeftOut = stored - reported.length - complaints.length - unsubscribes.length + Math.max(0, bounces.length - limit);
  return {
    key,
    deliveries,
    totalDeliveries: total,
    bounces: bounces.slice(0, limit),
    complaints,
    unsubscribes,
    reportsLeftOut,
    suppression: yield* isSuppressed(key),
    suppressionLog: yield* suppressionLog(key),
  };
}
