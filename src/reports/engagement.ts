import { utcSecond } from '../campaigns/pause.js';
import { e } from '../html/entities.js';
import type { Campaign, CampaignEngagement, EngagementEvent, Store } from '../store/types.js';
import { utcTime } from './campaign-facts.js';

/** A campaign's engagement as reports show it: what it tracked and the totals, or "not tracked". */
export type EngagementView = { tracked: false } | ({ tracked: true; opens: boolean; clicks: boolean } & CampaignEngagement);

/** The campaign's engagement view: totals only when it was sent with tracking on (options.track). */
export async function engagementView(store: Store, campaign: Campaign): Promise<EngagementView> {
  const track = campaign.options.track;
  if (campaign.test || !track || (!track.opens && !track.clicks)) return { tracked: false };
  return { tracked: true, opens: track.opens, clicks: track.clicks, ...(await store.campaignEngagement(campaign.id)) };
}

const when = (d: Date | undefined) => (d ? utcSecond(d) : '—');

/** One or two lines of plain text for `report` (table). */
export function engagementText(v: EngagementView): string {
  if (!v.tracked) return 'Engagement: not tracked';
  const lines: string[] = [];
  if (v.opens) {
    lines.push(`Opened: ${v.opened} recipients (${v.opensHuman} opens by readers; ${v.opensMachine} by machines, ${v.machineOnlyOpened} recipients machine-only) · first ${when(v.firstOpenAt)} · last ${when(v.lastOpenAt)}`);
  } else lines.push('Opened: opens not tracked');
  if (v.clicks) {
    lines.push(`Clicked: ${v.clicked} recipients (${v.clicksHuman} clicks by readers; ${v.clicksMachine} by machines) · first ${when(v.firstClickAt)} · last ${when(v.lastClickAt)}`);
  } else lines.push('Clicked: clicks not tracked');
  return lines.join('\n');
}

/** The engagement section of the HTML report and the dashboard's campaign page (escaped). */
export function engagementHtml(v: EngagementView): string {
  if (!v.tracked) return '<p id="engagement" class="muted">Engagement: not tracked.</p>';
  const row = (id: string, what: string, tracked: boolean, recipients: number, human: number, machine: number, first: Date | undefined, last: Date | undefined) =>
    tracked
      ? `<tr id="${id}"><th scope="row">${what}</th><td data-label="recipients" data-field="recipients">${recipients}</td><td data-label="by readers" data-field="human">${human}</td><td data-label="by machines" data-field="machine">${machine}</td><td data-label="first">${utcTime(first)}</td><td data-label="last">${utcTime(last)}</td></tr>`
      : `<tr id="${id}"><th scope="row">${what}</th><td colspan="5" class="muted">not tracked</td></tr>`;
  return `<div class="table-wrap"><table class="rwd" id="engagement"><caption>Opens and clicks by readers; machines (Apple Mail Privacy Protection, link scanners, fetches right after delivery) counted apart, never in the times</caption>
<thead><tr><th scope="col">what</th><th scope="col">recipients</th><th scope="col">by readers</th><th scope="col">by machines</th><th scope="col">first (reader)</th><th scope="col">last (reader)</th></tr></thead><tbody>
${row('engagement-opened', 'opened', v.opens, v.opened, v.opensHuman, v.opensMachine, v.firstOpenAt, v.lastOpenAt)}
${row('engagement-clicked', 'clicked', v.clicks, v.clicked, v.clicksHuman, v.clicksMachine, v.firstClickAt, v.lastClickAt)}
</tbody></table></div>`;
}

/** One open or click in a recipient's timeline (escaped; the clicked URL as text, never a link). */
export function engagementEntryHtml(ev: EngagementEvent): string {
  const who = ev.human ? 'reader' : 'machine';
  return `<li class="engagement" data-kind="${ev.kind}" data-human="${ev.human}"><h3>${utcTime(ev.at)} · ${ev.kind === 'open' ? 'opened' : 'clicked'} · ${who} (${e(ev.reason)})</h3>
${ev.url ? `<p>Link: <code class="clicked-url">${e(ev.url)}</code></p>` : ''}<p class="muted">User agent: ${e(ev.userAgent || '—')}</p></li>`;
}
