import type { App } from '../app.js';
import { pauseForSenderProblem } from '../campaigns/pause.js';
import { checkEmail } from '../lists/email.js';
import { openDeliveryLog } from '../send/delivery-log.js';
import type { BounceSuppression, DeliveryRef, DeliveryStatus, EventType, SuppressionReason } from '../store/types.js';
import { readToken } from '../tokens.js';
import type { ApplyResult, BounceEvent, BounceKind } from './types.js';

/** What each kind of report does to the delivery and the suppression list (a table, not ifs). */
const EFFECT: Record<BounceKind, { status?: DeliveryStatus; event: EventType; suppress?: SuppressionReason; pauseCampaign?: true }> = {
  hard: { status: 'bounced', event: 'bounced', suppress: 'hard-bounce' },
  soft: { status: 'failed', event: 'failed' }, // suppressed only after N within the window
  policy: { status: 'blocked', event: 'blocked' },
  // Our sender or IP refused: the journalist is fine, the campaign is paused (never suppressed).
  sender: { status: 'blocked', event: 'blocked', pauseCampaign: true },
  complaint: { event: 'complained', suppress: 'complaint' },
  delay: { event: 'delayed' },
  delivered: { event: 'sent' },
  unsubscribe: { event: 'unsubscribed', suppress: 'unsubscribe' },
};

/** The dedupe/suppression key of an address as lists compute it, or undefined when it is no address. */
export function addressKey(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const checked = checkEmail(address.replace(/^<|>$/g, ''));
  return checked.ok ? checked.key : undefined;
}

async function attribute(app: App, e: BounceEvent): Promise<{ delivery?: DeliveryRef; note?: string }> {
  const notes: string[] = [];
  if (e.verpToken) {
    const ref = app.env.secret ? readToken(app.env.secret, 'verp', e.verpToken) : undefined;
    if (ref) {
      const delivery = await app.store.getDelivery(ref.deliveryId);
      if (delivery && delivery.campaignId === ref.campaignId) return { delivery, note: 'by VERP token' };
      notes.push('VERP token names no delivery');
    } else {
      notes.push(app.env.secret ? 'VERP token failed its signature check (forged or mangled): ignored' : 'VERP token not checked: PRESSLINE_SECRET is not set');
    }
  }
  const key = addressKey(e.recipient);
  if (e.originalMessageId) {
    const delivery = await app.store.findDeliveryByMessageId(e.originalMessageId, key);
    if (delivery) return { delivery, note: 'by original Message-ID and recipient' };
    notes.push('original Message-ID not ours');
  }
  // A complaint or an unsubscribe is about the address, whichever message prompted it.
  if (key && (e.kind === 'complaint' || e.kind === 'unsubscribe')) {
    const delivery = await app.store.latestDeliveryTo(key);
    if (delivery) return { delivery, note: 'by recipient (latest delivery to the address)' };
  }
  return { note: notes.join('; ') || 'no VERP token, no Message-ID of ours' };
}

/**
 * Applies one report: attributes it (VERP token, then original Message-ID + recipient), stores
 * it once, moves the delivery's status, and suppresses per config (hard bounce and complaint at
 * once, soft bounces after `bounces.softBounceLimit` within the window). Auto-replies never get
 * here. Unattributed reports are kept and listed, never dropped.
 */
