import { utcSecond } from '../campaigns/pause.js';
import { PresslineError } from '../errors.js';
import { e } from '../html/entities.js';
import { checkEmail } from '../lists/email.js';
import { statusWord } from '../send/outbox-relay.js';
import type { ContactDelivery, ContactHistory, ContactReport, Store, SuppressionReason } from '../store/types.js';
import { utcTime } from './campaign-facts.js';

// One journalist's history (issue 17, part 3): what we sent them, when, and what came back. The
// CLI (`pressline contact`) and the dashboard page (/contacts/<address>) read it from here, so both
// say the same thing in the same words.

/**
 * The store's key for an address as a person types it: any case, an IDN domain in Unicode or
 * punycode, with or without angle brackets. USAGE (one line, naming the address) when it is none.
 */
export function contactKey(address: string): string {
  const checked = checkEmail(address.trim().replace(/^<(.*)>$/, '$1'));
  if (!checked.ok) throw new PresslineError('USAGE', `${checked.reason}; give one address, e.g. anna@paper.example`);
  return checked.key;
}

/** The history of the address (any spelling of it); USAGE when it is not an address. */
export async function loadContactHistory(store: Store, address: string): Promise<ContactHistory> {
  return store.contactHistory(contactKey(address));
}

/** True when the store has nothing at all on the address. */
export function isEmptyHistory(h: ContactHistory): boolean {
  return h.totalDeliveries === 0 && h.bounces.length + h.complaints.length + h.unsubscribes.length + h.suppressionLog.length === 0 && !h.suppression;
}

const WHY: Record<SuppressionReason, string> = {
  'hard-bounce': 'their address bounced permanently',
  'soft-bounce': 'their mail bounced again and again (soft bounces)',
  complaint: 'they reported a release as spam',
  unsubscribe: 'they unsubscribed',
  manual: 'someone suppressed the address by hand',
};

/**
 * The first thing a press officer needs: may we mail this journalist? One plain sentence (text,
 * not HTML; callers escape or sanitise it), e.g. "Suppressed since 2026-12-01 09:00:00 UTC: they
 * unsubscribed (one-click). pressline sends them nothing."
 */
export function suppressionSentence(h: ContactHistory): string {
  const s = h.suppression;
  if (s) {
    const detail = s.detail ? `; ${s.detail.length > 80 ? `${s.detail.slice(0, 79)}…` : s.detail}` : '';
    return `Suppressed since ${utcSecond(s.createdAt)}: ${WHY[s.reason] ?? s.reason} (${s.source}${detail}). pressline sends them nothing.`;
  }
  const removed = h.suppressionLog.filter((l) => l.action === 'remove').at(-1);
  const lifted = removed ? ` Their suppression (${removed.reason ?? 'no reason'}) was removed ${utcSecond(removed.at)} by ${removed.source}.` : '';
  return `Not suppressed: they receive the releases they are listed for.${lifted}`;
}

/** "sent", "bounced", "written to outbox" (never "sent" for a message only written to the folder). */
export function deliveryWord(d: ContactDelivery): string {
  return statusWord(d.status, d.relay);
}

/**
 * "opened 3× (1 more by machines), clicked 1×, last 2026-12-01 10:00:03" when the campaign tracked
 * engagement and any came; '' otherwise. Machine fetches (Apple's proxy, link scanners) are counted
 * apart: they say the message arrived, not that anyone read it.
 */
