// The dashboard's campaign page rows, in headless Chromium at phone and desktop widths: what came
// after delivery (late bounce with its own codes, complaint, unsubscribe), the reason of skipped
// and suppressed rows, and `code` / `enhanced` as separate cells (issue 14 item 5, issue 19 item 8).
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterDelivery, type AfterDelivery } from '../helpers/after-delivery.js';
import { closeAll } from '../helpers/close.js';

const SHOTS = 'test/.tmp/screenshots';
let s: AfterDelivery;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  s = await afterDelivery();
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await closeAll(browser, s);
});

const WIDTHS = [
  { name: 'phone', width: 375, height: 812 },
  { name: 'desktop', width: 1280, height: 900 },
];

async function open(width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  // Nothing may leave loopback.
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
  return page;
}

/** The recipient table's cells of one address, by their data-label. */
async function cells(page: Page, email: string): Promise<Record<string, string>> {
  const row = page.locator('table:has(caption:text("Recipients")) tbody tr', { has: page.getByRole('link', { name: email, exact: true }) });
  expect(await row.count()).toBe(1);
  const pairs = await row.locator('td').evaluateAll((tds) => tds.map((td) => [td.getAttribute('data-label') ?? '', ((td as HTMLElement).innerText ?? '').replace(/\s+/g, ' ').trim()]));
  return Object.fromEntries(pairs);
}

/** Whether every cell of the row lies inside the viewport's width (nothing to scroll sideways for). */
async function fitsWidth(page: Page, email: string): Promise<boolean> {
  const row = page.locator('table:has(caption:text("Recipients")) tbody tr', { has: page.getByRole('link', { name: email, exact: true }) });
  return row.locator('td').evaluateAll((tds) => tds.every((td) => td.getBoundingClientRect().right <= document.documentElement.clientWidth + 0.5));
}

describe.each(WIDTHS)('campaign page rows at $width px', ({ name, width, height }) => {
  it('show the relay reply (code 250, enhanced 2.6.0) apart from what came after delivery', async () => {
    const page = await open(width, height);
    try {
      await page.goto(`${s.web.dashboardUrl}/campaigns/${s.sent}`);
      const late = await cells(page, 'late@paper.example');
      expect(late).toMatchObject({ status: 'bounced', code: '250', enhanced: '2.6.0' });
      expect(late.reply).toMatch(/^250 2\.6\.0/);
      expect(late['after delivery']).toMatch(/^bounced 550 5\.2\.1 \d{4}-\d\d-\d\d \d\d:\d\d .*mailbox disabled/);
      expect((await cells(page, 'ok@paper.example'))['after delivery']).toMatch(/^complained /);
      expect((await cells(page, 'quit@tv.example'))['after delivery']).toMatch(/^unsubscribed .*one-click/);
      expect(await cells(page, 'unknown@paper.example')).toMatchObject({ code: '550', enhanced: '5.1.1', 'after delivery': '' });
      // The diagnostic is outside text: shown, never run.
      expect(await page.locator('main script').count()).toBe(0);
      if (width < 600) {
        // Each cell is one labelled line on a phone.
        const label = await page.locator('td[data-label="after delivery"]').first().evaluate((td) => getComputedStyle(td, '::before').content);
        expect(label).toBe('"after delivery: "');
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      // The after-delivery column is in view, not behind the table's own sideways scroll.
      expect(await fitsWidth(page, 'late@paper.example')).toBe(true);
      const wrap = page.locator('.table-wrap:has(caption:text("Recipients"))');
      expect(await wrap.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SHOTS}/rows-after-${name}.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('show why skipped and suppressed rows were not sent', async () => {
    const page = await open(width, height);
    try {
      await page.goto(`${s.web.dashboardUrl}/campaigns/${s.again}`);
      expect(await cells(page, 'fine@radio.example')).toMatchObject({ status: 'skipped', code: '', reason: 'already had this release from an earlier campaign (--new-only)' });
      expect((await cells(page, 'ok@paper.example')).reason).toMatch(/^on the suppression list when planned: complaint/);
      expect((await cells(page, 'quit@tv.example')).reason).toMatch(/^on the suppression list when planned: unsubscribe \(one-click/);
      expect((await cells(page, 'late@paper.example')).reason).toMatch(/hard-bounce/);
      const pending = await cells(page, 'new@radio.example');
      expect(pending.status).toBe('pending');
      expect(pending.reason).toBeUndefined();
      expect(await fitsWidth(page, 'fine@radio.example')).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SHOTS}/rows-reasons-${name}.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it("a recipient's page keeps the relay reply as the last response and names the later report and the reason apart", async () => {
    const page = await open(width, height);
    try {
      await page.goto(`${s.web.dashboardUrl}/campaigns/${s.sent}`);
      await page.getByRole('link', { name: 'late@paper.example', exact: true }).click();
      await page.waitForURL(/\/deliveries\/\d+$/);
      const last = (await page.locator('#last-response').innerText()).trim();
      expect(last).toMatch(/^250 2\.6\.0\n250 2\.6\.0 Ok: queued/);
      expect(last).not.toContain('550');
      expect(await page.locator('#after-delivery').innerText()).toMatch(/^After delivery: bounced \d{4}-\d\d-\d\d \d\d:\d\d UTC 550 5\.2\.1: .*mailbox disabled/);
      expect(await page.locator('#reason').count()).toBe(0);
      await page.screenshot({ path: `${SHOTS}/recipient-after-${name}.png`, fullPage: true });

      await page.goto(`${s.web.dashboardUrl}/campaigns/${s.again}`);
      await page.getByRole('link', { name: 'fine@radio.example', exact: true }).click();
      await page.waitForURL(/\/deliveries\/\d+$/);
      expect(await page.locator('#reason').innerText()).toBe('Reason: already had this release from an earlier campaign (--new-only)');
      expect(await page.locator('#after-delivery').count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});
