import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import type { CompiledRelease, RenderedMessage } from '../render/types.js';
import { makeToken } from '../tokens.js';
import type { Address, OutgoingMail } from './transport.js';

/** Everything about a campaign that is the same for each of its messages. */
export interface ComposeContext {
  campaignId: number;
  /** The store's instance id: in every token, so a token of another store is refused. */
  instance: string;
  from: Address;
  replyTo: Address | undefined;
  sender: Address | undefined;
  attachments: { filename: string; content: Buffer }[];
  unsubscribeBaseUrl: string | undefined;
  unsubscribeMailto: string | undefined;
  bounceDomain: string | undefined;
  bounceLocalPart: string;
  secret: string | undefined;
  test: boolean;
  /** RFC 2919 List-Id (config `listId`), e.g. `Press releases <press.example.org>`. */
  listId: string | undefined;
  /** The sender part of Gmail's Feedback-ID (config `feedbackId`). */
  feedbackId: string | undefined;
}

/** Throws CONFIG_INVALID when no From address is set (config `from`, or the release's front matter). */
export function requireSender(from: Address | undefined): Address {
  if (!from) throw new PresslineError('CONFIG_INVALID', 'no sender: set "from": {"name": …, "address": …} in the config file', { file: 'config', field: 'from' });
  return from;
}

/**
 * Throws CONFIG_INVALID when unsubscribe links (unsubscribe.baseUrl) or VERP addresses
 * (bounces.domain) are configured without PRESSLINE_SECRET: they would go out unsigned, or not at all.
 */
export function requireSecret(config: Config, secret: string | undefined): void {
  if (secret) return;
  const users = [config.unsubscribe.baseUrl ? 'signed unsubscribe links (unsubscribe.baseUrl)' : '', config.bounces.domain ? 'signed VERP bounce addresses (bounces.domain)' : ''].filter(Boolean);
  if (users.length === 0) return;
  throw new PresslineError('CONFIG_INVALID', `PRESSLINE_SECRET is not set, but the config asks for ${users.join(' and ')}: set PRESSLINE_SECRET in the environment or .env (e.g. \`openssl rand -hex 32\`)`);
}

/** Builds the per-campaign context, refusing settings that would produce unsigned tokens. */
export function composeContext(config: Config, campaignId: number, options: { instance: string; secret: string | undefined; test: boolean; attachments?: { filename: string; content: Buffer }[] }): ComposeContext {
  const from = requireSender(config.from);
  requireSecret(config, options.secret);
  return {
    campaignId,
    instance: options.instance,
    from,
    replyTo: config.replyTo,
    sender: config.sender,
    attachments: options.attachments ?? [],
    unsubscribeBaseUrl: config.unsubscribe.baseUrl,
    unsubscribeMailto: config.unsubscribe.mailto,
    bounceDomain: config.bounces.domain,
    bounceLocalPart: config.bounces.localPart,
    secret: options.secret,
    test: options.test,
    listId: config.listId,
    feedbackId: config.feedbackId,
  };
}

