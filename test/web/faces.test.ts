// serve's two faces (issue 15 item 1): the dashboard answers only truly local requests unless the
// token or a signed-in session comes with them; the public face keeps unsubscribe and webhooks.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { PresslineError } from '../../src/errors.js';
import { createWebServer } from '../../src/web/server.js';
import { journalists } from '../helpers/app.js';
import { rawBytes, rawRequest, type RawResponse } from '../helpers/http-raw.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { requestLines, sentCampaign, startServer, type Running, type Sent } from '../fixtures/webhooks/harness.js';

const TOKEN = 'a-long-dashboard-token-1234567890';
const RECIPIENT = 'anna@paper.example';
let sent: Sent | undefined;
let web: Running | undefined;
afterEach(async () => {
  await closeAll(web, sent?.app);
  web = undefined;
  sent = undefined;
});

async function setup(options: Parameters<typeof sentCampaign>[1] = {}, serverOptions: Parameters<typeof startServer>[1] = {}) {
  sent = await sentCampaign([RECIPIENT, 'ben@wire.example'], { env: { dashboardToken: TOKEN }, ...options });
  await sent.app.store.addSuppression({ key: 'gone@paper.example', email: 'gone@paper.example', reason: 'manual', source: 'test', detail: undefined }, new Date());
  web = await startServer(sent.app, serverOptions);
  const port = new URL(web.url).port;
  return { s: sent, w: web, port };
}

async function scheduledCampaign(s: Sent): Promise<number> {
  const list = s.app.list(journalists(2, 'later.example'));
  return planCampaign(s.app, [list], {}, { status: 'scheduled', scheduledAt: new Date('2030-12-01T08:00:00Z') });
}

/** The cancel form as this machine's own browser gets it: its CSRF token and session cookie. */
async function localForm(w: Running, id: number): Promise<{ csrf: string; cookie: string }> {
  const res = await rawRequest(w.url, `/campaigns/${id}/cancel`);
  expect(res.status).toBe(200);
  const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(res.body)![1]!;
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  return { csrf, cookie };
}

const postForm = (w: Running, path: string, headers: Record<string, string>, body: string) =>
  rawRequest(w.url, path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body });

function refused(res: RawResponse, what: string): void {
  expect(res.status, what).toBe(401);
  expect(res.body, what).not.toContain(RECIPIENT);
  expect(res.body, what).not.toContain('gone@paper.example');
}

