import { foldCounts, opt, ROW_COLUMNS, statusCounts, toDelivery, toDeliveryRow, toEvent } from '../rows.js';
import { OUTBOX_RELAY_SQL } from '../outbox-relay-sql.js';
import type { Delivery, DeliveryFacets, DeliveryQuery, DeliveryRow, DeliverySort, DeliveryStatus, EventRecord, EventType, OutcomeBucket, ReasonCount, StatusCounts } from '../types.js';
import { all, get, marks, type Dialect, type Op } from './adapter.js';

// What reports, the CLI and the dashboard read (the ReadModels interface).

export function* counts(campaignId: number): Op<StatusCounts> {
  return statusCounts(yield* all('SELECT status, count(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY status', [campaignId]));
}

export function* deliveries(campaignId: number, filter: { status?: DeliveryStatus[]; email?: string } = {}): Op<DeliveryRow[]> {
  const where = ['campaign_id = ?'];
  const args: unknown[] = [campaignId];
  if (filter.status && filter.status.length > 0) {
    where.push(`status IN (${marks(filter.status)})`);
    args.push(...filter.status);
  }
  if (filter.email) {
    where.push('key = ?');
    args.push(filter.email.trim().toLowerCase());
  }
  return (yield* all(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id`, args)).map(toDeliveryRow);
}

export function* deliveryById(id: number): Op<Delivery | undefined> {
  const r = yield* get('SELECT * FROM deliveries WHERE id = ?', [id]);
  return r ? toDelivery(r) : undefined;
}

export function* countsByCampaign(): Op<Map<number, StatusCounts>> {
  const ids = (yield* all('SELECT id FROM campaigns ORDER BY id')).map((r) => r.id as number);
  return foldCounts(ids, yield* all('SELECT campaign_id, status, count(*) AS n FROM deliveries GROUP BY campaign_id, status'));
}

export function* outboxCounts(campaignId?: number): Op<Map<number, number>> {
  const one = campaignId === undefined ? '' : 'AND campaign_id = ?';
  const rows = yield* all(
    `SELECT campaign_id, count(*) AS n FROM deliveries WHERE status = 'sent' AND ${OUTBOX_RELAY_SQL} ${one} GROUP BY campaign_id`,
    campaignId === undefined ? [] : [campaignId],
  );
  return new Map(rows.map((r) => [Number(r.campaign_id), Number(r.n)]));
}

// Sort keys map to columns from a fixed table, never from the request.
const SORT_COLUMN: Record<DeliverySort, string> = {
  id: 'id', email: 'key', status: 'status', domain: 'domain', outlet: 'outlet', language: 'language', attempts: 'attempts', updated: 'updated_at',
};
const TEXT_SORTS = new Set<DeliverySort>(['email', 'status', 'domain', 'outlet', 'language']);

export function* queryDeliveries(d: Dialect, campaignId: number, q: DeliveryQuery): Op<{ rows: DeliveryRow[]; total: number }> {
  const where = ['campaign_id = ?'];
  const args: unknown[] = [campaignId];
  if (q.status && q.status.length > 0) {
    where.push(`status IN (${marks(q.status)})`);
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
    // Folded the same on both engines (search-fold.ts), not by LIKE's ASCII-only or ILIKE's collation-dependent rule.
    const found = d.search(search);
    where.push(found.sql);
    args.push(...found.args);
  }
  const limit = Math.max(1, Math.min(200, Math.floor(q.limit)));
  const offset = Math.max(0, Math.floor(q.offset));
  const sort = SORT_COLUMN[q.sort ?? 'id'] ? (q.sort ?? 'id') : 'id';
  // Text sorts byte-wise on both engines, so both page alike.
  const column = TEXT_SORTS.has(sort) ? d.binary(SORT_COLUMN[sort]) : SORT_COLUMN[sort];
  const dir = q.descending ? 'DESC' : 'ASC';
  const order = sort === 'id' ? `id ${dir}` : `${column} ${dir}, id ${dir}`;
  const clause = where.join(' AND ');
  const total = yield* get(`SELECT count(*) AS n FROM deliveries WHERE ${clause}`, args);
  const rows = yield* all(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE ${clause} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, args);
  return { rows: rows.map(toDeliveryRow), total: Number(total!.n) };
}

export function* deliveryRow(id: number): Op<(DeliveryRow & { campaignId: number }) | undefined> {
  const r = yield* get(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE id = ?`, [id]);
  return r ? { ...toDeliveryRow(r), campaignId: r.campaign_id } : undefined;
}

export function* deliveryEvents(d: Dialect, campaignId: number, filter: { types: EventType[]; deliveryIds?: number[] | undefined }): Op<EventRecord[]> {
  if (filter.types.length === 0 || filter.deliveryIds?.length === 0) return [];
  const where = ['campaign_id = ?', `type IN (${marks(filter.types)})`];
  const args: unknown[] = [campaignId, ...filter.types];
  if (filter.deliveryIds) {
    where.push(d.inIds('delivery_id'));
    args.push(d.idsArg(filter.deliveryIds));
  }
  // Campaign-level events (a skipped list row has no delivery) are dropped here, not in SQL: a
  // `delivery_id IS NOT NULL` there made SQLite walk every event of the campaign by delivery
  // instead of seeking the few types asked for (events_campaign_type_at).
  const rows = yield* all(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id`, args);
  return rows.filter((r) => r.delivery_id !== null).map(toEvent);
}

export function* eventSpan(campaignId: number, types: EventType[]): Op<{ first: Date; last: Date } | undefined> {
  if (types.length === 0) return undefined;
  const r = yield* get(`SELECT min(at) AS first, max(at) AS last FROM events WHERE campaign_id = ? AND type IN (${marks(types)})`, [campaignId, ...types]);
  return r === undefined || r.first === null ? undefined : { first: new Date(r.first), last: new Date(r.last) };
}

export function* outcomeSeries(d: Dialect, campaignId: number, types: EventType[], bucketMs: number): Op<OutcomeBucket[]> {
  if (types.length === 0) return [];
  const b = Math.max(1, Math.floor(bucketMs));
  // Buckets aligned to the epoch in whole milliseconds (b is an integer, written into the SQL).
  const rows = yield* all(
    `SELECT (${d.epochMs('at')} / ${b}) * ${b} AS bucket, type, count(*) AS n FROM events
     WHERE campaign_id = ? AND type IN (${marks(types)})
     GROUP BY 1, 2 ORDER BY 1, ${d.binary('type')}`,
    [campaignId, ...types],
  );
  return rows.map((r) => ({ at: new Date(Number(r.bucket)), type: r.type, n: Number(r.n) }));
}

export function* reasonCounts(d: Dialect, campaignId: number, types: EventType[], by: 'enhanced' | 'domain', limit: number): Op<ReasonCount[]> {
  if (types.length === 0) return [];
  const key = by === 'domain' ? 'd.domain' : `coalesce(e.enhanced, CAST(e.code AS TEXT), '')`;
  const rows = yield* all(
    `SELECT e.type AS type, ${key} AS k, count(*) AS events, count(DISTINCT e.delivery_id) AS recipients,
            max(${d.binary('coalesce(e.response, e.detail)')}) AS sample
     FROM events e JOIN deliveries d ON d.id = e.delivery_id
     WHERE e.campaign_id = ? AND e.type IN (${marks(types)})
     GROUP BY 1, 2 ORDER BY events DESC, ${d.binary('e.type')}, ${d.binary(key)} LIMIT ?`,
    [campaignId, ...types, Math.max(1, limit)],
  );
  return rows.map((r) => ({ type: r.type, key: r.k ?? '', events: Number(r.events), recipients: Number(r.recipients), sample: opt(r.sample) }));
}

export function* deliveryFacets(d: Dialect, campaignId: number, limit: number): Op<DeliveryFacets> {
  const facet = function* (column: 'language' | 'domain' | 'outlet') {
    const rows = yield* all(
      `SELECT ${column} AS value, count(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY ${column} ORDER BY n DESC, ${d.binary(column)} LIMIT ?`,
      [campaignId, Math.max(1, limit)],
    );
    return rows.map((r) => ({ value: String(r.value), n: Number(r.n) }));
  };
  return { languages: yield* facet('language'), domains: yield* facet('domain'), outlets: yield* facet('outlet') };
}
