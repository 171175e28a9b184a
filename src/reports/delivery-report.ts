import type { DeliveryRow, DeliveryStatus, Store } from '../store/types.js';
import { DELIVERY_STATUSES } from '../store/types.js';
import { PresslineError } from '../errors.js';

/** One recipient in `report --format json`: stable field names (documented in the README). */
export interface ReportEntry {
  email: string;
  status: DeliveryStatus;
  attempts: number;
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

export function toEntry(r: DeliveryRow): ReportEntry {
  return {
    email: r.email,
    status: r.status,
    attempts: r.attempts,
    code: r.code ?? null,
    enhanced: r.enhanced ?? null,
    response: r.response ?? null,
    messageId: r.messageId ?? null,
    updatedAt: r.updatedAt.toISOString(),
    language: r.language,
    outlet: r.outlet,
    domain: r.domain,
    worker: r.worker ?? null,
    relay: r.relay ?? null,
  };
}

/** Every recipient of a campaign (of these statuses) with their last known fate, oldest delivery first. */
export async function reportRows(store: Store, campaignId: number, statuses?: DeliveryStatus[]): Promise<DeliveryRow[]> {
  const campaign = await store.getCampaign(campaignId);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${campaignId}; \`pressline campaigns\` lists them`);
  return store.deliveries(campaignId, statuses ? { status: statuses } : {});
}
