import { transition } from '../../campaigns/lifecycle.js';
import { engagementEntryHtml, engagementHtml, engagementView } from '../../reports/engagement.js';
import { pauseHeadline, utcSecond } from '../../campaigns/pause.js';
import { afterText, explainRows } from '../../reports/explained-rows.js';
import { listsText, otherPhaseId, phaseHtml, phaseOf, utcTime } from '../../reports/campaign-facts.js';
import { countsHtml, outcomeChartSvg, reasonsHtml, recipientsTableHtml } from '../../reports/html.js';
import {
  campaignSummary,
  campaignsOverview,
  outcomeSeries,
  NO_LANGUAGE,
  parseTableParams,
  reasonBreakdown,
  recipientPage,
  recipientTimeline,
  type CampaignSummary,
  type TableQuery,
} from '../../reports/queries.js';
import { formatTriple } from '../../scheduler/display.js';
import { splitSent, statusWord, WRITTEN_TO_OUTBOX } from '../../send/outbox-relay.js';
import { DELIVERY_SORTS, DELIVERY_STATUSES, type Campaign, type DeliveryFacets, type Store } from '../../store/types.js';
import { tokenMatches, type DashboardAccess } from '../auth.js';
import { HttpError } from '../body.js';
import { json, type Handler, type Reply, type RequestContext } from '../context.js';
import { formFields } from '../unsubscribe.js';
import { actionConfirm, actionPost, actionsHtml, cancellable, flashHtml } from './actions.js';
import { DASHBOARD_JS } from './client.js';
import { Csrf, layout, viewerZone } from './layout.js';
import { messagePage } from './message.js';
import { contactHref, contactLookup, contactPage } from './contact.js';
import { idParam, orNotFound, query } from './request.js';
import { e } from '../../html/entities.js';

interface DashRoute {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

const time = utcTime;

function liveJson(s: CampaignSummary) {
  return { id: s.campaign.id, status: s.campaign.status, paused: pauseHeadline(s.campaign) ?? null, counts: splitSent(s.counts, s.outbox), total: s.total, toSend: s.toSend, settled: s.settled, percent: Math.floor(s.progress * 100) };
}

function progressHtml(s: CampaignSummary): string {
  const id = s.campaign.id;
  // Only deliveries meant to be sent count: skipped and suppressed rows are never sent.
  return `<progress data-campaign="${id}" data-field="progress" value="${s.settled}" max="${Math.max(1, s.toSend)}" aria-label="Campaign ${id} progress">${Math.floor(s.progress * 100)}%</progress> <span data-campaign="${id}" data-field="percent">${Math.floor(s.progress * 100)}%</span> (<span data-campaign="${id}" data-field="settled">${s.settled}</span> of <span data-campaign="${id}" data-field="to-send">${s.toSend}</span> to send)`;
}

/**
 * Whether a campaign may still be written to the outbox folder (this machine has no SMTP_URL and it
 * is not finished), so its page keeps a "written to outbox" count for the live poll to fill.
 */
function mayGoToOutbox(ctx: RequestContext, c: Campaign): boolean {
  return !ctx.app.env.smtpUrl && ['draft', 'scheduled', 'sending', 'paused'].includes(c.status);
}

/** After a campaign's status: why it waits when paused ("relay unreachable since …"); kept live by the page's poll. */
function pausedNote(c: Campaign): string {
  return ` <span class="muted" data-campaign="${c.id}" data-field="paused">${e(pauseHeadline(c) ?? '')}</span>`;
}

const overview: Handler = async (ctx) => {
  const all = await campaignsOverview(ctx.app.store);
  const campaigns = all.map((s) => s.campaign);
  const rows = [...all]
    .reverse()
    .map((s) => {
      const c = s.campaign;
      return `<tr><td data-label="id">${c.id}</td><td data-label="release"><a href="/campaigns/${c.id}">${e(c.releaseTitle)}</a>${c.test ? ' (test)' : ''}<br><span class="muted">lists ${listsText(c)}</span></td><td data-label="phase">${phaseHtml(c, otherPhaseId(c, campaigns), campaignHref)}</td><td data-label="status"><span class="status" data-campaign="${c.id}" data-field="status">${e(c.status)}</span>${pausedNote(c)}</td><td data-label="progress">${progressHtml(s)}</td><td data-label="counts">${countsHtml(s.counts, c.id, s.outbox, mayGoToOutbox(ctx, c))}</td><td data-label="created">${time(c.createdAt)}</td></tr>`;
    })
    .join('\n');
  const body = `<h1>Campaigns</h1>
<p class="muted" aria-live="polite" id="live">Counts update every 1.5 seconds while a campaign sends.</p>
${all.length === 0 ? '<p>No campaigns yet. Start one with <code>pressline send</code>.</p>' : `<div class="table-wrap"><table class="rwd" id="campaigns"><caption>All campaigns, newest first</caption><thead><tr><th scope="col">id</th><th scope="col">release and lists</th><th scope="col">phase and embargo</th><th scope="col">status</th><th scope="col">progress</th><th scope="col">deliveries by status</th><th scope="col">created</th></tr></thead><tbody>
${rows}
</tbody></table></div>`}`;
  return layout('Campaigns', body, { current: '/', poll: '/api/campaigns' });
};

// `updated` is the server's clock in the one convention, so "Updated …" reads like every other time.
const overviewJson: Handler = async (ctx) => json(200, { campaigns: (await campaignsOverview(ctx.app.store)).map(liveJson), updated: utcSecond(ctx.app.clock.now()) });

const campaignJson: Handler = async (ctx) => json(200, { ...liveJson(await orNotFound(campaignSummary(ctx.app.store, idParam(ctx)))), updated: utcSecond(ctx.app.clock.now()) });

const campaignHref = (id: number) => `/campaigns/${id}`;

function tableHref(id: number, t: TableQuery, change: Record<string, string>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...t.params, ...change })) {
    if (v === '' || (k === 'page' && v === '1') || (k === 'sort' && v === 'id') || (k === 'dir' && v === 'asc') || (k === 'size' && v === '50')) continue;
    p.set(k, v);
  }
  const qs = p.toString();
  return `/campaigns/${id}${qs ? `?${qs}` : ''}#recipients`;
}

