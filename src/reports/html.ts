import type { DeliveryRow, EventType, ReasonCount, StatusCounts } from '../store/types.js';
import { engagementHtml, type EngagementView } from './engagement.js';
import { e } from '../html/entities.js';
import type { ExplainedRow } from './explained-rows.js';
import { listsText, phaseHtml, phaseOf, utcTime } from './campaign-facts.js';
import type { CampaignSummary, OutcomeSeries, ReasonBreakdown } from './queries.js';
import { countLabel, splitSent, statusWord, type ShownCounts } from '../send/outbox-relay.js';


/** Colours for outcome series; each has at least 4.5:1 contrast on white. */
export const OUTCOME_COLOURS: Partial<Record<EventType, string>> = {
  sent: '#1b6e36',
  deferred: '#8a5300',
  bounced: '#b3261e',
  blocked: '#6a1b9a',
  failed: '#5d4037',
  unknown: '#455a64',
  complained: '#ad1457',
};

/** Shared CSS of the dashboard and the HTML report: responsive, high contrast, visible focus. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; --accent: #0b4f9c; --bg2: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--fg); background: #fff; }
header.top { background: #0b2e59; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; align-items: center; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; margin-right: 1rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: .5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #e37400; outline-offset: 2px; }
.muted { color: var(--muted); }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; margin: 0 0 1rem; }
.counts li { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: .25rem .6rem; }
.counts b { font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg2); }
td.num, th.num { text-align: right; }
td.reply { max-width: 28rem; overflow-wrap: anywhere; }
/* When a later report came: one unbroken line, so it reads as a time. */
td.story time { white-space: nowrap; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg2); border: 1px solid var(--line); padding: .5rem; font-size: .85rem; max-height: 30rem; overflow: auto; }
progress { width: 8rem; height: 1rem; vertical-align: middle; }
.status { display: inline-block; padding: 0 .4rem; border-radius: 4px; border: 1px solid currentColor; font-size: .85rem; }
.chart svg { width: 100%; height: auto; max-height: 18rem; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: .25rem 0 1rem; font-size: .9rem; }
.legend span.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: block; font-weight: 600; font-size: .9rem; }
input, select, button { font: inherit; min-height: 44px; }
input, select { width: 100%; padding: .35rem .5rem; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--fg); }
button, .button { display: inline-block; font-weight: 600; color: #fff; background: var(--accent); border: 2px solid var(--accent); border-radius: 6px; padding: .45rem 1rem; cursor: pointer; text-decoration: none; }
button.danger, .button.danger { background: #a4161a; border-color: #a4161a; }
.button.secondary { background: #fff; color: var(--accent); }
nav.pager { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: 1rem 0; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; color: #000; padding: .5rem; z-index: 10; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  main { padding: .75rem; }
  th, td { padding: .3rem .35rem; }
  table.rwd thead { position: absolute; left: -9999px; }
  table.rwd tr { display: block; border-bottom: 2px solid var(--line); padding: .25rem 0; }
  table.rwd td { display: block; border: 0; padding: .1rem .35rem; }
  table.rwd td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
`;

function fmtTime(d: Date, bucketMs: number): string {
  const iso = d.toISOString();
  if (bucketMs >= 86_400_000) return iso.slice(0, 10);
  if (bucketMs >= 60_000) return iso.slice(11, 16);
  return iso.slice(11, 19);
}

/** A stacked bar chart of outcomes over time, as inline SVG (no script, no external resource). */
export function outcomeChartSvg(series: OutcomeSeries, id = 'outcomes'): string {
  const types = series.types.filter((t) => series.buckets.some((b) => (b.counts[t] ?? 0) > 0));
  if (series.buckets.length === 0 || types.length === 0) return '<p class="muted">No outcomes recorded yet.</p>';
  const W = 720;
  const H = 240;
  const padL = 44;
  const padB = 28;
  const padT = 10;
  const plotW = W - padL - 8;
  const plotH = H - padT - padB;
  const max = Math.max(1, ...series.buckets.map((b) => types.reduce((n, t) => n + (b.counts[t] ?? 0), 0)));
  const bw = plotW / series.buckets.length;
  const bars: string[] = [];
  series.buckets.forEach((b, i) => {
    let y = padT + plotH;
    const x = padL + i * bw;
    for (const t of types) {
      const n = b.counts[t] ?? 0;
      if (n === 0) continue;
      const h = (n / max) * plotH;
      y -= h;
      bars.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${OUTCOME_COLOURS[t] ?? '#333'}"><title>${e(fmtTime(b.at, series.bucketMs))} ${e(t)}: ${n}</title></rect>`);
    }
  });
  const ticks: string[] = [];
  for (const f of [0, 0.5, 1]) {
    const y = padT + plotH - f * plotH;
    ticks.push(`<line x1="${padL}" x2="${W - 8}" y1="${y}" y2="${y}" stroke="#c8c8c8"/><text x="${padL - 4}" y="${y + 4}" text-anchor="end" font-size="11" fill="#333">${Math.round(f * max)}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(series.buckets.length / 8));
  series.buckets.forEach((b, i) => {
    if (i % labelEvery !== 0) return;
    ticks.push(`<text x="${(padL + i * bw + bw / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle" font-size="11" fill="#333">${e(fmtTime(b.at, series.bucketMs))}</text>`);
  });
  const totals = types.map((t) => `${t} ${series.buckets.reduce((n, b) => n + (b.counts[t] ?? 0), 0)}`).join(', ');
  const width = series.bucketMs >= 3_600_000 ? `${series.bucketMs / 3_600_000} h` : series.bucketMs >= 60_000 ? `${series.bucketMs / 60_000} min` : `${series.bucketMs / 1000} s`;
  const legend = types.map((t) => `<li><span class="swatch" style="background:${OUTCOME_COLOURS[t] ?? '#333'}"></span>${e(t)}</li>`).join('');
  return `<div class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-t">Outcomes per ${e(width)} (UTC)</title><desc id="${id}-d">${e(totals)}</desc>
${ticks.join('')}${bars.join('')}</svg>
<ul class="legend" aria-label="Legend">${legend}</ul><p class="muted">Bars: outcome events per ${e(width)}, UTC. Totals: ${e(totals)}.</p></div>`;
}

/**
 * Status counts as a list of badges; `data-status` lets the dashboard update them live (`showOutbox`:
 * keep the outbox badge at 0 too, for a campaign that may still be written there).
 */
export function countsHtml(counts: StatusCounts, campaignId?: number, outbox = 0, showOutbox = false): string {
  const shown = splitSent(counts, outbox);
  const always = ['sent', 'pending', 'bounced', ...(showOutbox ? ['outbox'] : [])];
  const items = (Object.keys(shown) as (keyof ShownCounts)[]).filter((s) => shown[s] > 0 || always.includes(s))
    .map((s) => `<li>${e(countLabel(s))} <b data-status="${s}"${campaignId !== undefined ? ` data-campaign="${campaignId}"` : ''}>${shown[s]}</b></li>`)
    .join('');
  return `<ul class="counts" aria-label="Deliveries by status">${items}</ul>`;
}

/** The two reason tables (by enhanced status and by receiving domain). */
export function reasonsHtml(r: ReasonBreakdown): string {
  const tableOf = (caption: string, head: string, rows: ReasonCount[]) =>
    rows.length === 0
      ? `<p class="muted">${e(caption)}: none.</p>`
      : `<div class="table-wrap"><table class="rwd"><caption>${e(caption)}</caption><thead><tr><th scope="col">outcome</th><th scope="col">${e(head)}</th><th scope="col" class="num">events</th><th scope="col" class="num">recipients</th><th scope="col">example reply</th></tr></thead><tbody>
${rows.map((x) => `<tr><td data-label="outcome">${e(x.type)}</td><td data-label="${e(head)}">${e(x.key || '—')}</td><td data-label="events" class="num">${x.events}</td><td data-label="recipients" class="num">${x.recipients}</td><td data-label="example" class="reply">${e((x.sample ?? '').slice(0, 200))}</td></tr>`).join('\n')}
</tbody></table></div>`;
  return `<div class="grid2">${tableOf('Bounce and deferral reasons by enhanced status', 'enhanced status', r.byStatus)}${tableOf('Bounce and deferral reasons by receiving domain', 'domain', r.byDomain)}</div>`;
}

const utcMinute = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

/** What came after delivery: the report's kind, its own codes and time, then its diagnostic. */
function afterCell(r: ExplainedRow): string {
  const a = r.after;
  if (!a) return '<td data-label="after delivery"></td>';
  const codes = [a.code, a.enhanced].filter((x) => x !== undefined && x !== null).join(' ');
  return `<td data-label="after delivery" class="reply story"><span class="status">${e(a.kind)}</span>${codes ? ` ${e(codes)}` : ''} <time datetime="${e(a.at.toISOString())}">${e(utcMinute(a.at))}</time>${a.diagnostic ? `<br>${e(a.diagnostic.slice(0, 300))}` : ''}</td>`;
}

/** An address that may wrap before its @ in a narrow column, and nowhere else. */
function breakableEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${e(email.slice(0, at))}<wbr>${e(email.slice(at))}` : e(email);
}

/** The relay's last reply, or for a delivery that never had one (skipped, suppressed) why. */
function replyCell(r: ExplainedRow): string {
  if (r.reason) return `<td data-label="reason" class="reply story">${e(r.reason.slice(0, 300))}</td>`;
  return `<td data-label="reply" class="reply story">${e((r.response ?? '').slice(0, 300))}</td>`;
}

/**
 * The recipient table; `link` turns a delivery id into its page's URL (dashboard only). `code` is
 * the SMTP basic code and `enhanced` the enhanced status, as in every other format.
 */
export function recipientsTableHtml(rows: ExplainedRow[], caption: string, link?: (id: number) => string): string {
  // Which worker and relay sent each message, once several shared the campaign.
  const via = new Set(rows.filter((r) => r.worker).map((r) => `${r.worker} ${r.relay}`)).size > 1;
  const viaCell = (r: DeliveryRow) => (via ? `<td data-label="sent by">${e(r.worker ?? '')}${r.relay ? ` · ${e(r.relay)}` : ''}</td>` : '');
  const body = rows
    .map((r) => {
      const email = link ? `<a href="${e(link(r.id))}">${breakableEmail(r.email)}</a>` : breakableEmail(r.email);
      return `<tr><td data-label="email">${email}</td><td data-label="status"><span class="status">${e(statusWord(r.status, r.relay))}</span></td><td data-label="outlet">${e(r.outlet)}</td><td data-label="language">${e(r.language)}</td><td data-label="domain">${e(r.domain)}</td><td data-label="tries" class="num">${r.attempts}</td><td data-label="code">${e(r.code ?? '')}</td><td data-label="enhanced">${e(r.enhanced ?? '')}</td>${replyCell(r)}${afterCell(r)}<td data-label="updated">${e(r.updatedAt.toISOString().slice(0, 19).replace('T', ' '))}</td>${viaCell(r)}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="rwd"><caption>${e(caption)}</caption><thead><tr><th scope="col">email</th><th scope="col">status</th><th scope="col">outlet</th><th scope="col">language</th><th scope="col">domain</th><th scope="col" class="num">tries</th><th scope="col">code</th><th scope="col">enhanced</th><th scope="col">last reply or reason</th><th scope="col">after delivery (UTC)</th><th scope="col">updated (UTC)</th>${via ? '<th scope="col">sent by (worker · relay)</th>' : ''}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/**
 * The `report --format html` file: one self-contained document (inline CSS and SVG, no script, no
 * external request) with the counts, the outcome chart, the reasons and the recipient table.
 */
export function renderHtmlReport(data: { summary: CampaignSummary; series: OutcomeSeries; reasons: ReasonBreakdown; rows: ExplainedRow[]; statuses?: string[] | undefined; generatedAt: Date; engagement?: EngagementView | undefined }): string {
  const c = data.summary.campaign;
  const title = `Campaign ${c.id}: ${c.releaseTitle}`;
  const filter = data.statuses && data.statuses.length ? ` (status ${data.statuses.join(', ')})` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<h1>${e(title)}${phaseOf(c) === 'single' ? '' : ` (${phaseOf(c)} phase)`}</h1>
<p id="phase">${phaseHtml(c)}</p>
<p class="muted">Status ${e(c.status)}${c.statusReason ? ` (${e(c.statusReason)})` : ''}. Release ${e(c.releaseFile)}. Lists ${listsText(c)}${c.where.length ? ` where ${e(c.where.join(' AND '))}` : ''}. Created ${utcTime(c.createdAt)}${c.scheduledAt ? `, scheduled ${utcTime(c.scheduledAt)}` : ''}${c.startedAt ? `, started ${utcTime(c.startedAt)}` : ''}${c.finishedAt ? `, finished ${utcTime(c.finishedAt)}` : ''}. Report generated ${utcTime(data.generatedAt)}.</p>
<h2>Deliveries by status</h2>
${countsHtml(data.summary.counts, undefined, data.summary.outbox)}
<p id="progress">${data.summary.settled} of ${data.summary.toSend} to send settled (${Math.floor(data.summary.progress * 100)}%)${data.summary.total > data.summary.toSend ? `; ${data.summary.total - data.summary.toSend} skipped or suppressed rows were never to be sent` : ''}.</p>
${data.engagement ? `<h2>Opens and clicks</h2>\n${engagementHtml(data.engagement)}\n` : ''}<h2>Deliveries over time</h2>
${outcomeChartSvg(data.series)}
<h2>Reasons</h2>
${reasonsHtml(data.reasons)}
<h2>Recipients${e(filter)}</h2>
${recipientsTableHtml(data.rows, `${data.rows.length} recipients${filter}`)}
</main>
</body>
</html>
`;
}
