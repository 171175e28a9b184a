import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Name of the cookie a dashboard session may carry instead of an Authorization header. */
export const TOKEN_COOKIE = 'pressline_token';

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isIP(h.slice(7)) === 4 && h.slice(7).startsWith('127.');
  return false;
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token or `pressline_token` cookie a request carries, if any. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  return bearer || cookie(req, TOKEN_COOKIE);
}

/** A cookie's decoded value, or undefined when absent or malformed. */
export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Whether a token typed into the login form is the configured one (constant time). */
export function tokenMatches(given: string, expected: string | undefined): boolean {
  return !!expected && given.length > 0 && sameSecret(given, expected);
}

/**
 * True only when the request carries the dashboard token (Authorization: Bearer … or the
 * `pressline_token` cookie) and a token is configured. For dashboard routes; the unsubscribe and
 * webhook routes authenticate with their own tokens and signatures.
 */
export function requireToken(req: IncomingMessage, expected: string | undefined): boolean {
  if (!expected) return false;
  const given = presentedToken(req);
  return given !== undefined && sameSecret(given, expected);
}
