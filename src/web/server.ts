import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { App } from '../app.js';
import { PresslineError } from '../errors.js';
import { createLogger } from '../logger.js';
import { isLoopback } from './auth.js';
import { HttpError, readBody } from './body.js';
import { text, type Handler, type Reply, type RequestContext } from './context.js';
import { HTML_SECURITY_HEADERS } from './html.js';
import { parseSendgridKey, sendgridWebhook } from './sendgrid.js';
import { sesWebhook } from './ses.js';
import { readWebhookSettings, type WebhookSettings } from './settings.js';
import { unsubscribePage, unsubscribePost } from './unsubscribe.js';
import { dashboardRoutes } from './dashboard/pages.js';

export interface WebServerOptions {
  host?: string | undefined;
  /** 0 picks a free port (tests). */
  port?: number | undefined;
  log?: pino.Logger | undefined;
  /** Fetches a URL's text (SNS certificates, SubscribeURL); default: global fetch, 5 s timeout. */
  sesCertFetcher?: ((url: string) => Promise<string>) | undefined;
  /** Webhook switches; default: read from process.env (PRESSLINE_SES_*, PRESSLINE_SENDGRID_PUBLIC_KEY). */
  webhooks?: Partial<WebhookSettings> | undefined;
}

export interface WebServer {
  server: Server;
  /** http://host:port as bound (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

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
  return path.replace(/^\/u\/[^/]*/, '/u/[token]');
}

function write(res: ServerResponse, reply: Reply): void {
  const type = reply.type === 'html' ? 'text/html; charset=utf-8' : reply.type === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
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
 * Starts the HTTP server for one-click unsubscribe and provider webhooks, on loopback unless a
 * dashboard token is set. Resolves once it listens; `close()` stops it and drops open connections.
 */
export async function createWebServer(app: App, options: WebServerOptions = {}): Promise<WebServer> {
  const host = options.host ?? app.config.web.host;
  const port = options.port ?? app.config.web.port;
  if (!isLoopback(host)) {
    if (!app.env.dashboardToken) {
      throw new PresslineError(
        'CONFIG_INVALID',
        `refusing to listen on ${host}, which other machines can reach, without PRESSLINE_DASHBOARD_TOKEN: set it (e.g. \`openssl rand -hex 32\`) in the environment or .env, or bind 127.0.0.1 behind a reverse proxy`,
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

  const routes: Route[] = [
    { pattern: /^\/u\/([^/]+)$/, methods: { GET: unsubscribePage, HEAD: unsubscribePage, POST: unsubscribePost } },
    { pattern: /^\/webhooks\/ses$/, methods: { POST: sesWebhook } },
    { pattern: /^\/webhooks\/sendgrid$/, methods: { POST: sendgridWebhook(sendgridKey) } },
    { pattern: /^\/healthz$/, methods: { GET: async () => text(200, 'ok'), HEAD: async () => text(200, 'ok') } },
    // The dashboard: open on loopback, behind PRESSLINE_DASHBOARD_TOKEN anywhere else.
    ...dashboardRoutes(host),
  ];

  async function handle(req: IncomingMessage, notes: Record<string, unknown>): Promise<Reply> {
    const path = (req.url ?? '/').split('?')[0]!;
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
        body: () => (body ??= readBody(req)),
        note: (fields) => Object.assign(notes, fields),
        fetchCert,
        fetchUrl: fetcher,
      };
      return handler(ctx);
    }
    req.resume();
    return text(404, 'not found');
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    const notes: Record<string, unknown> = {};
    res.on('finish', () => {
      const line = { method: req.method, path: logPath(req.url), status: res.statusCode, ms: Math.round(performance.now() - started), ...notes };
      if (res.statusCode >= 500) log.error(line, 'http request');
      else if (res.statusCode >= 400) log.warn(line, 'http request');
      else log.info(line, 'http request');
    });
    handle(req, notes).then(
      (reply) => write(res, reply),
      (err: unknown) => {
        if (err instanceof HttpError) {
          notes.rejected = err.logNote ?? err.message;
          const reply = text(err.status, err.message);
          // Unread body beyond the limit: close rather than read it.
          if (err.status === 413) reply.headers = { Connection: 'close' };
          write(res, reply);
          return;
        }
        notes.error = err instanceof Error ? err.message : String(err);
        if (!res.headersSent) write(res, text(500, 'internal error'));
        else res.destroy();
      },
    );
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) =>
      reject(new PresslineError('REFUSED', `cannot listen on ${host}:${port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (another program uses the port; pick one with --port)' : ''}`));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${shown}:${addr.port}`;
  log.info({ host: addr.address, port: addr.port }, 'web server listening');

  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
