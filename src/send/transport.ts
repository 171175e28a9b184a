import type { OutgoingMail } from '../mime/message.js';
import type { SendResult } from './outcome.js';

// A transport carries the MIME builder's message shape (mime/message.ts) as it is.
export type { OutgoingMail } from '../mime/message.js';

/** Sends one message and reports what happened; never throws for a delivery failure. */
export interface Transport {
  readonly name: string;
  /** Messages it carries at once (an SMTP pool's connections); 1 when not set. */
  readonly connections?: number;
  send(mail: OutgoingMail): Promise<SendResult>;
  /**
   * Checks that the far end answers without sending anything (SMTP: a connection, EHLO and the
   * login when credentials are set, with the same settings as sending); rejects with the reason
   * when it does not. Absent when there is nothing to check (the outbox).
   */
  probe?(): Promise<void>;
  close(): Promise<void>;
}