function select(name: string, label: string, value: string, options: [string, string][]): string {
  return `<div><label for="f-${name}">${e(label)}</label><select id="f-${name}" name="${name}">${options
    .map(([v, l]) => `<option value="${e(v)}"${v === value ? ' selected' : ''}>${e(l)}</option>`)
    .join('')}</select></div>`;
}

// Facets depend only on the set of recipients, which changes only when rows are added: keyed by
// the count, they are computed once per campaign instead of three grouped scans per page view.
const facetCache = new Map<number, { total: number; facets: Promise<DeliveryFacets> }>();
function facetsOf(store: Store, id: number, total: number): Promise<DeliveryFacets> {
  const hit = facetCache.get(id);
  if (hit && hit.total === total) return hit.facets;
  if (facetCache.size > 50) facetCache.delete(facetCache.keys().next().value!);
  const facets = store.deliveryFacets(id, 100);
  facetCache.set(id, { total, facets });
  facets.catch(() => facetCache.delete(id));
  return facets;
}

const campaignPage: Handler = async (ctx) => {
  const id = idParam(ctx);
  const store = ctx.app.store;
  const summary = await orNotFound(campaignSummary(store, id));
  const q = query(ctx);
  const t = parseTableParams(Object.fromEntries(q.entries()));
  const [series, reasons, page, facets, campaigns, engagement] = await Promise.all([
    outcomeSeries(store, id), reasonBreakdown(store, id), recipientPage(store, id, t), facetsOf(store, id, summary.total), store.listCampaigns(), engagementView(store, summary.campaign),
  ]);
  const c = summary.campaign;
  const p = t.params;
  const form = `<form class="filters" method="get" action="/campaigns/${id}#recipients" role="search" aria-label="Filter recipients">
<div><label for="f-q">Search email or outlet</label><input id="f-q" name="q" type="search" value="${e(p.q)}" autocomplete="off"></div>
${select('status', 'Status', p.status, [['', 'any status'], ...DELIVERY_STATUSES.map((s) => [s, `${s === 'sent' && summary.outbox > 0 ? `sent or ${WRITTEN_TO_OUTBOX}` : s} (${summary.counts[s]})`] as [string, string])])}
${select('language', 'Language', p.language, [['', 'any language'], ...facets.languages.map((f) => (f.value === '' ? [NO_LANGUAGE, `${NO_LANGUAGE} (${f.n})`] : [f.value, `${f.value} (${f.n})`]) as [string, string])])}
<div><label for="f-outlet">Outlet (exact)</label><input id="f-outlet" name="outlet" list="outlets" value="${e(p.outlet)}"><datalist id="outlets">${facets.outlets.map((f) => `<option value="${e(f.value)}">`).join('')}</datalist></div>
<div><label for="f-domain">Domain (exact)</label><input id="f-domain" name="domain" list="domains" value="${e(p.domain)}"><datalist id="domains">${facets.domains.map((f) => `<option value="${e(f.value)}">`).join('')}</datalist></div>
${select('sort', 'Sort by', p.sort, DELIVERY_SORTS.map((s) => [s, s === 'id' ? 'order planned' : s]))}
${select('dir', 'Order', p.dir, [['asc', 'ascending'], ['desc', 'descending']])}
${select('size', 'Rows per page', p.size, ['25', '50', '100', '200'].map((s) => [s, s]))}
<div><button type="submit">Apply filters</button> <a class="button secondary" href="/campaigns/${id}#recipients">Clear</a></div>
</form>`;
  const pager = `<nav class="pager" aria-label="Pages">
${page.page > 1 ? `<a href="${e(tableHref(id, t, { page: '1' }))}">« First</a> <a rel="prev" href="${e(tableHref(id, t, { page: String(page.page - 1) }))}">‹ Previous</a>` : ''}
<span>Page <b id="page-no">${page.page}</b> of <b id="page-count">${page.pages}</b> · <b id="match-count">${page.total}</b> matching recipients</span>
${page.page < page.pages ? `<a rel="next" href="${e(tableHref(id, t, { page: String(page.page + 1) }))}">Next ›</a> <a href="${e(tableHref(id, t, { page: String(page.pages) }))}">Last »</a>` : ''}
</nav>`;
  const first = page.total === 0 ? 0 : (page.page - 1) * page.size + 1;
  const body = `<p><a href="/">← Campaigns</a></p>
<h1>Campaign ${id}: ${e(c.releaseTitle)}${phaseOf(c) === 'single' ? '' : ` (${phaseOf(c)} phase)`}</h1>
${flashHtml(query(ctx), id)}
<p id="phase">${phaseHtml(c, otherPhaseId(c, campaigns), campaignHref)}</p>
<p>Status <span class="status" data-campaign="${id}" data-field="status">${e(c.status)}</span>${c.statusReason ? ` — ${e(c.statusReason)}` : ''}. ${progressHtml(summary)}</p>
${actionsHtml(c, ctx.app.clock.now())}
<p class="muted">Release ${e(c.releaseFile)} · lists ${listsText(c)}${c.where.length ? ` · where ${e(c.where.join(' AND '))}` : ''} · created ${time(c.createdAt)}${c.scheduledAt ? ` · scheduled ${time(c.scheduledAt)}` : ''}${c.startedAt ? ` · started ${time(c.startedAt)}` : ''}${c.finishedAt ? ` · finished ${time(c.finishedAt)}` : ''}</p>
<p class="muted" aria-live="polite" id="live"></p>
<h2>Deliveries by status</h2>
${countsHtml(summary.counts, id, summary.outbox, mayGoToOutbox(ctx, c))}
<h2>Opens and clicks</h2>
${engagementHtml(engagement)}
<h2>Deliveries over time</h2>
${outcomeChartSvg(series)}
<h2>Bounce and deferral reasons</h2>
${reasonsHtml(reasons)}
<h2 id="recipients">Recipients</h2>
${form}
${pager}
${recipientsTableHtml(page.rows, `Recipients ${first}–${(page.page - 1) * page.size + page.rows.length} of ${page.total}`, (d) => `/deliveries/${d}`)}
${page.pages > 1 ? pager.replace('aria-label="Pages"', 'aria-label="Pages (bottom)"').replace(/ id="[a-z-]+"/g, '') : ''}`;
  return layout(`Campaign ${id}`, body, { poll: `/api/campaigns/${id}` });
};

