import type { Contact } from '../lists/contact.js';
import { emptyCounts, type Campaign, type Delivery, type DeliveryRef, type DeliveryRow, type DeliveryStatus, type EventRecord, type LoggedEvent, type SkippedRow, type StatusCounts, type Suppression } from './types.js';
import { parseCampaignOptions } from './campaign-options.js';

/**
 * Row → record mappers shared by both stores. SQLite hands back times as epoch milliseconds and
 * JSON as text; PostgreSQL hands back Date objects and parsed jsonb. `new Date(v)` and `json(v)`
 * accept either, so one mapper serves both.
 */
export type Row = Record<string, any>;

export const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
export const date = (v: number | Date | null | undefined): Date | undefined => (v === null || v === undefined ? undefined : new Date(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export const REF_COLUMNS = 'id, campaign_id, email, key, status, message_id';
export const ROW_COLUMNS = 'id, campaign_id, email, domain, language, outlet, status, attempts, code, enhanced, response, message_id, updated_at, worker, relay';

export function toCampaign(r: Row): Campaign {
  return {
    id: r.id,
    releaseFile: r.release_file,
    releaseTitle: r.release_title,
    lists: json(r.lists),
    where: json(r.where_filters),
    test: r.test === 1 || r.test === true,
    status: r.status,
    statusReason: opt(r.status_reason),
    pausedKind: opt(r.paused_kind),
    pausedSince: date(r.paused_since),
    options: parseCampaignOptions(json(r.options)),
    createdAt: new Date(r.created_at),
    scheduledAt: date(r.scheduled_at),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    phase: r.phase,
    groupId: opt(r.group_id),
    embargoAt: date(r.embargo_at),
    embargoZone: opt(r.embargo_zone),
    scheduleZone: opt(r.schedule_zone),
  };
}

export function toDelivery(r: Row): Delivery {
  return {
    id: r.id,
    campaignId: r.campaign_id,
    email: r.email,
    key: r.key,
    domain: r.domain,
    language: r.language,
    contact: json<Contact>(r.contact),
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: date(r.next_attempt_at),
    firstAttemptAt: date(r.first_attempt_at),
    messageId: opt(r.message_id),
  };
}

export function toEvent(r: Row): EventRecord {
  return {
    campaignId: r.campaign_id,
    deliveryId: opt(r.delivery_id),
    at: new Date(r.at),
    type: r.type,
    attempt: opt(r.attempt),
    code: opt(r.code),
    enhanced: opt(r.enhanced),
    response: opt(r.response),
    messageId: opt(r.message_id),
    durationMs: opt(r.duration_ms),
    detail: opt(r.detail),
  };
}

export function toLoggedEvent(r: Row): LoggedEvent {
  return { ...toEvent(r), id: Number(r.id), email: opt(r.email), worker: opt(r.worker), relay: opt(r.relay) };
}

/** A list row left out of a campaign, as the detail of its `skipped` event. */
export function skippedRowDetail(r: SkippedRow): string {
  return `${r.file}:${r.line}${r.email ? ` ${r.email}` : ''}: ${r.reason}`;
}

export function toDeliveryRow(r: Row): DeliveryRow {
  return {
    id: r.id,
    email: r.email,
    domain: r.domain,
    language: r.language,
    outlet: r.outlet,
    status: r.status,
    attempts: r.attempts,
    code: opt(r.code),
    enhanced: opt(r.enhanced),
    response: opt(r.response),
    messageId: opt(r.message_id),
    updatedAt: new Date(r.updated_at),
    worker: opt(r.worker),
    relay: opt(r.relay),
  };
}

export function toRef(r: Row): DeliveryRef {
  return { id: r.id, campaignId: r.campaign_id, email: r.email, key: r.key, status: r.status, messageId: opt(r.message_id) };
}

export function toSuppression(r: Row): Suppression {
  return { key: r.key, email: r.email, reason: r.reason, source: r.source, detail: opt(r.detail), createdAt: new Date(r.created_at) };
}

/** One campaign's `status, n` rows as counts of every status (absent ones 0). */
export function statusCounts(rows: Row[]): StatusCounts {
  const counts = emptyCounts();
  for (const r of rows) counts[r.status as DeliveryStatus] = r.n;
  return counts;
}

/** Per-campaign status counts from `campaign_id, status, n` rows; every listed campaign gets a row. */
export function foldCounts(campaignIds: number[], rows: Row[]): Map<number, StatusCounts> {
  const out = new Map<number, StatusCounts>(campaignIds.map((id) => [id, emptyCounts()]));
  for (const r of rows) {
    const c = out.get(r.campaign_id) ?? emptyCounts();
    c[r.status as DeliveryStatus] = r.n;
    out.set(r.campaign_id, c);
  }
  return out;
}
