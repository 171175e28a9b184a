import { viewMessage } from '../../campaigns/message-view.js';
import { PresslineError } from '../../errors.js';
import { utcTime as time } from '../../reports/campaign-facts.js';
import { recipientTimeline } from '../../reports/queries.js';
import type { Handler } from '../context.js';
import { e } from '../../html/entities.js';
import { layout } from './layout.js';
import { idParam, orNotFound } from './request.js';

/** What a recipient was sent, composed again through the send's own path (see viewMessage). */
export const messagePage: Handler = async (ctx) => {
  const id = idParam(ctx);
  const row = await orNotFound(recipientTimeline(ctx.app.store, id));
  const back = `<p><a href="/deliveries/${id}">← ${e(row.delivery.email)}</a></p>`;
  let v;
  try {
    v = await orNotFound(viewMessage(ctx.app, id, ctx.app.clock.now()));
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    return layout('Message not available', `${back}<h1>The message cannot be shown</h1><p>It could not be composed again: ${e(err.message)}.</p>`, { status: 409 });
  }
  const when = v.attempted
    ? `as of its last attempt (${time(v.composedAt)})`
    : `as the send would compose it now (${time(v.composedAt)}): it has not been sent (status ${e(v.status)})`;
  const body = `${back}
<h1>Message to ${e(row.delivery.email)}</h1>
<p id="rerender-note" role="note"><b>This is a re-render.</b> pressline keeps no copy of the bytes it sent; this message is composed again from the stored recipient, the release and the template, through the same code the send uses, ${when}. The DKIM-Signature added as a message leaves is not shown, and remote images are not loaded here.</p>
${v.untracked ? '<p>This campaign tracked opens or clicks. This view leaves the tracking image and the click links out, so looking at it counts as nothing; the links lead straight to their targets.</p>' : ''}
${v.releaseChanged ? '<p role="alert"><b>The release or its template changed since this campaign was sent:</b> this shows the current text, which may differ from what the recipient got.</p>' : ''}
<h2>Envelope</h2>
<p class="message-id" id="message-envelope">MAIL FROM ${e(v.envelope.from)} · RCPT TO ${e(v.envelope.to)}</p>
<h2>Headers</h2>
<pre id="message-headers">${e(v.headers)}</pre>
${v.attachments.length ? `<p>Attachments: ${e(v.attachments.join(', '))}</p>` : ''}
<h2>HTML part</h2>
${v.html ? `<iframe id="message-html" class="message" title="HTML part of the message to ${e(row.delivery.email)}" sandbox="" referrerpolicy="no-referrer" srcdoc="${e(v.html)}"></iframe>` : '<p class="muted">No HTML part.</p>'}
<h2>Plain-text part</h2>
${v.text ? `<pre id="message-text">${e(v.text)}</pre>` : '<p class="muted">No plain-text part.</p>'}`;
  return layout(`Message to ${row.delivery.email}`, body);
};
