import { explainStatus } from '../campaigns/lifecycle.js';
import { PresslineError } from '../errors.js';
import { explainRows, type ExplainedRow } from './explained-rows.js';
import type {
  Campaign,
  DeliveryQuery,
  DeliveryRow,
  DeliverySort,
  DeliveryStatus,
  EngagementEvent,
  EventRecord,
  EventType,
  ReasonCount,
  StatusCounts,
  Store,
  StoredBounceEvent,
} from '../store/types.js';
import { DELIVERY_SORTS, DELIVERY_STATUSES, emptyCounts, FINAL_STATUSES } from '../store/types.js';

/** Outcome event types drawn in the deliveries-over-time chart, in legend order. */
export const SERIES_TYPES: readonly EventType[] = ['sent', 'deferred', 'bounced', 'blocked', 'failed', 'unknown', 'complained'];
/** Event types that explain a failure or a delay (the reasons breakdown). */
export const REASON_TYPES: readonly EventType[] = ['bounced', 'blocked', 'failed', 'deferred', 'delayed', 'complained'];

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** A campaign with its counts and how far it has come. */
export interface CampaignSummary {
  campaign: Campaign;
  counts: StatusCounts;
  /** Of counts.sent, deliveries only written to the outbox folder (no relay): shown apart, never as sent. */
  outbox: number;
  /** Every delivery row, including those never meant to be sent. */
  total: number;
  /** Deliveries meant to be sent: all but `skipped` and `suppressed` (the other phase's audience, the suppression list). */
  toSend: number;
  /** Of those meant to be sent, how many are in a final status. */
  settled: number;
  /** settled / toSend, 0..1 (1 when nothing is to be sent). */
  progress: number;
}

/** Rows that were never meant to go out: counting them as progress makes a phase that has not started look under way. */
const NOT_MEANT_TO_SEND: readonly DeliveryStatus[] = ['skipped', 'suppressed'];

function summarise(campaign: Campaign, counts: StatusCounts, outbox: number): CampaignSummary {
  const total = DELIVERY_STATUSES.reduce((n, s) => n + counts[s], 0);
  const left = NOT_MEANT_TO_SEND.reduce((n, s) => n + counts[s], 0);
  const settled = FINAL_STATUSES.filter((s) => !NOT_MEANT_TO_SEND.includes(s)).reduce((n, s) => n + counts[s], 0);
  const toSend = total - left;
  return { campaign, counts, outbox, total, toSend, settled, progress: toSend === 0 ? 1 : settled / toSend };
}

/** Every campaign, oldest first, with counts (one grouped query, not one per campaign). */
export async function campaignsOverview(store: Store): Promise<CampaignSummary[]> {
  const [campaigns, counts, outbox] = await Promise.all([store.listCampaigns(), store.countsByCampaign(), store.outboxCounts()]);
  return campaigns.map((c) => summarise(c, counts.get(c.id) ?? emptyCounts(), outbox.get(c.id) ?? 0));
}

/** One campaign with counts; NOT_FOUND when there is none. */
export async function campaignSummary(store: Store, id: number): Promise<CampaignSummary> {
  const campaign = await store.getCampaign(id);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${id}; \`pressline campaigns\` lists them`);
  const [counts, outbox] = await Promise.all([store.counts(id), store.outboxCounts(id)]);
  return summarise({ ...campaign, statusReason: await explainStatus(store, campaign, new Date()) }, counts, outbox.get(id) ?? 0);
}

const BUCKETS = [1_000, 5_000, 15_000, 60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000];

/** A bucket width giving at most ~`maxBuckets` buckets over the span. */
export function pickBucket(spanMs: number, maxBuckets = 60): number {
  for (const b of BUCKETS) if (spanMs / b <= maxBuckets) return b;
  return BUCKETS.at(-1)!;
}

/** Outcomes per bucket: a dense matrix, one row per bucket from the first to the last. */
export interface OutcomeSeries {
  bucketMs: number;
  types: EventType[];
  buckets: { at: Date; counts: Partial<Record<EventType, number>> }[];
}

/** Deliveries over time by outcome, bucketed by a width chosen from the span (second … day). */
export async function outcomeSeries(store: Store, campaignId: number): Promise<OutcomeSeries> {
  const types = [...SERIES_TYPES];
  const span = await store.eventSpan(campaignId, types);
  if (!span) return { bucketMs: 60_000, types, buckets: [] };
  const bucketMs = pickBucket(span.last.getTime() - span.first.getTime());
  const rows = await store.outcomeSeries(campaignId, types, bucketMs);
  const start = Math.floor(span.first.getTime() / bucketMs) * bucketMs;
  const end = Math.floor(span.last.getTime() / bucketMs) * bucketMs;
  const buckets: OutcomeSeries['buckets'] = [];
  const index = new Map<number, number>();
  for (let t = start; t <= end; t += bucketMs) {
    index.set(t, buckets.length);
    buckets.push({ at: new Date(t), counts: {} });
  }
  for (const r of rows) {
    const i = index.get(r.at.getTime());
    if (i === undefined) continue;
    const c = buckets[i]!.counts;
    c[r.type] = (c[r.type] ?? 0) + r.n;
  }
  return { bucketMs, types, buckets };
}

