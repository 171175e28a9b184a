// Issue 17 "Done when": a release page read by Chromium one second before the lift (404, not in the
// feed) and one second after (200, in the feed, which parses as Atom), the clock faked; the worker
// publishes it when it starts the public phase at the lift.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { launchChromium } from '../helpers/browser.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { closeAll } from '../helpers/close.js';
import { expectedPath, HEADLINE, HEADLINE_RU, HOUR, LIFT, ORIGIN, outboxMessages, scheduleTwoPhases, tickWorker, writeRelease } from './helpers.js';

let browser: Browser;
let app: TestApp | undefined;
let web: WebServer | undefined;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await closeAll(web, app);
  web = app = undefined;
});

/** What the browser sees at a URL: status, Cache-Control, the h1 and the html element's lang and dir. */
async function visit(url: string) {
  const page = await browser.newPage();
  try {
    const response = await page.goto(url);
    // goto resolves at the load event, so the document is whole: read it, never wait on a timer.
    const h1 = await page.evaluate(() => document.querySelector('h1')?.textContent ?? null);
    const lang = await page.evaluate(() => document.documentElement.lang);
    const switcher = await page.evaluate(() => [...document.querySelectorAll('nav.languages a')].map((a) => [a.getAttribute('hreflang'), a.getAttribute('href')]));
    return { status: response!.status(), cache: response!.headers()['cache-control'], h1, lang, switcher };
  } finally {
    await page.close();
  }
}

/** The feed as the browser parses it (DOMParser, application/xml): parse errors, root, entry titles and links. */
async function readFeed(url: string) {
  const page = await browser.newPage();
  try {
    const response = await page.goto(url);
    const body = await response!.text();
    const parsed = await page.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      const atom = 'http://www.w3.org/2005/Atom';
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        root: doc.documentElement.localName,
        ns: doc.documentElement.namespaceURI,
        id: doc.documentElement.getElementsByTagNameNS(atom, 'id')[0]?.textContent ?? null,
        updated: doc.documentElement.getElementsByTagNameNS(atom, 'updated')[0]?.textContent ?? null,
        entries: [...doc.getElementsByTagNameNS(atom, 'entry')].map((e) => ({
          title: e.getElementsByTagNameNS(atom, 'title')[0]?.textContent,
          link: e.getElementsByTagNameNS(atom, 'link')[0]?.getAttribute('href'),
          content: e.getElementsByTagNameNS(atom, 'content')[0]?.textContent ?? '',
        })),
      };
    }, body);
    return { status: response!.status(), type: response!.headers()['content-type'], ...parsed };
  } finally {
    await page.close();
  }
}

describe('the newsroom at the embargo lift', () => {
  it('404 and absent from the feed one second before the lift; 200, in the feed and valid Atom one second after', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    app = testApp({ clock, config: { web: { publicOrigin: ORIGIN }, newsroom: { enabled: true } } });
    const release = writeRelease(app);
    const [embargoedId, publicId] = await scheduleTwoPhases(app, release);
    web = await createWebServer(app, { port: 0, log: (await import('pino')).default({ level: 'silent' }) });
    const pagePath = await expectedPath(app, release, 'en');
    const ruPath = await expectedPath(app, release, 'ru');
    expect(ruPath).toBe(`/ru${pagePath}`);

    // The embargoed phase goes out a day ahead: its copies never link the page.
    await clock.advance(24 * HOUR);
    await tickWorker(app);
    const embargoed = await outboxMessages(app, embargoedId!);
    expect(embargoed).toHaveLength(2);
    for (const m of embargoed) {
      expect(m.html).not.toContain(pagePath.split('/').pop()!);
      expect(m.html).not.toMatch(/Read online|Читать на сайте/);
      expect(m.text).not.toMatch(/Read online|Читать на сайте|\/news\//);
    }

    await clock.advance(24 * HOUR - 1000); // one second before the lift
    await tickWorker(app); // nothing is due yet: the public phase waits
    const before = await visit(`${web.url}${pagePath}`);
    expect(before.status).toBe(404);
    expect(before.cache).toBe('no-store');
    expect((await visit(`${web.url}/ru${pagePath}`)).status).toBe(404);
    const feedBefore = await readFeed(`${web.url}/news/feed.atom`);
    expect(feedBefore.status).toBe(200);
    expect(feedBefore.errors).toBe(0);
    expect(feedBefore.entries).toEqual([]);
    expect(await app.store.publications({}, new Date(LIFT.getTime() + HOUR))).toEqual([]);

    await clock.advance(1000); // the lift: the worker starts the public phase and publishes with it
    await tickWorker(app);
    expect((await app.store.getCampaign(publicId!))?.status).toBe('done');
    await clock.advance(1000);

    const after = await visit(`${web.url}${pagePath}`);
    expect(after.status).toBe(200);
    expect(after.cache).toBe('public, max-age=60');
    expect(after.h1).toBe(HEADLINE);
    expect(after.lang).toBe('en');
    expect(after.switcher).toEqual([['ru', `/ru${pagePath}`]]);
    const ru = await visit(`${web.url}/ru${pagePath}`);
    expect(ru.status).toBe(200);
    expect(ru.h1).toBe(HEADLINE_RU);
    expect(ru.lang).toBe('ru');
    expect(ru.switcher).toEqual([['en', pagePath]]);

    const feed = await readFeed(`${web.url}/news/feed.atom`);
    expect(feed.type).toMatch(/^application\/atom\+xml/);
    expect(feed).toMatchObject({ status: 200, errors: 0, root: 'feed', ns: 'http://www.w3.org/2005/Atom' });
    expect(feed.id).toMatch(/^urn:uuid:/);
    expect(feed.updated).toBe(LIFT.toISOString());
    expect(feed.entries).toHaveLength(1);
    expect(feed.entries[0]).toMatchObject({ title: HEADLINE, link: `${ORIGIN}${pagePath}` });
    // The article is HTML inside the feed, escaped: the release's raw HTML stays text.
    expect(feed.entries[0]!.content).toContain('<strong>census</strong>');
    expect(feed.entries[0]!.content).not.toContain('<script>');
    expect((await readFeed(`${web.url}/ru/news/feed.atom`)).entries.map((e) => e.title)).toEqual([HEADLINE_RU]);

    // The public copies link their own language's page, in both parts.
    const lifted = await outboxMessages(app, publicId!);
    expect(lifted).toHaveLength(2);
    for (const m of lifted) {
      const url = m.to.includes('gazeta') ? `${ORIGIN}/ru${pagePath}` : `${ORIGIN}${pagePath}`;
      const label = m.to.includes('gazeta') ? 'Читать на сайте' : 'Read online';
      expect(m.html).toMatch(new RegExp(`<a href="${url.replace(/[.?]/g, '\\$&')}"[^>]*>${label}</a>`));
      expect(m.text).toContain(`${label}: <${url}>`);
    }
  }, 120_000);
});
