import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { checkSmtpUrl, describeSmtpUrl, resolveRelay } from '../send/smtp.js';
import { probeSmtp, SmtpProbeError } from './smtp-probe.js';
import { fail, ok, warn, type CheckResult } from './types.js';

/** The relay a send from this machine would use, parsed; undefined without one (the outbox). */
export interface RelayTarget {
  url: string;
  /** Where the URL came from (SMTP_URL, or a relay's variable). */
  source: string;
  host: string;
  port: number;
  implicitTls: boolean;
  user: string | undefined;
  pass: string | undefined;
  /** The source address a worker on this relay connects from (config `relays.<name>.localAddress`). */
  localAddress: string | undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** SMTP_URL, or the URL of `--relay <name>` from config `relays`; throws a one-line PresslineError on a bad URL. */
export function relayTarget(config: Config, env: Env, relayName?: string): RelayTarget | undefined {
  let url: string | undefined;
  let source = 'SMTP_URL';
  let localAddress: string | undefined;
  if (relayName !== undefined) {
    const r = resolveRelay(config, env, relayName);
    url = r.url;
    source = r.urlEnv;
    localAddress = r.localAddress;
  } else if (env.smtpUrl) {
    url = env.smtpUrl;
    checkSmtpUrl(url);
  }
  if (!url) return undefined;
  const u = new URL(url);
  const implicitTls = u.protocol === 'smtps:';
  return {
    url,
    source,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : implicitTls ? 465 : 587,
    implicitTls,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    pass: u.password ? decodeURIComponent(u.password) : undefined,
    localAddress,
  };
}

/**
 * One SMTP conversation with the relay: reachable, EHLO answered, TLS (STARTTLS offered and used,
 * or smtps), AUTH accepted when the URL carries credentials. Several lines, one per finding.
 */
export async function checkRelay(config: Config, env: Env, relayName: string | undefined, timeoutMs: number): Promise<{ results: CheckResult[]; target?: RelayTarget }> {
  let target: RelayTarget | undefined;
  try {
    target = relayTarget(config, env, relayName);
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    return { results: [fail('relay', err.message)] };
  }
  if (!target) {
    return {
      results: [
        warn('relay', `no SMTP_URL: messages are written to the outbox folder (${config.paths.outbox}), nothing is sent`, 'set SMTP_URL=smtp://user:pass@relay:587 in .env before a real send'),
      ],
    };
  }
  const name = describeSmtpUrl(target.url);
  try {
    const probe = await probeSmtp({ ...target, timeoutMs });
    const results: CheckResult[] = [ok('relay', `${name} (${target.source}) answers EHLO: ${probe.greeting.slice(0, 80)}`)];
    results.push(tlsResult(target, probe.tls, name));
    if (target.user === undefined) {
      results.push(ok('relay.auth', `no credentials in ${target.source}; the relay ${probe.authMechanisms.length ? `offers AUTH ${probe.authMechanisms.join(' ')} but ` : ''}is used without logging in`));
    } else if (probe.auth === 'ok') {
      results.push(ok('relay.auth', `logged in as ${target.user}`));
    } else if (probe.auth === 'not-offered') {
      results.push(fail('relay.auth', `${target.source} carries credentials but ${name} offers no AUTH${probe.tls === 'none' ? ' (many relays offer it only after STARTTLS)' : ''}`, 'check the port (587 for submission) and the relay settings'));
    } else {
      results.push(fail('relay.auth', `${name} refused the login for ${target.user}: ${probe.authReply ?? ''}`.trim(), `fix the user name or password in ${target.source}`));
    }
    return { results, target };
  } catch (err) {
    if (!(err instanceof SmtpProbeError)) throw err;
    return { results: [fail('relay', `${name} (${target.source}): ${err.step} failed: ${err.message}`, `check the host and port in ${target.source}, and that this machine may connect to it`)], target };
  }
}

function tlsResult(target: RelayTarget, tls: 'implicit' | 'starttls' | 'none', name: string): CheckResult {
  if (tls === 'implicit') return ok('relay.tls', `TLS from the start (smtps), certificate valid for ${target.host}`);
  if (tls === 'starttls') return ok('relay.tls', `STARTTLS offered and used, certificate valid for ${target.host}`);
  if (LOOPBACK.test(target.host)) return ok('relay.tls', `no STARTTLS on ${name}; fine for a relay on this machine`);
  return fail('relay.tls', `${name} does not offer STARTTLS: messages${target.user !== undefined ? ' and the password' : ''} would cross the network unencrypted`, 'use the relay\'s submission port (587) with STARTTLS, or smtps://host:465');
}
