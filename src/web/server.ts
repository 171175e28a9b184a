import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { PresslineError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { DashboardAccess, isLoopback, localHosts } from './auth.js';
import { BodySlots, HttpError, MAX_BODY_BYTES } from './body.js';
import { text, type Handler, type Reply, type RequestContext, type WebDeps } from './context.js';
import { HTML_SECURITY_HEADERS } from './html.js';
import { parseSendgridKey, sendgridWebhook } from './sendgrid.js';
import { sesWebhook } from './ses.js';
import { readWebhookSettings, type WebhookSettings } from './settings.js';
import { trackClick, trackOpen } from './track.js';
import { unsubscribePage, unsubscribePost } from './unsubscribe.js';
import { DASHBOARD_BODY_BYTES, dashboardRoutes } from './dashboard/pages.js';
import { checkedPath } from './request-target.js';
import { newsroomRoutes } from './newsroom.js';

export interface WebServerOptions {
  host?: string | undefined;
  /** 0 picks a free port (tests). */
  port?: number | undefined;
  /** The dashboard on its own loopback port (0: a free one); default config web.dashboardPort, else it shares `port`. */
  dashboardPort?: number | undefined;
  log?: pino.Logger | undefined;
  /** Fetches a URL's text (SNS certificates, SubscribeURL); default: global fetch, 5 s timeout. */
  sesCertFetcher?: ((url: string) => Promise<string>) | undefined;
  /** Webhook switches; default: read from process.env (PRESSLINE_SES_*, PRESSLINE_SENDGRID_PUBLIC_KEY). */
  webhooks?: Partial<WebhookSettings> | undefined;
}

export interface WebServer {
  /** The public face: unsubscribe, webhooks (and the dashboard when it has no port of its own). */
  server: Server;
  /** http://host:port as bound (the real port when 0 was asked for). */
  url: string;
  /** Where the dashboard answers: `url`, or its own loopback listener. */
  dashboardUrl: string;
  close(): Promise<void>;
}

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
  /** Largest body the route reads (default MAX_BODY_BYTES). */
  bodyLimit?: number;
}

/** The dashboard's own listener binds here only: it is private by design. */
const DASHBOARD_HOST = '127.0.0.1';

/**
 * The path prefix of `unsubscribe.baseUrl` (`/unsubscribe` for https://press.example.org/unsubscribe,
 * '' for a site root): links are `<base>/u/<token>`, so serve answers there.
 */
