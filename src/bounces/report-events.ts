/** The BounceEvents of one report: the fields every event of it shares, and one event per DSN recipient block. */
import type { BounceEvent, BounceKind } from './types.js';
import { classifyDsn } from './classify.js';
import { type FieldBlock, looksLikeAddress, parseStatusField, stripAddressType, stripTypePrefix } from './dsn-fields.js';
import { diagnosticNear, statusInText, type Prose } from './text-bounces.js';

/** What one event says of its own; the rest comes from the report (see eventMaker). */
export interface EventFields {
  kind: BounceKind;
  recipient: string | undefined;
  /** Final-Recipient when it names another address than `recipient` (a forwarded mailbox). */
  finalRecipient?: string | undefined;
  status?: string | undefined;
  diagnostic?: string | undefined;
  remoteMta?: string | undefined;
  verpToken?: string | undefined;
  unsubscribeToken?: string | undefined;
  senderVerified?: string | undefined;
}

/** What every event of one report shares. */
export interface ReportBase {
  source: string;
  reportId: string;
  originalMessageId: string | undefined;
  raw: string;
  receivedAt: Date;
  /** The VERP token the report's addresses carry; an event may name its own. */
  verpToken: string | undefined;
}

/** Builds the report's events from what each says of its own. */
export function eventMaker(base: ReportBase): (e: EventFields) => BounceEvent {
  return (e) => ({
    kind: e.kind,
    source: base.source,
    reportId: base.reportId,
    recipient: e.recipient,
    ...(e.finalRecipient ? { finalRecipient: e.finalRecipient } : {}),
    ...(e.unsubscribeToken ? { unsubscribeToken: e.unsubscribeToken } : {}),
    ...(e.senderVerified ? { senderVerified: e.senderVerified } : {}),
    verpToken: e.verpToken ?? base.verpToken,
    originalMessageId: base.originalMessageId,
    status: e.status,
    diagnostic: e.diagnostic,
    remoteMta: e.remoteMta,
    raw: base.raw,
    receivedAt: base.receivedAt,
  });
}

/** The event of one recipient block of a delivery-status part. */
export function dsnEvent(
  block: FieldBlock,
  perMessage: FieldBlock,
  context: { originalTo: string | undefined; failedHeader: string | undefined; prose: Prose | undefined; onlyRecipient: boolean },
  event: (e: EventFields) => BounceEvent,
): BounceEvent {
  // The address we mailed: Original-Recipient when the report gives one (a forwarded mailbox
  // rewrites Final-Recipient to its target), else Final-Recipient. A pipe, path, source route or
  // bare host is no address we mailed: X-Failed-Recipients or the quoted To stands in.
  const final = stripAddressType(block.get('final-recipient'));
  const originalField = stripAddressType(block.get('original-recipient'));
  const candidates = [originalField, final, context.failedHeader, context.originalTo];
  const recipient = candidates.find(looksLikeAddress) ?? final ?? originalField ?? context.originalTo;
  const finalRecipient = looksLikeAddress(final) && final.toLowerCase() !== recipient?.toLowerCase() ? final : undefined;
  const action = block.get('action')?.toLowerCase();
  // Some MTAs (OpenSMTPD, Domino) leave the server's reply out of the block and write it in the text.
  const nearby = recipient && context.prose ? diagnosticNear(context.prose, recipient) : undefined;
  const diagnostic = stripTypePrefix(block.get('diagnostic-code')) ?? nearby;
  // A report about one recipient speaks of it in all its prose, named or not.
  const about = nearby ?? (context.onlyRecipient ? context.prose?.words.slice(0, 4096) : undefined);
  // Without a Status field, the diagnostic's "550 5.1.1" is the status the server gave.
  const status = parseStatusField(block.get('status')) ?? statusInText(diagnostic);
  // "dns; mx.example.com. (192.0.2.80, the server for the domain …)" → "mx.example.com"
  const remoteMta = stripTypePrefix(block.get('remote-mta') ?? perMessage.get('remote-mta'))?.split(/[\s(]/)[0]?.replace(/\.$/, '') || undefined;
  return event({ kind: classifyDsn(action, status, diagnostic, about), recipient, finalRecipient, status, diagnostic, remoteMta });
}
