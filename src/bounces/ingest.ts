import { createHash } from 'node:crypto';
import { applyBounceEvent, logApplied } from './apply.js';
import { CommitGroups, type GroupLimits } from './commit-groups.js';
import { MAX_MIME_DEPTH, mimeDepth, storableId, stripNul, withoutNul } from './bounds.js';
import { parseMailboxMessage, RAW_CAP_CHARS, type ParsedMessage } from './parse.js';
import { keepForReview } from './review.js';
import type { MailboxMessage } from './sources.js';
import type { ApplyResult, BounceDeps, BounceEvent, BounceKind } from './types.js';

/** Entries listed per kind in a summary; the counts go on (a mailbox of a million would not fit). */
export const LISTED_MAX = 100;

export interface IngestSummary {
  messages: number;
  /** Events applied, by kind. */
  applied: Partial<Record<BounceKind, number>>;
  autoReplies: number;
  duplicates: number;
  suppressed: number;
  /** Reports that name no delivery of ours: kept in the store; the first LISTED_MAX listed here. */
  unattributed: { source: string; recipient: string | undefined; note: string | undefined }[];
  unattributedCount: number;
  /** Messages that are no report at all: kept in the store; the first LISTED_MAX listed here. */
  unrecognised: { source: string; reason: string }[];
  unrecognisedCount: number;
  /** Messages set aside unparsed, with why and where they are now; the first LISTED_MAX listed here. */
  quarantined: { source: string; reason: string; location: string }[];
  quarantinedCount: number;
  /** Messages an earlier run quarantined (an mbox or .eml file still holds them): skipped. */
  skippedQuarantined: number;
  /** Recipients beyond `bounces.maxRecipientsPerReport` in the reports read: counted, not kept. */
  recipientsOverCap: number;
  /** Campaigns this run paused because a server refused our sender, with the reason recorded. */
  paused: { campaignId: number; reason: string }[];
}

export interface IngestOptions {
  /** Called after each message (the CLI draws progress from it on a terminal). */
  onProgress?: (summary: IngestSummary) => void;
  /** How many messages (and how long) share one commit; tests make groups small. */
  groups?: GroupLimits;
}

function listed<T>(list: T[], item: T): void {
  if (list.length < LISTED_MAX) list.push(item);
}