const recipient: Handler = async (ctx) => {
  const t = await orNotFound(recipientTimeline(ctx.app.store, idParam(ctx)));
  // The relay's own reply, apart from any later report (which the timeline below shows in full).
  const [d] = await explainRows(ctx.app.store, t.delivery.campaignId, [t.delivery]);
  if (!d) throw new HttpError(404, 'not found');
  const items = t.entries
    .map((entry) => {
      if (entry.kind === 'event') {
        const ev = entry.event;
        const code = [ev.code, ev.enhanced].filter((x) => x !== undefined).join(' ');
        return `<li><h3>${time(ev.at)} · ${e(ev.type)}${ev.attempt ? ` · attempt ${ev.attempt}` : ''}${code ? ` · ${e(code)}` : ''}${ev.durationMs !== undefined ? ` · ${ev.durationMs} ms` : ''}</h3>
${ev.response ? `<p>SMTP reply:</p><pre>${e(ev.response)}</pre>` : ''}${ev.detail ? `<p>${e(ev.detail)}</p>` : ''}${ev.messageId ? `<p class="muted message-id">Message-ID ${e(ev.messageId)}</p>` : ''}</li>`;
      }
      if (entry.kind === 'engagement') return engagementEntryHtml(entry.engagement);
      const r = entry.report;
      return `<li><h3>${time(r.receivedAt)} · ${e(r.kind)} report from ${e(r.source)} (${e(r.outcome)})</h3>
<p>${r.status ? `Status ${e(r.status)}. ` : ''}${r.diagnostic ? `Diagnostic: ${e(r.diagnostic)}. ` : ''}${r.remoteMta ? `Remote MTA ${e(r.remoteMta)}. ` : ''}${r.note ? e(r.note) : ''}</p>
<details open><summary>Raw ${r.kind === 'complaint' ? 'complaint report (ARF)' : 'report (DSN)'}</summary><pre>${e(r.raw)}</pre></details></li>`;
    })
    .join('\n');
  const body = `<p><a href="/campaigns/${d.campaignId}">← Campaign ${d.campaignId}: ${e(t.campaign.releaseTitle)}</a></p>
<h1>${e(d.email)}</h1>
<p><a id="contact-history" href="${e(contactHref(d.email))}">Everything sent to this journalist, and what came back</a></p>
<p class="muted">Campaign ${d.campaignId} · ${phaseHtml(t.campaign)}</p>
<dl class="counts"><li>status <b>${e(statusWord(d.status, d.relay))}</b></li><li>attempts <b>${d.attempts}</b></li><li>outlet <b>${e(d.outlet || '—')}</b></li><li>language <b>${e(d.language)}</b></li><li>domain <b>${e(d.domain)}</b></li></dl>
<h2>Last response</h2>
${d.response ? `<pre id="last-response">${e([d.code, d.enhanced].filter((x) => x !== undefined).join(' '))}${d.code || d.enhanced ? '\n' : ''}${e(d.response)}</pre>` : '<p class="muted">No reply recorded.</p>'}
${d.reason ? `<p id="reason">Reason: ${e(d.reason)}</p>` : ''}${d.after ? `<p id="after-delivery">After delivery: ${e(afterText(d.after))}</p>` : ''}
${d.messageId ? `<p class="muted message-id">Message-ID ${e(d.messageId)}</p>` : ''}
<p><a class="button" href="/deliveries/${d.id}/message">View the message</a></p>
${d.worker ? `<p class="muted" id="sent-by">Last attempt by worker ${e(d.worker)} through relay ${e(d.relay ?? '—')}</p>` : ''}
<h2>Timeline</h2>
<ol class="timeline">
${items}
</ol>`;
  return layout(d.email, body);
};

