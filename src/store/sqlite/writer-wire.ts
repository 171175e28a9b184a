import type { OutcomeRecord, SendingMark } from '../types.js';

// What crosses between the store (writer.ts) and its writer thread (writer-thread.ts), as JSON.

/** An outcome serialised with plain numbers, no Dates, so it crosses the thread boundary cheaply. */
export interface WireOutcome extends Omit<OutcomeRecord, 'at' | 'nextAttemptAt'> {
  at: number;
  nextAttemptAt: number | null;
}

export interface WriteRequest {
  marks: SendingMark[];
  outcomes: WireOutcome[];
  at: number;
}

export interface ClaimRequest {
  campaignId: number;
  owner: string;
  limit: number;
  at: number;
  leaseMs: number;
}

export type WriterRequest = { kind: 'write'; write: WriteRequest } | { kind: 'claim'; claim: ClaimRequest };

export interface WriterReply {
  id: number;
  result?: string | undefined;
  error?: string | undefined;
  code?: string | undefined;
}
