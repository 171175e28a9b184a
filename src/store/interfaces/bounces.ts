import type { DeliveryStatus, EventType } from '../../domain/status.js';
import type { Suppression } from './suppressions.js';

/** A bounce/complaint/unsubscribe report as stored, attributed or not. */
export interface StoredBounceEvent {
  id: number;
  reportId: string;
  source: string;
  kind: string;
  recipient: string;
  campaignId: number | undefined;
  deliveryId: number | undefined;
  status: string | undefined;
  diagnostic: string | undefined;
  remoteMta: string | undefined;
  originalMessageId: string | undefined;
  outcome: string;
  note: string | undefined;
  raw: string;
  receivedAt: Date;
}

/** A bounce mailbox report's raw text, stored once however many recipients it names. */
export interface BounceReport {
  reportId: string;
  source: string;
  /** Already capped by the caller. */
  raw: string;
  /** How many recipients the report named, and how many of them were kept (the cap). */
  recipients: number;
  recipientsKept: number;
}

/** A mailbox message set aside unparsed (too large, too deep, or its parser failed). */
export interface QuarantinedMessage {
  /** What identifies the message on a later run (content hash, or source and size when it was not read). */
  key: string;
  source: string;
  /** Where it is now: the quarantine file, the IMAP folder, or the mbox byte offset. */
  location: string;
  bytes: number;
  reason: string;
  quarantinedAt: Date;
}

/** The suppression a bounce report brings, written in the report's own transaction. */
export interface BounceSuppression extends Omit<Suppression, 'createdAt'> {
  /**
   * Only once the address has at least `atLeast` applied reports of `kind` received since `since`,
   * this one included (soft bounces: suppressed after N within a window).
   */
  onlyAfter?: { kind: string; since: Date; atLeast: number } | undefined;
}

/** What a report does when it is stored: the delivery's new status and event, and a suppression. */
export interface BounceChange {
  /** Applied only to an attributed report (one with a delivery), like the event. */
  newStatus?: DeliveryStatus | undefined;
  eventType: EventType;
  /** Applied with or without a delivery (an unsubscribe names only the address). */
  suppress?: BounceSuppression | undefined;
}

/**
 * What recordBounce did. `new`: stored now, with its change. `completed`: stored before, but its
 * suppression was missing (a second transaction of an older version failed) and is added now.
 * `duplicate`: stored before and whole; nothing changed. `suppressed`: the report's suppression
 * holds for the address (added now, or there already).
 */
export interface BounceRecorded {
  result: 'new' | 'completed' | 'duplicate';
  suppressed: boolean;
}

/** Enough of a delivery to attribute a report to it. */
export interface DeliveryRef {
  id: number;
  campaignId: number;
  email: string;
  key: string;
  status: DeliveryStatus;
  messageId: string | undefined;
}

/** Bounce, complaint and unsubscribe reports: attribution, storage, quarantine, replay guard. */
export interface BounceStore {
  getDelivery(id: number): Promise<DeliveryRef | undefined>;
  /** The delivery that sent the message with this Message-ID (and, when given, to this address key). */
  findDeliveryByMessageId(messageId: string, key?: string): Promise<DeliveryRef | undefined>;
  /** The most recent delivery to this address key, for reports that name only the recipient. */
  latestDeliveryTo(key: string): Promise<DeliveryRef | undefined>;
  /**
   * Stores a report once (by report id, recipient, kind) and, in the same transaction, when
   * attributed moves the delivery to `newStatus` and adds an event to its timeline, and adds the
   * suppression (with its suppression_log entry). A report stored before changes nothing, except
   * that its missing suppression is added (`completed`) unless an operator removed the address's
   * suppression since the report was stored.
   */
  recordBounce(event: Omit<StoredBounceEvent, 'id'>, change: BounceChange | undefined, now: Date): Promise<BounceRecorded>;
  /** Attributed reports of a kind for an address since a time (soft-bounce counting). */
  countBounces(recipientKey: string, kind: string, since: Date): Promise<number>;
  /** Stored events carry their report's raw text (kept once per report by keepBounceReport). */
  bounceEvents(filter?: { outcome?: string; deliveryId?: number }): Promise<StoredBounceEvent[]>;
  /** Keeps a report's raw text once; false when the report was kept before. */
  keepBounceReport(report: BounceReport, now: Date): Promise<boolean>;
  /** Records a message set aside; false when its key was recorded before. */
  quarantineMessage(message: QuarantinedMessage): Promise<boolean>;
  /** Keys of every quarantined message (few: read once per ingestion run). */
  quarantinedKeys(): Promise<Set<string>>;
  listQuarantined(): Promise<QuarantinedMessage[]>;
  /** Remembers a webhook message id; false when it was seen before (a replay). */
  rememberWebhook(provider: string, messageId: string, now: Date): Promise<boolean>;
}
