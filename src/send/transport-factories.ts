import { join } from 'node:path';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { readDkimKey } from './dkim.js';
import { dkimOptions } from './nodemailer-adapter.js';
import { createOutboxTransport } from './outbox.js';
import { createSmtpTransport, resolveRelay } from './smtp.js';
import type { Transport } from './transport.js';

/** The DKIM key read (and parsed) from the file config names (undefined when signing is off). */
function readDkim(config: Config) {
  return dkimOptions(config, readDkimKey);
}

/** SMTP when SMTP_URL is set, otherwise the outbox folder for this campaign (`tests` for test sends). */
export function defaultTransport(config: Config, env: Env, campaignId: number | 'tests'): Transport {
  const dkim = readDkim(config);
  if (env.smtpUrl) return createSmtpTransport(env.smtpUrl, config, dkim);
  return createOutboxTransport(join(config.paths.outbox, String(campaignId)), dkim);
}

/** A relay from config `relays`: its URL from the environment variable the config names. */
export function relayTransport(config: Config, env: Env, name: string): Transport {
  const relay = resolveRelay(config, env, name);
  const transport = createSmtpTransport(relay.url, config, readDkim(config), { localAddress: relay.localAddress, urlEnv: relay.urlEnv });
  return { name: `${name} ${transport.name}`, send: (mail) => transport.send(mail), probe: () => transport.probe!(), close: () => transport.close() };
}
