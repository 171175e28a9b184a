import { createVerify, X509Certificate } from 'node:crypto';
import { applyBounceEvent, logApplied } from '../bounces/apply.js';
import type { ApplyResult, BounceEvent, BounceKind } from '../bounces/types.js';
import { HttpError } from './body.js';
import { json, text, type Handler } from './context.js';

/** Where SES reports say they came from (BounceEvent.source, rememberWebhook provider). */
export const SES_SOURCE = 'ses';
const MAX_AGE_MS = 60 * 60 * 1000;
const MAX_SKEW_MS = 5 * 60 * 1000;
const RAW_LIMIT = 64 * 1024;
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** The fields of an SNS HTTP(S) delivery that matter here. */
export interface SnsMessage {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
}

const SIGNED_KEYS: Record<string, (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** Whether a URL is an https URL on an SNS endpoint (for certificates and SubscribeURLs). */
export function isSnsUrl(value: string, pem = false): boolean {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.port === '' && !u.username && !u.password && SNS_HOST.test(u.hostname) && (!pem || u.pathname.endsWith('.pem'));
}

/** The text SNS signs: "Key\nValue\n" for each signed key present, in this fixed order. */
export function snsStringToSign(m: SnsMessage): string {
  const keys = SIGNED_KEYS[m.Type];
  if (!keys) throw new HttpError(400, `unknown SNS message type ${JSON.stringify(m.Type)}`);
  let out = '';
  for (const key of keys) {
    const value = m[key];
    if (value === undefined) {
      if (key === 'Subject') continue;
      throw new HttpError(400, `SNS message lacks ${key}`);
    }
    out += `${key}\n${value}\n`;
  }
  return out;
}

/** Checks the SNS signature (version 1 = SHA1withRSA, 2 = SHA256withRSA) against the certificate. */
export function verifySnsSignature(m: SnsMessage, certPem: string): boolean {
  const algorithm = m.SignatureVersion === '1' ? 'RSA-SHA1' : m.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
  if (!algorithm) return false;
  let key;
  try {
    key = new X509Certificate(certPem).publicKey;
  } catch {
    throw new HttpError(502, 'the SNS signing certificate could not be read', 'SigningCertURL did not return a PEM certificate');
  }
  return createVerify(algorithm).update(snsStringToSign(m), 'utf8').verify(key, m.Signature, 'base64');
}

function parseSns(body: Buffer): SnsMessage {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON (expected an SNS message)');
  }
  const v = value as Record<string, unknown>;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'body is not an SNS message');
  for (const key of ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL']) {
    if (typeof v[key] !== 'string') throw new HttpError(400, `SNS message lacks ${key}`);
  }
  for (const key of ['Subject', 'Token', 'SubscribeURL']) {
    if (v[key] !== undefined && v[key] !== null && typeof v[key] !== 'string') throw new HttpError(400, `SNS message has a malformed ${key}`);
  }
  return { ...(v as unknown as SnsMessage), Subject: (v.Subject as string | null) ?? undefined };
}

type Obj = Record<string, any>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** The VERP token in an envelope sender `<local>+<token>@domain`, if any. */
export function verpTokenFrom(source: unknown): string | undefined {
  const s = str(source)?.replace(/^.*<|>.*$/g, '');
  return s ? /^[^@]*\+([^+@]+)@/.exec(s)?.[1] : undefined;
}

function originalMessageId(mail: Obj | undefined): string | undefined {
  const common = str(mail?.commonHeaders?.messageId);
  if (common) return common;
  if (Array.isArray(mail?.headers)) {
    for (const h of mail!.headers as Obj[]) if (String(h?.name).toLowerCase() === 'message-id' && str(h.value)) return str(h.value);
  }
  return undefined;
}

const BOUNCE_TYPE: Record<string, BounceKind> = { Permanent: 'hard', Transient: 'soft', Undetermined: 'soft' };

/**
 * The BounceEvents in one SES notification (the SNS Message, parsed): one per bounced,
 * complaining or delivered recipient, or a reason it carries none.
 */
export function sesEvents(message: unknown, meta: { reportId: string; raw: string; receivedAt: Date }): BounceEvent[] | { ignored: string } {
  const m = message as Obj;
  if (!m || typeof m !== 'object') return { ignored: 'SES message is not an object' };
  const type = str(m.notificationType) ?? str(m.eventType);
  const mail = m.mail as Obj | undefined;
  const base = {
    source: SES_SOURCE,
    reportId: meta.reportId,
    verpToken: verpTokenFrom(mail?.source),
    originalMessageId: originalMessageId(mail),
    raw: meta.raw,
    receivedAt: meta.receivedAt,
  };
  switch (type) {
    case 'Bounce': {
      const kind = BOUNCE_TYPE[String(m.bounce?.bounceType)] ?? 'soft';
      const list: Obj[] = Array.isArray(m.bounce?.bouncedRecipients) ? m.bounce.bouncedRecipients : [];
      const mta = str(m.bounce?.remoteMtaIp) ?? str(m.bounce?.reportingMTA);
      const sub = str(m.bounce?.bounceSubType);
      return list.map((r) => ({
        ...base,
        kind,
        recipient: str(r?.emailAddress),
        status: str(r?.status),
        diagnostic: str(r?.diagnosticCode) ?? (sub ? `SES ${m.bounce.bounceType}/${sub}` : undefined),
        remoteMta: mta,
      }));
    }
    case 'Complaint': {
      const list: Obj[] = Array.isArray(m.complaint?.complainedRecipients) ? m.complaint.complainedRecipients : [];
      const feedback = str(m.complaint?.complaintFeedbackType);
      return list.map((r) => ({ ...base, kind: 'complaint' as const, recipient: str(r?.emailAddress), status: undefined, diagnostic: feedback ? `complaint: ${feedback}` : 'complaint' }));
    }
    case 'Delivery': {
      const list: unknown[] = Array.isArray(m.delivery?.recipients) ? m.delivery.recipients : [];
      return list.map((r) => ({
        ...base,
        kind: 'delivered' as const,
        recipient: str(r),
        status: undefined,
        diagnostic: str(m.delivery?.smtpResponse),
        remoteMta: str(m.delivery?.reportingMTA),
      }));
    }
    default:
      return { ignored: `SES ${type ?? 'message without notificationType'} is not a bounce, complaint or delivery` };
  }
}