export async function applyBounceEvent(app: App, e: BounceEvent): Promise<ApplyResult> {
  const now = app.clock.now();
  const { delivery, note } = await attribute(app, e);
  const effect = EFFECT[e.kind];
  const recipient = delivery?.email ?? e.recipient ?? '';
  const key = delivery?.key ?? addressKey(e.recipient);
  // An address-level report (unsubscribe, complaint) applies even without a delivery.
  const addressLevel = e.kind === 'unsubscribe' || e.kind === 'complaint';
  const outcome: ApplyResult['outcome'] = delivery ? 'applied' : addressLevel && key ? 'applied' : 'unattributed';
  // A late report never turns a delivery back from a worse state (e.g. bounced → failed).
  const newStatus = delivery && effect.status && canMove(delivery.status, effect.status) ? effect.status : undefined;
  const suppress = outcome === 'applied' && key ? suppressionFor(app, e, key, recipient, now) : undefined;
  // The report, the delivery's status and the suppression: one transaction, never one without the others.
  const recorded = await app.store.recordBounce(
    {
      reportId: e.reportId,
      source: e.source,
      kind: e.kind,
      recipient: (key ?? recipient).toLowerCase(),
      campaignId: delivery?.campaignId,
      deliveryId: delivery?.id,
      status: e.status,
      diagnostic: e.diagnostic,
      remoteMta: e.remoteMta,
      originalMessageId: e.originalMessageId,
      outcome,
      note,
      raw: e.raw,
      receivedAt: e.receivedAt,
    },
    { newStatus, eventType: effect.event, suppress },
    now,
  );
  if (recorded.result === 'duplicate') return { outcome: 'duplicate', note: 'this report was ingested before' };
  if (outcome === 'unattributed' || !key) return { outcome, note };
  if (effect.pauseCampaign && delivery) {
    const paused = await pauseForSenderProblem(app, delivery.campaignId, now, { recipient, status: e.status, diagnostic: e.diagnostic });
    if (paused) return { outcome, campaignId: delivery.campaignId, deliveryId: delivery.id, note: `campaign ${delivery.campaignId} paused: the server refused our sender${note ? `; ${note}` : ''}` };
  }
  const suppressed = recorded.suppressed ? suppress?.reason : undefined;
  if (recorded.result === 'completed') {
    // Stored by an earlier run whose separate suppression step failed: repaired now.
    return { outcome, campaignId: delivery?.campaignId, deliveryId: delivery?.id, suppressed, note: `ingested before without its suppression; suppression added now${note ? `; ${note}` : ''}` };
  }
  return { outcome, campaignId: delivery?.campaignId, deliveryId: delivery?.id, suppressed, note };
}

/**
 * The suppression a report brings, if any: hard bounces and complaints at once, unsubscribes at
 * once, soft bounces once `bounces.softBounceLimit` of them arrived within the window (counted by
 * the store in the report's transaction, this report included).
 */
function suppressionFor(app: App, e: BounceEvent, key: string, email: string, now: Date): BounceSuppression | undefined {
  const detail = [e.status, e.diagnostic].filter(Boolean).join(' ') || undefined;
  if (e.kind === 'soft') {
    const since = new Date(now.getTime() - app.config.bounces.softBounceWindowDays * 86_400_000);
    return { key, email, reason: 'soft-bounce', source: e.source, detail, onlyAfter: { kind: 'soft', since, atLeast: app.config.bounces.softBounceLimit } };
  }
  const reason = EFFECT[e.kind].suppress;
  return reason ? { key, email, reason, source: e.source, detail } : undefined;
}

const RANK: Partial<Record<DeliveryStatus, number>> = { sent: 1, unknown: 1, deferred: 1, failed: 2, blocked: 3, bounced: 4 };

function canMove(from: DeliveryStatus, to: DeliveryStatus): boolean {
  return (RANK[to] ?? 0) > (RANK[from] ?? 0);
}

/**
 * Copies the events these reports added into their campaigns' delivery logs, once per campaign
 * (a catch-up reads the end of the log file; a mailbox of reports should not do that per report).
 * Every caller of applyBounceEvent ends with this: mailbox, webhooks, one-click unsubscribe.
 */
export async function logApplied(app: App, results: Iterable<ApplyResult>): Promise<void> {
  const campaigns = new Set<number>();
  for (const r of results) if (r.campaignId !== undefined) campaigns.add(r.campaignId);
  for (const id of campaigns) await openDeliveryLog(app.store, app.config.paths.logs, id).catchUp();
}
