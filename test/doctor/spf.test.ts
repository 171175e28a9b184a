import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createDnsLookup, type DnsLookup } from '../../src/doctor/resolver.js';
import { evaluateSpf } from '../../src/doctor/spf.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

// Issue 19 item 3: the SPF evaluation behind `doctor`'s "SPF covers the relay", against a real DNS server on loopback.

let server: TestDnsServer;
let dns: DnsLookup;

beforeAll(async () => {
  server = await startDnsServer({
    'a.example.net': { TXT: ['v=spf1 a -all'], A: ['198.51.100.7'] },
    'acidr.example.net': { TXT: ['v=spf1 a:relay.example.net/24 -all'] },
    'relay.example.net': { A: ['203.0.113.9'], AAAA: ['2001:db8::25'] },
    'mx.example.net': { TXT: ['v=spf1 mx ?all'], MX: [{ priority: 20, exchange: 'relay.example.net' }] },
    'v6.example.net': { TXT: ['v=spf1 ip6:2001:db8::/32 -all'] },
    'redirect.example.net': { TXT: ['v=spf1 redirect=a.example.net'] },
    'open.example.net': { TXT: ['v=spf1 ip4:192.0.2.1'] },
    'typo.example.net': { TXT: ['v=spf1 ip4:192.0.2.1 inclde:x.example.net -all'] },
    'loop.example.net': { TXT: ['v=spf1 include:loop.example.net -all'] },
  });
  dns = createDnsLookup(validateConfig({}), { PRESSLINE_DNS_SERVER: server.address });
});
afterAll(() => server.close());

describe('SPF evaluation', () => {
  it.each([
    ['a.example.net', '198.51.100.7', 'pass'],
    ['a.example.net', '198.51.100.8', 'fail'],
    ['acidr.example.net', '203.0.113.200', 'pass'],
    ['mx.example.net', '203.0.113.9', 'pass'],
    ['mx.example.net', '2001:db8::25', 'pass'],
    ['mx.example.net', '192.0.2.1', 'neutral'],
    ['v6.example.net', '2001:db8:1::1', 'pass'],
    ['v6.example.net', '127.0.0.1', 'fail'],
    ['redirect.example.net', '198.51.100.7', 'pass'],
    ['open.example.net', '192.0.2.2', 'neutral'],
    ['typo.example.net', '192.0.2.2', 'permerror'],
    ['loop.example.net', '192.0.2.2', 'permerror'],
    ['nothing.example.net', '192.0.2.2', 'none'],
  ])('%s for %s: %s', async (domain, ip, result) => {
    expect((await evaluateSpf(dns, domain, ip)).result).toBe(result);
  });

  it('names what went wrong: the mechanism that is not one, the lookup limit', async () => {
    expect((await evaluateSpf(dns, 'typo.example.net', '192.0.2.2')).reason).toBe('unknown mechanism "inclde" in typo.example.net\'s SPF record');
    expect((await evaluateSpf(dns, 'loop.example.net', '192.0.2.2')).reason).toMatch(/more than 10 DNS lookups|nest too deep/);
  });
});