/** CR, LF and other controls out of anything that becomes a header (defence in depth). */
export function headerSafe(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** Digest characters of a Message-ID: 96 bits, so one cannot be guessed from what a message shows. */
const MESSAGE_ID_DIGEST = 24;

/**
 * `<pressline.<instance>.<campaign>.<digest>@<from domain>>`. The digest is an HMAC of store,
 * campaign and recipient under PRESSLINE_SECRET, so a report quoting it proves it saw our message
 * (the campaign and address are in plain sight; the secret is not); without a secret it is random,
 * which is as unguessable. The instance keeps two stores (same secret, campaign numbers starting
 * at 1 again) from ever repeating one (a receiver may drop a message whose Message-ID it has seen).
 * Assigned when the campaign is planned (see persistPlan) and stored, so a retry carries the same
 * one and the send-time mark leaves the Message-ID index alone.
 */
export function messageIdFor(store: { instance: string; secret: string | undefined }, campaignId: number, key: string, fromAddress: string): string {
  const domain = fromAddress.split('@').pop() ?? 'pressline.invalid';
  const digest = store.secret
    ? createHmac('sha256', store.secret).update(`message-id:${store.instance}:${campaignId}:${key}`).digest('hex').slice(0, MESSAGE_ID_DIGEST)
    : randomBytes(MESSAGE_ID_DIGEST / 2).toString('hex');
  return `<pressline.${store.instance}.${campaignId}.${digest}@${domain}>`;
}

/**
 * Whether a Message-ID has the form this store gives out. Older ones (`<pressline.<campaign>.<sha256
 * of campaign and address>@…>`) can be computed by anyone, so quoting one proves nothing.
 */
export function isUnguessableMessageId(messageId: string, instance: string): boolean {
  return new RegExp(`^<?pressline\\.${instance}\\.\\d+\\.[0-9a-f]{${MESSAGE_ID_DIGEST}}@[^@>\\s]+>?$`, 'i').test(messageId.trim());
}

/** Whom a token is for: the delivery's number and address key (signed into the token). */
type TokenDelivery = { id: number; key: string };

export function unsubscribeUrl(ctx: ComposeContext, delivery: TokenDelivery): string | undefined {
  if (!ctx.unsubscribeBaseUrl || !ctx.secret) return undefined;
  const token = makeToken(ctx.secret, 'unsubscribe', { instance: ctx.instance, campaignId: ctx.campaignId, deliveryId: delivery.id }, delivery.key);
  return `${ctx.unsubscribeBaseUrl.replace(/\/+$/, '')}/u/${token}`;
}

/**
 * The List-Unsubscribe mailto address: `<local>+<token>@<domain>` of `unsubscribe.mailto`, so a
 * request to it names its delivery with proof (a bare request's From can be forged). Without a
 * secret, the configured address as it is.
 */
export function unsubscribeMailto(ctx: ComposeContext, delivery: TokenDelivery): string | undefined {
  const mailto = ctx.unsubscribeMailto;
  if (!mailto || !ctx.secret) return mailto;
  const at = mailto.lastIndexOf('@');
  const token = makeToken(ctx.secret, 'unsubscribe', { instance: ctx.instance, campaignId: ctx.campaignId, deliveryId: delivery.id }, delivery.key);
  return `${mailto.slice(0, at)}+${token}${mailto.slice(at)}`;
}

/** MAIL FROM: a VERP address carrying a signed token when a bounce domain is set, else From. */
export function envelopeFrom(ctx: ComposeContext, delivery: TokenDelivery): string {
  if (!ctx.bounceDomain || !ctx.secret) return ctx.from.address;
  const token = makeToken(ctx.secret, 'verp', { instance: ctx.instance, campaignId: ctx.campaignId, deliveryId: delivery.id }, delivery.key);
  return `${ctx.bounceLocalPart}+${token}@${ctx.bounceDomain}`;
}

/** One recipient's complete message: that recipient alone on To:, never Cc or Bcc. */
export function composeMail(
  ctx: ComposeContext,
  delivery: { id: number; key: string; contact: Contact; messageId: string },
  rendered: RenderedMessage,
  unsubscribe: string | undefined,
  now: Date,
): OutgoingMail {
  const contact = delivery.contact;
  const headers: Record<string, string> = {
    'X-Pressline-Campaign': String(ctx.campaignId),
    Precedence: 'bulk',
  };
  const listUnsubscribe: string[] = [];
  if (unsubscribe) listUnsubscribe.push(`<${unsubscribe}>`);
  const mailto = unsubscribeMailto(ctx, delivery);
  if (mailto) listUnsubscribe.push(`<mailto:${mailto}?subject=unsubscribe>`);
  if (listUnsubscribe.length > 0) headers['List-Unsubscribe'] = listUnsubscribe.join(', ');
  // RFC 8058: one-click only with an HTTPS URI the receiver can POST to.
  if (unsubscribe?.startsWith('https://')) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  if (ctx.test) headers['X-Pressline-Test'] = 'yes';
  // The copy's language for screen readers, translation offers and filters (the variant sent).
  if (rendered.language) headers['Content-Language'] = headerSafe(rendered.language);
  if (ctx.listId) headers['List-Id'] = ctx.listId;
  // Gmail Postmaster Tools groups complaints by these fields: campaign, language, mail type, sender.
  if (ctx.feedbackId) headers['Feedback-ID'] = `${ctx.campaignId}:${headerSafe(rendered.language || 'und')}:press:${ctx.feedbackId}`;
  const name = headerSafe(`${contact.firstName} ${contact.lastName}`);
  return {
    from: ctx.from,
    to: { name: name || undefined, address: headerSafe(contact.email) },
    replyTo: ctx.replyTo,
    sender: ctx.sender,
    subject: headerSafe((ctx.test ? '[TEST] ' : '') + rendered.subject),
    html: rendered.html,
    text: rendered.text,
    encoded: rendered.encoded,
    messageId: delivery.messageId,
    date: now,
    headers,
    attachments: ctx.attachments,
    envelope: { from: envelopeFrom(ctx, delivery), to: headerSafe(contact.email) },
    tag: `${String(delivery.id).padStart(7, '0')}-${contact.key.replace(/[^a-z0-9._@-]/gi, '_').slice(0, 80)}`,
  };
}

/**
 * One recipient's copy rendered: the variant for their language, with their own unsubscribe link.
 * The send renders each message here, and so does the dashboard's "view the message".
 */
export function renderFor(compiled: CompiledRelease, ctx: ComposeContext, delivery: TokenDelivery & { contact: Contact }): { rendered: RenderedMessage; unsubscribe: string | undefined } {
  const variant = compiled.pickVariant(delivery.contact);
  const unsubscribe = unsubscribeUrl(ctx, delivery);
  return { rendered: variant.render(delivery.contact, unsubscribe ? { unsubscribe_url: unsubscribe } : {}), unsubscribe };
}
