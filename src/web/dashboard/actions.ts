import { allowedFrom } from '../../campaigns/lifecycle.js';
import { pauseByOperator, utcSecond } from '../../campaigns/pause.js';
import { handToWorkers } from '../../campaigns/run.js';
import { PresslineError } from '../../errors.js';
import { phaseHtml } from '../../reports/campaign-facts.js';
import { campaignSummary } from '../../reports/queries.js';
import type { Campaign } from '../../store/types.js';
import type { DashboardAccess } from '../auth.js';
import type { Handler } from '../context.js';
import { e } from '../../html/entities.js';
import { formFields } from '../unsubscribe.js';
import { layout, type Csrf } from './layout.js';
import { idParam, orNotFound } from './request.js';

// The campaign's buttons (pause, resume, cancel) and the pause and resume pages behind them. Every
// change is one lifecycle transition (pause.ts, handToWorkers), after a confirmation page whose
// form carries the CSRF token, as cancel does.

export function cancellable(c: Campaign): boolean {
  return allowedFrom('cancel').includes(c.status);
}

/** Pausable here as `pressline pause` pauses: a draft, scheduled or sending campaign, or one waiting for its relay. */
export function pausable(c: Campaign): boolean {
  return allowedFrom('pause').includes(c.status) || (c.status === 'paused' && c.pausedKind === 'relay');
}

/**
 * Why a paused campaign cannot be handed back to the workers from here, if it cannot: one whose
 * scheduled time has not come would start at once (before its time, perhaps before an embargo).
 */
export function resumeRefusal(c: Campaign, now: Date): string | undefined {
  if (c.status !== 'paused') return `it is ${c.status}, not paused`;
  if (!c.startedAt && c.scheduledAt && c.scheduledAt > now) {
    return `it is scheduled for ${utcSecond(c.scheduledAt)} and has not started; resuming now would send it before its time. Resume it here once that time has come, or cancel it`;
  }
  return undefined;
}

/** The campaign's buttons; each leads to a confirmation page whose form carries the CSRF token. */
export function actionsHtml(c: Campaign, now: Date): string {
  const buttons = [
    pausable(c) ? `<a class="button" href="/campaigns/${c.id}/pause">Pause campaign…</a>` : '',
    c.status === 'paused' && !resumeRefusal(c, now) ? `<a class="button" href="/campaigns/${c.id}/resume">Resume campaign…</a>` : '',
    cancellable(c) ? `<a class="button danger" href="/campaigns/${c.id}/cancel">Cancel campaign…</a>` : '',
  ].filter(Boolean);
  return buttons.length ? `<p class="actions">${buttons.join(' ')}</p>` : '';
}

/** The one-line notice after a pause or resume (the redirect's query says which). */
export function flashHtml(q: URLSearchParams, id: number): string {
  if (q.get('paused') !== null) return `<p role="status"><b>Campaign ${id} was paused.</b></p>`;
  if (q.get('resumed') !== null) return `<p role="status"><b>Campaign ${id} was handed back to the workers.</b></p>`;
  return '';
}

/** The confirmation page of pause or resume: what will happen, and a form with the CSRF token. */
export const actionConfirm =
  (csrf: Csrf, access: DashboardAccess, action: 'pause' | 'resume'): Handler =>
  async (ctx) => {
    const id = idParam(ctx);
    const summary = await orNotFound(campaignSummary(ctx.app.store, id));
    const c = summary.campaign;
    const session = csrf.session(ctx.req, access.secureCookies && !access.isLocal(ctx.req));
    const headers: Record<string, string> = session.setCookie ? { 'Set-Cookie': session.setCookie } : {};
    const open = summary.counts.pending + summary.counts.deferred;
    const refusal = action === 'pause' ? (pausable(c) ? undefined : `it is ${c.status}; only a draft, scheduled or sending campaign (or one waiting for its relay) can be paused`) : resumeRefusal(c, ctx.app.clock.now());
    if (refusal) {
      return layout(`Cannot ${action}`, `<h1>Campaign ${id} cannot be ${action}d here</h1><p>${e(refusal)}.</p><p><a href="/campaigns/${id}">Back to the campaign</a></p>`, { status: 409, headers });
    }
    const what =
      action === 'pause'
        ? `<p>Sending stops after the messages in flight; the ${open} unsent messages wait until someone resumes it (here, or <code>pressline resume ${id}</code>).${c.status === 'scheduled' ? ' While paused it does not start at its scheduled time.' : ''}${c.pausedKind === 'relay' ? ' It waits for its relay now; once paused by you, workers no longer resume it when the relay answers.' : ''}</p>`
        : `<p>It is handed back to the running workers (as <code>pressline resume ${id} --workers</code> does): they send its ${open} unsent messages, at the campaign's rates. Without a running <code>pressline worker</code>, nothing is sent.</p>`;
    const label = action === 'pause' ? `Yes, pause campaign ${id}` : `Yes, resume campaign ${id}`;
    const body = `<h1>${action === 'pause' ? 'Pause' : 'Resume'} campaign ${id}?</h1>
<p><b>${e(c.releaseTitle)}</b> (${phaseHtml(c)}) is ${e(c.status)}${c.statusReason ? ` (${e(c.statusReason)})` : ''}, for ${summary.toSend} recipients to send.</p>
${what}
<form method="post" action="/campaigns/${id}/${action}">
<input type="hidden" name="csrf" value="${e(csrf.token(session.id))}">
<p><button type="submit" id="confirm-${action}">${e(label)}</button> <a class="button secondary" href="/campaigns/${id}">No, leave it</a></p>
</form>`;
    return layout(`${action === 'pause' ? 'Pause' : 'Resume'} campaign ${id}?`, body, { headers });
  };

/** The POST behind the confirmation: CSRF first, then one lifecycle transition (through pause.ts / handToWorkers). */
export const actionPost =
  (csrf: Csrf, access: DashboardAccess, action: 'pause' | 'resume'): Handler =>
  async (ctx) => {
    const id = idParam(ctx);
    const fields = formFields(ctx.req.headers['content-type'], await ctx.body());
    const done = action === 'pause' ? 'paused' : 'resumed';
    if (!csrf.check(ctx.req, fields.get('csrf'), access.formOrigins(ctx.req))) {
      ctx.note({ rejected: 'csrf' });
      return layout(`Not ${done}`, `<h1>Not ${done}</h1><p>The form expired or came from another site. <a href="/campaigns/${id}/${action}">Try again</a>.</p>`, { status: 403 });
    }
    const c = (await orNotFound(campaignSummary(ctx.app.store, id))).campaign;
    const now = ctx.app.clock.now();
    let ok: boolean;
    if (action === 'pause') {
      ok = (await pauseByOperator(ctx.app, id, now)) !== undefined;
    } else {
      const refusal = resumeRefusal(c, now);
      ok = !refusal && (await handToWorkers(ctx.app, id, now).then(() => true, (err: unknown) => (err instanceof PresslineError ? false : Promise.reject(err))));
    }
    ctx.note({ campaignId: id, [done]: ok });
    if (!ok) return layout(`Not ${done}`, `<h1>Campaign ${id} was not ${done}</h1><p>Its status changed meanwhile: it is ${e((await ctx.app.store.getCampaign(id))?.status ?? 'gone')}.</p><p><a href="/campaigns/${id}">Back to the campaign</a></p>`, { status: 409 });
    return { status: 303, type: 'text', body: `${done}\n`, headers: { Location: `/campaigns/${id}?${done}=1` } };
  };
