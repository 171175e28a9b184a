/**
 * Who fetched a tracking pixel or followed a tracked link: a reader, or a machine acting for the
 * mailbox (Apple Mail Privacy Protection's proxy preloads every image; link scanners follow every
 * link; both often within seconds of delivery). Pure, so the table of cases is tested on its own.
 * Machine events are kept and counted apart, never thrown away: they still say the message arrived.
 */

/** Why an event was taken for a machine's; 'human' when nothing said otherwise. */
export type EngagementReason =
  | 'human'
  | 'google-image-proxy'
  | 'apple-mpp'
  | 'link-scanner'
  | 'bot'
  | 'head-request'
  | 'too-soon';

export interface EngagementRequest {
  method: string;
  /** The client address (the socket's, or the proxy's X-Forwarded-For when configured). */
  ip: string;
  userAgent: string;
  at: Date;
  /** When the message was handed to the relay; undefined when not known. */
  sentAt: Date | undefined;
  machineWindowSeconds: number;
}

export interface Classification {
  human: boolean;
  reason: EngagementReason;
}

/** Security gateways that fetch every link (and often every image) before the reader sees them. */
const SCANNER_UA = /barracuda|mimecast|proofpoint|ppops|safelinks|safe ?links|microsoft office|ms-office|outlook-safelinks|symantec|messagelabs|forcepoint|trend ?micro|sophos|fireeye|cisco|ironport|zscaler|checkpoint|avanan|abnormal/i;
/** Generic automation: crawlers, command-line tools and HTTP libraries. */
const BOT_UA = /bot\b|bot\/|crawler|spider|curl\/|wget\/|python-requests|python-urllib|aiohttp|go-http-client|java\/|okhttp|libwww|httpclient|node-fetch|axios|headless|phantomjs|preview/i;

/** True for an IPv4 address (or IPv4-mapped IPv6) in 17.0.0.0/8, Apple's own network. */
export function isAppleNetwork(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return /^17\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * The classification of one open or click. Order matters: Google's image proxy fetches when the
 * reader opens the message, so it is human even though its agent is a machine's; a HEAD request
 * never shows anyone anything; Apple's proxy (its network, or its bare `Mozilla/5.0` agent) loads
 * images whether or not the message is read; then scanners and bots by agent; then anything within
 * the machine window after the send.
 */
export function classifyEngagement(r: EngagementRequest): Classification {
  const ua = r.userAgent.trim();
  if (r.method.toUpperCase() === 'HEAD') return { human: false, reason: 'head-request' };
  if (/GoogleImageProxy/i.test(ua)) return { human: true, reason: 'google-image-proxy' };
  if (isAppleNetwork(r.ip) || ua === 'Mozilla/5.0') return { human: false, reason: 'apple-mpp' };
  if (SCANNER_UA.test(ua)) return { human: false, reason: 'link-scanner' };
  if (ua === '' || BOT_UA.test(ua)) return { human: false, reason: 'bot' };
  if (r.sentAt && r.at.getTime() - r.sentAt.getTime() < r.machineWindowSeconds * 1000) return { human: false, reason: 'too-soon' };
  return { human: true, reason: 'human' };
}

/** The user agent as stored: at most 200 characters of printable ASCII (it is shown on the dashboard). */
export function storedUserAgent(ua: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (ua ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
