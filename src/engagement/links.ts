import type { Contact } from '../lists/contact.js';
import { addTracking } from '../render/tracking.js';
import type { RenderedMessage } from '../render/types.js';
import { makeToken, signClickTarget, type TokenRef } from '../tokens.js';
import { cellAllowsTracking } from './do-not-track.js';
import type { CampaignTracking } from './settings.js';

/** True when this recipient may be tracked: not on the do-not-track list, and their list row does not say no. */
export function recipientTracked(tracking: CampaignTracking, contact: Contact): boolean {
  if (tracking.doNotTrack.has(contact.key)) return false;
  return tracking.column === undefined || cellAllowsTracking(contact.extra[tracking.column]);
}

/** `<origin>/c/<token>?u=<target>&s=<signature>`: the click link for one target of one delivery. */
export function clickLink(origin: string, token: string, secret: string, target: string): string {
  return `${origin}/c/${token}?u=${encodeURIComponent(target)}&s=${signClickTarget(secret, token, target)}`;
}

/** `<origin>/o/<token>.gif`: the open pixel of one delivery. */
export function openPixel(origin: string, token: string): string {
  return `${origin}/o/${token}.gif`;
}

/**
 * The recipient's copy with tracking added when the campaign tracks and the recipient may be
 * tracked; otherwise `rendered` itself. Only the HTML part changes: the text part keeps its links
 * as they are, since a reader of plain text sees every URL anyway and a rewritten one would only
 * hide where it goes. The HTML's pre-encoded pieces no longer match, so they are dropped (the MIME
 * builder encodes the changed HTML itself).
 */
export function trackedCopy(
  tracking: CampaignTracking | undefined,
  secret: string | undefined,
  ref: TokenRef,
  delivery: { key: string; contact: Contact },
  rendered: RenderedMessage,
  unsubscribe: string | undefined,
): RenderedMessage {
  if (!tracking || !secret || !recipientTracked(tracking, delivery.contact)) return rendered;
  const clickToken = tracking.clicks ? makeToken(secret, 'click', ref, delivery.key) : undefined;
  const openToken = tracking.opens ? makeToken(secret, 'open', ref, delivery.key) : undefined;
  const html = addTracking(rendered.html, {
    click: clickToken ? (target) => clickLink(tracking.origin, clickToken, secret, target) : undefined,
    pixel: openToken ? openPixel(tracking.origin, openToken) : undefined,
    keep: unsubscribe ? [unsubscribe] : [],
  });
  if (html === rendered.html) return rendered;
  return { ...rendered, html, encoded: rendered.encoded?.text ? { text: rendered.encoded.text } : undefined };
}
