// The dashboard reached by a real browser the way an attacker would: through a proxy (forwarding
// headers, a public Host) and by DNS rebinding (a foreign name resolving to 127.0.0.1).
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalists } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { sentCampaign, startServer, type Running, type Sent } from '../fixtures/webhooks/harness.js';

const TOKEN = 'a-long-dashboard-token-1234567890';
const RECIPIENT = 'anna@paper.example';
let sent: Sent;
let web: Running;
let browser: Browser;
let port: string;
let scheduledId: number;

beforeAll(async () => {
  sent = await sentCampaign([RECIPIENT, 'ben@wire.example'], { env: { dashboardToken: TOKEN } });
  const list = sent.app.list(journalists(2, 'later.example'));
  scheduledId = await planCampaign(sent.app, [list], {}, {
    status: 'scheduled',
    scheduledAt: new Date('2030-12-01T08:00:00Z'),
  });
  web = await startServer(sent.app);
  port = new URL(web.url).port;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The attacker's name and the public name both resolve to this machine, as after a rebind
      // or through a proxy on the same host; nothing leaves loopback.
      '--host-resolver-rules=MAP rebind.attacker.example 127.0.0.1, MAP press.example.org 127.0.0.1, EXCLUDE localhost',
    ],
  });
}, 90_000);
afterAll(async () => {
  await closeAll(browser, web, sent?.app);
});

async function context(headers: Record<string, string> = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({ extraHTTPHeaders: headers });
  await ctx.route(/^(?!http:\/\/(127\.0\.0\.1|rebind\.attacker\.example|press\.example\.org):)/, (r) => r.abort());
  return ctx;
}

describe('dashboard in Chromium, reached the wrong way', () => {
  it('by DNS rebinding: the page gets the sign-in form, and its script can neither read nor cancel', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    const res = await page.goto(`http://rebind.attacker.example:${port}/campaigns/${sent.campaignId}`);
    expect(res!.status()).toBe(401);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    expect(await page.content()).not.toContain(RECIPIENT);

    // What the attacker's script would do once the name points here: same-origin to it.
    const tried = await page.evaluate(async (id) => {
      const api = await fetch('/api/campaigns');
      const form = await fetch(`/campaigns/${id}/cancel`);
      const post = await fetch(`/campaigns/${id}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'csrf=x', referrerPolicy: 'no-referrer' });
      return { api: api.status, form: form.status, formHasToken: (await form.text()).includes('name="csrf"'), post: post.status, suppressions: await (await fetch('/suppressions')).text() };
    }, scheduledId);
    expect(tried).toMatchObject({ api: 401, form: 401, formHasToken: false, post: 401 });
    expect(tried.suppressions).toContain('Sign in');
    expect(tried.suppressions).not.toContain('Suppression list');
    expect((await sent.app.store.getCampaign(scheduledId))!.status).toBe('scheduled');
    await ctx.close();
  });

  it('through a proxy: forwarding headers or the public Host get the sign-in form; the token gives a session cookie, not itself', async () => {
    const ctx = await context({ 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' });
    const page = await ctx.newPage();
    for (const url of [`http://127.0.0.1:${port}/campaigns/${sent.campaignId}`, `http://press.example.org:${port}/campaigns/${sent.campaignId}`]) {
      const res = await page.goto(url);
      expect(res!.status(), url).toBe(401);
      expect(await page.content(), url).not.toContain(RECIPIENT);
    }
    // The public face works through the same proxy.
    expect((await page.goto(`http://press.example.org:${port}/healthz`))!.status()).toBe(200);

    await page.goto(`http://press.example.org:${port}/campaigns/${sent.campaignId}`);
    await page.getByLabel('Dashboard token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`/campaigns/${sent.campaignId}$`));
    expect(await page.locator('main').textContent()).toContain(RECIPIENT);
    const cookies = await ctx.cookies(`http://press.example.org:${port}/`);
    expect(cookies.filter((c) => c.value.includes(TOKEN) || c.value.includes(encodeURIComponent(TOKEN)))).toEqual([]);
    const session = cookies.find((c) => c.name === 'pressline_auth')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session.value).toMatch(/^[0-9a-f]{64}$/);
    await ctx.close();
  });

  it('from this machine, straight: open without a token', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    const res = await page.goto(`http://127.0.0.1:${port}/campaigns/${sent.campaignId}`);
    expect(res!.status()).toBe(200);
    expect(await page.locator('main').textContent()).toContain(RECIPIENT);
    await ctx.close();
  });
});
