import type { SendResult } from './outcome.js';

export interface Address {
  name?: string | undefined;
  address: string;
}

/** Quoted-printable pieces in order, each starting at column 0 and ending with a soft line break. */
export interface EncodedBodies {
  html?: readonly Buffer[] | undefined;
  text?: readonly Buffer[] | undefined;
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
  /**
   * The same bodies already in quoted-printable, when the renderer has them (a template's fixed
   * text encoded once, see quotedPrintablePiece): the MIME builder copies these instead of
   * encoding html and text again for every recipient.
   */
  encoded?: EncodedBodies | undefined;
  messageId: string;
  date: Date;
  /** Extra headers (List-Unsubscribe…); values are already free of CR/LF. */
  headers: Record<string, string>;
  /** Bytes read at the start of the send through the release's confinement (never a path nodemailer would open). */
  attachments: { filename: string; content: Buffer }[];
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
  /**
   * Checks that the far end answers without sending anything (SMTP: a connection, EHLO and the
   * login when credentials are set, with the same settings as sending); rejects with the reason
   * when it does not. Absent when there is nothing to check (the outbox).
   */
  probe?(): Promise<void>;
  close(): Promise<void>;
}
