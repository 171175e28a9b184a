import nodemailer, { type DKIMOptions, type TransportOptions } from 'nodemailer';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { resultFromError, resultFromReply, toMailOptions } from './nodemailer-adapter.js';
import type { SendResult } from './outcome.js';
import type { OutgoingMail, Transport } from './transport.js';
import { watchWholeMessages } from './whole-message.js';

/** Host and port of an SMTP URL with the credentials left out, for logs and plans. */
export function describeSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    throw new PresslineError('CONFIG_INVALID', 'SMTP_URL is not a URL; write it as smtp://user:pass@host:587 or smtps://host:465');
  }
}

/** Pooled SMTP through nodemailer; connection count and lifetimes from config. */
export function createSmtpTransport(url: string, config: Config, dkim?: DKIMOptions, options: { localAddress?: string | undefined } = {}): Transport {
  const name = describeSmtpUrl(url);
  const mailer = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: config.smtp.maxConnections,
    maxMessages: config.smtp.maxMessagesPerConnection,
    connectionTimeout: config.smtp.connectionTimeoutMs,
    greetingTimeout: config.smtp.greetingTimeoutMs,
    socketTimeout: config.smtp.socketTimeoutMs,
    // DKIM signing is done by watchWholeMessages, as the last step before the connection.
    // A worker's own sending IP (config `relays.<name>.localAddress`).
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    // Loopback relays in tests and sinks need no TLS; anything else negotiates STARTTLS when offered.
    logger: false,
  } as TransportOptions);
  const watch = watchWholeMessages(mailer, dkim);
  return {
    name,
    connections: config.smtp.maxConnections,
    async send(mail: OutgoingMail): Promise<SendResult> {
      const started = performance.now();
      const watched = watch(mail.messageId);
      try {
        const info = await mailer.sendMail(toMailOptions(mail));
        return resultFromReply(String(info.response ?? '250'), performance.now() - started);
      } catch (err) {
        return { ...resultFromError(err, performance.now() - started), messageSent: watched.wholeMessageSent() };
      } finally {
        watched.done();
      }
    },
    async close() {
      mailer.close();
    },
  };
}
