// One journalist's history on the dashboard (issue 17, part 3): /contacts/<address> in headless
// Chromium, over a real send, a DSN ingested as mail and a one-click unsubscribe POSTed to the server.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactText } from '../../src/cli/contact.js';
import { contactHistoryHtml, contactKey, suppressionSentence } from '../../src/reports/contact-history.js';
import { launchChromium } from '../helpers/browser.js';
import { closeAll } from '../helpers/close.js';
import { JOURNALIST, journalistHistory, KEY, type JournalistHistory } from '../helpers/journalist-history.js';

let h: JournalistHistory;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  h = await journalistHistory();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Nothing may leave loopback.
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
}, 90_000);
afterAll(async () => {
  await closeAll(browser, h);
});

const rowsOf = (id: string) => page.locator(`#${id} tbody tr`);

describe('the contact page', () => {
  it('is linked from the recipient page and shows the suppression, both campaigns, the bounce and the unsubscribe', async () => {
    await page.goto(`${h.web.dashboardUrl}/deliveries/${h.firstDelivery}`);
    await page.locator('#contact-history').click();
    await page.waitForURL(/\/contacts\/Elodie\.Lefevre%40LeMonde\.example$/);
    expect(await page.locator('h1').textContent()).toBe(JOURNALIST);
    const state = page.locator('#suppression-state');
    expect(await state.getAttribute('data-suppressed')).toBe('yes');
    expect(await state.textContent()).toMatch(/^Suppressed since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: their address bounced permanently \(test-mailbox; /);

    const campaigns = rowsOf('contact-campaigns');
    expect(await campaigns.count()).toBe(2);
    const [newest, oldest] = [campaigns.nth(0), campaigns.nth(1)];
    expect(await newest.locator('td[data-label="campaign"] a').getAttribute('href')).toBe(`/campaigns/${h.second}`);
    expect(await newest.locator('td[data-label="delivery"] a').getAttribute('href')).toBe(`/deliveries/${h.secondDelivery}`);
    expect(await newest.locator('td[data-label="delivery"]').textContent()).toBe('bounced');
    expect(await newest.locator('td[data-label="last reply"]').textContent()).toMatch(/^550 5\.2\.1 <Elodie\.Lefevre@LeMonde\.example>: mailbox disabled/);
    expect(await oldest.locator('td[data-label="campaign"] a').textContent()).toBe(`${h.first}: EU-Russia summit: put human rights on top of the agenda`);
    expect(await oldest.locator('td[data-label="delivery"] a').getAttribute('href')).toBe(`/deliveries/${h.firstDelivery}`);
    expect(await oldest.locator('td[data-label="delivery"]').textContent()).toBe('sent');
    for (const label of ['planned', 'sent', 'last event']) expect(await oldest.locator(`td[data-label="${label}"]`).textContent()).toMatch(/ UTC$/);

    const bounces = rowsOf('contact-bounces');
    expect(await bounces.count()).toBe(1);
    expect(await bounces.locator('td[data-label="kind"]').textContent()).toBe('hard');
    expect(await bounces.locator('td[data-label="code"]').textContent()).toBe('550 5.2.1');
    expect(await bounces.locator('td[data-label="campaign"] a').first().getAttribute('href')).toBe(`/campaigns/${h.second}`);
    const unsubscribes = rowsOf('contact-unsubscribes');
    expect(await unsubscribes.count()).toBe(1);
    expect(await unsubscribes.locator('td[data-label="how"]').textContent()).toBe('one-click');
    expect(await unsubscribes.locator('td[data-label="campaign"]').textContent()).toBe(`campaign ${h.first} · delivery ${h.firstDelivery}`);
    expect(await page.locator('#contact-complaints').textContent()).toBe('None.');
    await page.locator('#suppression-log summary').click();
    expect(await page.locator('#suppression-log li').allTextContents()).toEqual([expect.stringMatching(/ UTC · suppressed · hard-bounce · by test-mailbox · /)]);
  });

  it('escapes a hostile release title and diagnostic: shown as text, never run', async () => {
    const html = await (await fetch(`${h.web.dashboardUrl}/contacts/${encodeURIComponent(KEY)}`)).text();
    expect(html).toContain('&#60;script&#62;window.pwned=1&#60;/script&#62;');
    expect(html).toContain('&#60;img src=x onerror=&#34;window.pwned=2&#34;&#62;');
    expect(html).not.toMatch(/<script>window|<img src=x/);
    await page.goto(`${h.web.dashboardUrl}/contacts/${encodeURIComponent(KEY)}`);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await rowsOf('contact-campaigns').nth(0).locator('td[data-label="campaign"] a').textContent()).toContain('<script>window.pwned=1</script> — Заявление');
    expect(await rowsOf('contact-bounces').locator('td[data-label="diagnostic"]').textContent()).toContain('mailbox disabled \x1b[31mRED\x1b[0m <img src=x onerror="window.pwned=2">');
  });

  it('any spelling finds the address; the lookup form redirects to its page; unknown is 404, malformed 400; the log keeps no address', async () => {
    const res = await fetch(`${h.web.dashboardUrl}/contacts/%3CELODIE.lefevre%40LEMONDE.example%3E`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Address key ${KEY}`);

    await page.goto(`${h.web.dashboardUrl}/contacts`);
    await page.getByLabel("Journalist's email address").fill('  elodie.LEFEVRE@lemonde.example ');
    await page.getByRole('button', { name: 'Show history' }).click();
    await page.waitForURL(/\/contacts\/elodie\.LEFEVRE%40lemonde\.example$/);
    expect(await rowsOf('contact-campaigns').count()).toBe(2);

    const unknown = await fetch(`${h.web.dashboardUrl}/contacts/nobody%40nowhere.example`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('<h1>No history for nobody@nowhere.example</h1>');
    const bad = await fetch(`${h.web.dashboardUrl}/contacts/%3Cb%3Ebold`);
    expect(bad.status).toBe(400);
    const body = await bad.text();
    expect(body).toContain('invalid email &#34;&#60;b&#62;bold&#34;: no &#34;@&#34;; give one address');
    expect(body).not.toContain('<b>bold');
    const far = await fetch(`${h.web.dashboardUrl}/contacts?email=${'a'.repeat(2000)}`);
    expect(far.status).toBe(400);

    const paths = h.web.logs.filter((l) => l.msg === 'http request').map((l) => String(l.path));
    expect(paths).toContain('/contacts/[address]');
    expect(paths.join(' ')).not.toMatch(/elodie|nobody/i);
  });

  it('fits a 375 px phone: the page never scrolls sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
    try {
      await phone.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
      await phone.goto(`${h.web.dashboardUrl}/contacts/${encodeURIComponent(KEY)}`);
      expect(await phone.locator('#contact-campaigns tbody tr').count()).toBe(2);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    } finally {
      await phone.close();
    }
  });

  it('the keys and the first sentence: IDN spelled either way is one key; a removed suppression is told', async () => {
    expect(contactKey('Anna@Bücher.example')).toBe('anna@xn--bcher-kva.example');
    expect(contactKey('<anna@XN--BCHER-KVA.example>')).toBe('anna@xn--bcher-kva.example');
    expect(() => contactKey('anna@')).toThrow(/invalid email "anna@": nothing after "@"/);
    await h.app.store.removeSuppression(KEY, 'Opérateur', new Date('2030-01-01T00:00:00Z'));
    const sentence = suppressionSentence(await h.app.store.contactHistory(KEY));
    expect(sentence).toBe('Not suppressed: they receive the releases they are listed for. Their suppression (hard-bounce) was removed 2030-01-01 00:00:00 UTC by Opérateur.');
  });

  it('shows opens and clicks from the store, machine fetches counted apart (none before any came)', async () => {
    const before = await h.app.store.contactHistory(KEY);
    expect(before.deliveries.map((d) => d.engagement)).toEqual([undefined, undefined]);
    expect(contactText(before, KEY)).not.toContain('engagement');
    const first = before.deliveries[1]!;
    const event = { campaignId: first.campaignId, deliveryId: first.deliveryId, userAgent: 'Mozilla/5.0', url: undefined };
    await h.app.store.recordEngagement({ ...event, kind: 'open', at: new Date('2030-01-02T03:04:00Z'), human: false, reason: 'apple-mpp' });
    await h.app.store.recordEngagement({ ...event, kind: 'open', at: new Date('2030-01-02T03:04:01Z'), human: true, reason: 'human' });
    await h.app.store.recordEngagement({ ...event, kind: 'click', at: new Date('2030-01-02T03:04:05Z'), human: true, reason: 'human', url: 'https://amnesty.example/' });
    const history = await h.app.store.contactHistory(KEY);
    expect(history.deliveries[0]!.engagement).toBeUndefined();
    expect(history.deliveries[1]!.engagement).toMatchObject({ opensHuman: 1, opensMachine: 1, clicksHuman: 1, clicksMachine: 0 });
    const links = { campaign: (id: number) => `/campaigns/${id}`, delivery: (id: number) => `/deliveries/${id}` };
    const shown = 'opened 1× (1 more by machines), clicked 1×, last 2030-01-02 03:04:05 UTC';
    expect(contactHistoryHtml(history, links)).toContain(`<span class="engagement">${shown}</span>`);
    expect(contactText(history, KEY)).toMatch(new RegExp(`engagement\\n.*\\n.*${shown.replace(/[()]/g, '\\$&')}`));
  });
});
