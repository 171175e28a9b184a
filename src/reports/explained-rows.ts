import { checkEmail } from '../lists/email.js';
import type { DeliveryRow, DeliveryStatus, EventRecord, EventType, Store, Suppression } from '../store/types.js';

/**
 * A report row that tells the whole story of one recipient, in every format (table, JSON, CSV,
 * HTML, dashboard):
 * - `code`, `enhanced`, `response`: the relay's own last reply to our SMTP attempt (250 / 2.6.0 /
 *   "250 2.6.0 Ok: queued"). A bounce report arriving later does not overwrite them here, even
 *   though the store moves the delivery's status and keeps the report's text on the row;
 * - `reason`: why a delivery was never sent or has no reply of its own (skipped, suppressed,
 *   unknown), as the log and the delivery page say it;
 * - `after`: what happened after delivery (complaint, unsubscribe, a late bounce with the report's
 *   own code, enhanced status and diagnostic).
 */
export type ExplainedRow<R extends DeliveryRow = DeliveryRow> = R & {
  reason: string | undefined;
  after: AfterDelivery | undefined;
};

/** The report that came in after a delivery, as its event recorded it. */
export interface AfterDelivery {
  /** complained, unsubscribed, bounced, blocked, failed or delayed. */
  kind: string;
  at: Date;
  /** The report's SMTP basic code (550) read from its diagnostic, its Status (5.2.1), and the diagnostic itself. */
  code: number | undefined;
  enhanced: string | undefined;
  diagnostic: string | undefined;
}

/** Outcomes of our own SMTP attempts: the sender records them with the attempt's number. */
const REPLY_TYPES: readonly EventType[] = ['sent', 'deferred', 'bounced', 'blocked', 'failed', 'unknown'];
/** Statuses with no reply of their own, whose event's detail says why. */
const REASON_STATUSES: readonly DeliveryStatus[] = ['skipped', 'suppressed', 'unknown'];
/**
 * Events a report (DSN, ARF, unsubscribe, webhook) adds to a delivery. They carry no attempt
 * number, which is what sets them apart from the same types written by the sender.
 */
const AFTER_TYPES: readonly EventType[] = ['complained', 'unsubscribed', 'bounced', 'blocked', 'failed', 'delayed'];
/** A "still trying" report: shown only when nothing weightier came. */
const MINOR_AFTER: readonly EventType[] = ['delayed'];
/**
 * What a row's notes are read from. `sent` and `deferred` stay out: every delivered row has them,
 * and the row carries its last reply itself unless a later report or a skip rewrote it.
 */
const NOTE_TYPES: EventType[] = [...AFTER_TYPES, 'skipped', 'suppressed', 'unknown'];

/** Above this many rows a whole-campaign read is one query instead of an id list. */
const ID_LIST_LIMIT = 1000;

/** What one delivery's events say. */
interface Story {
  reasonEvent?: Partial<Record<DeliveryStatus, EventRecord>>;
  after?: EventRecord;
  reply?: EventRecord;
}

const fromReport = (e: EventRecord) => e.attempt === undefined || e.attempt === null;

/** The reason events and the report after delivery of each delivery, read oldest first. */
function foldNotes(events: EventRecord[]): Map<number, Story> {
  const stories = new Map<number, Story>();
  for (const e of events) {
    const id = e.deliveryId!;
    let s = stories.get(id);
    if (!s) stories.set(id, (s = {}));
    if (e.type === 'skipped' || e.type === 'suppressed' || e.type === 'unknown') (s.reasonEvent ??= {})[e.type] = e;
    if (!fromReport(e) || !AFTER_TYPES.includes(e.type)) continue;
    // The latest weighty report wins; a later "delayed" never hides a complaint or a bounce.
    if (!s.after || MINOR_AFTER.includes(s.after.type) || !MINOR_AFTER.includes(e.type)) s.after = e;
  }
  return stories;
}

/** The relay's last reply to our own attempts (a crash's `unknown` has none and is passed over). */
function foldReplies(events: EventRecord[], stories: Map<number, Story>): void {
  for (const e of events) {
    if (fromReport(e) || (e.type === 'unknown' && e.code === undefined && e.response === undefined)) continue;
    const id = e.deliveryId!;
    let s = stories.get(id);
    if (!s) stories.set(id, (s = {}));
    s.reply = e;
  }
}

