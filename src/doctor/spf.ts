import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { DnsLookup } from './resolver.js';

/** RFC 7208 results, as far as a doctor needs them. */
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror';

export interface SpfVerdict {
  result: SpfResult;
  /** The record at the top domain, when there is exactly one. */
  record?: string;
  /** Why, when not a plain pass: e.g. "matched -all", "two SPF records". */
  reason: string;
}

/** RFC 7208 4.6.4: at most ten mechanisms that cost a DNS lookup, over the whole evaluation. */
const LOOKUP_LIMIT = 10;
const QUALIFIERS: Record<string, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

/** The `v=spf1` records at `domain` (several is itself an error). */
export async function spfRecords(dns: DnsLookup, domain: string): Promise<string[]> {
  return (await dns.txt(domain)).filter((t) => /^v=spf1(\s|$)/i.test(t.trim()));
}

/**
 * Evaluates `domain`'s SPF policy for a message from `ip`: enough of RFC 7208 (ip4, ip6, a, mx,
 * include, redirect, all) to tell whether the relay is covered. `exists` and `ptr` never match
 * here (macros and reverse DNS are out of scope), which can only make the verdict stricter.
 */
export async function evaluateSpf(dns: DnsLookup, domain: string, ip: string): Promise<SpfVerdict> {
  const budget = { lookups: 0 };
  const records = await spfRecords(dns, domain);
  if (records.length === 0) return { result: 'none', reason: `no SPF record at ${domain}` };
  if (records.length > 1) return { result: 'permerror', reason: `${records.length} SPF records at ${domain} (receivers treat that as an error; merge them into one)` };
  const verdict = await evaluateRecord(dns, domain, records[0]!.trim(), ip, budget, 0);
  return { ...verdict, record: records[0]!.trim() };
}

async function evaluateRecord(dns: DnsLookup, domain: string, record: string, ip: string, budget: { lookups: number }, depth: number): Promise<SpfVerdict> {
  const terms = record.split(/\s+/).slice(1).filter(Boolean);
  let redirect: string | undefined;
  for (const term of terms) {
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (modifier) {
      if (modifier[1]!.toLowerCase() === 'redirect') redirect = modifier[2]!;
      continue;
    }
    const m = /^([+\-~?]?)([a-z0-9]+)(?::([^/]*))?(\/\/?\d+(?:\/\/\d+)?)?$/i.exec(term);
    if (!m) return { result: 'permerror', reason: `"${term}" in ${domain}'s SPF record is not a mechanism` };
    const qualifier = QUALIFIERS[m[1] || '+']!;
    const mechanism = m[2]!.toLowerCase();
    const target = m[3] || domain;
    const [cidr4, cidr6] = prefixes(m[4]);
    if (['include', 'a', 'mx', 'exists', 'ptr'].includes(mechanism) && ++budget.lookups > LOOKUP_LIMIT) {
      return { result: 'permerror', reason: `more than ${LOOKUP_LIMIT} DNS lookups (include, a, mx) in ${domain}'s SPF; receivers give up there` };
    }
    let matched = false;
    switch (mechanism) {
      case 'all':
        matched = true;
        break;
      case 'ip4':
      case 'ip6':
        matched = inNetwork(ip, [m[3] ?? ''], mechanism === 'ip4' ? (m[4] ? Number(m[4].slice(1)) : 32) : m[4] ? Number(m[4].slice(1)) : 128);
        break;
      case 'a':
        matched = inNetworks(ip, await dns.addresses(target), cidr4, cidr6);
        break;
      case 'mx':
        for (const host of (await dns.mx(target)).slice(0, 10)) matched ||= inNetworks(ip, await dns.addresses(host), cidr4, cidr6);
        break;
      case 'include': {
        if (depth >= LOOKUP_LIMIT) return { result: 'permerror', reason: `includes nest too deep under ${domain}` };
        const inner = await spfRecords(dns, target);
        if (inner.length !== 1) return { result: 'permerror', reason: `include:${target} has ${inner.length === 0 ? 'no SPF record' : 'several SPF records'}` };
        const v = await evaluateRecord(dns, target, inner[0]!.trim(), ip, budget, depth + 1);
        if (v.result === 'permerror') return v;
        matched = v.result === 'pass';
        break;
      }
      case 'exists':
      case 'ptr':
        break;
      default:
        return { result: 'permerror', reason: `unknown mechanism "${mechanism}" in ${domain}'s SPF record` };
    }
    if (matched) return { result: qualifier, reason: `matched ${term}${mechanism === 'all' ? '' : ` of ${domain}`}` };
  }
  if (redirect) {
    if (++budget.lookups > LOOKUP_LIMIT || depth >= LOOKUP_LIMIT) return { result: 'permerror', reason: `too many DNS lookups following redirect=${redirect}` };
    const inner = await spfRecords(dns, redirect);
    if (inner.length !== 1) return { result: 'permerror', reason: `redirect=${redirect} leads to ${inner.length === 0 ? 'no SPF record' : 'several SPF records'}` };
    return evaluateRecord(dns, redirect, inner[0]!.trim(), ip, budget, depth + 1);
  }
  return { result: 'neutral', reason: `nothing in ${domain}'s SPF record matched (no "all" at the end)` };
}

/** `/24`, `//64`, `/24//64` → the IPv4 and IPv6 prefix lengths of an a or mx mechanism. */
function prefixes(suffix: string | undefined): [number, number] {
  const m = /^(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(suffix ?? '');
  return [m?.[1] ? Number(m[1]) : 32, m?.[2] ? Number(m[2]) : 128];
}

function inNetworks(ip: string, addresses: string[], cidr4: number, cidr6: number): boolean {
  return addresses.some((a) => inNetwork(ip, [a], isIPv4(a) ? cidr4 : cidr6));
}

function inNetwork(ip: string, networks: string[], prefix: number): boolean {
  const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!type) return false;
  for (const network of networks) {
    if ((type === 'ipv4' ? !isIPv4(network) : !isIPv6(network)) || !Number.isInteger(prefix)) continue;
    const list = new BlockList();
    try {
      list.addSubnet(network, prefix, type);
    } catch {
      continue; // a prefix out of range: that mechanism matches nothing
    }
    if (list.check(ip, type)) return true;
  }
  return false;
}
