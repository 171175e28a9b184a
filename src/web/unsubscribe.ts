import { applyBounceEvent, logApplied } from '../bounces/apply.js';
import type { DeliveryRef } from '../store/types.js';
import { storableId } from '../bounces/bounds.js';
import { keepForReview } from '../bounces/review.js';
import { checkToken, TOKEN_REFUSALS } from '../tokens.js';
import { HttpError } from './body.js';
import { html, text, type Handler, type Reply, type RequestContext } from './context.js';
import { escapeHtml } from '../html/entities.js';
import { maskAddress, page } from './html.js';
import { fill, unsubscribeWording } from './unsubscribe-wording.js';

/** Where the suppression and the timeline event say the unsubscribe came from. */
export const ONE_CLICK_SOURCE = 'one-click';

const INVALID_TITLE = 'This link does not work';
// One answer for every bad token, so the page never tells whether an address or delivery exists.
const INVALID_TEXT = 'This unsubscribe link is not valid. If you copied it from an email, check that the whole link was copied.';

function organisation(ctx: RequestContext): string {
  return ctx.app.config.organisation?.name ?? ctx.app.config.from?.name ?? 'this organisation';
}

function wantsHtml(ctx: RequestContext): boolean {
  return /\btext\/html\b/i.test(String(ctx.req.headers.accept ?? ''));
}

const EXPIRED_TITLE = 'This link is no longer valid';

function invalid(ctx: RequestContext, asHtml: boolean, why: string): Reply {
  ctx.note({ rejected: why });
  if (!asHtml) return text(400, INVALID_TEXT);
  return html(400, page(INVALID_TITLE, `<h1>${escapeHtml(INVALID_TITLE)}</h1>\n<p>${escapeHtml(INVALID_TEXT)}</p>`));
}

/**
 * A well-formed link of another store (a reset or moved database, another install) or of the old
 * form: it may be genuine, but this store cannot tell whose it is. The answer depends on the link
 * alone, never on what the store holds, and offers a way that needs no link: the mailto address.
 */
function expired(ctx: RequestContext, asHtml: boolean, why: string): Reply {
  ctx.note({ rejected: why });
  const mailto = ctx.app.config.unsubscribe.mailto;
  const fallback = mailto
    ? `To unsubscribe, send an email with the subject "unsubscribe" to ${mailto}.`
    : `To unsubscribe, reply to the press release and ask to be removed.`;
  if (!asHtml) return text(410, `This unsubscribe link is no longer valid. ${fallback}`);
  const how = mailto
    ? `<p>To unsubscribe, <a href="mailto:${escapeHtml(encodeURI(mailto))}?subject=unsubscribe">send an email with the subject “unsubscribe” to ${escapeHtml(mailto)}</a>.</p>`
    : `<p>${escapeHtml(fallback)}</p>`;
  return html(410, page(EXPIRED_TITLE, `<h1>${escapeHtml(EXPIRED_TITLE)}</h1>\n<p>It comes from an earlier installation of ${escapeHtml(organisation(ctx))}'s mailing system and can no longer be checked.</p>\n${how}`));
}

/** The delivery a token names, or the reason it names none (for the log only). */
async function resolve(ctx: RequestContext): Promise<{ delivery: DeliveryRef; token: string } | { why: string; expired?: true }> {
  const secret = ctx.app.env.secret;
  if (!secret) return { why: 'PRESSLINE_SECRET is not set, so no unsubscribe token can be checked' };
  const checked = await checkToken(secret, 'unsubscribe', ctx.params[0] ?? '', await ctx.app.store.instanceId(), (id) => ctx.app.store.getDelivery(id));
  if ('refused' in checked) {
    const why = TOKEN_REFUSALS[checked.refused];
    return checked.refused === 'other-store' || checked.refused === 'old-format' ? { why, expired: true } : { why };
  }
  ctx.note({ campaignId: checked.delivery.campaignId, deliveryId: checked.delivery.id });
  return { delivery: checked.delivery, token: checked.canonical };
}

/**
 * A one-click POST with a link of an older install or another store: a mail client (Gmail, Yahoo)
 * tells the journalist they are unsubscribed, so the request is kept for a person with the link it
 * came with (`bounces unattributed`), never only in the HTTP log. It suppresses no one by itself:
 * this store cannot tell whose link it is.
 */
async function keepUncheckedRequest(ctx: RequestContext, why: string): Promise<void> {
  const token = storableId((ctx.params[0] ?? '').slice(0, 200));
  await keepForReview(
    ctx.app.store,
    {
      reportId: `unsubscribe-unverified:${token}`,
      source: ONE_CLICK_SOURCE,
      kind: 'unsubscribe',
      diagnostic: 'one-click unsubscribe (RFC 8058) with a link this store cannot check',
      note: `${why}; find the journalist from the link's campaign and delivery numbers and suppress them by hand (pressline suppress add)`,
      raw: `POST /u/${token} List-Unsubscribe=One-Click`,
    },
    ctx.app.clock.now(),
  );
}

