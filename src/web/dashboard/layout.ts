import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { REPORT_CSS } from '../../reports/html.js';
import type { Reply } from '../context.js';
import { cookie } from '../auth.js';
import { e } from '../../html/entities.js';


/** Dashboard pages may run the one same-origin script and poll same-origin JSON; nothing else loads. */
export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Dashboard-only additions to the report's CSS: long tokens wrap (a Message-ID is one 80-character word), the message frame fits the page. */
const DASHBOARD_CSS = `
.message-id, #phase, pre#message-headers { overflow-wrap: anywhere; }
.timeline h3 { font-size: 1rem; overflow-wrap: anywhere; }
iframe.message { width: 100%; height: 40rem; border: 1px solid var(--line); background: #fff; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; }
`;

const NAV: [string, string][] = [
  ['/', 'Campaigns'],
  ['/scheduled', 'Scheduled'],
  ['/suppressions', 'Suppressions'],
  ['/contacts', 'Journalists'],
];

/** A complete dashboard page; `body` must be built from escaped values. */
export function layout(title: string, body: string, options: { current?: string; poll?: string; viewerZone?: string; headers?: Record<string, string>; status?: number } = {}): Reply {
  const nav = NAV.map(([href, label]) => `<a href="${href}"${options.current === href ? ' aria-current="page"' : ''}>${label}</a>`).join('\n');
  const attrs = [options.poll ? ` data-poll="${e(options.poll)}"` : '', options.viewerZone ? ` data-viewer-zone="${e(options.viewerZone)}"` : ''].join('');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${e(title)} · pressline</title>
<style>${REPORT_CSS}${DASHBOARD_CSS}</style>
</head>
<body${attrs}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">pressline</span>
<nav aria-label="Main">${nav}</nav></header>
<main id="main" tabindex="-1">
${body}
</main>
<script src="/assets/dashboard.js" defer></script>
</body>
</html>
`;
  return { status: options.status ?? 200, type: 'html', body: html, headers: { 'Content-Security-Policy': DASHBOARD_CSP, ...options.headers } };
}

export const SESSION_COOKIE = 'pressline_session';

/**
 * Per-session CSRF tokens: a random session id in an HttpOnly SameSite=Strict cookie, and the form
 * token is an HMAC of it under a key that lives only as long as the server process.
 */
export class Csrf {
  private readonly key = randomBytes(32);

  /** The session id of the request, or a new one with the Set-Cookie header to issue it. */
  session(req: IncomingMessage, secure = false): { id: string; setCookie?: string } {
    const id = cookie(req, SESSION_COOKIE);
    if (id && /^[0-9a-f]{32}$/.test(id)) return { id };
    const fresh = randomBytes(16).toString('hex');
    return { id: fresh, setCookie: `${SESSION_COOKIE}=${fresh}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}` };
  }

  token(sessionId: string): string {
    return createHmac('sha256', this.key).update(sessionId).digest('hex');
  }

  /**
   * True when the form token matches the session cookie and the request is not cross-site.
   * Origin is checked against `origins` (ours, from config and the bound address), never against
   * Host: under DNS rebinding the attacker's page sends matching Host and Origin.
   */
  check(req: IncomingMessage, formToken: string | undefined, origins: Set<string>): boolean {
    const site = req.headers['sec-fetch-site'];
    if (site && site !== 'same-origin' && site !== 'none') return false;
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && !origins.has(origin.toLowerCase())) return false;
    // Origin "null" is what a same-origin form sends under Referrer-Policy: no-referrer; the
    // token (and the SameSite=Strict cookie it is bound to) still has to match.
    const id = cookie(req, SESSION_COOKIE);
    if (!id || !formToken) return false;
    const a = Buffer.from(this.token(id));
    const b = Buffer.from(formToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** The viewer's IANA zone from the cookie the script sets, if it is a real zone. */
export function viewerZone(req: IncomingMessage, fallback: string): string {
  const z = cookie(req, 'pressline_tz');
  if (!z || z.length > 64) return fallback;
  try {
    new Intl.DateTimeFormat('en', { timeZone: z });
    return z;
  } catch {
    return fallback;
  }
}
