import type { App } from '../app.js';
import { createHash } from 'node:crypto';
import { applyBounceEvent, logApplied } from './apply.js';
import { parseMailboxMessage, RAW_CAP_CHARS } from './parse.js';
import type { MailboxMessage } from './sources.js';
import type { ApplyResult, BounceKind } from './types.js';

export interface IngestSummary {
  messages: number;
  /** Events applied, by kind. */
  applied: Partial<Record<BounceKind, number>>;
  autoReplies: number;
  duplicates: number;
  suppressed: number;
  /** Reports that name no delivery of ours: kept in the store, listed here. */
  unattributed: { source: string; recipient: string | undefined; note: string | undefined }[];
  /** Messages that are no report at all: kept in the store, listed here. */
  unrecognised: { source: string; reason: string }[];
}

/**
 * Ingests bounce-mailbox messages: parses each (DSN, ARF, known bounce formats, auto-replies,
 * unsubscribe requests), applies every event, and keeps what it cannot use. Idempotent: the
 * same message twice changes nothing the second time.
 */
export async function ingestMessages(app: App, messages: AsyncIterable<MailboxMessage>): Promise<IngestSummary> {
  const summary: IngestSummary = { messages: 0, applied: {}, autoReplies: 0, duplicates: 0, suppressed: 0, unattributed: [], unrecognised: [] };
  const results: ApplyResult[] = [];
  for await (const message of messages) {
    summary.messages++;
    const parsed = await parseMailboxMessage(message.raw, {
      source: message.source,
      verpLocalPart: app.config.bounces.localPart,
      bounceDomain: app.config.bounces.domain,
      unsubscribeMailto: app.config.unsubscribe.mailto,
      authservId: app.config.bounces.authservId,
      now: app.clock.now(),
    });
    if (parsed.kind === 'auto-reply') {
      summary.autoReplies++;
    } else if (parsed.kind === 'unrecognised' || parsed.events.length === 0) {
      const reportId = `unrecognised:${createHash('sha256').update(message.raw).digest('hex')}`;
      const stored = await app.store.recordBounce(
        { reportId, source: message.source, kind: 'unrecognised', recipient: '', campaignId: undefined, deliveryId: undefined, status: undefined, diagnostic: undefined, remoteMta: undefined, originalMessageId: undefined, outcome: 'unattributed', note: parsed.reason, raw: message.raw.toString('utf8').slice(0, RAW_CAP_CHARS), receivedAt: app.clock.now() },
        undefined,
        app.clock.now(),
      );
      if (stored.result === 'new') summary.unrecognised.push({ source: message.source, reason: parsed.reason });
      else summary.duplicates++;
    } else {
      for (const event of parsed.events) {
        const result = await applyBounceEvent(app, event);
        results.push(result);
        if (result.outcome === 'duplicate') summary.duplicates++;
        else if (result.outcome === 'unattributed') summary.unattributed.push({ source: event.source, recipient: event.recipient, note: result.note });
        else if (result.outcome === 'applied') summary.applied[event.kind] = (summary.applied[event.kind] ?? 0) + 1;
        if (result.suppressed) summary.suppressed++;
      }
    }
    await message.done?.();
  }
  await logApplied(app, results);
  return summary;
}
