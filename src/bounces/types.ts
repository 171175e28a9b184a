import type { Clock } from '../time/clock.js';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Store, SuppressionReason } from '../store/types.js';

/**
 * What applying and ingesting reports use: the store, the time, the bounce, unsubscribe and log
 * settings, and the secret that checks tokens. An App has them all.
 */
export interface BounceDeps {
  store: Store;
  clock: Pick<Clock, 'now'>;
  config: Pick<Config, 'bounces' | 'unsubscribe' | 'paths'>;
  env: Pick<Env, 'secret'>;
}

/**
 * What a report says happened to one recipient. 'sender' is a refusal of OUR side (sender domain,
 * SPF/DKIM/DMARC, our IP): it says nothing about the journalist's address.
 */
export type BounceKind = 'hard' | 'soft' | 'policy' | 'sender' | 'complaint' | 'delay' | 'delivered' | 'unsubscribe';

/**
 * One recipient's fate as a bounce mailbox or a provider webhook reported it, already
 * classified, before it is matched to a delivery.
 */
export interface BounceEvent {
  kind: BounceKind;
  /** Where it came from: "maildir:/path/file", "imap:INBOX/123", "ses", "sendgrid". */
  source: string;
  /** A stable id of the report (Message-ID of the DSN, SNS MessageId, sg_event_id), for idempotence. */
  reportId: string;
  /** The failed/complaining recipient as the report names it. */
  recipient: string | undefined;
  /**
   * The DSN's Final-Recipient when it names another address than `recipient`: a forwarded mailbox
   * reports the forward target there, and the address we mailed only as Original-Recipient,
   * which is then `recipient`.
   */
  finalRecipient?: string | undefined;
  /** VERP token found in the report's envelope or headers, if any. */
  verpToken: string | undefined;
  /** Token of the tokenised unsubscribe mailto (`unsubscribe+<token>@…`) a request was sent to. */
  unsubscribeToken?: string | undefined;
  /** Our receiving host's verdict that the sender's domain passed DKIM or SPF, e.g. "dkim=pass header.d=paper.example". */
  senderVerified?: string | undefined;
  /** Message-ID of the original message, if the report carries it. */
  originalMessageId: string | undefined;
  /** RFC 3463 enhanced status, e.g. "5.1.1". */
  status: string | undefined;
  /** Diagnostic-Code or the provider's reason text. */
  diagnostic: string | undefined;
  remoteMta?: string | undefined;
  /** The report as received (or a trimmed JSON of the webhook body), kept for the recipient's timeline. */
  raw: string;
  receivedAt: Date;
}

/** What happened to an event: matched to a delivery (and maybe suppressed), or kept as unattributed. */
export interface ApplyResult {
  outcome: 'applied' | 'duplicate' | 'unattributed' | 'ignored';
  campaignId?: number;
  deliveryId?: number;
  suppressed?: SuppressionReason;
  /** The reason recorded when applying this report paused its campaign (a server refused our sender). */
  paused?: string;
  note?: string;
}
