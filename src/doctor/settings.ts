import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { compileRelease } from '../render/compile.js';
import type { Release } from '../releases/types.js';
import { readDkimKey } from '../send/dkim.js';
import { fail, ok, warn, type CheckResult } from './types.js';

/** Values that mean "nobody chose a secret": copied from an example, or a word. */
const PLACEHOLDER_SECRETS = new Set(['changeme', 'change-me', 'secret', 'example', 'xxx', 'test', 'pressline']);
const GENERATE = 'run `pressline init --force` in a new folder and copy its PRESSLINE_SECRET, or `openssl rand -hex 32`';

/** PRESSLINE_SECRET: set, long enough, and not a value anyone else has (the example's). */
export function checkSecret(config: Config, env: Env, exampleSecrets: string[]): CheckResult {
  const needed = Boolean(config.unsubscribe.baseUrl || config.bounces.domain);
  const secret = env.secret;
  if (!secret) {
    const why = needed ? 'unsubscribe links and bounce addresses cannot be signed' : 'needed once unsubscribe.baseUrl or bounces.domain is set';
    return (needed ? fail : warn)('secret', `PRESSLINE_SECRET is not set (${why})`, `set it in .env: ${GENERATE}`);
  }
  if (PLACEHOLDER_SECRETS.has(secret.toLowerCase()) || exampleSecrets.includes(secret)) {
    return fail('secret', 'PRESSLINE_SECRET is the example value, so anyone can forge unsubscribe and bounce tokens', `replace it in .env: ${GENERATE}`);
  }
  if (secret.length < 32) return warn('secret', `PRESSLINE_SECRET is only ${secret.length} characters`, `use 32 or more random characters: ${GENERATE}`);
  return ok('secret', `PRESSLINE_SECRET is set (${secret.length} characters)`);
}

/** The PRESSLINE_SECRET values written in an example env file (e.g. .env.example), if any. */
export function exampleSecretsIn(file: string): string[] {
  try {
    return [...readFileSync(file, 'utf8').matchAll(/^\s*PRESSLINE_SECRET\s*=\s*["']?([^"'\s#]+)/gm)].map((m) => m[1]!);
  } catch {
    return [];
  }
}

/** The sender the DNS checks are about; a release may name another, which doctor cannot know. */
export function checkSender(config: Config): CheckResult {
  if (!config.from) return fail('from', 'no sender address in the config', 'run `pressline init`, or set "from": {"name": …, "address": …}');
  if (/(^|\.)example\.(org|com|net)$/i.test(config.from.address.split('@')[1] ?? '')) {
    return warn('from', `the sender is ${config.from.address}, a placeholder domain`, 'set "from" (and "replyTo") to your press office\'s address');
  }
  return ok('from', `sending as ${config.from.name ? `${config.from.name} <${config.from.address}>` : config.from.address}`);
}

/** The layout compiles through MJML with a one-paragraph sample release. */
export async function checkTemplates(config: Config): Promise<CheckResult> {
  const language = config.defaultLanguage;
  const sample: Release = {
    file: 'pressline doctor sample',
    variants: [{ language, file: 'pressline doctor sample', title: 'Sample release', contacts: [], links: [], attachments: [], bodyMarkdown: 'A sample paragraph.', where: {} }],
    attachments: [],
    warnings: [],
  };
  const layout = `${config.templates.dir}/${config.templates.layout}`;
  try {
    await compileRelease(sample, { config, now: new Date() });
    return ok('templates', `${layout} compiles`);
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    return fail('templates', err.message, `fix the template, or point templates.dir / templates.layout at one that compiles`);
  }
}

/** The DKIM key file: readable, a private key, strong enough; its public half for the DNS check. */
export function checkDkimKey(config: Config): { result: CheckResult; publicKey?: KeyObject } {
  if (!config.dkim) {
    return { result: fail('dkim.key', 'no DKIM signing configured; Gmail and Yahoo require DKIM for bulk senders', 'add "dkim": {"domainName", "keySelector", "privateKeyFile"} to the config and publish the public key') };
  }
  try {
    const key = createPrivateKey(readDkimKey(config.dkim.privateKeyFile));
    const bits = key.asymmetricKeyDetails?.modulusLength;
    const publicKey = createPublicKey(key);
    if (key.asymmetricKeyType === 'rsa' && bits !== undefined && bits < 1024) {
      return { result: fail('dkim.key', `the DKIM key is RSA ${bits} bits; receivers ignore keys under 1024`, 'generate a 2048-bit key: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048'), publicKey };
    }
    const what = key.asymmetricKeyType === 'rsa' ? `RSA ${bits} bits` : key.asymmetricKeyType;
    return { result: ok('dkim.key', `${config.dkim.privateKeyFile} holds a private key (${what})`), publicKey };
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    return { result: fail('dkim.key', err.message) };
  }
}

const PRIVATE_NETWORKS = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['169.254.0.0', 16], ['100.64.0.0', 10], ['0.0.0.0', 8]] as const) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::', 128]] as const) list.addSubnet(net, prefix, 'ipv6');
  return list;
})();
/** Names that never resolve for a journalist's mail client (RFC 2606, RFC 6761, common internal ones). */
const NON_PUBLIC_NAME = /(^localhost$|\.(localhost|local|internal|lan|home|corp|test|invalid|example)$|(^|\.)example\.(org|com|net)$)/i;

/** unsubscribe.baseUrl: https on a name journalists' mail clients can reach (one-click unsubscribe, RFC 8058). */
export function checkUnsubscribeUrl(config: Config): CheckResult {
  const base = config.unsubscribe.baseUrl;
  if (!base) {
    return warn('unsubscribe', 'no unsubscribe.baseUrl: messages carry a mailto unsubscribe at most; Gmail and Yahoo require one-click unsubscribe (RFC 8058) from bulk senders', 'set unsubscribe.baseUrl to https://<public host>/u served by `pressline serve`');
  }
  const url = new URL(base);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'https:') return fail('unsubscribe', `unsubscribe.baseUrl is ${url.protocol}//, and mail clients expect https for one-click unsubscribe`, 'serve it over https (behind a TLS proxy) and write https://… in the config');
  const ipType = isIP(host);
  if ((ipType === 4 && PRIVATE_NETWORKS.check(host, 'ipv4')) || (ipType === 6 && PRIVATE_NETWORKS.check(host, 'ipv6')) || (ipType === 0 && (NON_PUBLIC_NAME.test(host) || !host.includes('.')))) {
    return fail('unsubscribe', `unsubscribe.baseUrl points at ${host}, which journalists' mail clients cannot reach`, 'use the public host name that `pressline serve` is reachable at');
  }
  if (ipType !== 0) return warn('unsubscribe', `unsubscribe.baseUrl uses the IP address ${host}; a certificate for a bare address is rare`, 'use a host name');
  return ok('unsubscribe', `one-click unsubscribe links point at https://${host}`);
}
