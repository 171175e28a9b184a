import type { SendResult } from './outcome.js';

export interface Address {
  name?: string | undefined;
  address: string;
}

/** One fully personalised message for one recipient: To holds that recipient alone. */
export interface OutgoingMail {
  from: Address;
  to: Address;
  replyTo?: Address | undefined;
  sender?: Address | undefined;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  date: Date;
  /** Extra headers (List-Unsubscribe…); values are already free of CR/LF. */
  headers: Record<string, string>;
  attachments: { filename: string; path: string }[];
  /** SMTP envelope: MAIL FROM (VERP address or From) and the single RCPT TO. */
  envelope: { from: string; to: string };
  /** A stable, file-system-safe name for this delivery (outbox file stem). */
  tag: string;
}

/** Sends one message and reports what happened; never throws for a delivery failure. */
export interface Transport {
  readonly name: string;
  /** Messages it carries at once (an SMTP pool's connections); 1 when not set. */
  readonly connections?: number;
  send(mail: OutgoingMail): Promise<SendResult>;
  close(): Promise<void>;
}