/** Failure and deferral reasons by enhanced status and by receiving domain. */
export interface ReasonBreakdown {
  byStatus: ReasonCount[];
  byDomain: ReasonCount[];
}

export async function reasonBreakdown(store: Store, campaignId: number, limit = 25): Promise<ReasonBreakdown> {
  const types = [...REASON_TYPES];
  const [byStatus, byDomain] = await Promise.all([
    store.reasonCounts(campaignId, types, 'enhanced', limit),
    store.reasonCounts(campaignId, types, 'domain', limit),
  ]);
  return { byStatus, byDomain };
}

/** Raw query-string values of the recipient table (dashboard URL, CLI flags). */
export interface TableParams {
  q?: string | undefined;
  status?: string | undefined;
  language?: string | undefined;
  outlet?: string | undefined;
  domain?: string | undefined;
  sort?: string | undefined;
  dir?: string | undefined;
  page?: string | undefined;
  size?: string | undefined;
}

/** The language filter's value for contacts whose list gave no language (stored as ''). */
export const NO_LANGUAGE = '(none)';

/** The validated table query plus the page numbers, so links can be rebuilt from it. */
export interface TableQuery {
  query: DeliveryQuery;
  page: number;
  size: number;
  params: Required<{ [K in keyof TableParams]: string }>;
}

/** Turns untrusted parameters into a bounded query: unknown statuses/sorts dropped, size ≤ 200. */
export function parseTableParams(p: TableParams): TableQuery {
  const str = (v: string | undefined, max = 200) => (v ?? '').trim().slice(0, max);
  const status = str(p.status)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s): s is DeliveryStatus => (DELIVERY_STATUSES as readonly string[]).includes(s));
  const sort = (DELIVERY_SORTS as readonly string[]).includes(str(p.sort)) ? (str(p.sort) as DeliverySort) : 'id';
  const size = Math.max(1, Math.min(MAX_PAGE_SIZE, Number.parseInt(str(p.size), 10) || DEFAULT_PAGE_SIZE));
  const page = Math.max(1, Math.min(1_000_000, Number.parseInt(str(p.page), 10) || 1));
  const descending = str(p.dir) === 'desc';
  const params = {
    q: str(p.q),
    status: status.join(','),
    language: str(p.language),
    outlet: str(p.outlet),
    domain: str(p.domain),
    sort,
    dir: descending ? 'desc' : 'asc',
    page: String(page),
    size: String(size),
  };
  return {
    query: {
      search: params.q || undefined,
      status: status.length ? status : undefined,
      language: params.language === NO_LANGUAGE ? '' : params.language || undefined,
      outlet: params.outlet || undefined,
      domain: params.domain || undefined,
      sort,
      descending,
      limit: size,
      offset: (page - 1) * size,
    },
    page,
    size,
    params,
  };
}

export interface RecipientPage {
  rows: ExplainedRow[];
  total: number;
  page: number;
  size: number;
  pages: number;
}

/** One page of the per-recipient table with the total count. */
export async function recipientPage(store: Store, campaignId: number, t: TableQuery): Promise<RecipientPage> {
  const { rows, total } = await store.queryDeliveries(campaignId, t.query);
  return { rows: await explainRows(store, campaignId, rows), total, page: t.page, size: t.size, pages: Math.max(1, Math.ceil(total / t.size)) };
}

/** One entry of a recipient's timeline: a delivery event, or a stored bounce/complaint report. */
export type TimelineEntry =
  | { kind: 'event'; at: Date; event: EventRecord }
  | { kind: 'report'; at: Date; report: StoredBounceEvent }
  | { kind: 'engagement'; at: Date; engagement: EngagementEvent };

export interface RecipientTimeline {
  delivery: DeliveryRow & { campaignId: number };
  campaign: Campaign;
  entries: TimelineEntry[];
}

/** Everything that happened to one delivery, oldest first, with raw replies and reports. */
export async function recipientTimeline(store: Store, deliveryId: number): Promise<RecipientTimeline> {
  const delivery = await store.deliveryRow(deliveryId);
  if (!delivery) throw new PresslineError('NOT_FOUND', `no delivery ${deliveryId}`);
  const [campaign, events, reports, engagement] = await Promise.all([
    store.getCampaign(delivery.campaignId),
    store.events(delivery.campaignId, deliveryId),
    store.bounceEvents({ deliveryId }),
    store.engagementEvents(deliveryId),
  ]);
  const entries: TimelineEntry[] = [
    ...events.map((event) => ({ kind: 'event' as const, at: event.at, event })),
    ...reports.map((report) => ({ kind: 'report' as const, at: report.receivedAt, report })),
    ...engagement.map((ev) => ({ kind: 'engagement' as const, at: ev.at, engagement: ev })),
  ];
  // Stable: same-instant entries keep events before the report they came from.
  entries.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { delivery, campaign: campaign!, entries };
}
