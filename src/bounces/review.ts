import type { BounceRecorded, Store } from '../store/types.js';

/** What a record kept for review says; the rest of its row stays empty (no recipient, delivery or codes). */
export interface ForReview {
  /** Stored once by this id: the same message or request again is a 'duplicate'. */
  reportId: string;
  source: string;
  kind: string;
  diagnostic?: string | undefined;
  /** Why it names no delivery of ours, and what a person can do about it. */
  note: string;
  raw: string;
}

/**
 * Keeps a message or request that names no delivery of ours for a person (`bounces unattributed`):
 * a mailbox message that is no report, a one-click unsubscribe with a link this store cannot check.
 * It changes no delivery and suppresses no one.
 */
export function keepForReview(store: Pick<Store, 'recordBounce'>, record: ForReview, now: Date): Promise<BounceRecorded> {
  return store.recordBounce(
    {
      reportId: record.reportId,
      source: record.source,
      kind: record.kind,
      recipient: '',
      campaignId: undefined,
      deliveryId: undefined,
      status: undefined,
      diagnostic: record.diagnostic,
      remoteMta: undefined,
      originalMessageId: undefined,
      outcome: 'unattributed',
      note: record.note,
      raw: record.raw,
      receivedAt: now,
    },
    undefined,
    now,
  );
}
