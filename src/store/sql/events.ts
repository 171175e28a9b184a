import { toEvent, toLoggedEvent } from '../rows.js';
import type { EventRecord, LoggedEvent } from '../types.js';
import { all, INSERT_EVENT, run, type Dialect, type Op } from './adapter.js';

// Every delivery's and campaign's timeline (the EventLog interface).

export function* events(campaignId: number, deliveryId?: number): Op<EventRecord[]> {
  const rows =
    deliveryId === undefined
      ? yield* all('SELECT * FROM events WHERE campaign_id = ? ORDER BY id', [campaignId])
      : yield* all('SELECT * FROM events WHERE campaign_id = ? AND delivery_id = ? ORDER BY id', [campaignId, deliveryId]);
  return rows.map(toEvent);
}

export function* addEvent(e: EventRecord): Op<void> {
  yield* run(INSERT_EVENT, [
    e.campaignId, e.deliveryId ?? null, e.at, e.type, e.attempt ?? null, e.code ?? null, e.enhanced ?? null, e.response ?? null,
    e.messageId ?? null, e.durationMs ?? null, e.detail ?? null,
  ]);
}

export function* eventsAfter(d: Dialect, campaignId: number, afterId: number, limit: number): Op<LoggedEvent[]> {
  return (yield* all(d.eventsAfter, [afterId, campaignId, limit])).map(toLoggedEvent);
}