function refuse(ctx: RequestContext, asHtml: boolean, found: { why: string; expired?: true }): Reply {
  return found.expired ? expired(ctx, asHtml, found.why) : invalid(ctx, asHtml, found.why);
}

/** The wording of the page in the language of the copy the journalist was sent. */
async function wordingFor(ctx: RequestContext, deliveryId: number) {
  const row = await ctx.app.store.deliveryRow(deliveryId);
  return unsubscribeWording(row?.language);
}

/** GET /u/<token>: asks before doing anything; link scanners prefetch GETs, so GET never unsubscribes. */
export const unsubscribePage: Handler = async (ctx) => {
  const found = await resolve(ctx);
  if ('why' in found) return refuse(ctx, true, found);
  const { wording, ...language } = await wordingFor(ctx, found.delivery.id);
  const slots = { org: escapeHtml(organisation(ctx)), who: escapeHtml(maskAddress(found.delivery.email)) };
  if (await ctx.app.store.isSuppressed(found.delivery.key)) {
    ctx.note({ already: true });
    return html(200, page(wording.alreadyTitle, `<h1>${escapeHtml(wording.alreadyTitle)}</h1>\n<p>${fill(wording.already, slots, escapeHtml)}</p>`, language));
  }
  const question = fill(wording.question, slots, escapeHtml);
  const body = `<h1>${question}</h1>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" aria-label="${escapeHtml(question.replace(/<\/?bdi>/g, ''))}">${escapeHtml(wording.button)}</button>
</form>
<p class="small">${escapeHtml(wording.stay)}</p>`;
  return html(200, page(wording.title, body, language));
};

/** The form fields of a urlencoded or multipart/form-data body (RFC 8058 allows both). */
export function formFields(contentType: string | undefined, body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) return fields;
    for (const part of body.toString('utf8').split(`--${b}`)) {
      const split = part.indexOf('\r\n\r\n');
      if (split < 0) continue;
      const head = part.slice(0, split);
      const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
      if (name !== undefined && !fields.has(name)) fields.set(name, part.slice(split + 4).replace(/\r\n$/, ''));
    }
    return fields;
  }
  // application/x-www-form-urlencoded, or no type at all (some clients omit it).
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (!fields.has(k)) fields.set(k, v);
  return fields;
}

/**
 * POST /u/<token> with List-Unsubscribe=One-Click (RFC 8058): suppresses the address at once and
 * records the unsubscribe on the recipient's timeline. No login, no confirmation, idempotent.
 */
export const unsubscribePost: Handler = async (ctx) => {
  const asHtml = wantsHtml(ctx);
  const found = await resolve(ctx);
  if ('why' in found) {
    await ctx.body().catch(() => undefined); // drain, so the 400 reaches the client
    if (found.expired) await keepUncheckedRequest(ctx, found.why);
    return refuse(ctx, asHtml, found);
  }
  const fields = formFields(ctx.req.headers['content-type'], await ctx.body());
  if (fields.get('List-Unsubscribe')?.trim() !== 'One-Click') {
    throw new HttpError(400, 'expected the form field List-Unsubscribe=One-Click (RFC 8058)', 'no List-Unsubscribe=One-Click in the body');
  }
  const { delivery, token } = found;
  const now = ctx.app.clock.now();
  const added = await ctx.app.store.addSuppression(
    { key: delivery.key, email: delivery.email, reason: 'unsubscribe', source: ONE_CLICK_SOURCE, detail: `campaign ${delivery.campaignId}` },
    now,
  );
  const result = await applyBounceEvent(ctx.app, {
    kind: 'unsubscribe',
    source: ONE_CLICK_SOURCE,
    reportId: `unsubscribe:${token}`,
    recipient: delivery.email,
    verpToken: undefined,
    // The proof apply.ts checks: the token of the link used, pinned to that delivery's address.
    unsubscribeToken: token,
    originalMessageId: delivery.messageId,
    status: undefined,
    diagnostic: 'one-click unsubscribe (RFC 8058)',
    raw: 'POST /u/<token> List-Unsubscribe=One-Click',
    receivedAt: now,
  });
  await logApplied(ctx.app, [result]);
  ctx.note({ suppressed: added, outcome: result.outcome });
  const { wording, ...language } = await wordingFor(ctx, delivery.id);
  const org = organisation(ctx);
  if (!asHtml) {
    const done = wording.done.replace('{org}', org);
    return text(200, added ? `${wording.doneTitle}. ${done}` : `${wording.alreadyTitle}. ${done}`);
  }
  return html(200, page(wording.doneTitle, `<h1>${escapeHtml(wording.doneTitle)}</h1>\n<p>${fill(wording.done, { org: escapeHtml(org) }, escapeHtml)}</p>`, language));
};
