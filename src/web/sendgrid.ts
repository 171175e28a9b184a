import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { applyBounceEvent, logApplied } from '../bounces/apply.js';
import { classifyStatus } from '../bounces/classify.js';
import type { ApplyResult, BounceEvent, BounceKind } from '../bounces/types.js';
import { PresslineError } from '../errors.js';
import { HttpError } from './body.js';
import { json, text, type Handler } from './context.js';

/** Where SendGrid reports say they came from (BounceEvent.source, rememberWebhook provider). */
export const SENDGRID_SOURCE = 'sendgrid';
export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
const MAX_AGE_MS = 10 * 60 * 1000;
const MAX_SKEW_MS = 5 * 60 * 1000;
const RAW_LIMIT = 16 * 1024;

/** The verification key from PRESSLINE_SENDGRID_PUBLIC_KEY (base64 DER SPKI, or PEM). */
export function parseSendgridKey(value: string): KeyObject {
  try {
    const key = value.includes('-----BEGIN')
      ? createPublicKey(value)
      : createPublicKey({ key: Buffer.from(value.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec') throw new Error(`a ${key.asymmetricKeyType} key, not an EC (P-256) key`);
    return key;
  } catch (err) {
    throw new PresslineError('CONFIG_INVALID', `PRESSLINE_SENDGRID_PUBLIC_KEY is not a usable public key (${(err as Error).message}); copy the "Verification Key" from SendGrid's Mail Settings › Signed Event Webhook`);
  }
}

/** Whether `signature` (base64 DER ECDSA/SHA-256) signs timestamp + raw body bytes. */
export function verifySendgridSignature(key: KeyObject, timestamp: string, body: Buffer, signature: string): boolean {
  try {
    return verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

type Obj = Record<string, any>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * SendGrid `bounce` events: `blocked` is a policy block; otherwise the enhanced status decides, by
 * the rule bounce reports follow (classifyStatus), and anything it does not call hard or policy
 * is soft: a 5.1.7 (our sender address) never suppresses the recipient.
 */
export function classifyBounce(type: string | undefined, status: string | undefined): BounceKind {
  if (type === 'blocked') return 'policy';
  const kind = status ? classifyStatus(status) : undefined;
  return kind === 'hard' || kind === 'policy' ? kind : 'soft';
}

const SUPPRESSION_DROPS = new Set(['Bounced Address', 'Unsubscribed Address', 'Spam Reporting Address']);

/** The stable id of an event: its sg_event_id, or a digest of it when SendGrid sent none. */
export function eventId(e: Obj): string {
  return str(e.sg_event_id) ?? `sha256:${createHash('sha256').update(JSON.stringify(e)).digest('hex').slice(0, 32)}`;
}

/** One SendGrid event as a BounceEvent, or why it carries nothing to apply. */
export function sendgridEvent(e: Obj, receivedAt: Date): BounceEvent | { ignored: string } {
  const name = str(e?.event);
  let kind: BounceKind;
  switch (name) {
    case 'bounce':
      kind = classifyBounce(str(e.type), str(e.status));
      break;
    case 'deferred':
      kind = 'delay';
      break;
    case 'spamreport':
      kind = 'complaint';
      break;
    case 'unsubscribe':
    case 'group_unsubscribe':
      kind = 'unsubscribe';
      break;
    case 'delivered':
      kind = 'delivered';
      break;
    case 'dropped':
      return {
        ignored: SUPPRESSION_DROPS.has(str(e.reason) ?? '')
          ? `dropped by SendGrid's own suppression list (${e.reason})`
          : `dropped by SendGrid: ${str(e.reason) ?? 'no reason given'}`,
      };
    default:
      return { ignored: `event ${name ?? '(none)'} is not tracked` };
  }
  return {
    kind,
    source: SENDGRID_SOURCE,
    reportId: eventId(e),
    recipient: str(e.email),
    verpToken: undefined,
    originalMessageId: str(e['smtp-id']),
    status: str(e.status),
    diagnostic: str(e.reason) ?? str(e.response),
    remoteMta: str(e.ip),
    raw: JSON.stringify(e).slice(0, RAW_LIMIT),
    receivedAt,
  };
}

/**
 * POST /webhooks/sendgrid: SendGrid's signed Event Webhook. Accepted only with a valid ECDSA
 * signature over timestamp + body, a timestamp within 10 minutes, and each event id only once.
 */
export function sendgridWebhook(key: KeyObject | undefined): Handler {
  return async (ctx) => {
    const body = await ctx.body();
    if (!key) {
      ctx.log.warn('SendGrid webhook refused: set PRESSLINE_SENDGRID_PUBLIC_KEY to the Signed Event Webhook verification key');
      return text(403, 'SendGrid events are not enabled on this server');
    }
    const signature = ctx.req.headers[SIGNATURE_HEADER];
    const timestamp = ctx.req.headers[TIMESTAMP_HEADER];
    if (typeof signature !== 'string' || typeof timestamp !== 'string' || !signature || !timestamp) {
      throw new HttpError(401, 'unsigned: X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required', 'no signature headers');
    }
    if (!verifySendgridSignature(key, timestamp, body, signature)) throw new HttpError(401, 'signature does not verify', 'SendGrid signature check failed');
    const now = ctx.app.clock.now();
    const at = /^\d{1,12}$/.test(timestamp.trim()) ? Number(timestamp.trim()) * 1000 : NaN;
    if (!Number.isFinite(at)) throw new HttpError(401, 'timestamp is not a Unix time');
    if (now.getTime() - at > MAX_AGE_MS) throw new HttpError(401, 'timestamp too old', `timestamp ${timestamp} is more than 10 minutes old (replay?)`);
    if (at - now.getTime() > MAX_SKEW_MS) throw new HttpError(401, 'timestamp in the future', `timestamp ${timestamp} is ahead of this clock by more than 5 minutes`);

    let events: unknown;
    try {
      events = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    if (!Array.isArray(events)) throw new HttpError(400, 'body is not a JSON array of events');

    const counts: Record<string, number> = { applied: 0, duplicate: 0, unattributed: 0, ignored: 0, replay: 0 };
    const results: ApplyResult[] = [];
    for (const e of events as Obj[]) {
      if (!e || typeof e !== 'object') {
        counts.ignored!++;
        continue;
      }
      const id = eventId(e);
      if (!(await ctx.app.store.rememberWebhook(SENDGRID_SOURCE, id, now))) {
        counts.replay!++;
        ctx.log.info({ sgEventId: id, event: e.event }, 'SendGrid: this event was processed before; ignored');
        continue;
      }
      const mapped = sendgridEvent(e, now);
      if ('ignored' in mapped) {
        counts.ignored!++;
        if (e.event === 'dropped') ctx.log.info({ sgEventId: id, reason: e.reason }, `SendGrid: ${mapped.ignored}`);
        continue;
      }
      const result: ApplyResult = await applyBounceEvent(ctx.app, mapped);
      results.push(result);
      counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
    }
    await logApplied(ctx.app, results);
    ctx.note({ events: events.length, ...counts });
    return json(200, counts);
  };
}