/** Whether the row's own reply fields were rewritten (by a later report, a skip or a crash) and must come from the events. */
function replyRewritten(row: DeliveryRow, s: Story | undefined): boolean {
  return s?.after !== undefined || row.status === 'skipped' || row.status === 'unknown';
}

/**
 * Planning records only "on the suppression list when planned"; the list's entry says why. It is
 * named only while it is the entry that was there then (one added later is another story).
 */
function withListing(reason: string | undefined, event: EventRecord | undefined, listed: Suppression | undefined): string | undefined {
  if (!reason || !event || event.type !== 'suppressed' || !listed || listed.createdAt > event.at) return reason;
  if (reason.includes(listed.reason)) return reason;
  return `${reason}: ${listed.reason} (${listed.source}, since ${listed.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

/** Fills in one row (in place: a copy of every row of a large report cost as much as reading them). */
function explain<R extends DeliveryRow>(row: R, s: Story | undefined, listed: Suppression | undefined): ExplainedRow<R> {
  const reasonEvent = s?.reasonEvent?.[row.status];
  // The store keeps a skip's or a crash's explanation in `response`; it is a reason, not a reply.
  const reason = REASON_STATUSES.includes(row.status) ? withListing(reasonEvent?.detail ?? reasonEvent?.response ?? row.response, reasonEvent, listed) : undefined;
  const out = row as ExplainedRow<R>;
  if (replyRewritten(row, s)) {
    out.code = s?.reply?.code;
    out.enhanced = s?.reply?.enhanced;
    out.response = s?.reply?.response;
  }
  out.reason = reason;
  const after = s?.after;
  out.after = after && { kind: after.type, at: after.at, code: after.code, enhanced: after.enhanced, diagnostic: after.response };
  return out;
}

/**
 * These rows of one campaign, filled in with their reply, reason and what came after delivery,
 * from the campaign's events: the notes (by id for a page, the whole campaign for a full report),
 * then the replies of only the rows whose own reply fields were rewritten. The rows are taken
 * over: pass the store's fresh rows, not ones still used as they were.
 */
export async function explainRows<R extends DeliveryRow>(store: Store, campaignId: number, rows: R[]): Promise<ExplainedRow<R>[]> {
  if (rows.length === 0) return [];
  const deliveryIds = rows.length <= ID_LIST_LIMIT ? rows.map((r) => r.id) : undefined;
  const stories = foldNotes(await store.deliveryEvents(campaignId, { types: NOTE_TYPES, deliveryIds }));
  const rewritten = rows.filter((r) => replyRewritten(r, stories.get(r.id))).map((r) => r.id);
  if (rewritten.length > 0) foldReplies(await store.deliveryEvents(campaignId, { types: [...REPLY_TYPES], deliveryIds: rewritten }), stories);
  const listed = rows.some((r) => r.status === 'suppressed') ? suppressionsByKey(await store.listSuppressions()) : new Map<string, Suppression>();
  return rows.map((r) => explain(r, stories.get(r.id), r.status === 'suppressed' ? listed.get(keyOf(r.email)) : undefined));
}

const keyOf = (email: string) => {
  const checked = checkEmail(email);
  return checked.ok ? checked.key : email.toLowerCase();
};

function suppressionsByKey(list: Suppression[]): Map<string, Suppression> {
  return new Map(list.map((s) => [s.key, s]));
}

/** "bounced 2026-12-01 10:00 UTC 550 5.2.1: mailbox disabled" — one line for a table cell. */
export function afterText(a: AfterDelivery | undefined): string {
  if (!a) return '';
  const codes = [a.code, a.enhanced].filter((x) => x !== undefined && x !== null).join(' ');
  const when = a.at.toISOString().slice(0, 16).replace('T', ' ');
  const diagnostic = a.diagnostic ? `: ${a.diagnostic.replace(/\s+/g, ' ')}` : '';
  return `${a.kind} ${when} UTC${codes ? ` ${codes}` : ''}${diagnostic}`;
}
