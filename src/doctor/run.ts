import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { configFilePath, loadConfig, readEnv } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { checkSendingDomain } from './dns-checks.js';
import { checkBounceMailbox } from './mailbox.js';
import { checkRelay } from './relay.js';
import { createDnsLookup } from './resolver.js';
import { checkDkimKey, checkSecret, checkSender, checkTemplates, checkUnsubscribeUrl, exampleSecretsIn } from './settings.js';
import { checkStore } from './store.js';
import { fail, ok, type CheckResult } from './types.js';

export interface DoctorOptions {
  configFlag: string | undefined;
  /** A relay from config `relays` instead of SMTP_URL, as `worker --relay` takes it. */
  relay?: string | undefined;
  /** The bounce mailbox, as `bounces ingest --imap` takes it. */
  imap?: string | undefined;
  /** Per network conversation (relay, store, mailbox). */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Every check, in the order a new user would fix things: the config, then what this machine
 * holds (secret, templates, DKIM key, store), then the network (relay, mailbox, DNS). Nothing is
 * changed anywhere: no store is created or migrated, no message is sent.
 */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const processEnv = options.env ?? process.env;
  const path = configFilePath(options.configFlag);
  const shown = relative(process.cwd(), path) || path;
  let config: Config;
  try {
    config = loadConfig(options.configFlag);
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    const missing = !existsSync(path);
    return [fail('config', missing ? `no config file at ${shown}` : err.message, missing ? 'run `pressline init` to create one' : 'fix the key named, see config/pressline.example.json')];
  }
  const env = readEnv(processEnv);
  const results: CheckResult[] = [ok('config', `${shown} is valid`)];
  results.push(checkSender(config));
  results.push(checkSecret(config, env, exampleSecretsIn(resolve('.env.example'))));
  results.push(await checkTemplates(config));
  const dkim = checkDkimKey(config);
  results.push(dkim.result);
  results.push(checkUnsubscribeUrl(config));
  results.push(await checkStore(config, env, options.timeoutMs));
  const relay = await checkRelay(config, env, options.relay, options.timeoutMs);
  results.push(...relay.results);
  results.push(await checkBounceMailbox(options.imap, processEnv.PRESSLINE_IMAP_PASSWORD, options.timeoutMs));
  let dns;
  try {
    dns = createDnsLookup(config, processEnv);
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    return [...results, fail('dns', err.message)];
  }
  results.push(...(await checkSendingDomain({ config, dns, relay: relay.target, dkimPublicKey: dkim.publicKey })));
  return results;
}
