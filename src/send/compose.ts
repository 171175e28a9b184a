import type { Config } from '../config/schema.js';
import { trackedCopy } from '../engagement/links.js';
import type { CampaignTracking } from '../engagement/settings.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import type { CompiledRelease, CompiledVariant, RenderedMessage } from '../render/types.js';
import { makeToken } from '../tokens.js';
import type { Address } from '../mime/address.js';
import { headerSafe } from '../mime/header.js';
import type { OutgoingMail } from '../mime/message.js';
import type { DeliveryRef } from '../store/types.js';

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
  /** Engagement tracking (src/engagement/settings.ts); undefined: nothing tracked (test sends never are). */
  tracking?: CampaignTracking | undefined;
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

export interface ContextOptions {
  instance: string;
  secret: string | undefined;
  test: boolean;
  attachments?: { filename: string; content: Buffer }[];
  tracking?: CampaignTracking | undefined;
}

/** Builds the per-campaign context, refusing settings that would produce unsigned tokens. */
export function composeContext(config: Config, campaignId: number, options: ContextOptions): ComposeContext {
  const from = requireSender(config.from);
  requireSecret(config, options.secret);
  return uncheckedContext({ ...config, from }, campaignId, options);
}

/** The context as configured, without composeContext's refusals (a preview warns of them instead). */
export function uncheckedContext(config: Config & { from: Address }, campaignId: number, options: ContextOptions): ComposeContext {
  return {
    campaignId,
    instance: options.instance,
    from: config.from,
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
    tracking: options.test ? undefined : options.tracking,
  };
}

/**
 * The config with the release's From and Reply-To over its own: a campaign has one sender, so the
 * first variant's front matter decides for every language.
 */
export function withReleaseSender(config: Config, release: { variants: readonly { from?: Address | undefined; replyTo?: Address | undefined }[] }): Config {
  const variant = release.variants[0];
  return { ...config, from: variant?.from ?? config.from, replyTo: variant?.replyTo ?? config.replyTo };
}

/** Whom a token is for: the delivery's number and address key (signed into the token). */
type TokenDelivery = Pick<DeliveryRef, 'id' | 'key'>;

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
  delivery: TokenDelivery & { contact: Contact; messageId: string },
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
  return renderVariant(compiled.pickVariant(delivery.contact), ctx, delivery);
}

/** One recipient's copy of a given variant (a preview renders every variant for its placeholder contact). */
export function renderVariant(variant: CompiledVariant, ctx: ComposeContext, delivery: TokenDelivery & { contact: Contact }): { rendered: RenderedMessage; unsubscribe: string | undefined } {
  const unsubscribe = unsubscribeUrl(ctx, delivery);
  const rendered = variant.render(delivery.contact, unsubscribe ? { unsubscribe_url: unsubscribe } : {});
  const ref = { instance: ctx.instance, campaignId: ctx.campaignId, deliveryId: delivery.id };
  return { rendered: trackedCopy(ctx.tracking, ctx.secret, ref, delivery, rendered, unsubscribe), unsubscribe };
}
