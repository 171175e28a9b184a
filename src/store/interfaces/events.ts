import type { EventType } from '../../domain/status.js';

export interface EventRecord {
  campaignId: number;
  deliveryId: number | undefined;
  at: Date;
  type: EventType;
  attempt?: number | undefined;
  code?: number | undefined;
  enhanced?: string | undefined;
  response?: string | undefined;
  messageId?: string | undefined;
  durationMs?: number | undefined;
  detail?: string | undefined;
}

/** An event as the delivery log writes it: with its id and the recipient it concerns. */
export interface LoggedEvent extends EventRecord {
  id: number;
  email: string | undefined;
  /** The delivery's latest worker and relay (the events table does not repeat them per event). */
  worker: string | undefined;
  relay: string | undefined;
}

/** Every delivery's and campaign's timeline, and what the delivery log copies from it. */
export interface EventLog {
  events(campaignId: number, deliveryId?: number): Promise<EventRecord[]>;
  addEvent(event: EventRecord): Promise<void>;
  /** The campaign's events after `afterId`, in id order, at most `limit`: what the delivery log copies. */
  eventsAfter(campaignId: number, afterId: number, limit: number): Promise<LoggedEvent[]>;
  /**
   * Whether event ids become visible in increasing order (SQLite: one writer at a time). Not so
   * in PostgreSQL, where a transaction may commit after a later one that took a higher id.
   */
  readonly eventIdsInCommitOrder: boolean;
}
