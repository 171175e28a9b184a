/** What the store is, and its lifetime. */
export interface StoreIdentity {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * This store's random instance id (12 hex digits, made by its first migration): carried by
   * Message-IDs, tokens and delivery log names so that two stores never share one.
   */
  instanceId(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Write groups, for bulk work whose input can be read again (bounce ingestion from files): the
 * writes between `beginWriteGroup` and `commitWriteGroup` become one commit (one fsync instead of
 * one per report), and `rollbackWriteGroup` undoes them all. A crash loses the open group whole,
 * never part of one write. Meanwhile nothing else may write through this Store object (its writes
 * would join the group). Optional: a store without them commits each write on its own, which
 * keeps the same outcomes, only slower.
 */
export interface WriteGroups {
  beginWriteGroup?(): Promise<void>;
  commitWriteGroup?(): Promise<void>;
  /** Undoes the open group, if any (safe to call when none is open). */
  rollbackWriteGroup?(): Promise<void>;
}
