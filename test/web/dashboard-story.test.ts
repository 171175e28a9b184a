// The dashboard and the HTML report tell the whole story (issue 19, item 7): phase and embargo,
// lists, progress over what is meant to be sent, one time convention, a "(none)" language filter,
// pages that fit 375 px, the message a recipient got, pause and resume. Real Chromium, a real
// send to the loopback SMTP server, a real store; only the clock is fake.
import { appendFileSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { ManualClock } from '../../src/time/clock.js';
import { reportRows } from '../../src/reports/delivery-report.js';
import { renderHtmlReport } from '../../src/reports/html.js';
import { campaignSummary, outcomeSeries, reasonBreakdown } from '../../src/reports/queries.js';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';

// releases/examples/embargoed.md: embargo 2027-03-16 09:00 Europe/Brussels = 08:00 UTC.
const LIFT = new Date('2027-03-16T08:00:00Z');
const HOUR = 3_600_000;
const SHOTS = 'test/.tmp/screenshots';
/** The one convention: "2027-03-15 08:00:00 UTC". */
const UTC_TIME = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;

let app: TestApp;
let smtp: TestSmtpServer;
let web: Running;
let browser: Browser;
let embargoedId: number;
let publicId: number;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  smtp = await startTestSmtp();
  const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
  app = testApp({ clock, env: { smtpUrl: smtp.url } });
  const release = join(app.dir, 'embargoed.md');
  copyFileSync('releases/examples/embargoed.md', release);
  // Two trusted journalists get it under embargo; the public list of 13 holds both of them too.
  const trusted = app.list(['t1@wire.example,Tina,One,Wire,science,en', 'both@paper.example,Bo,Th,Paper,science,en']);
  const everyone = app.list([
    't1@wire.example,Tina,One,Wire,science,en',
    'both@paper.example,Bo,Th,Paper,science,en',
    // Three without a language in the list.
    'nolang1@news.example,Na,One,News,science,',
    'nolang2@news.example,Na,Two,News,science,',
    'nolang3@news.example,Na,Three,News,science,',
    ...Array.from({ length: 8 }, (_, i) => `p${i}@news.example,Pat,P${i},News,science,en`),
  ]);
  const plan = await planSchedule({ releaseFile: release, embargoed: [trusted], public: [everyone], at: 'embargo - 24h', where: [], skipInvalid: false }, app);
  [embargoedId, publicId] = (await storeSchedule(plan, app)) as [number, number];
  await clock.advance(24 * HOUR);
  const summary = await runCampaign(embargoedId, app, { waitForRetries: false });
  if (summary.end !== 'done') throw new Error(`embargoed phase did not finish: ${summary.end}`);

  web = await startServer(app);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await closeAll(browser, web, smtp, app);
});

/** How far the page scrolls sideways (0 when it fits the viewport). */
const sideways = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** A draft campaign of the example release to three new journalists (pause and resume need one per run). */
async function draftCampaign(domain: string): Promise<number> {
  return planCampaign(app, [app.list(journalists(3, domain))]);
}