/** An error's message as one short line for the quarantine record (it may quote hostile input). */
function reasonFrom(prefix: string, err: unknown): string {
  const text = stripNul(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  return `${prefix}: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

/**
 * Ingests bounce-mailbox messages: parses each on its own (DSN, ARF, known bounce formats,
 * auto-replies, unsubscribe requests), applies every event, and keeps what it cannot use. A
 * message too large, nested too deep, or that the mail parser refuses is quarantined with the
 * reason, and the rest goes on. Idempotent: the same message twice changes nothing the
 * second time, and a quarantined one is not read again.
 */
export async function ingestMessages(deps: BounceDeps, messages: AsyncIterable<MailboxMessage>, options: IngestOptions = {}): Promise<IngestSummary> {
  const summary: IngestSummary = {
    messages: 0, applied: {}, autoReplies: 0, duplicates: 0, suppressed: 0,
    unattributed: [], unattributedCount: 0, unrecognised: [], unrecognisedCount: 0,
    quarantined: [], quarantinedCount: 0, skippedQuarantined: 0, recipientsOverCap: 0, paused: [],
  };
  const { maxMessageBytes, maxRecipientsPerReport } = deps.config.bounces;
  const alreadyQuarantined = await deps.store.quarantinedKeys();
  // One result per campaign is all logApplied needs: a million results are never held.
  const touched = new Map<number, ApplyResult>();
  const groups = new CommitGroups(deps.store, options.groups);

  const setAside = async (message: MailboxMessage, reason: string): Promise<void> => {
    // Moving a message aside is an act outside the store: the messages before it are committed
    // first, and its own record is a commit of its own (quarantines are rare).
    await groups.commit();
    let location: string;
    try {
      location = await message.quarantine();
    } catch (err) {
      location = reasonFrom(`${message.source}, left in place (could not be moved)`, err);
    }
    await deps.store.quarantineMessage({ key: message.key, source: message.source, location, bytes: message.bytes, reason, quarantinedAt: deps.clock.now() });
    alreadyQuarantined.add(message.key);
    summary.quarantinedCount++;
    listed(summary.quarantined, { source: message.source, reason, location });
  };

  try {
    for await (const message of messages) {
      await ingestOne(message);
    }
    await groups.commit();
  } catch (err) {
    // Nothing of the open group was acknowledged: the next run reads those messages again.
    await groups.abandon().catch(() => undefined);
    throw err;
  }
  await logApplied(deps, touched.values());
  return summary;

  async function ingestOne(message: MailboxMessage): Promise<void> {
    summary.messages++;
    if (alreadyQuarantined.has(message.key)) {
      // The same message again (re-sent to the mailbox, or still in an mbox): not parsed; set
      // aside again where that moves it (Maildir, IMAP), so it does not wait in the inbox.
      await message.quarantine().catch(() => undefined);
      summary.skippedQuarantined++;
      options.onProgress?.(summary);
      return;
    }
    let parsed: ParsedMessage | undefined;
    let problem: string | undefined;
    const raw = withoutNul(message.raw);
    if (message.tooLarge) {
      problem = `${message.bytes} bytes, more than bounces.maxMessageBytes (${maxMessageBytes}): not read`;
    } else if (mimeDepth(raw) > MAX_MIME_DEPTH) {
      problem = `MIME parts nested more than ${MAX_MIME_DEPTH} deep: not parsed`;
    } else {
      try {
        parsed = await parseMailboxMessage(raw, {
          source: message.source,
          verpLocalPart: deps.config.bounces.localPart,
          bounceDomain: deps.config.bounces.domain,
          unsubscribeMailto: deps.config.unsubscribe.mailto,
          authservId: deps.config.bounces.authservId,
          now: deps.clock.now(),
        });
      } catch (err) {
        problem = reasonFrom('the mail parser failed', err);
      }
    }
    if (problem || !parsed) {
      await setAside(message, problem ?? 'the mail parser returned nothing');
    } else {
      // A store that refuses a write is no fault of the message (what it could refuse in a
      // message, NULs, is gone): the run stops, nothing of the report is applied, and the next
      // run reads the message again.
      await groups.beforeMessage();
      await store(deps, message, raw, parsed, summary, maxRecipientsPerReport, touched);
      if (message.done) {
        // The source acts on the message (IMAP moves or flags it): only once its rows are committed.
        await groups.commit();
        await message.done();
      } else {
        await groups.afterMessage();
      }
    }
    options.onProgress?.(summary);
  }
}

/** Applies what one parsed message reports, or keeps it as unrecognised. */
async function store(
  deps: BounceDeps,
  message: MailboxMessage,
  raw: Buffer,
  parsed: ParsedMessage,
  summary: IngestSummary,
  maxRecipients: number,
  touched: Map<number, ApplyResult>,
): Promise<void> {
  if (parsed.kind === 'auto-reply') {
    summary.autoReplies++;
    return;
  }
  const reason = stripNul(parsed.reason);
  if (parsed.kind === 'unrecognised' || parsed.events.length === 0) {
    const reportId = `unrecognised:${createHash('sha256').update(message.raw).digest('hex')}`;
    const stored = await keepForReview(
      deps.store,
      { reportId, source: message.source, kind: 'unrecognised', note: reason, raw: raw.toString('utf8').slice(0, RAW_CAP_CHARS) },
      deps.clock.now(),
    );
    if (stored.result === 'new') {
      summary.unrecognisedCount++;
      listed(summary.unrecognised, { source: message.source, reason });
    } else summary.duplicates++;
    return;
  }
  // The report's text once, however many recipients it names; its rows carry none of their own.
  const kept = parsed.events.slice(0, maxRecipients);
  const first = parsed.events[0]!;
  await deps.store.keepBounceReport(
    { reportId: storableId(first.reportId), source: message.source, raw: stripNul(first.raw), recipients: parsed.events.length, recipientsKept: kept.length },
    deps.clock.now(),
  );
  summary.recipientsOverCap += parsed.events.length - kept.length;
  for (const e of kept) {
    const event = withoutNulFields(e);
    const result = await applyBounceEvent(deps, event);
    if (result.campaignId !== undefined) touched.set(result.campaignId, result);
    if (result.outcome === 'duplicate') summary.duplicates++;
    else if (result.outcome === 'unattributed') {
      summary.unattributedCount++;
      listed(summary.unattributed, { source: event.source, recipient: event.recipient, note: result.note });
    } else if (result.outcome === 'applied') summary.applied[event.kind] = (summary.applied[event.kind] ?? 0) + 1;
    if (result.suppressed) summary.suppressed++;
    if (result.paused && result.campaignId !== undefined) summary.paused.push({ campaignId: result.campaignId, reason: result.paused });
  }
}

/** The event without NULs (decoded parts can carry them; PostgreSQL refuses them), its ids bounded, and without its own raw copy. */
function withoutNulFields(e: BounceEvent): BounceEvent {
  return {
    ...e,
    reportId: storableId(e.reportId),
    recipient: storableId(e.recipient),
    verpToken: storableId(e.verpToken),
    originalMessageId: storableId(e.originalMessageId),
    status: stripNul(e.status),
    diagnostic: stripNul(e.diagnostic),
    remoteMta: stripNul(e.remoteMta),
    raw: '',
  };
}
