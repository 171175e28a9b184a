import type { IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerServeCommand } from '../../src/cli/serve.js';
import { PresslineError } from '../../src/errors.js';
import { isLoopback, requireToken } from '../../src/web/auth.js';
import { MAX_BODY_BYTES } from '../../src/web/body.js';
import { createWebServer, logPath } from '../../src/web/server.js';
import { readWebhookSettings } from '../../src/web/settings.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { closeAll } from '../helpers/close.js';
import { requestLines, startServer, type Running } from '../fixtures/webhooks/harness.js';

let app: TestApp | undefined;
let web: Running | undefined;
afterEach(async () => {
  await closeAll(web, app);
  web = undefined;
  app = undefined;
});

/** A raw request (chunked when `chunks` is given) so the body size is not announced up front. */
function rawPost(url: string, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('web server', () => {
  it('binds loopback by default and answers unknown routes 404, wrong methods 405, all logged', async () => {
    app = testApp();
    web = await startServer(app);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((web.server.address() as { address: string }).address).toBe('127.0.0.1');

    expect((await fetch(`${web.url}/nope`)).status).toBe(404);
    expect((await fetch(`${web.url}/u/abc/extra`)).status).toBe(404);
    const wrong = await fetch(`${web.url}/webhooks/ses`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await fetch(`${web.url}/u/abc`, { method: 'DELETE' })).status).toBe(405);
    expect(await (await fetch(`${web.url}/healthz`)).text()).toBe('ok\n');

    const lines = requestLines(web);
    expect(lines.map((l) => [l.method, l.path, l.status])).toEqual([
      ['GET', '/nope', 404],
      ['GET', '/u/[token]/extra', 404],
      ['GET', '/webhooks/ses', 405],
      ['DELETE', '/u/[token]', 405],
      ['GET', '/healthz', 200],
    ]);
    for (const l of lines) expect(typeof l.ms).toBe('number');
  });

  it('limits bodies to 1 MB: 413 by Content-Length and while streaming', async () => {
    app = testApp();
    web = await startServer(app, { webhooks: { sesTopicArns: ['arn:aws:sns:eu-west-1:1:t'] } });
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    const res = await fetch(`${web.url}/webhooks/ses`, { method: 'POST', body: big }).catch((e: Error) => e);
    expect(res instanceof Response ? res.status : res.message).toBe(413);
    const chunk = Buffer.alloc(64 * 1024, 'y');
    expect(await rawPost(`${web.url}/webhooks/sendgrid`, Array.from({ length: 20 }, () => chunk))).toBe(413);
    // The server is still fine afterwards.
    expect((await fetch(`${web.url}/healthz`)).status).toBe(200);
    // Exactly at the limit is read (and then judged on its merits).
    expect((await fetch(`${web.url}/webhooks/ses`, { method: 'POST', body: 'x'.repeat(MAX_BODY_BYTES) })).status).toBe(400);
    expect(requestLines(web).filter((l) => l.status === 413)).toHaveLength(2);
  });

  it('refuses a non-loopback host without PRESSLINE_DASHBOARD_TOKEN, and starts with one', async () => {
    app = testApp();
    const attempt = createWebServer(app, { host: '0.0.0.0', port: 0 });
    await expect(attempt).rejects.toThrow(PresslineError);
    await expect(attempt).rejects.toThrow(/PRESSLINE_DASHBOARD_TOKEN/);
    await app.close();

    app = testApp({ env: { dashboardToken: 'short' } });
    await expect(createWebServer(app, { host: '0.0.0.0', port: 0 })).rejects.toThrow(/too short/);
    await app.close();

    app = testApp({ env: { dashboardToken: 'a'.repeat(64) }, config: { web: { host: '0.0.0.0', port: 0 } } });
    web = await startServer(app, { port: undefined });
    expect(web.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect((await fetch(`${web.url.replace('0.0.0.0', '127.0.0.1')}/healthz`)).status).toBe(200);
  });

  it('reports a port in use as a PresslineError', async () => {
    app = testApp();
    web = await startServer(app);
    const port = Number(new URL(web.url).port);
    await expect(createWebServer(app, { port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('web helpers', () => {
  it('isLoopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.org', '::ffff:10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('requireToken accepts the bearer token only: a cookie carrying the raw token is no longer a credential', () => {
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    const t = 'f'.repeat(32);
    expect(requireToken(req({ authorization: `Bearer ${t}` }), t)).toBe(true);
    expect(requireToken(req({ cookie: `a=b; pressline_token=${t}` }), t)).toBe(false);
    expect(requireToken(req({ authorization: `Bearer ${t}x` }), t)).toBe(false);
    expect(requireToken(req({ authorization: `Basic ${t}` }), t)).toBe(false);
    expect(requireToken(req({}), t)).toBe(false);
    expect(requireToken(req({ authorization: 'Bearer anything' }), undefined)).toBe(false);
  });

  it('logPath hides tokens and query strings', () => {
    expect(logPath('/u/1-2-0123456789abcdef')).toBe('/u/[token]');
    expect(logPath('/webhooks/ses?x=secret')).toBe('/webhooks/ses');
  });

  it('reads webhook settings from the environment', () => {
    expect(readWebhookSettings({ PRESSLINE_SES_TOPIC_ARNS: ' arn:a , arn:b,', PRESSLINE_SES_AUTO_CONFIRM: '1', PRESSLINE_SENDGRID_PUBLIC_KEY: 'k' })).toEqual({
      sesTopicArns: ['arn:a', 'arn:b'],
      sesAutoConfirm: true,
      sendgridPublicKey: 'k',
    });
    expect(readWebhookSettings({})).toEqual({ sesTopicArns: [], sesAutoConfirm: false, sendgridPublicKey: undefined });
  });
});

describe('pressline serve', () => {
  it('prints the URL, serves, and stops cleanly on SIGTERM; help has an example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-serve-'));
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { address: 'press@ngo.example.org' }, paths: { database: join(dir, 'p.db') } }));
    const saved = { db: process.env.PRESSLINE_DB, level: process.env.PRESSLINE_LOG_LEVEL };
    process.env.PRESSLINE_DB = join(dir, 'p.db');
    process.env.PRESSLINE_LOG_LEVEL = 'silent';
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => (out.push(String(chunk)), true));
    const errWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command().name('pressline').option('--config <file>').exitOverride();
      registerServeCommand(program);
      const running = program.parseAsync(['node', 'pressline', '--config', config, 'serve', '--port', '0', '--host', '127.0.0.1']);
      await vi.waitFor(() => expect(out.join('')).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/), { timeout: 10_000 });
      const url = /listening on (\S+)/.exec(out.join(''))![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      process.emit('SIGTERM', 'SIGTERM');
      await running;
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();

      const help = program.commands.find((c) => c.name() === 'serve')!;
      let text = '';
      help.configureOutput({ writeOut: (s) => (text += s) });
      help.outputHelp();
      expect(text).toMatch(/--port <port>/);
      expect(text).toMatch(/Example:\n\s+pressline serve --port 8025/);
      expect(text).toMatch(/PRESSLINE_SES_TOPIC_ARNS/);
      expect(text).toMatch(/--dashboard-port <port>/);
      expect(text).toMatch(/"https:\/\/press\.example\.org\/unsubscribe",\s+links \/unsubscribe\/u\/<token>/);
    } finally {
      write.mockRestore();
      errWrite.mockRestore();
      process.env.PRESSLINE_DB = saved.db;
      process.env.PRESSLINE_LOG_LEVEL = saved.level;
      if (saved.db === undefined) delete process.env.PRESSLINE_DB;
      if (saved.level === undefined) delete process.env.PRESSLINE_LOG_LEVEL;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--dashboard-port prints both addresses; the public one carries no dashboard; a bad value is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-serve-'));
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { address: 'press@ngo.example.org' }, paths: { database: join(dir, 'p.db') } }));
    const saved = { db: process.env.PRESSLINE_DB, level: process.env.PRESSLINE_LOG_LEVEL };
    process.env.PRESSLINE_DB = join(dir, 'p.db');
    process.env.PRESSLINE_LOG_LEVEL = 'silent';
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => (out.push(String(chunk)), true));
    const errWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command().name('pressline').option('--config <file>').exitOverride();
      registerServeCommand(program);
      await expect(program.parseAsync(['node', 'pressline', '--config', config, 'serve', '--dashboard-port', '80a'])).rejects.toThrow(/--dashboard-port takes a number from 0 to 65535, not "80a"/);
      const running = program.parseAsync(['node', 'pressline', '--config', config, 'serve', '--port', '0', '--dashboard-port', '0']);
      await vi.waitFor(() => expect(out.join('')).toMatch(/dashboard on http:\/\/127\.0\.0\.1:\d+/), { timeout: 10_000 });
      const url = /listening on (\S+)/.exec(out.join(''))![1]!;
      const dashboard = /dashboard on (\S+)/.exec(out.join(''))![1]!;
      expect(dashboard).not.toBe(url);
      expect((await fetch(`${url}/suppressions`)).status).toBe(404);
      expect((await fetch(`${dashboard}/suppressions`)).status).toBe(200);
      process.emit('SIGTERM', 'SIGTERM');
      await running;
      await expect(fetch(`${dashboard}/healthz`)).rejects.toThrow();
    } finally {
      write.mockRestore();
      errWrite.mockRestore();
      process.env.PRESSLINE_DB = saved.db;
      process.env.PRESSLINE_LOG_LEVEL = saved.level;
      if (saved.db === undefined) delete process.env.PRESSLINE_DB;
      if (saved.level === undefined) delete process.env.PRESSLINE_LOG_LEVEL;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