describe.each([375, 1280])('at %i px', (width) => {
  let page: Page;
  beforeAll(async () => {
    page = await browser.newPage({ viewport: { width, height: 900 }, ...(width < 500 ? { isMobile: true, hasTouch: true } : {}) });
    await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (r) => r.abort());
  });
  afterAll(async () => {
    await page?.close();
  });

  it('the overview tells the two phases apart: phase, embargo, lists, and progress over what is to be sent', async () => {
    await page.goto(`${web.url}/`);
    const row = (id: number) => page.locator('#campaigns tbody tr').filter({ has: page.locator('td[data-label="id"]', { hasText: new RegExp(`^${id}$`) }) });
    const embargoedRow = await row(embargoedId).textContent();
    const publicRow = await row(publicId).textContent();
    expect(embargoedRow).toContain('embargoed phase');
    expect(publicRow).toContain('public phase');
    for (const text of [embargoedRow, publicRow]) {
      expect(text).toContain('embargo lifts 2027-03-16 08:00:00 UTC');
      expect(text).toMatch(/lists .*list-\d+\.csv/);
    }
    // The public phase has not started: its 2 skipped rows (they had the embargoed copy) are not progress.
    expect(publicRow).toContain('0% (0 of 11 to send)');
    expect(embargoedRow).toContain('100% (2 of 2 to send)');
    // "Updated …" in the same convention as every other time on the page: the server's UTC.
    await page.waitForFunction(() => (document.getElementById('live')?.textContent ?? '').startsWith('Updated'));
    expect(await page.locator('#live').textContent()).toBe('Updated 2027-03-15 08:00:00 UTC');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SHOTS}/story-overview-${width}.png`, fullPage: true });
  });

  it('a campaign page names its phase, links the other phase, and shows the lists', async () => {
    await page.goto(`${web.url}/campaigns/${publicId}`);
    expect(await page.locator('h1').textContent()).toMatch(/\(public phase\)$/);
    const phase = page.locator('#phase');
    expect(await phase.textContent()).toContain('public phase (embargoed phase: campaign');
    expect(await phase.textContent()).toContain('embargo lifts 2027-03-16 08:00:00 UTC');
    await phase.getByRole('link', { name: `campaign ${embargoedId}` }).click();
    await page.waitForURL(new RegExp(`/campaigns/${embargoedId}$`));
    expect(await page.locator('h1').textContent()).toMatch(/\(embargoed phase\)$/);
    expect(await page.locator('#phase').textContent()).toContain(`(public phase: campaign ${publicId})`);
    expect(await page.locator('main').textContent()).toMatch(/lists .*list-1\.csv/);
    await page.waitForFunction(() => (document.getElementById('live')?.textContent ?? '').startsWith('Updated'));
    expect(await page.locator('#live').textContent()).toMatch(new RegExp(`^Updated ${UTC_TIME.source}$`));
    expect(await sideways(page)).toBeLessThanOrEqual(0);
  });

  it('the language filter offers "(none)" for contacts without a language, and "any language" stays the default', async () => {
    await page.goto(`${web.url}/campaigns/${publicId}`);
    const language = page.getByLabel('Language', { exact: true });
    expect(await language.locator('option:checked').textContent()).toBe('any language');
    expect(await language.locator('option').allTextContents()).toContain('(none) (3)');
    await language.selectOption({ label: '(none) (3)' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/language=%28none%29/);
    expect(await page.locator('#match-count').textContent()).toBe('3');
    const emails = await page.locator('table:has(caption:text("Recipients")) tbody td[data-label="email"]').allTextContents();
    expect(emails.sort()).toEqual(['nolang1@news.example', 'nolang2@news.example', 'nolang3@news.example']);
    expect(await language.locator('option:checked').textContent()).toBe('(none) (3)');
  });

  it('/scheduled writes UTC with its date, and names the phase and lists', async () => {
    await page.goto(`${web.url}/scheduled`);
    const table = await page.locator('#scheduled').textContent();
    expect(table).toContain('public phase');
    expect(table).toMatch(/lists .*list-2\.csv/);
    // The public phase sends at the lift: the UTC cell carries the date, not "08:00 UTC" alone.
    const utcCells = await page.locator('#scheduled td[data-label="UTC"]').allTextContents();
    expect(utcCells).toContain('2027-03-16 08:00:00 UTC');
    for (const cell of utcCells) expect(cell).toMatch(new RegExp(`^${UTC_TIME.source}$`));
    expect(await sideways(page)).toBeLessThanOrEqual(0);
  });

  it('a delivery page fits: the Message-ID wraps instead of pushing the page sideways', async () => {
    const [d] = await app.store.deliveries(embargoedId, { email: 'both@paper.example' });
    await page.goto(`${web.url}/deliveries/${d!.id}`);
    expect(await page.locator('main').textContent()).toContain('Message-ID <pressline.');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    expect(await page.locator('main').textContent()).toContain('embargoed phase');
    await page.screenshot({ path: `${SHOTS}/story-delivery-${width}.png`, fullPage: true });
  });

  it('"View the message" shows what was sent: the same headers and HTML, in a frame without scripts, marked as a re-render', async () => {
    const [d] = await app.store.deliveries(embargoedId, { email: 'both@paper.example' });
    await page.goto(`${web.url}/deliveries/${d!.id}`);
    await page.getByRole('link', { name: 'View the message' }).click();
    await page.waitForURL(new RegExp(`/deliveries/${d!.id}/message$`));
    expect(await page.locator('#rerender-note').textContent()).toContain('This is a re-render.');

    const received = smtp.messages.find((m) => m.rcpts[0] === 'both@paper.example')!;
    const raw = received.raw.toString('latin1');
    const receivedHead = raw.slice(0, raw.indexOf('\r\n\r\n'));
    // The header block the relay got, line for line (the fake clock makes even Date match; HTML shows CRLF as LF).
    expect(await page.locator('#message-headers').textContent()).toBe(receivedHead.replace(/\r\n/g, '\n'));
    expect(receivedHead).toMatch(/^Subject: EMBARGOED: /m);
    expect(await page.locator('#message-envelope').textContent()).toBe(`MAIL FROM ${received.envelopeFrom} · RCPT TO both@paper.example`);

    const frame = page.locator('iframe#message-html');
    expect(await frame.getAttribute('sandbox')).toBe(''); // no scripts, no same-origin
    expect(await frame.getAttribute('srcdoc')).toBe((await simpleParser(received.raw)).html);
    // The frame really renders (the page's CSP does not blank it).
    expect(await page.frameLocator('iframe#message-html').locator('body').textContent()).toContain('Harbour seal');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SHOTS}/story-message-${width}.png`, fullPage: true });
  });

  it('"View the message" warns when the release changed since the send, and says why when it cannot be composed again', async () => {
    const copy = join(app.dir, `v${width}`);
    mkdirSync(copy);
    for (const f of ['eu-russia-summit.md', 'eu-russia-summit.ru.md']) copyFileSync(join('releases', f), join(copy, f));
    const release = join(copy, 'eu-russia-summit.md');
    const id = await planCampaign(app, [app.list(journalists(1, `v${width}.example`))], { releaseFile: release });
    expect((await runCampaign(id, app, { waitForRetries: false })).end).toBe('done');
    const [d] = await app.store.deliveries(id);
    await page.goto(`${web.url}/deliveries/${d!.id}/message`);
    expect(await page.locator('[role="alert"]').count()).toBe(0);

    appendFileSync(release, '\nA paragraph added after the send.\n');
    await page.goto(`${web.url}/deliveries/${d!.id}/message`);
    expect(await page.locator('[role="alert"]').textContent()).toContain('changed since this campaign was sent');

    rmSync(release);
    const res = await page.goto(`${web.url}/deliveries/${d!.id}/message`);
    expect(res!.status()).toBe(409);
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain('The message cannot be shown');
    expect(text).toContain(`v${width}/eu-russia-summit.md`);
    expect(text).not.toMatch(/\n\s+at /); // a reason, not a stack trace
    expect(await sideways(page)).toBeLessThanOrEqual(0);
  });

  it('pauses and resumes a campaign only after confirmation, with a CSRF-protected POST, through the lifecycle', async () => {
    const id = await draftCampaign(`w${width}.example`);
    await page.goto(`${web.url}/campaigns/${id}`);
    await page.getByRole('link', { name: 'Pause campaign…' }).click();
    await page.waitForURL(new RegExp(`/campaigns/${id}/pause$`));
    expect((await app.store.getCampaign(id))!.status).toBe('draft'); // the GET changes nothing
    const forged = await fetch(`${web.url}/campaigns/${id}/pause`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' }, body: 'csrf=x' });
    expect(forged.status).toBe(403);
    expect((await app.store.getCampaign(id))!.status).toBe('draft');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: `Yes, pause campaign ${id}` }).click();
    await page.waitForURL(new RegExp(`/campaigns/${id}\\?paused=1$`));
    expect(await page.locator('[role="status"]').textContent()).toContain(`Campaign ${id} was paused`);
    const paused = (await app.store.getCampaign(id))!;
    expect([paused.status, paused.pausedKind, paused.statusReason]).toEqual(['paused', 'operator', 'paused by an operator']);

    await page.getByRole('link', { name: 'Resume campaign…' }).click();
    await page.waitForURL(new RegExp(`/campaigns/${id}/resume$`));
    expect(await page.locator('main').textContent()).toContain('handed back to the running workers');
    const forgedResume = await fetch(`${web.url}/campaigns/${id}/resume`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' });
    expect(forgedResume.status).toBe(403);
    expect((await app.store.getCampaign(id))!.status).toBe('paused');
    await page.getByRole('button', { name: `Yes, resume campaign ${id}` }).click();
    await page.waitForURL(new RegExp(`/campaigns/${id}\\?resumed=1$`));
    expect(await page.locator('[role="status"]').textContent()).toContain('handed back to the workers');
    const resumed = (await app.store.getCampaign(id))!;
    expect([resumed.status, resumed.statusReason]).toEqual(['sending', 'resumed for the workers']);
  });

  it('a paused campaign whose time has not come offers no resume: it would go out early', async () => {
    const id = await draftCampaign(`s${width}.example`);
    if (app.store.kind === 'postgres') await (app.store as any).pool.query('UPDATE campaigns SET status = $1, scheduled_at = $2 WHERE id = $3', ['scheduled', new Date('2030-01-01T00:00:00Z'), id]);
    else (app.store as any).db.prepare('UPDATE campaigns SET status = ?, scheduled_at = ? WHERE id = ?').run('scheduled', Date.parse('2030-01-01T00:00:00Z'), id);
    await page.goto(`${web.url}/campaigns/${id}/pause`);
    expect(await page.locator('main').textContent()).toContain('does not start at its scheduled time');
    await page.getByRole('button', { name: `Yes, pause campaign ${id}` }).click();
    await page.waitForURL(/\?paused=1$/);
    expect(await page.getByRole('link', { name: 'Resume campaign…' }).count()).toBe(0);
    const res = await page.goto(`${web.url}/campaigns/${id}/resume`);
    expect(res!.status()).toBe(409);
    expect(await page.locator('main').textContent()).toContain('scheduled for 2030-01-01 00:00:00 UTC and has not started');
    expect((await app.store.getCampaign(id))!.status).toBe('paused');
  });
});

