import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The cookie a signed-in browser carries: a server-side session id, never the token itself. */
export const AUTH_COOKIE = 'pressline_auth';

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
 * True only when the request carries `Authorization: Bearer <token>` and a token is configured.
 * Browsers sign in instead and carry a session id (see Sessions).
 */
export function requireToken(req: IncomingMessage, expected: string | undefined): boolean {
  if (!expected) return false;
  const auth = req.headers.authorization;
  const given = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  return given !== undefined && sameSecret(given, expected);
}

/** Headers a proxy adds: a request carrying one came from elsewhere, whatever its socket says. */
const FORWARDING_HEADERS = ['forwarded', 'via', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip', 'x-cluster-client-ip'];

export function isForwarded(req: IncomingMessage): boolean {
  return Object.keys(req.headers).some((h) => h.startsWith('x-forwarded-') || FORWARDING_HEADERS.includes(h));
}

/** `host:port` as a Host header spells it (IPv6 in brackets), lower case. */
export function hostHeader(address: string, port: number): string {
  const h = address.toLowerCase().replace(/^\[|\]$/g, '');
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * Host header values a local browser sends to a listener on `address:port`: localhost names and the
 * bound address, plus those configured. Anything else (a proxy's public name, a rebinding
 * attacker's name pointed at 127.0.0.1) is not local.
 */
export function localHosts(address: string, port: number, configured: string[] = []): Set<string> {
  return new Set([...['localhost', '127.0.0.1', '::1', address].map((h) => hostHeader(h, port)), ...configured.map((h) => h.toLowerCase())]);
}

const SESSION_MS = 12 * 3600_000;
const MAX_SESSIONS = 1000;

/** Signed-in browsers, in memory: a restart signs everyone out, which is the safe way round. */
export class Sessions {
  private readonly expiry = new Map<string, number>();

  create(now: Date): string {
    if (this.expiry.size >= MAX_SESSIONS) this.expiry.delete(this.expiry.keys().next().value!);
    const id = randomBytes(32).toString('hex');
    this.expiry.set(id, now.getTime() + SESSION_MS);
    return id;
  }

  valid(id: string | undefined, now: Date): boolean {
    if (!id || !/^[0-9a-f]{64}$/.test(id)) return false;
    const until = this.expiry.get(id);
    if (until === undefined) return false;
    if (until <= now.getTime()) {
      this.expiry.delete(id);
      return false;
    }
    return true;
  }
}

const WINDOW_MS = 60_000;
const MAX_CLIENTS = 10_000;

/** At most `perMinute` attempts per client address in any 60 s; the answer says when to retry. */
export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Records an attempt; undefined when allowed, else the seconds until the next one is. */
  take(client: string, now: Date): number | undefined {
    const t = now.getTime();
    const recent = (this.attempts.get(client) ?? []).filter((at) => at > t - WINDOW_MS);
    if (recent.length >= this.perMinute) {
      this.attempts.set(client, recent);
      return Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - t) / 1000));
    }
    recent.push(t);
    this.attempts.delete(client); // re-inserted last, so the oldest client is dropped first
    if (this.attempts.size >= MAX_CLIENTS) this.attempts.delete(this.attempts.keys().next().value!);
    this.attempts.set(client, recent);
    return undefined;
  }
}

/** How the dashboard (the private face) decides who may see it. */
export interface DashboardAccessOptions {
  /** Bound off loopback: the token is needed even from this machine. */
  guarded: boolean;
  /** Host header values of a truly local request (localHosts). */
  localHosts: Set<string>;
  /** The origin browsers reach serve at from outside (config web.publicOrigin), if any. */
  publicOrigin: string | undefined;
  token: string | undefined;
  loginAttemptsPerMinute: number;
}

export class DashboardAccess {
  readonly sessions = new Sessions();
  readonly logins: AttemptLimiter;
  /** Secure cookies when the public origin is https: a browser then never sends them in clear. */
  readonly secureCookies: boolean;

  constructor(readonly options: DashboardAccessOptions) {
    this.logins = new AttemptLimiter(options.loginAttemptsPerMinute);
    this.secureCookies = options.publicOrigin?.startsWith('https:') ?? false;
  }

  /**
   * From this machine, to a name a local browser uses, not through a proxy. Host alone proves
   * nothing (DNS rebinding points any name at 127.0.0.1), so it must be one of ours.
   */
  isLocal(req: IncomingMessage): boolean {
    if (isForwarded(req)) return false;
    // nginx's default proxy_pass speaks HTTP/1.0, sets Host to the upstream's own address and adds
    // no forwarding header: it would look local. Browsers never send HTTP/1.0.
    if (req.httpVersion === '1.0') return false;
    if (!this.options.localHosts.has(String(req.headers.host ?? '').toLowerCase())) return false;
    return isLoopback(req.socket.remoteAddress ?? '');
  }

  /** Whether the request may see the dashboard: truly local, or holding the token or a session. */
  allows(req: IncomingMessage, now: Date): boolean {
    if (!this.options.guarded && this.isLocal(req)) return true;
    if (requireToken(req, this.options.token)) return true;
    return this.sessions.valid(cookie(req, AUTH_COOKIE), now);
  }

  /** Origins a form may be posted from: the public one, and the dashboard's own when local. */
  formOrigins(req: IncomingMessage): Set<string> {
    const origins = new Set<string>();
    if (this.options.publicOrigin) origins.add(new URL(this.options.publicOrigin).origin);
    if (this.isLocal(req)) for (const h of this.options.localHosts) origins.add(`http://${h}`);
    return origins;
  }

  /** Set-Cookie for a new session after a correct token. */
  signIn(now: Date): string {
    return `${AUTH_COOKIE}=${this.sessions.create(now)}; Path=/; HttpOnly; SameSite=Strict${this.secureCookies ? '; Secure' : ''}`;
  }
}
