import type { DeliveryStatus, Store } from '../store/types.js';
import { DELIVERY_STATUSES } from '../store/types.js';
import { PresslineError } from '../errors.js';
import { explainRows, type ExplainedRow } from './explained-rows.js';

/** One recipient in `report --format json`: stable field names (documented in the README). */
export interface ReportEntry {
  email: string;
  status: DeliveryStatus;
  attempts: number;
  /** The relay's reply to our last attempt: SMTP basic code (250, 550), enhanced status (2.6.0), text. */
  code: number | null;
  enhanced: string | null;
  response: string | null;
  messageId: string | null;
  updatedAt: string;
  language: string;
  outlet: string;
  domain: string;
  /** The worker that made the last attempt and the relay it went through (null before any). */
  worker: string | null;
  relay: string | null;
  /** Why a skipped, suppressed or unknown delivery has no reply of its own. */
  reason: string | null;
  /** The latest report after delivery (complaint, unsubscribe, late bounce) with its own codes. */
  after: { kind: string; at: string; code: number | null; enhanced: string | null; diagnostic: string | null } | null;
}

export function parseStatuses(values: string[] | undefined): DeliveryStatus[] | undefined {
  if (!values || values.length === 0) return undefined;
  const out = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase());
  for (const s of out) {
    if (!DELIVERY_STATUSES.includes(s as DeliveryStatus)) {
      throw new PresslineError('USAGE', `--status ${s}: not a delivery status; use one of ${DELIVERY_STATUSES.join(', ')}`);
    }
  }
  return out as DeliveryStatus[];
}

/** A reply's or a report's status codes, null where the server gave none. */
function codes(from: { code?: number | undefined; enhanced?: string | undefined }): { code: number | null; enhanced: string | null } {
  return { code: from.code ?? null, enhanced: from.enhanced ?? null };
}

export function toEntry(r: ExplainedRow): ReportEntry {
  const a = r.after;
  return {
    email: r.email,
    status: r.status,
    attempts: r.attempts,
    ...codes(r),
    response: r.response ?? null,
    messageId: r.messageId ?? null,
    updatedAt: r.updatedAt.toISOString(),
    language: r.language,
    outlet: r.outlet,
    domain: r.domain,
    worker: r.worker ?? null,
    relay: r.relay ?? null,
    // Last, so the older fields keep their places.
    reason: r.reason ?? null,
    after: a ? { kind: a.kind, at: a.at.toISOString(), ...codes(a), diagnostic: a.diagnostic ?? null } : null,
  };
}

/** Every recipient of a campaign (of these statuses) with their last known fate, oldest delivery first. */
export async function reportRows(store: Store, campaignId: number, statuses?: DeliveryStatus[]): Promise<ExplainedRow[]> {
  const campaign = await store.getCampaign(campaignId);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${campaignId}; \`pressline campaigns\` lists them`);
  return explainRows(store, campaignId, await store.deliveries(campaignId, statuses ? { status: statuses } : {}));
}
