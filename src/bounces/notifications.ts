/**
 * Reports that arrive by mail in a provider's own format rather than as a DSN or ARF:
 *  - Amazon SES notifications forwarded by SNS as email (a JSON document in the body);
 *  - Microsoft's complaint format (JMRP: "complaint about message from <ip>", the original
 *    attached, X-HmXmrOriginalRecipient naming the complaining address).
 * Each reader is a pure function; the caller turns its entries into BounceEvents (and proof of
 * origin is checked when they are applied, as for any report).
 */
import { classifyDsn } from './classify.js';
import { stripTypePrefix } from './dsn-fields.js';
import type { BounceKind } from './types.js';

export interface NotificationEntry {
  kind: BounceKind;
  recipient: string;
  status?: string | undefined;
  diagnostic?: string | undefined;
}

// A notification is a few KB; a body far larger is not one, and JSON.parse stays bounded.
const JSON_CAP = 256 * 1024;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A JSON object in a mail body, or undefined. Mail folds long lines ("\n " or "!\n "): unfolded on a second try. */
function parseJsonObject(json: string): Obj | undefined {
  for (const candidate of [json, json.replace(/!?\n /g, '')]) {
    try {
      const doc = obj(JSON.parse(candidate));
      if (doc) return doc;
    } catch {
      // not this way: try the next
    }
  }
  return undefined;
}

/** The entries of an SES notification in a mail body, or undefined when the body is not one. */
export function sesEmailNotification(text: string): { type: string; entries: NotificationEntry[] } | undefined {
  const start = text.indexOf('{');
  if (start === -1 || start > 4096 || !/"(?:notificationType|eventType|Type)"/.test(text.slice(start, start + 4096))) return undefined;
  const end = text.lastIndexOf('}');
  if (end <= start || end - start > JSON_CAP) return undefined;
  let doc = parseJsonObject(text.slice(start, end + 1));
  // Delivered as the raw SNS envelope: the notification is its Message, a JSON string.
  if (doc && str(doc.Type) === 'Notification' && typeof doc.Message === 'string') doc = parseJsonObject(doc.Message);
  if (!doc) return undefined;
  const type = str(doc.notificationType) ?? str(doc.eventType);
  if (type === 'Bounce') {
    const bounce = obj(doc.bounce);
    const transient = str(bounce?.bounceType) === 'Transient';
    const entries = list(bounce?.bouncedRecipients).flatMap((r): NotificationEntry[] => {
      const o = obj(r);
      const recipient = str(o?.emailAddress);
      if (!recipient) return [];
      const diagnostic = stripTypePrefix(str(o?.diagnosticCode)) ?? (bounce ? `SES ${str(bounce.bounceType) ?? ''}/${str(bounce.bounceSubType) ?? ''}` : undefined);
      const status = str(o?.status);
      const kind = classifyDsn(str(o?.action) ?? 'failed', status, diagnostic);
      // SES says Transient when it gave up for now: never a dead address, whatever the words.
      return [{ kind: transient && kind === 'hard' ? 'soft' : kind, recipient, status, diagnostic }];
    });
    return { type, entries };
  }
  if (type === 'Complaint') {
    const complaint = obj(doc.complaint);
    const feedback = str(complaint?.complaintFeedbackType);
    const entries = list(complaint?.complainedRecipients).flatMap((r): NotificationEntry[] => {
      const recipient = str(obj(r)?.emailAddress);
      return recipient ? [{ kind: 'complaint', recipient, diagnostic: feedback ? `SES complaint: ${feedback}` : 'SES complaint' }] : [];
    });
    return { type, entries };
  }
  if (type === 'Delivery') {
    const delivery = obj(doc.delivery);
    const entries = list(delivery?.recipients).flatMap((r): NotificationEntry[] => {
      const recipient = str(r);
      return recipient ? [{ kind: 'delivered', recipient, diagnostic: str(delivery?.smtpResponse) }] : [];
    });
    return { type, entries };
  }
  return undefined;
}

/** Microsoft's complaint format: the complaining address, or undefined when it is not one. */
export function microsoftComplaint(subject: string, header: (name: string) => string | undefined, quotedTo: string | undefined): string | undefined {
  if (!/^\s*complaint about message from\b/i.test(subject)) return undefined;
  return str(header('x-hmxmroriginalrecipient')) ?? quotedTo;
}
