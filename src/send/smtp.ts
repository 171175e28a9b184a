import nodemailer, { type TransportOptions } from 'nodemailer';
import type { DkimKey } from './dkim-sign.js';
import type { Env } from '../config/load.js';
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

/**
 * Throws CONFIG_INVALID unless `url` is smtp:// or smtps:// with a host; `source` names the
 * variable it came from. nodemailer would otherwise try localhost or fail at the first message.
 */
export function checkSmtpUrl(url: string, source = 'SMTP_URL'): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PresslineError('CONFIG_INVALID', `${source} is not a URL; write it as smtp://user:pass@host:587 or smtps://host:465`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new PresslineError('CONFIG_INVALID', `${source} starts with ${u.protocol}// but pressline speaks only smtp:// (STARTTLS when offered) or smtps:// (TLS); write it as smtp://user:pass@host:587 or smtps://host:465`);
  }
  if (!u.hostname) throw new PresslineError('CONFIG_INVALID', `${source} names no host; write it as smtp://user:pass@host:587 or smtps://host:465`);
}

/** A relay from config `relays`: its URL (checked) from the environment variable the config names. */
export function resolveRelay(config: Config, env: Env, name: string): { url: string; urlEnv: string; localAddress: string | undefined } {
  const relay = config.relays[name];
  if (!relay) {
    const known = Object.keys(config.relays);
    throw new PresslineError('CONFIG_INVALID', `no relay "${name}" in config \`relays\`${known.length ? ` (known: ${known.join(', ')})` : ''}`, { file: 'config', field: `relays.${name}` });
  }
  const url = (env.vars ?? process.env)[relay.urlEnv]?.trim();
  if (!url) throw new PresslineError('CONFIG_INVALID', `relay "${name}" takes its URL from ${relay.urlEnv}, which is not set in the environment or .env`, { file: 'config', field: `relays.${name}.urlEnv` });
  checkSmtpUrl(url, relay.urlEnv);
  return { url, urlEnv: relay.urlEnv, localAddress: relay.localAddress };
}

/** Pooled SMTP through nodemailer; connection count and lifetimes from config. */
export function createSmtpTransport(url: string, config: Config, dkim?: DkimKey, options: { localAddress?: string | undefined; urlEnv?: string } = {}): Transport {
  checkSmtpUrl(url, options.urlEnv);
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
    async probe() {
      await mailer.verify();
    },
    async close() {
      mailer.close();
    },
  };
}