export function unsubscribePrefix(baseUrl: string | undefined): string {
  if (!baseUrl) return '';
  return new URL(baseUrl).pathname.replace(/\/+$/, '');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CERT_CACHE_MAX = 50;

/** Default fetcher: a plain GET that gives up after 5 seconds and refuses non-2xx answers. */
export async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'error' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

/** The request path for the log: tokens replaced, query string dropped. */
export function logPath(rawUrl: string | undefined): string {
  const path = (rawUrl ?? '/').split('?')[0]!.slice(0, 200);
  // A journalist's address is theirs: the dashboard's contact pages are logged without it.
  return path
    .replace(/\/u\/[^/]*/, '/u/[token]')
    .replace(/^\/c\/[^/]*/, '/c/[token]')
    .replace(/^\/o\/[^/]*/, '/o/[token]')
    .replace(/^\/contacts\/.*/, '/contacts/[address]');
}

function write(res: ServerResponse, reply: Reply): void {
  const type =
    reply.type === 'html' ? 'text/html; charset=utf-8' : reply.type === 'json' ? 'application/json; charset=utf-8' : reply.type === 'gif' ? 'image/gif' : 'text/plain; charset=utf-8';
  const headers: Record<string, string | number> = {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(reply.body),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...(reply.type === 'html' ? HTML_SECURITY_HEADERS : {}),
    ...reply.headers,
  };
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

/**
 * Starts the HTTP server: the public face (one-click unsubscribe, provider webhooks) and the
 * private one (the dashboard), on one listener or, with a dashboard port, on two. Binds loopback
 * unless told otherwise; a dashboard reachable off loopback needs the token. Resolves once it
 * listens; `close()` stops it and drops open connections.
 */
export async function createWebServer(app: WebDeps, options: WebServerOptions = {}): Promise<WebServer> {
  const web = app.config.web;
  const host = options.host ?? web.host;
  const port = options.port ?? web.port;
  const dashboardPort = options.dashboardPort ?? web.dashboardPort;
  const split = dashboardPort !== undefined;
  if (!split && !isLoopback(host)) {
    if (!app.env.dashboardToken) {
      throw new PresslineError(
        'CONFIG_INVALID',
        `refusing to listen on ${host}, which other machines can reach, without PRESSLINE_DASHBOARD_TOKEN: set it (e.g. \`openssl rand -hex 32\`) in the environment or .env, give the dashboard its own loopback port (--dashboard-port or config web.dashboardPort), or bind 127.0.0.1 behind a reverse proxy`,
      );
    }
    if (app.env.dashboardToken.length < 16) {
      throw new PresslineError('CONFIG_INVALID', 'PRESSLINE_DASHBOARD_TOKEN is too short to guard a server on the network: use at least 16 random characters (e.g. `openssl rand -hex 32`)');
    }
  }
  const log = options.log ?? createLogger();
  const settings: WebhookSettings = { ...readWebhookSettings(), ...options.webhooks };
  const sendgridKey = settings.sendgridPublicKey ? parseSendgridKey(settings.sendgridPublicKey) : undefined;
  const fetcher = options.sesCertFetcher ?? fetchText;
  const certs = new Map<string, Promise<string>>();
  const fetchCert = (url: string): Promise<string> => {
    let p = certs.get(url);
    if (!p) {
      if (certs.size >= CERT_CACHE_MAX) certs.delete(certs.keys().next().value!);
      p = fetcher(url);
      certs.set(url, p);
      p.catch(() => certs.delete(url)); // a failed fetch is tried again next time
    }
    return p;
  };
  const bodies = new BodySlots(web.maxConcurrentBodies);

  const unsubscribe = { GET: unsubscribePage, HEAD: unsubscribePage, POST: unsubscribePost };
  const prefix = unsubscribePrefix(app.config.unsubscribe.baseUrl);
  const healthz: Route = { pattern: /^\/healthz$/, methods: { GET: async () => text(200, 'ok'), HEAD: async () => text(200, 'ok') } };
  const publicRoutes: Route[] = [
    // Under the configured base path, and at the root too: a proxy may strip the prefix, and
    // links mailed before the base changed keep working.
    ...(prefix ? [{ pattern: new RegExp(`^${escapeRegExp(prefix)}/u/([^/]+)$`), methods: unsubscribe }] : []),
    { pattern: /^\/u\/([^/]+)$/, methods: unsubscribe },
    // Engagement tracking (src/web/track.ts): links only a tracked send writes.
    { pattern: /^\/c\/([^/]{1,100})$/, methods: { GET: trackClick, HEAD: trackClick } },
    { pattern: /^\/o\/([^/]{1,100})\.gif$/, methods: { GET: trackOpen, HEAD: trackOpen } },
    { pattern: /^\/webhooks\/ses$/, methods: { POST: sesWebhook } },
    { pattern: /^\/webhooks\/sendgrid$/, methods: { POST: sendgridWebhook(sendgridKey) } },
    ...newsroomRoutes(app.config),
    healthz,
  ];

  // Filled once the dashboard's listener knows its port (0 asks for a free one).
  const dashboardHosts = new Set<string>();
  const publicOrigin = web.publicOrigin ?? (app.config.unsubscribe.baseUrl ? new URL(app.config.unsubscribe.baseUrl).origin : undefined);
  // A port that a proxy serves to the internet may receive requests that look local in every way
  // (nginx's `proxy_http_version 1.1` with Host set to the upstream and no forwarding header), so
  // the dashboard sharing it always asks for the token; on its own port it needs none.
  const behindPublicOrigin = !split && publicOrigin !== undefined && !isLoopback(new URL(publicOrigin).hostname);
  const access = new DashboardAccess({
    guarded: (!split && !isLoopback(host)) || behindPublicOrigin,
    localHosts: dashboardHosts,
    publicOrigin,
    token: app.env.dashboardToken,
    loginAttemptsPerMinute: web.loginAttemptsPerMinute,
  });
  const privateRoutes: Route[] = dashboardRoutes(access).map((r) => ({ ...r, bodyLimit: DASHBOARD_BODY_BYTES }));

  async function handle(routes: Route[], req: IncomingMessage, notes: Record<string, unknown>): Promise<Reply> {
    const path = checkedPath(req.url);
    const method = req.method ?? 'GET';
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      const handler = route.methods[method];
      if (!handler) {
        req.resume();
        return { ...text(405, 'method not allowed'), headers: { Allow: Object.keys(route.methods).join(', ') } };
      }
      let body: Promise<Buffer> | undefined;
      const ctx: RequestContext = {
        app,
        log,
        req,
        params: m.slice(1),
        settings,
        body: () => (body ??= bodies.read(req, route.bodyLimit ?? MAX_BODY_BYTES)),
        note: (fields) => Object.assign(notes, fields),
        fetchCert,
        fetchUrl: fetcher,
      };
      return handler(ctx);
    }
    req.resume();
    return text(404, 'not found');
  }

  const serve = (routes: Route[]) =>
    createServer({ requestTimeout: web.requestTimeoutMs, headersTimeout: Math.min(web.headersTimeoutMs, web.requestTimeoutMs), connectionsCheckingInterval: 1000 }, (req, res) => {
      const started = performance.now();
      const notes: Record<string, unknown> = {};
      res.on('finish', () => {
        const line = { method: req.method, path: logPath(req.url), status: res.statusCode, ms: Math.round(performance.now() - started), ...notes };
        if (res.statusCode >= 500) log.error(line, 'http request');
        else if (res.statusCode >= 400) log.warn(line, 'http request');
        else log.info(line, 'http request');
      });
      // Writing the reply is inside the chain too: a reply Node refuses to write (a header with
      // a character it cannot carry) becomes a 500 for this request, never an unhandled
      // rejection that would end the process and every face it serves.
      handle(routes, req, notes)
        .then((reply) => write(res, reply))
        .catch((err: unknown) => {
          if (err instanceof HttpError) {
            notes.rejected = err.logNote ?? err.message;
            const reply = text(err.status, err.message);
            // A body may be left unread (too large, no slot, bad target): close rather than read it.
            reply.headers = { Connection: 'close', ...(err.status === 503 ? { 'Retry-After': '1' } : {}) };
            write(res, reply);
            return;
          }
          notes.error = err instanceof Error ? err.message : String(err);
          if (!res.headersSent) write(res, text(500, 'internal error'));
          else res.destroy();
        })
        .catch(() => res.destroy());
    });

  const servers: Server[] = [];
  const closeAll = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve, reject) => {
            server.close((err) => (err ? reject(err) : resolve()));
            server.closeAllConnections();
          }),
      ),
    ).then(() => undefined);

  const start = async (routes: Route[], bindHost: string, bindPort: number, flag: string): Promise<{ server: Server; url: string; address: string; port: number }> => {
    const server = serve(routes);
    server.maxConnections = web.maxConnections;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) =>
        reject(new PresslineError('REFUSED', `cannot listen on ${bindHost}:${bindPort}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ` (another program uses the port; pick one with ${flag})` : ''}`));
      server.once('error', failed);
      server.listen(bindPort, bindHost, () => {
        server.off('error', failed);
        resolve();
      });
    });
    servers.push(server);
    const addr = server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    return { server, url: `http://${shown}:${addr.port}`, address: addr.address, port: addr.port };
  };

  const front = await start(split ? publicRoutes : [...publicRoutes, ...privateRoutes], host, port, '--port');
  let dashboard = front;
  if (split) {
    try {
      dashboard = await start([...privateRoutes, healthz], DASHBOARD_HOST, dashboardPort, '--dashboard-port');
    } catch (err) {
      await closeAll();
      throw err;
    }
  }
  for (const h of localHosts(dashboard.address, dashboard.port, web.allowedHosts)) dashboardHosts.add(h);
  log.info({ host: front.address, port: front.port, ...(split ? { dashboardPort: dashboard.port } : {}) }, 'web server listening');
  if (behindPublicOrigin) {
    log.warn(
      { publicOrigin },
      app.env.dashboardToken
        ? 'the dashboard shares the port served at the public origin: it asks for PRESSLINE_DASHBOARD_TOKEN even from this machine; give it its own port (--dashboard-port) to use it locally without one'
        : 'the dashboard shares the port served at the public origin and PRESSLINE_DASHBOARD_TOKEN is not set, so no one can sign in: give the dashboard its own port (--dashboard-port) or set the token',
    );
  }

  return { server: front.server, url: front.url, dashboardUrl: dashboard.url, close: closeAll };
}