export function engagementText(d: ContactDelivery): string {
  const g = d.engagement;
  if (!g) return '';
  const part = (verb: string, human: number, machine: number) => `${verb} ${human}×${machine > 0 ? ` (${machine} more by machines)` : ''}`;
  const last = [g.lastOpenAt, g.lastClickAt].filter((t): t is Date => t !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
  return `${part('opened', g.opensHuman, g.opensMachine)}, ${part('clicked', g.clicksHuman, g.clicksMachine)}${last ? `, last ${utcSecond(last)}` : ''}`;
}

/** "campaign 3" or "unattributed" for a report. */
export function reportWhere(r: ContactReport): string {
  return r.campaignId === undefined ? (r.attributed ? '—' : 'not attributed (kept for review)') : `campaign ${r.campaignId}`;
}

/** "550 5.1.1" from a report's or delivery's code and enhanced status. */
export function codeText(code: number | undefined, status: string | undefined): string {
  return [code, status].filter((x) => x !== undefined && x !== '').join(' ');
}

/**
 * The last reply of a delivery: the text as the server wrote it when it starts with its own code
 * (a later report replaces the text but not the relay's code, so "250" beside "550 5.2.1 …" would
 * mislead), else code, enhanced status and text.
 */
export function lastReplyText(d: Pick<ContactDelivery, 'code' | 'enhanced' | 'response'>): string {
  if (d.response && /^\s*\d{3}\b/.test(d.response)) return d.response;
  return [codeText(d.code, d.enhanced), d.response ?? ''].filter(Boolean).join(' ');
}

/** "3 of 512 campaigns shown (the newest)", or '' when nothing was left out. */
export function leftOutText(h: ContactHistory): string {
  const parts: string[] = [];
  if (h.totalDeliveries > h.deliveries.length) parts.push(`only the newest ${h.deliveries.length} of ${h.totalDeliveries} campaigns are shown`);
  if (h.reportsLeftOut > 0) parts.push(`${h.reportsLeftOut} older reports are left out`);
  return parts.join('; ');
}

export interface ContactLinks {
  campaign(id: number): string;
  delivery(id: number): string;
}

function reportsTableHtml(id: string, caption: string, rows: (ContactReport & { how?: string })[], links: ContactLinks, how = false): string {
  if (rows.length === 0) return `<p class="muted" id="${id}">None.</p>`;
  const body = rows
    .map((r) => {
      const where = r.campaignId === undefined ? e(reportWhere(r)) : `<a href="${e(links.campaign(r.campaignId))}">campaign ${r.campaignId}</a>`;
      const delivery = r.deliveryId === undefined ? '' : ` · <a href="${e(links.delivery(r.deliveryId))}">delivery ${r.deliveryId}</a>`;
      const kind = how ? `${e(r.how ?? '')}` : `${e(r.kind)}`;
      return `<tr><td data-label="when">${utcTime(r.at)}</td><td data-label="${how ? 'how' : 'kind'}">${kind}</td><td data-label="campaign">${where}${delivery}</td><td data-label="code">${e(codeText(r.code, r.status))}</td><td data-label="diagnostic" class="reply">${e(r.diagnostic ?? '')}</td><td data-label="source">${e(r.source)}</td></tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="rwd" id="${id}"><caption>${e(caption)}</caption><thead><tr><th scope="col">when</th><th scope="col">${how ? 'how' : 'kind'}</th><th scope="col">campaign</th><th scope="col">code</th><th scope="col">diagnostic</th><th scope="col">source</th></tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/** The dashboard page's body for one journalist (HTML; every stored text escaped). */
export function contactHistoryHtml(h: ContactHistory, links: ContactLinks): string {
  const email = h.deliveries[0]?.email ?? h.suppression?.email ?? h.key;
  const leftOut = leftOutText(h);
  const rows = h.deliveries
    .map((d) => {
      const engagement = engagementText(d);
      return `<tr><td data-label="campaign"><a href="${e(links.campaign(d.campaignId))}">${d.campaignId}: ${e(d.releaseTitle)}</a>${d.test ? ' (test)' : ''}<br><span class="muted">${e(d.phase)} phase · campaign ${e(d.campaignStatus)}</span></td><td data-label="delivery"><a href="${e(links.delivery(d.deliveryId))}">${e(deliveryWord(d))}</a>${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}${engagement ? `<br><span class="engagement">${e(engagement)}</span>` : ''}</td><td data-label="planned">${utcTime(d.plannedAt)}</td><td data-label="sent">${utcTime(d.sentAt)}</td><td data-label="last event">${utcTime(d.lastEventAt)}</td><td data-label="last reply" class="reply">${e(lastReplyText(d))}${d.messageId ? `<br><span class="muted message-id">Message-ID ${e(d.messageId)}</span>` : ''}</td></tr>`;
    })
    .join('\n');
  const log = h.suppressionLog.map((l) => `<li>${utcTime(l.at)} · ${e(l.action === 'add' ? 'suppressed' : 'suppression removed')} · ${e(l.reason ?? '')} · by ${e(l.source)}${l.detail ? ` · ${e(l.detail)}` : ''}</li>`).join('\n');
  return `<p><a href="/suppressions">← Suppression list</a></p>
<h1>${e(email)}</h1>
<p class="muted message-id">Address key ${e(h.key)}</p>
<p id="suppression-state" data-suppressed="${h.suppression ? 'yes' : 'no'}"><b>${e(suppressionSentence(h))}</b></p>
${log ? `<details id="suppression-log"><summary>Suppression history</summary><ol>${log}</ol></details>` : ''}
<h2>Campaigns</h2>
${leftOut ? `<p class="muted" id="left-out">${e(leftOut)}.</p>` : ''}
${h.deliveries.length === 0 ? '<p class="muted" id="contact-campaigns">In no campaign.</p>' : `<div class="table-wrap"><table class="rwd" id="contact-campaigns"><caption>Every campaign they were in, newest first</caption><thead><tr><th scope="col">campaign</th><th scope="col">delivery</th><th scope="col">planned</th><th scope="col">sent</th><th scope="col">last event</th><th scope="col">last reply</th></tr></thead><tbody>
${rows}
</tbody></table></div>`}
<h2>Bounces</h2>
${reportsTableHtml('contact-bounces', 'Bounces, newest first', h.bounces, links)}
<h2>Complaints</h2>
${reportsTableHtml('contact-complaints', 'Spam complaints, newest first', h.complaints, links)}
<h2>Unsubscribes</h2>
${reportsTableHtml('contact-unsubscribes', 'Unsubscribes, newest first', h.unsubscribes, links, true)}`;
}
