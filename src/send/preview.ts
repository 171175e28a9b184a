import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import { messageIdFor } from '../mime/message-id.js';
import type { Preview } from '../render/preview.js';
import type { CompiledRelease, CompiledVariant } from '../render/types.js';
import { composeMail, renderVariant, requireSecret, uncheckedContext, withReleaseSender, type ComposeContext } from './compose.js';
import type { MessageBytes } from './message-bytes.js';

/*
 * `pressline render` previews: each message built by the send's own path (the campaign's compose
 * context, renderVariant, composeMail, and createMessageBytes with DKIM when configured), so the
 * .eml is the bytes `send` would send to that contact. What only a planned campaign has is a
 * placeholder, and so differs from the copy sent:
 * - Date: the render's --now (or now); the send's is the instant of each attempt.
 * - Message-ID: the send's is assigned when the campaign is planned (store instance, campaign
 *   number, secret); the preview's has the same form for campaign 0 of store PREVIEW_INSTANCE,
 *   under a fixed key so that re-rendering gives the same bytes. The multipart boundary is derived
 *   from the Message-ID, and a DKIM signature covers both, so these differ with it.
 * - The campaign number (X-Pressline-Campaign, Feedback-ID's first field) is 0, and tokens (the
 *   unsubscribe link and mailto, when PRESSLINE_SECRET is set) name campaign 0, delivery 0 of store
 *   PREVIEW_INSTANCE: signed like the real ones, but no store takes them (another store's token).
 * Where send would refuse (no From, links that need PRESSLINE_SECRET), the preview says so in
 * `warnings` and renders what it can: a placeholder From, links left out.
 */

/** The campaign, delivery and store a preview stands in for: none of them exists yet. */
export const PREVIEW_CAMPAIGN = 0;
export const PREVIEW_DELIVERY = 0;
export const PREVIEW_INSTANCE = '000000000000';
/** Keys the preview's Message-ID digest, so the same render gives the same bytes; it proves nothing. */
const PREVIEW_MESSAGE_ID_KEY = 'pressline-preview';

/** The compose context a campaign of this release would have, with placeholders for what it does not have yet. */
export function previewContext(
  config: Config,
  compiled: CompiledRelease,
  options: { secret: string | undefined; attachments: { filename: string; content: Buffer }[] },
): { compose: ComposeContext; warnings: string[] } {
  const warnings: string[] = [];
  const settings = withReleaseSender(config, compiled.release);
  let from = settings.from;
  if (!from) {
    from = { name: compiled.release.variants[0]?.organisation?.name ?? 'Press office', address: 'press@example.invalid' };
    warnings.push(`no sender set: send refuses; the preview is From ${from.address} (set "from" in the config or the release)`);
  }
  let secret = options.secret;
  try {
    requireSecret(config, secret);
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    warnings.push(`${err.message}; the preview leaves those out`);
    secret = undefined;
  }
  const compose = uncheckedContext({ ...settings, from }, PREVIEW_CAMPAIGN, { instance: PREVIEW_INSTANCE, secret, test: false, attachments: options.attachments });
  return { compose, warnings };
}

/** Each variant's message to `contact`, as of `now`, in the bytes `bytes` makes of it. */
export async function previewMessages(
  compose: ComposeContext,
  variants: readonly CompiledVariant[],
  contact: Contact,
  now: Date,
  bytes: MessageBytes,
): Promise<Preview[]> {
  const delivery = { id: PREVIEW_DELIVERY, key: contact.key, contact };
  const messageId = messageIdFor({ instance: PREVIEW_INSTANCE, secret: PREVIEW_MESSAGE_ID_KEY }, PREVIEW_CAMPAIGN, contact.key, compose.from.address);
  const messages: Preview[] = [];
  for (const variant of variants) {
    const { rendered, unsubscribe } = renderVariant(variant, compose, delivery);
    const mail = composeMail(compose, { ...delivery, messageId }, rendered, unsubscribe, now);
    messages.push({ language: variant.language, html: mail.html, text: mail.text, eml: await bytes.build(mail) });
  }
  return messages;
}
