import { date, opt, type Row } from '../rows.js';
import {
  MAX_STORED_ENGAGEMENT, type CampaignEngagement, type EngagementEvent, type EngagementTarget, type EngagementTotals,
} from '../interfaces/engagement.js';
import { all, get, run, type Op } from './adapter.js';

// Opens and clicks (the EngagementStore interface). engagement_totals holds one row per delivery
// that was ever opened or clicked, so a campaign's summary is one indexed aggregate, however many
// events there were; engagement_events keeps a bounded number of events per delivery for the timeline.

export function* engagementTarget(deliveryId: number): Op<EngagementTarget | undefined> {
  const r = yield* get(
    `SELECT d.id, d.campaign_id, d.key,
       (SELECT max(e.at) FROM events e WHERE e.campaign_id = d.campaign_id AND e.delivery_id = d.id AND e.type = 'sent') AS sent_at
     FROM deliveries d WHERE d.id = ?`,
    [deliveryId],
  );
  return r ? { id: Number(r.id), campaignId: Number(r.campaign_id), key: r.key, sentAt: date(r.sent_at) } : undefined;
}

// Earliest of two times, either maybe NULL (SQLite's min() and PostgreSQL's LEAST treat NULL apart).
const earliest = (column: string) =>
  `CASE WHEN engagement_totals.${column} IS NULL OR (excluded.${column} IS NOT NULL AND excluded.${column} < engagement_totals.${column}) THEN excluded.${column} ELSE engagement_totals.${column} END`;
const latest = (column: string) =>
  `CASE WHEN engagement_totals.${column} IS NULL OR (excluded.${column} IS NOT NULL AND excluded.${column} > engagement_totals.${column}) THEN excluded.${column} ELSE engagement_totals.${column} END`;

export function* recordEngagement(e: EngagementEvent): Op<{ stored: boolean }> {
  const open = e.kind === 'open';
  const humanAt = e.human ? e.at : null;
  yield* run(
    `INSERT INTO engagement_totals (delivery_id, campaign_id, opens_human, opens_machine, clicks_human, clicks_machine,
       first_open_at, last_open_at, first_click_at, last_click_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (delivery_id) DO UPDATE SET
       opens_human = engagement_totals.opens_human + excluded.opens_human,
       opens_machine = engagement_totals.opens_machine + excluded.opens_machine,
       clicks_human = engagement_totals.clicks_human + excluded.clicks_human,
       clicks_machine = engagement_totals.clicks_machine + excluded.clicks_machine,
       first_open_at = ${earliest('first_open_at')},
       last_open_at = ${latest('last_open_at')},
       first_click_at = ${earliest('first_click_at')},
       last_click_at = ${latest('last_click_at')}`,
    [
      e.deliveryId, e.campaignId,
      open && e.human ? 1 : 0, open && !e.human ? 1 : 0, !open && e.human ? 1 : 0, !open && !e.human ? 1 : 0,
      open ? humanAt : null, open ? humanAt : null, open ? null : humanAt, open ? null : humanAt,
    ],
  );
  const kept = yield* get('SELECT count(*) AS n FROM engagement_events WHERE delivery_id = ? AND kind = ?', [e.deliveryId, e.kind]);
  if (Number(kept?.n ?? 0) >= MAX_STORED_ENGAGEMENT) return { stored: false };
  yield* run('INSERT INTO engagement_events (campaign_id, delivery_id, kind, at, human, reason, user_agent, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    e.campaignId, e.deliveryId, e.kind, e.at, e.human, e.reason, e.userAgent, e.url ?? null,
  ]);
  return { stored: true };
}

function toTotals(r: Row): EngagementTotals {
  return {
    opensHuman: Number(r.opens_human ?? 0),
    opensMachine: Number(r.opens_machine ?? 0),
    clicksHuman: Number(r.clicks_human ?? 0),
    clicksMachine: Number(r.clicks_machine ?? 0),
    firstOpenAt: date(r.first_open_at),
    lastOpenAt: date(r.last_open_at),
    firstClickAt: date(r.first_click_at),
    lastClickAt: date(r.last_click_at),
  };
}

export function* deliveryEngagement(deliveryId: number): Op<EngagementTotals | undefined> {
  const r = yield* get('SELECT * FROM engagement_totals WHERE delivery_id = ?', [deliveryId]);
  return r ? toTotals(r) : undefined;
}

export function* engagementEvents(deliveryId: number): Op<EngagementEvent[]> {
  const rows = yield* all('SELECT * FROM engagement_events WHERE delivery_id = ? ORDER BY at, id', [deliveryId]);
  return rows.map((r) => ({
    campaignId: Number(r.campaign_id),
    deliveryId: Number(r.delivery_id),
    kind: r.kind,
    at: new Date(r.at),
    human: r.human === true || r.human === 1,
    reason: r.reason,
    userAgent: r.user_agent,
    url: opt(r.url),
  }));
}

export function* campaignEngagement(campaignId: number): Op<CampaignEngagement> {
  const r = yield* get(
    `SELECT sum(opens_human) AS opens_human, sum(opens_machine) AS opens_machine, sum(clicks_human) AS clicks_human, sum(clicks_machine) AS clicks_machine,
       min(first_open_at) AS first_open_at, max(last_open_at) AS last_open_at, min(first_click_at) AS first_click_at, max(last_click_at) AS last_click_at,
       sum(CASE WHEN opens_human > 0 THEN 1 ELSE 0 END) AS opened,
       sum(CASE WHEN clicks_human > 0 THEN 1 ELSE 0 END) AS clicked,
       sum(CASE WHEN opens_human = 0 AND opens_machine > 0 THEN 1 ELSE 0 END) AS machine_only
     FROM engagement_totals WHERE campaign_id = ?`,
    [campaignId],
  );
  return { ...toTotals(r ?? {}), opened: Number(r?.opened ?? 0), clicked: Number(r?.clicked ?? 0), machineOnlyOpened: Number(r?.machine_only ?? 0) };
}