function tally(results: ApplyResult[]): Record<string, number> {
  const out: Record<string, number> = { applied: 0, duplicate: 0, unattributed: 0, ignored: 0 };
  for (const r of results) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

/**
 * POST /webhooks/ses: an SNS delivery of SES notifications. Accepted only from an allowed topic,
 * with a valid SNS signature from an SNS-hosted certificate, recent, and never twice.
 */
export const sesWebhook: Handler = async (ctx) => {
  const body = await ctx.body();
  if (ctx.settings.sesTopicArns.length === 0) {
    ctx.log.warn('SES webhook refused: set PRESSLINE_SES_TOPIC_ARNS to the SNS topic ARN(s) that deliver your SES notifications (comma-separated)');
    return text(403, 'SES notifications are not enabled on this server');
  }
  const m = parseSns(body);
  ctx.note({ snsType: m.Type, snsMessageId: m.MessageId, topic: m.TopicArn });
  const headerType = ctx.req.headers['x-amz-sns-message-type'];
  if (headerType !== undefined && headerType !== m.Type) throw new HttpError(400, 'x-amz-sns-message-type does not match the body');
  if (!SIGNED_KEYS[m.Type]) throw new HttpError(400, `unknown SNS message type ${JSON.stringify(m.Type)}`);
  if (!isSnsUrl(m.SigningCertURL, true)) throw new HttpError(400, 'SigningCertURL is not an https .pem URL on an SNS endpoint', `SigningCertURL ${m.SigningCertURL}`);
  if (!ctx.settings.sesTopicArns.includes(m.TopicArn)) throw new HttpError(403, 'topic not accepted', 'TopicArn is not in PRESSLINE_SES_TOPIC_ARNS');

  const now = ctx.app.clock.now();
  const at = Date.parse(m.Timestamp);
  if (!Number.isFinite(at)) throw new HttpError(400, 'Timestamp is not a date');
  if (now.getTime() - at > MAX_AGE_MS) throw new HttpError(403, 'message too old', `Timestamp ${m.Timestamp} is more than an hour old (replay?)`);
  if (at - now.getTime() > MAX_SKEW_MS) throw new HttpError(403, 'message from the future', `Timestamp ${m.Timestamp} is ahead of this clock by more than 5 minutes`);

  let pem: string;
  try {
    pem = await ctx.fetchCert(m.SigningCertURL);
  } catch (err) {
    // 5xx: SNS retries later, when the certificate may be reachable again.
    throw new HttpError(503, 'could not fetch the SNS signing certificate', `certificate fetch failed: ${(err as Error).message}`);
  }
  if (!verifySnsSignature(m, pem)) throw new HttpError(403, 'signature does not verify', 'SNS signature check failed');

  if (!(await ctx.app.store.rememberWebhook(SES_SOURCE, m.MessageId, now))) {
    ctx.note({ replay: true });
    ctx.log.info({ snsMessageId: m.MessageId }, 'SES: this SNS MessageId was processed before; ignored');
    return json(200, { replay: true });
  }

  if (m.Type === 'SubscriptionConfirmation') {
    ctx.log.warn({ topic: m.TopicArn, subscribeUrl: m.SubscribeURL }, ctx.settings.sesAutoConfirm
      ? 'SES: SNS subscription confirmation received; confirming (PRESSLINE_SES_AUTO_CONFIRM=1)'
      : 'SES: SNS subscription confirmation received; to confirm, open the subscribeUrl (or set PRESSLINE_SES_AUTO_CONFIRM=1)');
    if (ctx.settings.sesAutoConfirm) {
      if (!m.SubscribeURL || !isSnsUrl(m.SubscribeURL)) throw new HttpError(400, 'SubscribeURL is not an https URL on an SNS endpoint');
      try {
        await ctx.fetchUrl(m.SubscribeURL);
      } catch (err) {
        throw new HttpError(502, 'could not confirm the subscription', `SubscribeURL fetch failed: ${(err as Error).message}`);
      }
      return json(200, { confirmed: true });
    }
    return json(200, { confirmed: false });
  }
  if (m.Type === 'UnsubscribeConfirmation') {
    ctx.log.warn({ topic: m.TopicArn }, 'SES: the SNS topic unsubscribed this endpoint; no more SES notifications will arrive');
    return json(200, {});
  }

  let message: unknown;
  try {
    message = JSON.parse(m.Message);
  } catch {
    ctx.note({ ignored: 'Message is not JSON' });
    return json(200, { ignored: 'Message is not JSON' });
  }
  const raw = body.toString('utf8').trim().slice(0, RAW_LIMIT);
  const events = sesEvents(message, { reportId: m.MessageId, raw, receivedAt: now });
  if (!Array.isArray(events)) {
    ctx.note({ ignored: events.ignored });
    return json(200, events);
  }
  const results: ApplyResult[] = [];
  for (const e of events) results.push(await applyBounceEvent(ctx.app, e));
  await logApplied(ctx.app, results);
  const counts = tally(results);
  ctx.note({ kinds: [...new Set(events.map((e) => e.kind))], ...counts });
  return json(200, counts);
};