const suppressions: Handler = async (ctx) => {
  const list = await ctx.app.store.listSuppressions();
  const q = (query(ctx).get('q') ?? '').trim().toLowerCase().slice(0, 200);
  const shown = q ? list.filter((s) => s.key.includes(q) || s.reason.includes(q) || s.source.toLowerCase().includes(q)) : list;
  const rows = shown
    .map((s) => `<tr><td data-label="email"><a href="${e(contactHref(s.email))}">${e(s.email)}</a></td><td data-label="reason">${e(s.reason)}</td><td data-label="source">${e(s.source)}</td><td data-label="detail" class="reply">${e(s.detail ?? '')}</td><td data-label="since">${time(s.createdAt)}</td></tr>`)
    .join('\n');
  const body = `<h1>Suppression list</h1>
<p>Addresses that are never mailed again, and why. Remove one with <code>pressline suppress remove &lt;email&gt;</code>.</p>
<form class="filters" method="get" action="/suppressions" role="search"><div><label for="s-q">Search address, reason or source</label><input id="s-q" name="q" type="search" value="${e(q)}"></div><div><button type="submit">Search</button></div></form>
<div class="table-wrap"><table class="rwd" id="suppressions"><caption>${shown.length} suppressed address${shown.length === 1 ? '' : 'es'}${q ? ` matching “${e(q)}”` : ''}</caption><thead><tr><th scope="col">email</th><th scope="col">reason</th><th scope="col">source</th><th scope="col">detail</th><th scope="col">since</th></tr></thead><tbody>
${rows}
</tbody></table></div>`;
  return layout('Suppressions', body, { current: '/suppressions' });
};

