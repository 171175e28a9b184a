import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { journalists } from '../helpers/app.js';
import { delivered, type Delivered } from '../helpers/delivered.js';
import { startTestSmtp } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';

const SHOTS = 'test/.tmp/screenshots';
let d: Delivered;
let web: Running;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  d = await delivered(60);
  web = await startServer(d.app);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Nothing may leave loopback.
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
}, 90_000);
afterAll(async () => {
  await closeAll(browser, web, d);
});

const cell = (p: Page, status: string) => p.locator(`#campaigns [data-campaign="${d.campaignId}"][data-status="${status}"]`);

describe('dashboard in headless Chromium', () => {
  it('overview shows the counts of the real send', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${web.url}/`);
    await expect.poll(() => page.title()).toBe('Campaigns · pressline');
    expect(await cell(page, 'sent').textContent()).toBe('62');
    expect(await cell(page, 'bounced').textContent()).toBe('2');
    expect(await cell(page, 'blocked').textContent()).toBe('1');
    await page.waitForFunction(() => (document.getElementById('live')?.textContent ?? '').startsWith('Updated'));
    await page.screenshot({ path: `${SHOTS}/overview-desktop.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('campaign page: chart, reasons, status/domain filters, search and pagination', async () => {
    await page.goto(`${web.url}/campaigns/${d.campaignId}`);
    expect(await page.locator('svg[role="img"]').count()).toBe(1);
    await expect.poll(() => page.locator('table caption', { hasText: 'by enhanced status' }).count()).toBe(1);
    const reasons = await page.locator('table:has(caption:text("by enhanced status"))').textContent();
    expect(reasons).toContain('5.1.1');
    expect(reasons).toContain('4.7.1');
    expect(reasons).toContain('5.7.1');
    expect(await page.locator('table:has(caption:text("by receiving domain"))').textContent()).toContain('tv.example');
    await page.screenshot({ path: `${SHOTS}/campaign-desktop.png`, fullPage: true });

    // Status filter, chosen by its label.
    await page.getByLabel('Status', { exact: true }).selectOption('bounced');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=bounced/);
    expect(await page.locator('#match-count').textContent()).toBe('2');
    const emails = await page.locator('table:has(caption:text("Recipients")) tbody td[data-label="email"]').allTextContents();
    expect(emails.sort()).toEqual(['late@paper.example', 'unknown@paper.example']);

    // Domain filter, keyboard only.
    await page.goto(`${web.url}/campaigns/${d.campaignId}`);
    await page.getByLabel('Domain (exact)').focus();
    await page.keyboard.type('tv.example');
    await page.keyboard.press('Enter');
    await page.waitForURL(/domain=tv\.example/);
    expect(await page.locator('#match-count').textContent()).toBe('21');

    // Search.
    await page.goto(`${web.url}/campaigns/${d.campaignId}`);
    await page.getByLabel('Search email or outlet').fill('radio free');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/q=radio/);
    expect(await page.locator('#match-count').textContent()).toBe('1');
    expect(await page.locator('tbody td[data-label="email"]').first().textContent()).toBe('spam@radio.example');

    // Pagination: 65 recipients at 25 a page.
    await page.goto(`${web.url}/campaigns/${d.campaignId}?size=25`);
    expect(await page.locator('#page-count').textContent()).toBe('3');
    await page.getByRole('link', { name: 'Next ›' }).first().click();
    await page.waitForURL(/page=2/);
    expect(await page.locator('#page-no').textContent()).toBe('2');
    expect(await page.locator('table:has(caption:text("Recipients")) tbody tr').count()).toBe(25);
    await page.getByRole('link', { name: 'Last »' }).first().click();
    await page.waitForURL(/page=3/);
    expect(await page.locator('table:has(caption:text("Recipients")) tbody tr').count()).toBe(15);
  });

  it('recipient page shows the raw 550 reply and the raw DSN, escaped', async () => {
    await page.goto(`${web.url}/campaigns/${d.campaignId}?q=unknown%40`);
    await page.getByRole('link', { name: 'unknown@paper.example' }).click();
    await page.waitForURL(/\/deliveries\/\d+$/);
    const text = await page.locator('main').textContent();
    expect(text).toContain('550 5.1.1');
    expect(text).toContain('Recipient address rejected: User unknown in virtual mailbox table');
    await page.screenshot({ path: `${SHOTS}/recipient-desktop.png`, fullPage: true });

    await page.goto(`${web.url}/campaigns/${d.campaignId}?q=late%40`);
    await page.getByRole('link', { name: 'late@paper.example' }).click();
    await page.waitForURL(/\/deliveries\/\d+$/);
    const raw = await page.locator('pre', { hasText: 'Reporting-MTA' }).textContent();
    expect(raw).toContain('Status: 5.2.1');
    expect(raw).toContain('<script>alert(1)</script>'); // shown as text, not run
    expect(await page.locator('main script').count()).toBe(0);
  });

  it('suppression list shows the hard bounces with reasons', async () => {
    await page.goto(`${web.url}/suppressions`);
    const rows = await page.locator('#suppressions tbody tr').allTextContents();
    expect(rows.join('\n')).toMatch(/unknown@paper\.example\s*hard-bounce/);
    expect(rows.join('\n')).toMatch(/late@paper\.example\s*hard-bounce/);
  });

  it('updates progress live while a slow send runs', async () => {
    const slow = await startTestSmtp({ delayMs: 200 });
    const app = d.app;
    const prevUrl = app.env.smtpUrl;
    app.env.smtpUrl = slow.url;
    try {
      const list = app.list(journalists(40, 'slow.example'));
      const id = await planCampaign(app, [list]);
      await page.goto(`${web.url}/`);
      const sent = page.locator(`#campaigns [data-campaign="${id}"][data-status="sent"]`);
      expect(await sent.textContent()).toBe('0');
      const run = runCampaign(id, app, { waitForRetries: true });
      // The page never reloads; the number changes in place.
      await page.waitForFunction((sel) => Number(document.querySelector(sel)?.textContent) > 0 && Number(document.querySelector(sel)?.textContent) < 40, `#campaigns [data-campaign="${id}"][data-status="sent"]`, { timeout: 15_000 });
      await page.screenshot({ path: `${SHOTS}/overview-live.png` });
      await run;
      await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '40', `#campaigns [data-campaign="${id}"][data-status="sent"]`, { timeout: 10_000 });
      expect(await page.locator(`[data-campaign="${id}"][data-field="percent"]`).textContent()).toBe('100%');
    } finally {
      app.env.smtpUrl = prevUrl;
      await slow.close();
    }
  });

  it('cancels a scheduled campaign only after confirmation, with a CSRF-protected POST', async () => {
    const app = d.app;
    const list = app.list(journalists(3, 'later.example'));
    const id = await planCampaign(app, [list], {}, { status: 'scheduled', scheduledAt: new Date('2030-12-01T08:00:00Z') });
    if (app.store.kind === 'postgres') {
      await (app.store as any).pool.query('UPDATE campaigns SET scheduled_at = $1, schedule_zone = $2 WHERE id = $3', [new Date('2030-12-01T08:00:00Z'), 'Europe/Brussels', id]);
    } else {
      (app.store as any).db.prepare('UPDATE campaigns SET scheduled_at = ?, schedule_zone = ? WHERE id = ?').run(Date.parse('2030-12-01T08:00:00Z'), 'Europe/Brussels', id);
    }

    await page.goto(`${web.url}/scheduled`);
    const row = await page.locator('#scheduled').textContent();
    expect(row).toContain('Sun 1 Dec 2030 09:00 CET');
    expect(row).toContain('08:00 UTC');
    await page.screenshot({ path: `${SHOTS}/scheduled-desktop.png`, fullPage: true });
    await page.locator(`a[href="/campaigns/${id}/cancel"]`).click();
    await page.waitForURL(new RegExp(`/campaigns/${id}/cancel$`));
    expect((await app.store.getCampaign(id))!.status).toBe('scheduled'); // the GET changes nothing

    // A forged cross-site POST without the token is refused.
    const forged = await fetch(`${web.url}/campaigns/${id}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' }, body: 'csrf=x' });
    expect(forged.status).toBe(403);
    expect((await app.store.getCampaign(id))!.status).toBe('scheduled');

    await page.getByRole('button', { name: `Yes, cancel campaign ${id}` }).click();
    await page.waitForURL(/\/scheduled\?cancelled=/);
    expect(await page.locator('[role="status"]').textContent()).toContain(`Campaign ${id} was cancelled`);
    expect((await app.store.getCampaign(id))!.status).toBe('cancelled');
  });

  it('is readable on a phone', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await phone.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
    await phone.goto(`${web.url}/campaigns/${d.campaignId}?size=25`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: `${SHOTS}/campaign-phone.png`, fullPage: false });
    await phone.goto(`${web.url}/`);
    await phone.screenshot({ path: `${SHOTS}/overview-phone.png`, fullPage: true });
    await phone.close();
  });

  it('every input has a label and the page declares its language', async () => {
    await page.goto(`${web.url}/campaigns/${d.campaignId}`);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden]), select')].filter((el) => !(el as HTMLInputElement).labels?.length).map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').count()).toBe(1);
  });
});

describe('dashboard off loopback', () => {
  it('requires the token on every dashboard route; the login form sets the cookie', async () => {
    const token = 'a-long-dashboard-token-1234567890';
    d.app.env.dashboardToken = token;
    const open = await startServer(d.app, { host: '0.0.0.0' });
    const base = open.url.replace('0.0.0.0', '127.0.0.1');
    try {
      const [one] = await d.app.store.deliveries(d.campaignId);
      for (const path of ['/', '/api/campaigns', `/campaigns/${d.campaignId}`, '/suppressions', '/scheduled', `/campaigns/${d.campaignId}/cancel`, `/campaigns/${d.campaignId}/pause`, `/campaigns/${d.campaignId}/resume`, `/deliveries/${one!.id}/message`]) {
        expect((await fetch(`${base}${path}`)).status, path).toBe(401);
      }
      for (const action of ['pause', 'resume', 'cancel']) {
        const post = await fetch(`${base}/campaigns/${d.campaignId}/${action}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' });
        expect(post.status, action).toBe(401);
      }
      expect((await fetch(`${base}/api/campaigns`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      const p = await browser.newPage();
      await p.goto(`${base}/suppressions`);
      await p.getByLabel('Dashboard token').fill(token);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(/\/suppressions$/);
      expect(await p.locator('h1').textContent()).toBe('Suppression list');
      await p.close();
    } finally {
      await open.close();
      d.app.env.dashboardToken = undefined;
    }
  });
});
