import { pauseForSenderProblem } from '../campaigns/pause.js';
import { checkEmail } from '../lists/email.js';
import { openDeliveryLog } from '../log/delivery-log.js';
import type { BounceSuppression, DeliveryRef, DeliveryStatus, EventType, SuppressionReason } from '../store/types.js';
import { isUnguessableMessageId } from '../mime/message-id.js';
import { checkToken, TOKEN_REFUSALS, type TokenPurpose } from '../tokens.js';
import type { ApplyResult, BounceDeps, BounceEvent, BounceKind } from './types.js';

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

/**
 * The delivery a report proves it is about, or why it proves none. Proof is one of:
 *  - a token of this store (VERP, the tokenised unsubscribe mailto, the one-click link) that verifies against the
 *    named delivery's address;
 *  - our unguessable Message-ID quoted, and the failed recipient (Final- or Original-Recipient)
 *    being the address that message went to;
 *  - for a bare unsubscribe request only: sent from an address we mailed, with our receiving
 *    host's Authentication-Results saying DKIM or SPF passed for its domain.
 * Nothing else (a From: header, the latest delivery to an address, an old-form token or
 * Message-ID anyone can compute) changes anything: such reports are kept for review.
 */
async function attribute(deps: BounceDeps, e: BounceEvent): Promise<{ delivery?: DeliveryRef; note: string }> {
  const instance = await deps.store.instanceId();
  const secret = deps.env.secret;
  const notes: string[] = [];
  const tokens: { purpose: TokenPurpose; value: string | undefined; label: string }[] = [
    { purpose: 'unsubscribe', value: e.kind === 'unsubscribe' ? e.unsubscribeToken : undefined, label: 'unsubscribe token' },
    { purpose: 'verp', value: e.verpToken, label: 'VERP token' },
  ];
  for (const t of tokens) {
    if (!t.value) continue;
    if (!secret) {
      notes.push(`${t.label} not checked: PRESSLINE_SECRET is not set`);
      continue;
    }
    const checked = await checkToken(secret, t.purpose, t.value, instance, (id) => deps.store.getDelivery(id));
    if ('delivery' in checked) return { delivery: checked.delivery, note: `by ${t.label}` };
    notes.push(`${t.label}: ${TOKEN_REFUSALS[checked.refused]}`);
  }
  if (e.originalMessageId) {
    const byId = await byMessageId(deps, e, instance);
    if ('delivery' in byId) return byId;
    notes.push(byId.why);
  }
  if (e.kind === 'unsubscribe' && !e.unsubscribeToken) {
    const key = addressKey(e.recipient);
    const delivery = key && e.senderVerified ? await deps.store.latestDeliveryTo(key) : undefined;
    if (delivery) return { delivery, note: `unsubscribe request without a token from an address we mailed; our receiving host verified its sender (${e.senderVerified})` };
    notes.push(
      !e.senderVerified
        ? 'unsubscribe request without a token, and our receiving host did not vouch for its sender (no dkim=pass or spf=pass for its domain in Authentication-Results of bounces.authservId): kept for review'
        : 'unsubscribe request from an address we never mailed',
    );
  }
  return { note: notes.join('; ') || 'no VERP token, no Message-ID of ours' };
}

/** Attribution by a quoted Message-ID: ours, of the unguessable form, and sent to the failed recipient. */
async function byMessageId(deps: BounceDeps, e: BounceEvent, instance: string): Promise<{ delivery: DeliveryRef; note: string } | { why: string }> {
  if (!isUnguessableMessageId(e.originalMessageId!, instance)) {
    return { why: 'original Message-ID is not one this store gave out (not ours, another store\'s, or the old form anyone can compute)' };
  }
  const delivery = await deps.store.findDeliveryByMessageId(e.originalMessageId!);
  if (!delivery) return { why: 'original Message-ID names no delivery' };
  const named = [e.recipient, e.finalRecipient].map(addressKey).filter((k): k is string => k !== undefined);
  if (named.includes(delivery.key)) return { delivery, note: 'by original Message-ID and recipient' };
  return { why: named.length > 0 ? 'the failed recipient is not the address the quoted message went to' : 'no failed recipient to check against the quoted message' };
}

/**
 * Applies one report: attributes it (token, or original Message-ID + recipient; see attribute), stores
 * it once, moves the delivery's status, and suppresses per config (hard bounce and complaint at
 * once, soft bounces after `bounces.softBounceLimit` within the window). Auto-replies never get
 * here. Unattributed reports are kept and listed, never dropped.
 */
export async function applyBounceEvent(deps: BounceDeps, e: BounceEvent): Promise<ApplyResult> {
  const now = deps.clock.now();
  const { delivery, note } = await attribute(deps, e);
  const effect = EFFECT[e.kind];
  const recipient = delivery?.email ?? e.recipient ?? '';
  const key = delivery?.key ?? addressKey(e.recipient);
  // Without proof of a delivery nothing changes, whatever the kind (see attribute).
  const outcome: ApplyResult['outcome'] = delivery ? 'applied' : 'unattributed';
  // A late report never turns a delivery back from a worse state (e.g. bounced → failed).
  const newStatus = delivery && effect.status && canMove(delivery.status, effect.status) ? effect.status : undefined;
  const suppress = outcome === 'applied' && key ? suppressionFor(deps, e, key, recipient, now) : undefined;
  // The report, the delivery's status and the suppression: one transaction, never one without the others.
  const recorded = await deps.store.recordBounce(
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
    const paused = await pauseForSenderProblem(deps, delivery.campaignId, now, { recipient, status: e.status, diagnostic: e.diagnostic });
    if (paused) return { outcome, campaignId: delivery.campaignId, deliveryId: delivery.id, paused, note: `campaign ${delivery.campaignId} paused: the server refused our sender${note ? `; ${note}` : ''}` };
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
function suppressionFor(deps: BounceDeps, e: BounceEvent, key: string, email: string, now: Date): BounceSuppression | undefined {
  const detail = [e.status, e.diagnostic].filter(Boolean).join(' ') || undefined;
  if (e.kind === 'soft') {
    const since = new Date(now.getTime() - deps.config.bounces.softBounceWindowDays * 86_400_000);
    return { key, email, reason: 'soft-bounce', source: e.source, detail, onlyAfter: { kind: 'soft', since, atLeast: deps.config.bounces.softBounceLimit } };
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
export async function logApplied(deps: BounceDeps, results: Iterable<ApplyResult>): Promise<void> {
  const campaigns = new Set<number>();
  for (const r of results) if (r.campaignId !== undefined) campaigns.add(r.campaignId);
  for (const id of campaigns) await openDeliveryLog(deps.store, deps.config.paths.logs, id).catchUp();
}