describe('the dashboard through a reverse proxy', () => {
  it('a proxy-shaped request (Host press.example.org, X-Forwarded-For) lists no recipient and no suppression', async () => {
    const { s, w, port } = await setup();
    const d = s.delivery[RECIPIENT]!;
    // This machine's own browser sees them: the same request without the proxy's marks.
    expect((await rawRequest(w.url, `/campaigns/${s.campaignId}`)).body).toContain(RECIPIENT);
    expect((await rawRequest(w.url, '/suppressions')).body).toContain('gone@paper.example');

    const proxied = { Host: 'press.example.org', 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' };
    for (const path of ['/', `/campaigns/${s.campaignId}`, `/campaigns/${s.campaignId}?q=anna`, `/deliveries/${d.id}`, '/suppressions', '/scheduled', '/api/campaigns', `/api/campaigns/${s.campaignId}`]) {
      refused(await rawRequest(w.url, path, { headers: proxied }), path);
    }
    // Any one mark of a proxy is enough, even with a local Host.
    const proxyMarks: Record<string, string>[] = [{ 'X-Forwarded-For': '203.0.113.9' }, { Forwarded: 'for=203.0.113.9' }, { Via: '1.1 proxy' }, { 'X-Real-IP': '203.0.113.9' }, { 'X-Forwarded-Host': 'press.example.org' }];
    for (const mark of proxyMarks) {
      refused(await rawRequest(w.url, `/campaigns/${s.campaignId}`, { headers: { Host: `127.0.0.1:${port}`, ...mark } }), JSON.stringify(mark));
    }
    // nginx's default proxy_pass: HTTP/1.0, Host rewritten to the upstream address, no forwarding header.
    expect(await rawBytes(w.url, Buffer.from(`GET /campaigns/${s.campaignId} HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`))).toBe(401);
    // A name that is not ours, without any proxy header, is not local either.
    refused(await rawRequest(w.url, '/suppressions', { headers: { Host: 'press.example.org' } }), 'foreign Host');
    // The public face still answers through the proxy.
    expect((await rawRequest(w.url, '/healthz', { headers: proxied })).status).toBe(200);
  });

  it('with a public origin set, the shared port asks for the token even for a request that looks local in every way (nginx with proxy_http_version 1.1); the dashboard port of its own does not', async () => {
    const { s, w, port } = await setup({ config: { unsubscribe: { baseUrl: 'https://press.example.org' } } });
    const looksLocal = await rawRequest(w.url, `/campaigns/${s.campaignId}`, { headers: { Host: `127.0.0.1:${port}` } });
    refused(looksLocal, 'HTTP/1.1, local Host, no proxy header, public origin configured');
    expect((await rawRequest(w.url, `/campaigns/${s.campaignId}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).body).toContain(RECIPIENT);
    expect(w.logText()).toMatch(/the dashboard shares the port served at the public origin/);
    await w.close();
    web = await startServer(s.app, { dashboardPort: 0 });
    expect((await rawRequest(web.dashboardUrl, `/campaigns/${s.campaignId}`)).body).toContain(RECIPIENT);
  });

  it('cancel through the proxy is refused, even with a form and cookie fetched locally', async () => {
    const { s, w } = await setup();
    const id = await scheduledCampaign(s);
    const proxied = { Host: 'press.example.org', 'X-Forwarded-For': '203.0.113.9' };
    const form = await rawRequest(w.url, `/campaigns/${id}/cancel`, { headers: proxied });
    refused(form, 'cancel form');
    expect(form.body).not.toContain('name="csrf"');

    const { csrf, cookie } = await localForm(w, id);
    const post = await postForm(w, `/campaigns/${id}/cancel`, { ...proxied, Cookie: cookie }, `csrf=${csrf}`);
    expect(post.status).toBe(401);
    expect((await s.app.store.getCampaign(id))!.status).toBe('scheduled');
  });

  it('the token still opens it through the proxy: sign-in gives an HttpOnly, Strict, Secure session id, never the token', async () => {
    const { s, w } = await setup({ config: { web: { publicOrigin: 'https://press.example.org' } } });
    const id = await scheduledCampaign(s);
    const proxied = { Host: 'press.example.org', 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' };
    const login = await postForm(w, '/login', proxied, `token=${TOKEN}&next=%2Fsuppressions`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/suppressions');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^pressline_auth=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    expect(setCookie).not.toContain(TOKEN);
    expect(setCookie).not.toContain(encodeURIComponent(TOKEN));
    const session = setCookie.split(';')[0]!;

    expect((await rawRequest(w.url, '/suppressions', { headers: { ...proxied, Cookie: session } })).body).toContain('gone@paper.example');
    expect((await rawRequest(w.url, '/suppressions', { headers: { ...proxied, Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The raw token in a cookie, or a session id the server never issued, opens nothing.
    refused(await rawRequest(w.url, '/suppressions', { headers: { ...proxied, Cookie: `pressline_token=${TOKEN}` } }), 'raw token cookie');
    refused(await rawRequest(w.url, '/suppressions', { headers: { ...proxied, Cookie: `pressline_auth=${'0'.repeat(64)}` } }), 'forged session');
    refused(await rawRequest(w.url, '/suppressions', { headers: { ...proxied, Cookie: `pressline_auth=${TOKEN}` } }), 'token as session');

    // A signed-in cancel from the public origin goes through; from any other origin it does not.
    const form = await rawRequest(w.url, `/campaigns/${id}/cancel`, { headers: { ...proxied, Cookie: session } });
    expect(form.status).toBe(200);
    expect(String(form.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(form.body)![1]!;
    const cookies = `${session}; ${String(form.headers['set-cookie']).split(';')[0]}`;
    const evil = await postForm(w, `/campaigns/${id}/cancel`, { ...proxied, Cookie: cookies, Origin: 'https://evil.example' }, `csrf=${csrf}`);
    expect(evil.status).toBe(403);
    const hostOrigin = await postForm(w, `/campaigns/${id}/cancel`, { ...proxied, Cookie: cookies, Origin: 'http://press.example.org' }, `csrf=${csrf}`);
    expect(hostOrigin.status).toBe(403); // Origin equal to Host proves nothing
    expect((await s.app.store.getCampaign(id))!.status).toBe('scheduled');
    const ok = await postForm(w, `/campaigns/${id}/cancel`, { ...proxied, Cookie: cookies, Origin: 'https://press.example.org' }, `csrf=${csrf}`);
    expect(ok.status).toBe(303);
    expect((await s.app.store.getCampaign(id))!.status).toBe('cancelled');
  });

  it('without an https public origin the session cookie is not marked Secure', async () => {
    const { w } = await setup({ config: { unsubscribe: { baseUrl: 'http://press.example.org' } } });
    const login = await postForm(w, '/login', { Host: 'press.example.org', 'X-Forwarded-For': '203.0.113.9' }, `token=${TOKEN}`);
    expect(login.status).toBe(303);
    expect(String(login.headers['set-cookie'])).toMatch(/^pressline_auth=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/);
  });
});

describe('DNS rebinding', () => {
  it('Host and Origin both rebind.attacker.example:<port> read nothing and cancel nothing', async () => {
    const { s, w, port } = await setup();
    const id = await scheduledCampaign(s);
    const attacker = `rebind.attacker.example:${port}`;
    refused(await rawRequest(w.url, `/campaigns/${s.campaignId}`, { headers: { Host: attacker } }), 'campaign page');
    refused(await rawRequest(w.url, '/api/campaigns', { headers: { Host: attacker, Origin: `http://${attacker}` } }), 'api');
    const form = await rawRequest(w.url, `/campaigns/${id}/cancel`, { headers: { Host: attacker } });
    refused(form, 'cancel form');

    // Even holding a real form token and cookie (say, from an earlier visit), and whatever Origin.
    const { csrf, cookie } = await localForm(w, id);
    for (const origin of [`http://${attacker}`, 'null']) {
      const post = await postForm(w, `/campaigns/${id}/cancel`, { Host: attacker, Origin: origin, Cookie: cookie }, `csrf=${csrf}`);
      expect(post.status, origin).toBe(401);
    }
    // A local Host with the attacker's Origin fails the CSRF check: Origin is not compared with Host.
    const mixed = await postForm(w, `/campaigns/${id}/cancel`, { Host: `127.0.0.1:${port}`, Origin: `http://${attacker}`, Cookie: cookie }, `csrf=${csrf}`);
    expect(mixed.status).toBe(403);
    expect((await s.app.store.getCampaign(id))!.status).toBe('scheduled');
    // This machine's own browser still cancels (its origin is the bound address).
    const own = await postForm(w, `/campaigns/${id}/cancel`, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}`, Cookie: cookie }, `csrf=${csrf}`);
    expect(own.status).toBe(303);
    expect((await s.app.store.getCampaign(id))!.status).toBe('cancelled');
  });

  it('names listed in web.allowedHosts are local too; localhost names always are', async () => {
    const { s, w, port } = await setup({ config: { web: { allowedHosts: ['Pressline.Internal'] } } });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'pressline.internal']) {
      const res = await rawRequest(w.url, `/campaigns/${s.campaignId}`, { headers: { Host: host } });
      expect(res.status, host).toBe(200);
      expect(res.body, host).toContain(RECIPIENT);
    }
    refused(await rawRequest(w.url, `/campaigns/${s.campaignId}`, { headers: { Host: `pressline.internal.attacker.example:${port}` } }), 'look-alike');
  });
});

describe('sign-in limit', () => {
  it('five attempts a minute per client address, then 429 with Retry-After, even for the right token; a minute later it opens', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const { w } = await setup({ clock });
    const proxied = { Host: 'press.example.org', 'X-Forwarded-For': '203.0.113.9' };
    for (let i = 0; i < 5; i++) {
      expect((await postForm(w, '/login', proxied, 'token=wrong')).status).toBe(401);
      await clock.advance(1000);
    }
    const limited = await postForm(w, '/login', proxied, `token=${TOKEN}`);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('55');
    expect(limited.headers['set-cookie']).toBeUndefined();
    await clock.advance(54_000);
    expect((await postForm(w, '/login', proxied, `token=${TOKEN}`)).status).toBe(429);
    await clock.advance(1000);
    const ok = await postForm(w, '/login', proxied, `token=${TOKEN}`);
    expect(ok.status).toBe(303);
    expect(requestLines(w).filter((l) => l.status === 429).every((l) => l.rejected === 'too many sign-in attempts')).toBe(true);
  });
});

describe('bad bytes', () => {
  it('NUL, malformed or non-UTF-8 escapes and raw bytes in path or query get 400, never 500', async () => {
    const { s, w } = await setup();
    for (const path of [
      '/suppressions?q=%00',
      `/campaigns/${s.campaignId}?q=a%00b`,
      `/campaigns/${s.campaignId}?outlet=%C3%28`,
      `/campaigns/${s.campaignId}?domain=%zz`,
      '/suppressions?q=%',
      '/scheduled?cancelled=%FF',
      '/u/%00abc',
      '/webhooks/ses?x=%00',
      '/%C0%AF',
    ]) {
      const res = await rawRequest(w.url, path);
      expect(res.status, path).toBe(400);
    }
    expect(await rawBytes(w.url, Buffer.from('GET /suppressions?q=\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'latin1'))).toBe(400);
    expect(await rawBytes(w.url, Buffer.from('GET /suppressions?q=caf\xc3\xa9 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'latin1'))).toBe(400);
    expect(requestLines(w).filter((l) => l.status >= 500)).toEqual([]);
    // Well-formed escapes, UTF-8 included, are fine.
    expect((await rawRequest(w.url, `/campaigns/${s.campaignId}?q=caf%C3%A9+x`)).status).toBe(200);
    expect((await rawRequest(w.url, '/suppressions?q=gone%40')).body).toContain('gone@paper.example');
  });
});

describe('limits', () => {
  it('bodies beyond web.maxConcurrentBodies get 503 with Retry-After; dashboard forms over 16 KiB get 413', async () => {
    const { w } = await setup({ config: { web: { maxConcurrentBodies: 2 } } });
    const { connect } = await import('node:net');
    const url = new URL(w.url);
    // Two uploads that announce 1000 bytes and send 10: each holds a body slot.
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<import('node:net').Socket>((resolve) => {
            const sock = connect(Number(url.port), url.hostname, () => {
              sock.write('POST /webhooks/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n0123456789');
              resolve(sock);
            });
          }),
      ),
    );
    try {
      await expect.poll(async () => (await rawRequest(w.url, '/webhooks/sendgrid', { method: 'POST', body: '[]' })).status).toBe(503);
      const busy = await rawRequest(w.url, '/webhooks/sendgrid', { method: 'POST', body: '[]' });
      expect(busy.headers['retry-after']).toBe('1');
      // Requests without a body are not held up.
      expect((await rawRequest(w.url, '/healthz')).status).toBe(200);
    } finally {
      for (const sock of held) sock.destroy();
    }
    // Slots come back when the uploads go away.
    await expect.poll(async () => (await rawRequest(w.url, '/webhooks/sendgrid', { method: 'POST', body: '[]' })).status).not.toBe(503);
    expect((await postForm(w, '/login', {}, `token=${'x'.repeat(17 * 1024)}`)).status).toBe(413);
  });

  it('connections beyond web.maxConnections are dropped at once', async () => {
    const { w } = await setup({ config: { web: { maxConnections: 2 } } });
    const { connect } = await import('node:net');
    const url = new URL(w.url);
    const open = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<import('node:net').Socket>((resolve) => {
            const sock = connect(Number(url.port), url.hostname, () => resolve(sock));
          }),
      ),
    );
    try {
      await expect(rawRequest(w.url, '/healthz')).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      for (const sock of open) sock.destroy();
    }
    await expect.poll(async () => (await rawRequest(w.url, '/healthz').catch(() => ({ status: 0 }))).status).toBe(200);
    expect(w.server.maxConnections).toBe(2);
  });
});

describe('slow clients', () => {
  it('headers or a body that never finish get 408 once web.headersTimeoutMs / requestTimeoutMs pass', async () => {
    const { w } = await setup({ config: { web: { headersTimeoutMs: 1000, requestTimeoutMs: 1500 } } });
    // Never sends the blank line that ends the headers; then one that never sends its body.
    const [headers, body] = await Promise.all([
      rawBytes(w.url, Buffer.from('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n')),
      rawBytes(w.url, Buffer.from('POST /webhooks/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{')),
    ]);
    expect(headers).toBe(408);
    expect(body).toBe(408);
  });
});

describe('the dashboard on its own port', () => {
  it('--dashboard-port: the public face carries no dashboard, and may then bind off loopback without the token', async () => {
    sent = await sentCampaign([RECIPIENT]);
    web = await startServer(sent.app, { host: '0.0.0.0', dashboardPort: 0 });
    const front = web.url.replace('0.0.0.0', '127.0.0.1');
    expect(web.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(web.dashboardUrl).not.toBe(front);
    for (const path of ['/', `/campaigns/${sent.campaignId}`, '/suppressions', '/login', '/api/campaigns']) {
      expect((await rawRequest(front, path)).status, path).toBe(404);
    }
    expect((await rawRequest(front, '/healthz')).status).toBe(200);
    expect((await rawRequest(front, '/u/abc')).status).toBe(400);
    const dash = await rawRequest(web.dashboardUrl, `/campaigns/${sent.campaignId}`);
    expect(dash.status).toBe(200);
    expect(dash.body).toContain(RECIPIENT);
    // Its own port's allow-list: the public face's Host, or a proxy, is not local to it.
    refused(await rawRequest(web.dashboardUrl, `/campaigns/${sent.campaignId}`, { headers: { Host: `127.0.0.1:${new URL(front).port}` } }), 'other port');
    refused(await rawRequest(web.dashboardUrl, `/campaigns/${sent.campaignId}`, { headers: { 'X-Forwarded-For': '203.0.113.9' } }), 'proxied');
  });
});

describe('config for serve', () => {
  it('refuses an unsubscribe.baseUrl serve cannot answer under, and a public origin with a path, naming the key', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ unsubscribe: { baseUrl: 'https://press.example.org/u' } }, /unsubscribe\.baseUrl: ends in \/u, but pressline adds \/u\/<token> itself/],
      [{ unsubscribe: { baseUrl: 'https://press.example.org/unsubscribe/u/' } }, /unsubscribe\.baseUrl: ends in \/u/],
      [{ unsubscribe: { baseUrl: 'https://press.example.org/?list=1' } }, /unsubscribe\.baseUrl: must carry no user, password, query/],
      [{ unsubscribe: { baseUrl: 'https://press.example.org/#x' } }, /unsubscribe\.baseUrl: must carry no/],
      [{ unsubscribe: { baseUrl: 'ftp://press.example.org/' } }, /unsubscribe\.baseUrl: must be an https:\/\/ \(or http:\/\/\) URL, not ftp:/],
      [{ web: { publicOrigin: 'https://press.example.org/dashboard' } }, /web\.publicOrigin: must be an origin without a path, e.g\. https:\/\/press\.example\.org/],
    ];
    for (const [raw, message] of bad) {
      let caught: unknown;
      try {
        validateConfig(raw, 'config/pressline.json');
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(raw)).toBeInstanceOf(PresslineError);
      expect((caught as Error).message, JSON.stringify(raw)).toMatch(message);
      expect((caught as Error).message).not.toContain('\n');
    }
    for (const ok of ['https://press.example.org', 'https://press.example.org/', 'https://press.example.org/unsubscribe', 'https://press.example.org/press/unsubscribe/', 'https://press.example.org/users']) {
      expect(validateConfig({ unsubscribe: { baseUrl: ok } }).unsubscribe.baseUrl).toBe(ok);
    }
  });

  it('a dashboard port in use is reported, naming --dashboard-port', async () => {
    sent = await sentCampaign([RECIPIENT]);
    web = await startServer(sent.app);
    const taken = Number(new URL(web.url).port);
    await expect(createWebServer(sent.app, { port: 0, dashboardPort: taken })).rejects.toThrow(/EADDRINUSE.*--dashboard-port/);
  });
});
