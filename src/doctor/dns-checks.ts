import type { KeyObject } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { RelayTarget } from './relay.js';
import type { DnsLookup } from './resolver.js';
import { evaluateSpf } from './spf.js';
import { domainOf, fail, ok, organisationalDomain, skip, warn, type CheckResult } from './types.js';

/*
 * The sending domain as Gmail's and Yahoo's bulk-sender rules (2024) look at it: SPF for the
 * envelope (bounce) domain covering the relay, a DKIM key in DNS matching ours, a DMARC record,
 * and From aligned with the DKIM domain and the envelope domain.
 */

export interface DnsCheckInput {
  config: Config;
  dns: DnsLookup;
  relay: RelayTarget | undefined;
  dkimPublicKey: KeyObject | undefined;
}

export async function checkSendingDomain(input: DnsCheckInput): Promise<CheckResult[]> {
  const { config } = input;
  if (!config.from) return [skip('dns', 'no sender address, so no sending domain to look up (see from)')];
  const fromDomain = domainOf(config.from.address);
  const envelopeDomain = (config.bounces.domain ?? fromDomain).toLowerCase();
  const asked = (id: string, run: () => Promise<CheckResult>) =>
    run().catch((err: NodeJS.ErrnoException) =>
      fail(id, `could not ask ${input.dns.server}: ${err.code ?? err.message}`, 'check the network, or set doctor.dnsServer / PRESSLINE_DNS_SERVER to a resolver that answers'),
    );
  return [
    await asked('dns.spf', () => checkSpf(input, envelopeDomain)),
    await asked('dns.dkim', () => checkDkimRecord(input)),
    await asked('dns.dmarc', () => checkDmarc(input.dns, fromDomain)),
    ...checkAlignment(config, fromDomain, envelopeDomain),
  ];
}

async function checkSpf({ dns, relay }: DnsCheckInput, domain: string): Promise<CheckResult> {
  const addFix = `publish one TXT record at ${domain}: "v=spf1 ${relay ? 'ip4:<relay address> ' : ''}include:<your provider's SPF domain> -all"`;
  if (!relay) {
    const verdict = await evaluateSpf(dns, domain, '0.0.0.0');
    if (verdict.result === 'none') return fail('dns.spf', `no SPF record at ${domain} (the envelope domain)`, addFix);
    if (verdict.result === 'permerror') return fail('dns.spf', verdict.reason, addFix);
    return warn('dns.spf', `SPF record at ${domain}: ${verdict.record}; not checked against a relay (no SMTP_URL)`, 'set SMTP_URL and run doctor again');
  }
  const addresses = await dns.addresses(relay.host);
  if (addresses.length === 0) return fail('dns.spf', `the relay host ${relay.host} has no address in DNS`, `check the host name in ${relay.source}`);
  const misses: string[] = [];
  let record: string | undefined;
  for (const ip of addresses) {
    const verdict = await evaluateSpf(dns, domain, ip);
    if (verdict.result === 'none') return fail('dns.spf', `no SPF record at ${domain} (the envelope domain)`, addFix);
    if (verdict.result === 'permerror') return fail('dns.spf', verdict.reason, addFix);
    record = verdict.record;
    if (verdict.result !== 'pass') misses.push(`${ip} (${verdict.result}: ${verdict.reason})`);
  }
  if (misses.length > 0) {
    return fail('dns.spf', `SPF at ${domain} ("${record}") does not cover the relay ${relay.host}: ${misses.join(', ')}`, `add ip4:/ip6: for the relay's address, or include: the relay provider's SPF, to the record at ${domain}`);
  }
  return ok('dns.spf', `SPF at ${domain} covers the relay ${relay.host} (${addresses.join(', ')})`);
}

/** DKIM tag list "v=DKIM1; k=rsa; p=MIIB…" → tags (values with whitespace removed, RFC 6376 3.6.1). */
function dkimTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}

