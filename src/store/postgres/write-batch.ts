import type { OutcomeRecord, SendingMark } from '../types.js';

/**
 * Why the outcome's suppression (a hard bounce) is written inside pressline_write_batch, in
 * plpgsql, rather than by the shared addSuppression (src/store/sql/suppressions.ts) that SQLite's
 * writer thread runs: the marks and outcomes of a batch are one statement, so one round trip and
 * one transaction per batch, and a second statement would add a round trip to every batch on the
 * hot path. Both apply the same rule: only for an outcome actually written, never over an existing
 * suppression, and a suppression_log `add` entry only for a suppression actually added. The
 * claim-time check is shared by both engines (src/store/sql/claims.ts).
 *
 * The arguments of pressline_write_batch (PostgreSQL migration 7): one array per column of the
 * outcomes, their suppressions and the marks, then the marks' instant. The function writes them
 * in one statement, so one transaction and one round trip per batch.
 */
export function writeBatchArgs(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): unknown[] {
  return [
    outcomes.map((o) => o.deliveryId),
    outcomes.map((o) => o.status),
    outcomes.map((o) => o.code ?? null),
    outcomes.map((o) => o.enhanced ?? null),
    outcomes.map((o) => o.response ?? null),
    outcomes.map((o) => o.nextAttemptAt ?? null),
    outcomes.map((o) => o.at),
    outcomes.map((o) => o.attempt),
    outcomes.map((o) => o.messageId),
    outcomes.map((o) => Math.round(o.durationMs)),
    outcomes.map((o) => o.detail ?? null),
    outcomes.map((o) => o.suppression?.key ?? null),
    outcomes.map((o) => o.suppression?.email ?? null),
    outcomes.map((o) => o.suppression?.reason ?? null),
    outcomes.map((o) => o.suppression?.source ?? null),
    outcomes.map((o) => o.suppression?.detail ?? null),
    marks.map((m) => m.deliveryId),
    marks.map((m) => m.messageId),
    marks.map((m) => m.worker),
    marks.map((m) => m.relay),
    now,
  ];
}
