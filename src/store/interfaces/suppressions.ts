import type { SuppressionAction, SuppressionReason } from '../../domain/status.js';

export interface Suppression {
  key: string;
  email: string;
  reason: SuppressionReason;
  source: string;
  createdAt: Date;
  detail: string | undefined;
}

/** One row of the suppression audit trail: every add and every explicit removal. */
export interface SuppressionLogEntry {
  key: string;
  email: string;
  action: SuppressionAction;
  reason: string | undefined;
  source: string;
  detail: string | undefined;
  at: Date;
}

/** Who must never be mailed again, and the audit trail of every add and removal. */
export interface SuppressionStore {
  suppressionLog(key?: string): Promise<SuppressionLogEntry[]>;
  isSuppressed(key: string): Promise<Suppression | undefined>;
  suppressedKeys(): Promise<Set<string>>;
  addSuppression(s: Omit<Suppression, 'createdAt'>, now: Date): Promise<boolean>;
  /** Removal is explicit and logged with who asked. */
  removeSuppression(key: string, source?: string, now?: Date): Promise<boolean>;
  listSuppressions(): Promise<Suppression[]>;
}