describe('HTML report', () => {
  it.each([375, 1280])('names the phase, the embargo and the lists, counts progress over what is to be sent, and writes times one way (%i px)', async (width) => {
    const [summary, series, reasons, rows] = await Promise.all([
      campaignSummary(app.store, publicId),
      outcomeSeries(app.store, publicId),
      reasonBreakdown(app.store, publicId),
      reportRows(app.store, publicId),
    ]);
    const html = renderHtmlReport({ summary, series, reasons, rows, generatedAt: app.clock.now() });
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    try {
      await page.route(/.*/, (r) => r.abort()); // the report loads nothing
      await page.setContent(html);
      expect(await page.locator('h1').textContent()).toMatch(/\(public phase\)$/);
      expect(await page.locator('#phase').textContent()).toContain('embargo lifts 2027-03-16 08:00:00 UTC');
      const text = (await page.locator('main').textContent())!;
      expect(text).toMatch(/Lists .*list-2\.csv/);
      expect(text).toContain('Report generated 2027-03-15 08:00:00 UTC');
      expect(text).not.toMatch(/\d\d:\d\d:\d\d\.\d{3}Z/); // no ISO times with milliseconds
      expect(await page.locator('#progress').textContent()).toContain('0 of 11 to send settled (0%)');
      expect(await sideways(page)).toBeLessThanOrEqual(0);
    } finally {
      await page.close();
    }
  });
});
