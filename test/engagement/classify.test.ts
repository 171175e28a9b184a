import { describe, expect, it } from 'vitest';
import { classifyEngagement, isAppleNetwork, storedUserAgent, type EngagementReason } from '../../src/engagement/classify.js';

const SENT = new Date('2030-01-01T10:00:00Z');
const LATER = new Date('2030-01-01T11:00:00Z');
const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const OUTLOOK = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0';

type Row = [what: string, method: string, ip: string, ua: string, at: Date, human: boolean, reason: EngagementReason];

const TABLE: Row[] = [
  ['a reader in Safari an hour later', 'GET', '203.0.113.9', SAFARI, LATER, true, 'human'],
  ['a reader in Edge', 'GET', '2001:db8::1', OUTLOOK, LATER, true, 'human'],
  ["Google's image proxy (fetches when the reader opens)", 'GET', '66.249.84.1', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', LATER, true, 'google-image-proxy'],
  ['Google image proxy seconds after the send is still a reader', 'GET', '66.249.84.1', 'GoogleImageProxy', new Date(SENT.getTime() + 2000), true, 'google-image-proxy'],
  ["Apple MPP: Apple's network", 'GET', '17.58.100.3', SAFARI, LATER, false, 'apple-mpp'],
  ["Apple MPP: Apple's network, IPv4-mapped", 'GET', '::ffff:17.1.2.3', SAFARI, LATER, false, 'apple-mpp'],
  ['Apple MPP: the bare agent from anywhere', 'GET', '203.0.113.9', 'Mozilla/5.0', LATER, false, 'apple-mpp'],
  ['Barracuda', 'GET', '203.0.113.9', 'Mozilla/5.0 (compatible; Barracuda Sentinel)', LATER, false, 'link-scanner'],
  ['Mimecast', 'GET', '203.0.113.9', 'Mimecast-URL-Protect/1.0', LATER, false, 'link-scanner'],
  ['Proofpoint', 'GET', '203.0.113.9', 'Proofpoint URL Defense', LATER, false, 'link-scanner'],
  ['Microsoft Safe Links', 'GET', '40.94.1.1', 'Mozilla/5.0 Outlook-SafeLinks', LATER, false, 'link-scanner'],
  ['Symantec', 'GET', '203.0.113.9', 'Symantec MessageLabs Link Scanner', LATER, false, 'link-scanner'],
  ['curl', 'GET', '203.0.113.9', 'curl/8.5.0', LATER, false, 'bot'],
  ['python-requests', 'GET', '203.0.113.9', 'python-requests/2.31', LATER, false, 'bot'],
  ['a crawler', 'GET', '203.0.113.9', 'Mozilla/5.0 (compatible; Googlebot/2.1)', LATER, false, 'bot'],
  ['no agent at all', 'GET', '203.0.113.9', '', LATER, false, 'bot'],
  ['HEAD never counts as a reader, even from Google', 'HEAD', '203.0.113.9', 'GoogleImageProxy', LATER, false, 'head-request'],
  ['HEAD from a browser agent', 'head', '203.0.113.9', SAFARI, LATER, false, 'head-request'],
  ['a browser within the machine window of the send', 'GET', '203.0.113.9', SAFARI, new Date(SENT.getTime() + 9_999), false, 'too-soon'],
  ['a browser just after the machine window', 'GET', '203.0.113.9', SAFARI, new Date(SENT.getTime() + 10_000), true, 'human'],
  ['18.x is not Apple', 'GET', '18.1.2.3', SAFARI, LATER, true, 'human'],
];

describe('classifyEngagement', () => {
  it.each(TABLE)('%s', (_what, method, ip, userAgent, at, human, reason) => {
    expect(classifyEngagement({ method, ip, userAgent, at, sentAt: SENT, machineWindowSeconds: 10 })).toEqual({ human, reason });
  });

  it('with no known sent time, no window applies', () => {
    expect(classifyEngagement({ method: 'GET', ip: '203.0.113.9', userAgent: SAFARI, at: SENT, sentAt: undefined, machineWindowSeconds: 10 })).toEqual({ human: true, reason: 'human' });
  });

  it('recognises only 17.0.0.0/8 as Apple', () => {
    expect(['17.0.0.1', '17.255.255.255', '::ffff:17.9.9.9'].every(isAppleNetwork)).toBe(true);
    expect(['170.1.1.1', '117.1.1.1', '2001:db8::17', ''].some(isAppleNetwork)).toBe(false);
  });

  it('stores at most 200 printable characters of the agent', () => {
    expect(storedUserAgent('a'.repeat(500))).toHaveLength(200);
    expect(storedUserAgent('Mail\r\nX-Evil: 1 «»')).toBe('Mail??X-Evil: 1 ??');
    expect(storedUserAgent(undefined)).toBe('');
  });
});
