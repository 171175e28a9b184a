/**
 * The public face of engagement tracking: `/c/<token>?u=<target>&s=<sig>` (a click: recorded, then
 * 302 to the target) and `/o/<token>.gif` (an open: recorded, answered with a 1×1 GIF). A click
 * link whose token or signature does not check, or whose target is not http(s), is refused with a
 * page that shows the target as text and no Location header: no one can use this server to send a
 * reader somewhere we did not link to. An open answers the same GIF whatever its token, so a
 * scanner learns nothing about which tokens are real; only a valid one is recorded.
 */
import type { IncomingMessage } from 'node:http';
import { classifyEngagement, storedUserAgent } from '../engagement/classify.js';
import { escapeHtml } from '../html/entities.js';
import { isWebTarget, MAX_TARGET_CHARS } from '../render/tracking.js';
import type { EngagementKind, EngagementTarget } from '../store/types.js';
import { checkToken, clickTargetMatches, TOKEN_REFUSALS } from '../tokens.js';
import { html, type Handler, type Reply, type RequestContext } from './context.js';
import { page } from './html.js';


/** A transparent 1×1 GIF (42 bytes). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** The client's address: the socket's, or the last X-Forwarded-For hop when config says a proxy adds it. */
export function clientIp(req: IncomingMessage, behindProxy: boolean): string {
  if (behindProxy) {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean).at(-1);
    if (forwarded) return forwarded.slice(0, 64);
  }
  return req.socket.remoteAddress ?? '';
}

/** The query's parameters, or undefined when the request has none. */
function query(req: IncomingMessage): URLSearchParams {
  const raw = req.url ?? '';
  const q = raw.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
}

/** Checks a token of `purpose` against this store; the delivery, or why not (for the log only). */
async function target(ctx: RequestContext, purpose: 'open' | 'click', token: string): Promise<{ delivery: EngagementTarget; token: string } | { why: string }> {
  const secret = ctx.app.env.secret;
  if (!secret) return { why: 'PRESSLINE_SECRET is not set, so no tracking token can be checked' };
  const checked = await checkToken(secret, purpose, token, await ctx.app.store.instanceId(), (id) => ctx.app.store.engagementTarget(id));
  if ('refused' in checked) return { why: TOKEN_REFUSALS[checked.refused] };
  ctx.note({ campaignId: checked.delivery.campaignId, deliveryId: checked.delivery.id });
  return { delivery: checked.delivery, token: checked.canonical };
}

/** Records one open or click; a store failure is logged, never shown (the reader still gets where they were going). */
async function record(ctx: RequestContext, delivery: EngagementTarget, kind: EngagementKind, url: string | undefined): Promise<void> {
  const now = ctx.app.clock.now();
  const userAgent = String(ctx.req.headers['user-agent'] ?? '');
  const { human, reason } = classifyEngagement({
    method: ctx.req.method ?? 'GET',
    ip: clientIp(ctx.req, ctx.app.config.tracking.behindProxy),
    userAgent,
    at: now,
    sentAt: delivery.sentAt,
    machineWindowSeconds: ctx.app.config.tracking.machineWindowSeconds,
  });
  ctx.note({ engagement: kind, human, reason });
  try {
    await ctx.app.store.recordEngagement({ campaignId: delivery.campaignId, deliveryId: delivery.id, kind, at: now, human, reason, userAgent: storedUserAgent(userAgent), url });
  } catch (err) {
    ctx.log.error({ err: (err as Error).message, deliveryId: delivery.id, kind }, 'engagement not recorded');
  }
}

const REFUSED_TITLE = 'This link does not work';

/**
 * The refusal page: no Location header. The target is shown, as escaped text and never a link,
 * only when the token is ours and only the target was changed or damaged (a mangled link in a
 * real message); for a token we did not make it is not, or anyone could have the organisation's
 * domain display an address of their choosing with our words around it.
 */
function refused(ctx: RequestContext, why: string, shown: string | null): Reply {
  ctx.note({ rejected: why });
  const where = shown
    ? `<p>It was meant to lead to this address, shown here as text only:</p>\n<p><code style="word-break:break-all">${escapeHtml(shown.slice(0, MAX_TARGET_CHARS))}</code></p>\n<p>If you trust it, copy it into your browser yourself.</p>`
    : '<p>It does not say where it leads.</p>';
  return html(400, page(REFUSED_TITLE, `<h1>${escapeHtml(REFUSED_TITLE)}</h1>\n<p>This link has been changed or damaged, so we will not send you on.</p>\n${where}`));
}

/** GET/HEAD /c/<token>?u=<target>&s=<signature>. */
export const trackClick: Handler = async (ctx) => {
  const params = query(ctx.req);
  const url = params.get('u');
  const sig = params.get('s') ?? '';
  if (url === null || url === '') return refused(ctx, 'click link without a target', null);
  if (url.length > MAX_TARGET_CHARS) return refused(ctx, 'click target too long', null);
  const checked = await target(ctx, 'click', ctx.params[0] ?? '');
  if ('why' in checked) return refused(ctx, checked.why, null);
  if (!/^[0-9a-f]{16}$/i.test(sig) || !clickTargetMatches(ctx.app.env.secret!, checked.token, url, sig)) {
    return refused(ctx, 'click target signature does not match (the address was changed)', url);
  }
  // The header carries the URL as WHATWG serialises it: a path or host in another script
  // (…/wiki/Москва, bücher.example) is percent-encoded or punycoded, never raw bytes in a header.
  const location = isWebTarget(url) ? webLocation(url) : undefined;
  if (location === undefined) return refused(ctx, 'click target is not an http(s) address', url);
  await record(ctx, checked.delivery, 'click', url);
  return { status: 302, type: 'text', body: '', headers: { Location: location } };
};

/** The target as a Location header value, or undefined when it is no http(s) URL. */
function webLocation(target: string): string | undefined {
  try {
    const url = new URL(target);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** GET/HEAD /o/<token>.gif: always the pixel; recorded only for a valid token. */
export const trackOpen: Handler = async (ctx) => {
  const checked = await target(ctx, 'open', ctx.params[0] ?? '');
  if ('why' in checked) ctx.note({ rejected: checked.why });
  else await record(ctx, checked.delivery, 'open', undefined);
  return { status: 200, type: 'gif', body: PIXEL_GIF };
};