function zoneOf(c: Campaign, fallback: string): string {
  return c.embargoZone ?? c.scheduleZone ?? fallback;
}

const scheduled: Handler = async (ctx) => {
  const viewer = viewerZone(ctx.req, ctx.app.config.defaultTimeZone);
  const all = await ctx.app.store.listCampaigns();
  const campaigns = all.filter((c) => c.scheduledAt && (c.status === 'scheduled' || c.status === 'paused'));
  const flash = query(ctx).get('cancelled');
  const triple = (d: Date | undefined, zone: string) => {
    if (!d) return '<td data-label="release zone">—</td><td data-label="UTC">—</td><td data-label="your time">—</td>';
    const t = formatTriple(d, zone, viewer);
    // UTC in the one convention (with its date); the release zone and the viewer's zone as read there.
    return `<td data-label="release zone">${e(t.zone)}</td><td data-label="UTC">${time(d)}</td><td data-label="your time">${e(t.local)}</td>`;
  };
  const rows = campaigns
    .map((c) => {
      const zone = zoneOf(c, ctx.app.config.defaultTimeZone);
      return `<tr><th scope="rowgroup" rowspan="${c.embargoAt ? 2 : 1}"><a href="/campaigns/${c.id}">${c.id}: ${e(c.releaseTitle)}</a><br><span class="muted">${phaseHtml(c, otherPhaseId(c, all), campaignHref)} · ${e(c.status === 'paused' ? `paused: ${pauseHeadline(c)}` : c.status)} · ${e(zone)}</span><br><span class="muted">lists ${listsText(c)}</span><br><a class="button danger" href="/campaigns/${c.id}/cancel">Cancel…</a></th><td data-label="what">sends at</td>${triple(c.scheduledAt, zone)}</tr>${c.embargoAt ? `<tr><td data-label="what">embargo lifts</td>${triple(c.embargoAt, zone)}</tr>` : ''}`;
    })
    .join('\n');
  const body = `<h1>Scheduled sends</h1>
${flash && /^\d+$/.test(flash) ? `<p role="status"><b>Campaign ${e(flash)} was cancelled.</b></p>` : ''}
${campaigns.length === 0 ? '<p>Nothing is scheduled.</p>' : `<div class="table-wrap"><table class="rwd" id="scheduled"><caption>Scheduled and paused campaigns; times in the release's zone, in UTC, and in your zone (${e(viewer)})</caption><thead><tr><th scope="col">campaign</th><th scope="col">what</th><th scope="col">release zone</th><th scope="col">UTC</th><th scope="col">your time</th></tr></thead><tbody>
${rows}
</tbody></table></div>`}`;
  return layout('Scheduled sends', body, { current: '/scheduled', viewerZone: viewer });
};

