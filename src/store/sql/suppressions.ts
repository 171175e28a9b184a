import { opt, toSuppression } from '../rows.js';
import type { Suppression, SuppressionAction, SuppressionLogEntry } from '../types.js';
import { all, get, run, type Op } from './adapter.js';

// Who must never be mailed again, and the audit trail (the SuppressionStore interface).

export function* isSuppressed(key: string): Op<Suppression | undefined> {
  const row = yield* get('SELECT * FROM suppressions WHERE key = ?', [key]);
  return row ? toSuppression(row) : undefined;
}

export function* suppressedKeys(): Op<Set<string>> {
  return new Set((yield* all('SELECT key FROM suppressions')).map((r) => r.key as string));
}

export function* listSuppressions(): Op<Suppression[]> {
  return (yield* all('SELECT * FROM suppressions ORDER BY created_at, key')).map(toSuppression);
}

/** Adds the suppression unless the address has one, logging only an actual add. */
export function* addSuppression(s: Omit<Suppression, 'createdAt'>, now: Date): Op<boolean> {
  const added = yield* run('INSERT INTO suppressions (key, email, reason, source, detail, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING', [
    s.key, s.email, s.reason, s.source, s.detail ?? null, now,
  ]);
  if (added === 0) return false;
  yield* logSuppression(s.key, s.email, 'add', s.reason, s.source, s.detail, now);
  return true;
}

export function* removeSuppression(key: string, source: string, now: Date): Op<boolean> {
  const row = yield* get('DELETE FROM suppressions WHERE key = ? RETURNING *', [key]);
  if (!row) return false;
  yield* logSuppression(key, row.email, 'remove', row.reason, source, `was: ${row.reason} from ${row.source}`, now);
  return true;
}

function* logSuppression(key: string, email: string, action: SuppressionAction, reason: string | undefined, source: string, detail: string | undefined, now: Date): Op<void> {
  yield* run('INSERT INTO suppression_log (key, email, action, reason, source, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    key, email, action, reason ?? null, source, detail ?? null, now,
  ]);
}

export function* suppressionLog(key?: string): Op<SuppressionLogEntry[]> {
  const rows =
    key === undefined
      ? yield* all('SELECT * FROM suppression_log ORDER BY id')
      : yield* all('SELECT * FROM suppression_log WHERE key = ? ORDER BY id', [key]);
  return rows.map((r) => ({ key: r.key, email: r.email, action: r.action, reason: opt(r.reason), source: r.source, detail: opt(r.detail), at: new Date(r.at) }));
}