/** The p= value a DKIM record for this key must carry: SPKI DER for RSA, the raw 32 bytes for Ed25519 (RFC 8463). */
function dkimPublicValue(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return (key.asymmetricKeyType === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
}

async function checkDkimRecord({ config, dns, dkimPublicKey }: DnsCheckInput): Promise<CheckResult> {
  if (!config.dkim) return skip('dns.dkim', 'no DKIM configured, so no selector to look up (see dkim.key)');
  if (!dkimPublicKey) return skip('dns.dkim', 'the DKIM key could not be read (see dkim.key)');
  const name = `${config.dkim.keySelector}._domainkey.${config.dkim.domainName}`;
  const expected = dkimPublicValue(dkimPublicKey);
  const publish = `publish a TXT record at ${name}: "v=DKIM1; k=${dkimPublicKey.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa'}; p=${expected}"`;
  const records = (await dns.txt(name)).filter((t) => dkimTags(t).has('p'));
  if (records.length === 0) return fail('dns.dkim', `no DKIM key in DNS at ${name}`, publish);
  if (records.length > 1) return fail('dns.dkim', `${records.length} DKIM records at ${name}; receivers pick one at random`, `keep one: ${publish}`);
  const published = dkimTags(records[0]!).get('p')!;
  if (published === '') return fail('dns.dkim', `the DKIM key at ${name} is revoked (empty p=)`, publish);
  if (published !== expected) {
    return fail('dns.dkim', `the DKIM key at ${name} is not the public half of ${config.dkim.privateKeyFile}, so every signature fails`, `${publish} (or point dkim.privateKeyFile at the key that record belongs to)`);
  }
  return ok('dns.dkim', `the DKIM key at ${name} matches ${config.dkim.privateKeyFile}`);
}

async function checkDmarc(dns: DnsLookup, fromDomain: string): Promise<CheckResult> {
  const publish = `publish a TXT record at _dmarc.${organisationalDomain(fromDomain)}: "v=DMARC1; p=none; rua=mailto:dmarc@${organisationalDomain(fromDomain)}" (p=none is enough to start)`;
  // Receivers look at the From domain, then at its organisational domain (RFC 7489 6.6.3).
  for (const domain of [...new Set([fromDomain, organisationalDomain(fromDomain)])]) {
    const records = (await dns.txt(`_dmarc.${domain}`)).filter((t) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(t.trim()));
    if (records.length === 0) continue;
    if (records.length > 1) return fail('dns.dmarc', `${records.length} DMARC records at _dmarc.${domain}; receivers then ignore all of them`, 'keep one');
    const policy = /(?:^|;)\s*p\s*=\s*([a-z]+)/i.exec(records[0]!)?.[1]?.toLowerCase();
    if (!policy || !['none', 'quarantine', 'reject'].includes(policy)) {
      return fail('dns.dmarc', `the DMARC record at _dmarc.${domain} has no valid p= policy: "${records[0]}"`, 'add p=none, p=quarantine or p=reject');
    }
    return ok('dns.dmarc', `DMARC at _dmarc.${domain}: p=${policy}`);
  }
  return fail('dns.dmarc', `no DMARC record for ${fromDomain}`, publish);
}

/**
 * DMARC passes when From aligns (same organisational domain) with the DKIM d= domain or with the
 * envelope domain SPF checked. One aligned is enough to pass, so the other is then a warning.
 */
function checkAlignment(config: Config, fromDomain: string, envelopeDomain: string): CheckResult[] {
  const org = organisationalDomain(fromDomain);
  const dkimDomain = config.dkim?.domainName.toLowerCase();
  const dkimAligned = dkimDomain !== undefined && organisationalDomain(dkimDomain) === org;
  const envelopeAligned = organisationalDomain(envelopeDomain) === org;
  const neither = !dkimAligned && !envelopeAligned;
  const bad = neither ? fail : warn;
  const results: CheckResult[] = [];
  if (dkimDomain === undefined) results.push(bad('align.dkim', `From (${fromDomain}) has no DKIM signature to align with`, 'configure dkim with domainName in the From domain'));
  else if (dkimAligned) results.push(ok('align.dkim', `From (${fromDomain}) aligns with the DKIM domain ${dkimDomain}`));
  else results.push(bad('align.dkim', `From (${fromDomain}) does not align with the DKIM domain ${dkimDomain}`, `sign with dkim.domainName under ${org}`));
  if (envelopeAligned) results.push(ok('align.envelope', `From (${fromDomain}) aligns with the envelope (bounce) domain ${envelopeDomain}`));
  else results.push(bad('align.envelope', `From (${fromDomain}) does not align with the envelope (bounce) domain ${envelopeDomain}`, `use a bounces.domain under ${org}, e.g. bounces.${org}`));
  return results;
}
