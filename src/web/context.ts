import type { IncomingMessage } from 'node:http';
import type pino from 'pino';
import type { Clock } from '../time/clock.js';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import type { WebhookSettings } from './settings.js';

/** What a handler returns; the server writes it with the right headers and logs it. */
export interface Reply {
  status: number;
  type: 'text' | 'html' | 'json' | 'gif';
  /** Text, or bytes (the tracking pixel). */
  body: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * What the web server and its handlers use: the store, the time, and the whole config and env (the
 * dashboard renders messages as sent and acts on campaigns). An App has them all.
 */
export interface WebDeps {
  config: Config;
  env: Env;
  store: Store;
  clock: Pick<Clock, 'now'>;
}

/** Everything a route handler may use; it never touches the response itself. */
export interface RequestContext {
  app: WebDeps;
  log: pino.Logger;
  req: IncomingMessage;
  /** Capture groups of the route's path pattern. */
  params: string[];
  settings: WebhookSettings;
  /** The request body, at most MAX_BODY_BYTES (HttpError 413 beyond). */
  body(): Promise<Buffer>;
  /** Adds fields to this request's log line (never secrets or tokens). */
  note(fields: Record<string, unknown>): void;
  /** Fetches an SNS signing certificate (PEM), cached by URL. */
  fetchCert(url: string): Promise<string>;
  /** Plain GET through the injected fetcher (SNS SubscribeURL). */
  fetchUrl(url: string): Promise<string>;
}

export type Handler = (ctx: RequestContext) => Promise<Reply>;

export const text = (status: number, body: string): Reply => ({ status, type: 'text', body: body.endsWith('\n') ? body : `${body}\n` });
export const html = (status: number, body: string): Reply => ({ status, type: 'html', body });
export const json = (status: number, value: unknown): Reply => ({ status, type: 'json', body: `${JSON.stringify(value)}\n` });
