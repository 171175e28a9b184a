import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { loadRelease } from '../releases/load.js';
import { messageIdFor } from '../mime/message-id.js';
import { composeMail, renderFor } from '../send/compose.js';
import { createMessageBytes } from '../send/message-bytes.js';
import type { DeliveryStatus, EventType, Store } from '../store/types.js';
import { fingerprintFiles } from './fingerprint.js';
import { releaseFiles, templatePath } from './plan.js';
import { campaignMessages } from './run.js';

/** Events that end an attempt: the last one dates the copy the recipient was sent. */
const ATTEMPT_ENDS: readonly EventType[] = ['sent', 'deferred', 'bounced', 'blocked', 'failed', 'unknown'];

/** One recipient's message as the send composes it, re-rendered (nothing keeps the bytes that went out). */
export interface MessageView {
  deliveryId: number;
  campaignId: number;
  status: DeliveryStatus;
  /** The instant it was composed as of: the last attempt's, else now (never attempted). */
  composedAt: Date;
  attempted: boolean;
  /** The release or template files differ from those the campaign was sent with. */
  releaseChanged: boolean;
  /** The campaign tracked opens or clicks, and this view leaves its pixel and click links out. */
  untracked: boolean;
  /** MAIL FROM (the VERP bounce address when a bounce domain is set) and RCPT TO. */
  envelope: { from: string; to: string };
  /** The header block as composed (CRLF-joined), before DKIM signing. */
  headers: string;
  html: string | undefined;
  text: string | undefined;
  attachments: string[];
}

/**
 * Re-renders a delivery's message through the send's own path (campaignMessages, renderFor,
 * composeMail, toMailOptions), as of its last attempt, so an embargoed copy renders embargoed.
 * NOT_FOUND for an unknown delivery; FILE_UNREADABLE and the like when the release is gone.
 */
export async function viewMessage(deps: { config: Config; env: Env; store: Store }, deliveryId: number, now: Date): Promise<MessageView> {
  const { store, config } = deps;
  const d = await store.deliveryById(deliveryId);
  if (!d) throw new PresslineError('NOT_FOUND', `no delivery ${deliveryId}`);
  const campaign = await store.getCampaign(d.campaignId);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${d.campaignId}`);
  const last = (await store.events(d.campaignId, d.id)).filter((ev) => ATTEMPT_ENDS.includes(ev.type)).pop();
  const composedAt = last?.at ?? now;

  const release = await loadRelease(campaign.releaseFile, config);
  const templateFile = templatePath(config, campaign.options.templateFile);
  const sentWith = campaign.options.fingerprint;
  const releaseChanged = sentWith !== undefined && (await fingerprintFiles(releaseFiles(release, templateFile))) !== sentWith;
  const made = await campaignMessages(deps, campaign, release, templateFile, composedAt);
  // Without tracking: a reviewer's browser loading the pixel (or following a link) would be
  // counted as the journalist opening or clicking. The view says so (`untracked`).
  const { compiled } = made;
  const compose = { ...made.compose, tracking: undefined };
  const messageId = d.messageId ?? messageIdFor({ instance: compose.instance, secret: compose.secret }, campaign.id, d.key, compose.from.address);
  const { rendered, unsubscribe } = renderFor(compiled, compose, d);
  const mail = composeMail(compose, { id: d.id, key: d.key, contact: d.contact, messageId }, rendered, unsubscribe, composedAt);

  // The MIME as the transports build it (our builder, or nodemailer's with attachments), unsigned, cut at the body.
  const bytes = createMessageBytes();
  try {
    const raw = (await bytes.build(mail)).toString('latin1');
    const end = raw.indexOf('\r\n\r\n');
    return {
      deliveryId: d.id,
      campaignId: campaign.id,
      status: d.status,
      composedAt,
      attempted: last !== undefined,
      releaseChanged,
      untracked: made.compose.tracking !== undefined,
      envelope: mail.envelope,
      headers: end < 0 ? raw : raw.slice(0, end),
      html: mail.html,
      text: mail.text,
      attachments: mail.attachments.map((a) => a.filename),
    };
  } finally {
    bytes.close();
  }
}
