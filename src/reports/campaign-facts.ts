import { utcSecond } from '../campaigns/pause.js';
import type { Campaign, CampaignPhase } from '../store/types.js';
import { e } from '../html/entities.js';

// What tells one campaign from another when the titles are the same (the two phases of an
// embargoed release share the release's title): its phase, the embargo, the lists. The dashboard
// and the HTML report show them the same way, with times in the one convention (UTC, with date).

/** An instant as people read it everywhere: `<time>` around "2026-12-01 14:43:05 UTC". */
export function utcTime(d: Date | undefined): string {
  return d ? `<time datetime="${e(d.toISOString())}">${e(utcSecond(d))}</time>` : '—';
}

export function phaseOf(c: Pick<Campaign, 'phase'>): CampaignPhase {
  return c.phase ?? 'single';
}

/**
 * The other phase of an embargoed release, when it is among `all`: the public phase carries the
 * embargoed phase's id as its group id.
 */
export function otherPhaseId(c: Campaign, all: readonly Campaign[]): number | undefined {
  const phase = phaseOf(c);
  if (phase === 'public') return c.groupId;
  if (phase === 'embargoed') return all.find((x) => x.phase === 'public' && x.groupId === c.id)?.id;
  return undefined;
}

/** "embargoed phase · embargo lifts 2027-03-16 08:00:00 UTC" (HTML, escaped); `link` makes the other phase a link. */
export function phaseHtml(c: Campaign, other?: number, link?: (id: number) => string): string {
  const phase = phaseOf(c);
  const otherName = phase === 'embargoed' ? 'public' : 'embargoed';
  const otherText = other === undefined ? '' : ` (${otherName} phase: ${link ? `<a href="${e(link(other))}">campaign ${other}</a>` : `campaign ${other}`})`;
  const embargo = c.embargoAt ? ` · embargo lifts ${utcTime(c.embargoAt)}` : phase === 'single' ? ' · no embargo' : '';
  return `<span class="phase" data-phase="${phase}">${phase} phase</span>${otherText}${embargo}`;
}

/** "lists/a.csv, lists/b.csv" (escaped), or a dash. */
export function listsText(c: Pick<Campaign, 'lists'>): string {
  return c.lists.length ? e(c.lists.join(', ')) : '—';
}
