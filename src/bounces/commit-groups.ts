import type { Store } from '../store/types.js';

/** Messages whose rows share one commit, at most (a crash re-reads no more than this). */
export const GROUP_MAX_MESSAGES = 500;
/** Age of a group at which it is committed, whatever its size (a slow source still commits often). */
export const GROUP_MAX_MS = 1000;

export interface GroupLimits {
  maxMessages: number;
  maxMs: number;
}

/**
 * Groups the store writes of consecutive ingested messages into one commit. Each report was its
 * own fsynced commit: ~190 messages/s on a VM disk, over an hour for a million-message mbox.
 * Grouping is safe only while nothing outside the store acts on a message before its rows are
 * committed: callers commit (`commit()`) before a message is acknowledged (IMAP move or flag) or
 * moved aside (Maildir quarantine). Re-reading a file after a crash is harmless: report ids dedupe.
 * The age limit is measured on the monotonic timer, not the app clock: it is about real commits.
 */
export class CommitGroups {
  private open = false;
  private messages = 0;
  private openedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly limits: GroupLimits = { maxMessages: GROUP_MAX_MESSAGES, maxMs: GROUP_MAX_MS },
  ) {}

  /** Before a message's writes: opens a group unless one is open (or the store has none). */
  async beforeMessage(): Promise<void> {
    if (this.open || !this.store.beginWriteGroup) return;
    await this.store.beginWriteGroup();
    this.open = true;
    this.messages = 0;
    this.openedAt = performance.now();
  }

  /** After a message's writes: commits the group once it is full or old enough. */
  async afterMessage(): Promise<void> {
    if (!this.open) return;
    this.messages++;
    if (this.messages >= this.limits.maxMessages || performance.now() - this.openedAt >= this.limits.maxMs) await this.commit();
  }

  /** Commits the open group: every message written so far is on disk when this returns. */
  async commit(): Promise<void> {
    if (!this.open) return;
    await this.store.commitWriteGroup!();
    this.open = false;
  }

  /** Undoes the open group (after a failure): none of its messages was acknowledged. */
  async abandon(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.store.rollbackWriteGroup!();
  }
}