/** Dashboard form bodies are a few fields; nothing bigger is read. */
export const DASHBOARD_BODY_BYTES = 16 * 1024;

/** Routes of the dashboard; `access` says who may see it (local, token or signed-in session). */
export function dashboardRoutes(access: DashboardAccess): DashRoute[] {
  const csrf = new Csrf();

  const guard =
    (h: Handler): Handler =>
    async (ctx) => {
      if (!access.allows(ctx.req, ctx.app.clock.now())) {
        ctx.note({ rejected: 'dashboard: not local and no token or session' });
        await ctx.body().catch(() => undefined);
        if ((ctx.req.url ?? '').startsWith('/api/')) return json(401, { error: 'dashboard token required' });
        return loginPage(401, `${ctx.req.url ?? '/'}`);
      }
      return h(ctx);
    };

  const loginPage = (status: number, next: string, failed = false): Reply =>
    layout(
      'Sign in',
      `<h1>Sign in</h1>
${failed ? '<p role="alert"><b>That token is not right.</b></p>' : '<p>This request did not come straight from this machine (it came through a proxy, from the network, or under a host name the dashboard does not know), so it needs the dashboard token (<code>PRESSLINE_DASHBOARD_TOKEN</code>).</p>'}
<form method="post" action="/login"><input type="hidden" name="next" value="${e(next)}">
<div><label for="token">Dashboard token</label><input id="token" name="token" type="password" autocomplete="current-password" required></div>
<p><button type="submit">Sign in</button></p></form>`,
      { status },
    );

  const loginPost: Handler = async (ctx) => {
    const now = ctx.app.clock.now();
    // Per socket address: behind a proxy every client shares the proxy's, which errs on the safe side.
    const wait = access.logins.take(ctx.req.socket.remoteAddress ?? '?', now);
    if (wait !== undefined) {
      ctx.note({ rejected: 'too many sign-in attempts' });
      await ctx.body().catch(() => undefined);
      return layout('Too many attempts', `<h1>Too many sign-in attempts</h1><p>Wait ${wait} seconds, then try again.</p>`, { status: 429, headers: { 'Retry-After': String(wait) } });
    }
    const fields = formFields(ctx.req.headers['content-type'], await ctx.body());
    const next = fields.get('next') ?? '/';
    const safeNext = /^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith('/login') ? next : '/';
    if (!tokenMatches(fields.get('token') ?? '', ctx.app.env.dashboardToken)) {
      ctx.note({ rejected: 'wrong dashboard token' });
      return loginPage(401, safeNext, true);
    }
    return { status: 303, type: 'text', body: 'signed in\n', headers: { Location: safeNext, 'Set-Cookie': access.signIn(now) } };
  };

  const cancelConfirm: Handler = async (ctx) => {
    const id = idParam(ctx);
    const summary = await orNotFound(campaignSummary(ctx.app.store, id));
    const c = summary.campaign;
    const session = csrf.session(ctx.req, access.secureCookies && !access.isLocal(ctx.req));
    const headers: Record<string, string> = session.setCookie ? { 'Set-Cookie': session.setCookie } : {};
    if (!cancellable(c)) {
      return layout('Cannot cancel', `<h1>Campaign ${id} cannot be cancelled here</h1><p>It is ${e(c.status)}; only scheduled or paused campaigns can be cancelled from the dashboard (use <code>pressline cancel ${id}</code> for a running send).</p><p><a href="/campaigns/${id}">Back to the campaign</a></p>`, { status: 409, headers });
    }
    const zone = zoneOf(c, ctx.app.config.defaultTimeZone);
    const when = c.scheduledAt ? formatTriple(c.scheduledAt, zone, viewerZone(ctx.req, ctx.app.config.defaultTimeZone)) : undefined;
    const body = `<h1>Cancel campaign ${id}?</h1>
<p><b>${e(c.releaseTitle)}</b> (${phaseHtml(c)}) is ${e(c.status)}${when && c.scheduledAt ? `, due ${e(when.zone)} (${time(c.scheduledAt)}; your time ${e(when.local)})` : ''}, for ${summary.toSend} recipients to send.</p>
<p>Cancelling is final: none of its ${summary.counts.pending + summary.counts.deferred} unsent messages will go out.</p>
<form method="post" action="/campaigns/${id}/cancel">
<input type="hidden" name="csrf" value="${e(csrf.token(session.id))}">
<p><button type="submit" class="danger" id="confirm-cancel">Yes, cancel campaign ${id}</button> <a class="button secondary" href="/scheduled">No, keep it</a></p>
</form>`;
    return layout(`Cancel campaign ${id}?`, body, { headers });
  };

  const cancelPost: Handler = async (ctx) => {
    const id = idParam(ctx);
    const fields = formFields(ctx.req.headers['content-type'], await ctx.body());
    if (!csrf.check(ctx.req, fields.get('csrf'), access.formOrigins(ctx.req))) {
      ctx.note({ rejected: 'csrf' });
      return layout('Not cancelled', `<h1>Not cancelled</h1><p>The form expired or came from another site. <a href="/campaigns/${id}/cancel">Try again</a>.</p>`, { status: 403 });
    }
    await orNotFound(campaignSummary(ctx.app.store, id));
    const ok = await transition(ctx.app, id, 'cancel', ctx.app.clock.now(), { reason: 'cancelled from the dashboard' });
    ctx.note({ campaignId: id, cancelled: ok });
    if (!ok) return layout('Not cancelled', `<h1>Campaign ${id} was not cancelled</h1><p>It is already finished or cancelled.</p><p><a href="/campaigns/${id}">Back to the campaign</a></p>`, { status: 409 });
    return { status: 303, type: 'text', body: 'cancelled\n', headers: { Location: `/scheduled?cancelled=${id}` } };
  };

  const js: Handler = async () => ({ status: 200, type: 'text', body: DASHBOARD_JS, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });

  const get = (h: Handler) => ({ GET: guard(h), HEAD: guard(h) });
  return [
    { pattern: /^\/$/, methods: get(overview) },
    { pattern: /^\/campaigns\/?$/, methods: get(overview) },
    { pattern: /^\/api\/campaigns$/, methods: get(overviewJson) },
    { pattern: /^\/api\/campaigns\/(\d+)$/, methods: get(campaignJson) },
    { pattern: /^\/campaigns\/(\d+)$/, methods: get(campaignPage) },
    { pattern: /^\/campaigns\/(\d+)\/cancel$/, methods: { ...get(cancelConfirm), POST: guard(cancelPost) } },
    { pattern: /^\/campaigns\/(\d+)\/pause$/, methods: { ...get(actionConfirm(csrf, access, 'pause')), POST: guard(actionPost(csrf, access, 'pause')) } },
    { pattern: /^\/campaigns\/(\d+)\/resume$/, methods: { ...get(actionConfirm(csrf, access, 'resume')), POST: guard(actionPost(csrf, access, 'resume')) } },
    { pattern: /^\/deliveries\/(\d+)$/, methods: get(recipient) },
    { pattern: /^\/deliveries\/(\d+)\/message$/, methods: get(messagePage) },
    { pattern: /^\/suppressions$/, methods: get(suppressions) },
    { pattern: /^\/contacts$/, methods: get(contactLookup) },
    { pattern: /^\/contacts\/([^/]+)$/, methods: get(contactPage) },
    { pattern: /^\/scheduled$/, methods: get(scheduled) },
    { pattern: /^\/assets\/dashboard\.js$/, methods: { GET: js, HEAD: js } },
    { pattern: /^\/login$/, methods: { GET: async (ctx) => loginPage(200, query(ctx).get('next') ?? '/'), POST: loginPost } },
  ];
}

