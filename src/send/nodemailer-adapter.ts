import { createHash } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import type { DkimKey } from './dkim-sign.js';
import type { Config } from '../config/schema.js';
import { foldedSubject, hasUnfoldableRun } from '../mime/header.js';
import { buildMessage, type OutgoingMail } from '../mime/message.js';
import { parseEnhanced, type SendResult } from './outcome.js';

/**
 * The one place that speaks nodemailer: our message shape → its mail options. Without
 * attachments the message is built by our own MIME builder and handed over as `raw` (nodemailer
 * then only adds the DKIM signature, when configured, and speaks SMTP): its own MIME building was
 * the largest CPU cost per message. With attachments nodemailer builds the message as before.
 */
export function toMailOptions(mail: OutgoingMail): SendMailOptions {
  if (mail.attachments.length === 0) {
    return {
      raw: buildMessage(mail),
      // nodemailer takes MAIL FROM / RCPT TO from here (IDN domains punycoded as before) and
      // reports this Message-ID in its info instead of generating one.
      envelope: mail.envelope,
      messageId: mail.messageId,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
  }
  return composedByNodemailer(mail);
}

/** nodemailer builds the MIME itself: for attachments, and as the reference the tests compare with. */
export function composedByNodemailer(mail: OutgoingMail): SendMailOptions {
  // nodemailer cannot fold a long run without spaces: such a subject goes as buildMessage writes it.
  const ownSubject = hasUnfoldableRun(mail.subject);
  const options: SendMailOptions & { baseBoundary: string } = {
    // Boundaries from the Message-ID (as buildMessage's), not random: the same message gives the
    // same bytes, so a `render` preview with attachments is stable and matches what is sent.
    baseBoundary: createHash('sha256').update(mail.messageId).digest('hex').slice(0, 24),
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo,
    sender: mail.sender,
    ...(ownSubject ? {} : { subject: mail.subject }),
    html: mail.html,
    text: mail.text,
    messageId: mail.messageId,
    date: mail.date,
    headers: ownSubject ? { ...mail.headers, Subject: { prepared: true, value: foldedSubject(mail.subject) } } : mail.headers,
    attachments: mail.attachments,
    envelope: mail.envelope,
    // Never let a path or URL pull files or the network into a message: attachments come as bytes.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  return options;
}

/** The DKIM key and names from our config, or undefined when signing is off (signed by dkim-sign.ts). */
export function dkimOptions(config: Config, readKey: (file: string) => string): DkimKey | undefined {
  if (!config.dkim) return undefined;
  return { domainName: config.dkim.domainName, keySelector: config.dkim.keySelector, privateKey: readKey(config.dkim.privateKeyFile) };
}

interface NodemailerLikeError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** A nodemailer failure as our SendResult: the relay's reply kept word for word. */
export function resultFromError(err: unknown, durationMs: number): SendResult {
  const e = err as NodemailerLikeError;
  const response = (e.response ?? e.message ?? String(err)).trim();
  return {
    accepted: false,
    code: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    enhanced: parseEnhanced(e.response),
    response,
    errorCode: e.code,
    durationMs,
  };
}

export function resultFromReply(response: string, durationMs: number): SendResult {
  const code = Number(/^(\d{3})/.exec(response)?.[1] ?? 250);
  return { accepted: true, code, enhanced: parseEnhanced(response), response: response.trim(), durationMs };
}
