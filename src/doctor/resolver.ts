import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';

/** Answers that mean "no such record" rather than "could not ask". */
const ABSENT = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/** The few lookups the DNS checks make, each `[]` when the name has no such record. */
export interface DnsLookup {
  txt(name: string): Promise<string[]>;
  addresses(name: string): Promise<string[]>;
  mx(name: string): Promise<string[]>;
  /** The server asked, for messages ("the system resolver" when none was configured). */
  server: string;
}

/**
 * The resolver the DNS checks use: PRESSLINE_DNS_SERVER, else config `doctor.dnsServer`, else the
 * system's. A configurable server lets tests answer from loopback and lets an operator check what
 * the public DNS says before a split-horizon resolver's local answers.
 */
export function createDnsLookup(config: Config, env: NodeJS.ProcessEnv = process.env): DnsLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  const configured = env.PRESSLINE_DNS_SERVER?.trim() || config.doctor.dnsServer;
  if (configured) {
    const field = env.PRESSLINE_DNS_SERVER?.trim() ? 'PRESSLINE_DNS_SERVER' : 'doctor.dnsServer';
    try {
      resolver.setServers([configured]);
    } catch {
      throw new PresslineError('CONFIG_INVALID', `${field} is "${configured}", not a DNS server address; write it as 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53`);
    }
  }
  const absentAsEmpty = async <T>(ask: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await ask();
    } catch (err) {
      if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw err;
    }
  };
  return {
    server: configured ?? 'the system resolver',
    txt: (name) => absentAsEmpty(async () => (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''))),
    async addresses(name) {
      if (isIP(name)) return [name];
      const [v4, v6] = await Promise.all([absentAsEmpty(() => resolver.resolve4(name)), absentAsEmpty(() => resolver.resolve6(name))]);
      return [...v4, ...v6];
    },
    mx: (name) => absentAsEmpty(async () => (await resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority).map((m) => m.exchange)),
  };
}
