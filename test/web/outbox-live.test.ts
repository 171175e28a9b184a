// Issue 19 item 4 in a real browser: while a campaign is written to the outbox folder, the
// dashboard's live counts fill "written to outbox", and "sent" stays 0, at 375 and 1280 px.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { createOutboxTransport } from '../../src/send/outbox.js';
import type { Transport } from '../../src/send/transport.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';

const SHOTS = 'test/.tmp/screenshots';
let app: TestApp;
let web: Running;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = testApp(); // no SMTP_URL: sends go to the outbox folder
  web = await startServer(app);
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await closeAll(browser, web, app);
});

/**
 * The real outbox transport, held after the first five messages until `release()`: the page sees
 * the send under way however fast the machine writes the rest.
 */
function heldOutbox(dir: string): { transport: Transport; release: () => void } {
  const inner = createOutboxTransport(dir);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let n = 0;
  const transport: Transport = {
    name: inner.name,
    send: async (mail) => {
      if (++n > 5) await gate;
      return inner.send(mail);
    },
    close: () => inner.close(),
  };
  return { transport, release };
}

describe('dashboard, campaign written to the outbox folder', () => {
  for (const width of [375, 1280]) {
    it(`counts it live as "written to outbox", never as sent (${width} px)`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
      const list = app.list(journalists(30, `w${width}.example`));
      const id = await planCampaign(app, [list]);
      await page.goto(`${web.url}/`);
      const outbox = page.locator(`#campaigns [data-campaign="${id}"][data-status="outbox"]`);
      const sent = page.locator(`#campaigns [data-campaign="${id}"][data-status="sent"]`);
      expect(await outbox.textContent()).toBe('0');
      expect(await outbox.isVisible()).toBe(true);
      expect(await page.locator(`#campaigns li:has([data-campaign="${id}"][data-status="outbox"])`).textContent()).toBe('written to outbox 0');
      const held = heldOutbox(join(app.config.paths.outbox, String(id)));
      const run = runCampaign(id, app, { waitForRetries: false, transport: held.transport });
      const sel = `#campaigns [data-campaign="${id}"][data-status="outbox"]`;
      await page.waitForFunction((s) => Number(document.querySelector(s)?.textContent) > 0 && Number(document.querySelector(s)?.textContent) < 30, sel, { timeout: 15_000 });
      expect(await sent.textContent()).toBe('0');
      await page.screenshot({ path: `${SHOTS}/outbox-live-${width}.png`, fullPage: true });
      held.release();
      expect((await run).end).toBe('done');
      await page.waitForFunction((s) => document.querySelector(s)?.textContent === '30', sel, { timeout: 10_000 });
      expect(await sent.textContent()).toBe('0');
      // The page fits the width: nothing scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.close();
    });
  }
});
