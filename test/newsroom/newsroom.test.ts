// The newsroom beside the lift test: a send without embargo publishes as it starts and links the
// page; test sends, opted-out releases and embargoed copies publish nothing; the public routes
// answer one 404 for everything unpublished; static files mirror the URLs, by the worker's step
// and by `pressline publish --static`.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { prepareTestSend, sendTestCopies } from '../../src/campaigns/test-send.js';
import { publishAtStart } from '../../src/newsroom/publish.js';
import { fileFor } from '../../src/newsroom/static.js';
import { newsroomReleaseKey, pageName, pagePath } from '../../src/newsroom/urls.js';
import { loadRelease } from '../../src/releases/load.js';
import { createOutboxTransport } from '../../src/send/outbox.js';
import { ManualClock } from '../../src/time/clock.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { EXAMPLE_RELEASE, testApp, type TestApp } from '../helpers/app.js';
import { closeAll } from '../helpers/close.js';
import { planCampaign } from '../helpers/plan.js';
import { transition } from '../../src/campaigns/lifecycle.js';
import { HOUR, LIFT, ORIGIN, outboxMessages, scheduleTwoPhases, tickWorker, writeRelease } from './helpers.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const SUMMIT_TITLE = 'EU-Russia summit: put human rights on top of the agenda';

let app: TestApp | undefined;
let web: WebServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await closeAll(web, app);
  web = app = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The newsroom is off by default: every test here turns it on (and keeps any other newsroom key). */
function newApp(config: Record<string, unknown> = { web: { publicOrigin: ORIGIN } }): TestApp {
  app = testApp({ clock: new ManualClock(NOW), config: { ...config, newsroom: { enabled: true, ...(config.newsroom as object | undefined) } } });
  return app;
}

async function sendSummit(a: TestApp): Promise<number> {
  const list = a.list(['h.w@ledger.example,Helen,W,Ledger,politics,en', 'anna@gazeta.example,Анна,С,Газета,politics,ru']);
  const id = await planCampaign(a, [list]);
  await runCampaign(id, a, { waitForRetries: false });
  return id;
}

async function summitPath(a: TestApp, language: string): Promise<string> {
  const title = (await loadRelease(EXAMPLE_RELEASE, a.config)).variants[0]!.title;
  return pagePath({ path: '/news', defaultLanguage: 'en' }, language, pageName(a.env.secret!, newsroomReleaseKey(EXAMPLE_RELEASE), title));
}

describe('publishing', () => {
  it('a send without embargo publishes every language as it starts, and its copies link the page', async () => {
    const a = newApp();
    const id = await sendSummit(a);
    const pages = await a.store.publications({}, NOW);
    expect(pages.map((p) => [p.language, p.campaignId, p.publishedAt.toISOString()])).toEqual([
      ['en', id, NOW.toISOString()],
      ['ru', id, NOW.toISOString()],
    ]);
    expect(pages[0]!.title).toBe(SUMMIT_TITLE);
    const path = await summitPath(a, 'en');
    expect(pages[0]!.slug).toBe(path.split('/').pop());
    for (const m of await outboxMessages(a, id)) {
      const url = m.to.includes('gazeta') ? `${ORIGIN}/ru${path}` : `${ORIGIN}${path}`;
      expect(m.html).toContain(`href="${url}"`);
      expect(m.text).toContain(`<${url}>`);
    }
  }, 60_000);

  it('no public origin: still published, but no link in the copies', async () => {
    const a = newApp({});
    const id = await sendSummit(a);
    expect(await a.store.publications({}, NOW)).toHaveLength(2);
    for (const m of await outboxMessages(a, id)) {
      expect(m.html).not.toMatch(/Read online|Читать на сайте/);
      expect(m.text).not.toMatch(/Read online|Читать на сайте/);
    }
  }, 60_000);

  it('a test send publishes nothing and links nothing', async () => {
    const a = newApp();
    const plan = await prepareTestSend({ releaseFile: EXAMPLE_RELEASE, to: ['me@office.example'] }, a);
    const copies = await sendTestCopies(plan, a, createOutboxTransport(join(a.config.paths.outbox, 'test')));
    expect(copies).toHaveLength(2);
    expect(await a.store.publications({}, new Date(NOW.getTime() + 86_400_000))).toEqual([]);
    const eml = readFileSync(join(a.config.paths.outbox, 'test', (await import('node:fs')).readdirSync(join(a.config.paths.outbox, 'test'))[0]!), 'utf8');
    expect(eml).not.toContain('/news/');
  }, 60_000);

  it('front matter `newsroom: false` and config newsroom.enabled false keep a release off the newsroom', async () => {
    const a = newApp();
    const release = writeRelease(a, 'newsroom: false\n');
    writeFileSync(release, readFileSync(release, 'utf8').replace(/^embargo: .*\n/m, ''));
    const id = await planCampaign(a, [a.list(['h.w@ledger.example,Helen,W,Ledger,politics,en'])], { releaseFile: release });
    await runCampaign(id, a, { waitForRetries: false });
    expect(await a.store.publications({}, NOW)).toEqual([]);
    expect((await outboxMessages(a, id))[0]!.text).not.toContain('Read online');

    const off = testApp({ clock: new ManualClock(NOW), config: { web: { publicOrigin: ORIGIN }, newsroom: { enabled: false } } });
    try {
      const offId = await planCampaign(off, [off.list(['h.w@ledger.example,Helen,W,Ledger,politics,en'])]);
      await runCampaign(offId, off, { waitForRetries: false });
      expect(await off.store.publications({}, NOW)).toEqual([]);
      web = await createWebServer(off, { port: 0, log: pino({ level: 'silent' }) });
      expect((await fetch(`${web.url}/news/`)).status).toBe(404);
    } finally {
      await closeAll(web, off);
      web = undefined;
    }
  }, 60_000);

  it('a cancelled public phase never publishes, even after the lift', async () => {
    const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
    const a = (app = testApp({ clock, config: { web: { publicOrigin: ORIGIN }, newsroom: { enabled: true } } }));
    const release = writeRelease(a);
    const [, publicId] = await scheduleTwoPhases(a, release);
    await clock.advance(24 * HOUR);
    await tickWorker(a); // the embargoed phase
    expect(await transition(a, publicId!, 'cancel', clock.now(), { reason: 'pulled' })).toBe(true);
    await clock.advance(24 * HOUR + 1000);
    await tickWorker(a);
    expect(await a.store.publications({}, clock.now())).toEqual([]);
  }, 60_000);
});

describe('the public routes', () => {
  it('one 404 for unknown, wrongly keyed and other-language pages; pages, indexes, feed and stylesheet when published', async () => {
    const a = newApp();
    await sendSummit(a);
    web = await createWebServer(a, { port: 0, log: pino({ level: 'silent' }) });
    const path = await summitPath(a, 'en');
    const slug = path.split('/').pop()!;
    const notFound = async (p: string) => {
      const r = await fetch(`${web!.url}${p}`);
      return [r.status, r.headers.get('cache-control'), r.headers.get('content-type'), await r.text()];
    };
    const answer = await notFound('/news/no-such-release-0123abcd');
    expect(answer).toEqual([404, 'no-store', 'text/plain; charset=utf-8', 'not found\n']);
    for (const p of [`/news/${slug.replace(/-[0-9a-f]{8}$/, '-00000000')}`, `/de/news/${slug}`, `/en/news/${slug}`, '/de/news/', '/de/news/feed.atom', `/news/${slug}/x`, '/ru/news/newsroom.css']) {
      expect(await notFound(p), p).toEqual(answer);
    }

    const page = await fetch(`${web.url}${path}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'self'/);
    expect(html).not.toMatch(/<script|style="|<style/);
    expect(html).toMatch(/^<!doctype html>\n<html lang="en" dir="ltr">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<a class="skip" href="#content">');
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html).toMatch(/<header[^>]*>[\s\S]*<main id="content">[\s\S]*<\/main>\n<footer/);
    expect(html).toContain(`<link rel="alternate" hreflang="ru" href="/ru${path}">`);
    expect(html).toContain('<link rel="alternate" type="application/atom+xml"');
    expect(html).toContain('<link rel="stylesheet" href="/news/newsroom.css">');

    const css = await fetch(`${web.url}/news/newsroom.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('#1a56a8');
    const index = await (await fetch(`${web.url}/news/`)).text();
    expect(index).toContain(`<a href="${path}">${SUMMIT_TITLE}</a>`);
    expect(index).toContain('hreflang="ru"');
    const ruIndex = await fetch(`${web.url}/ru/news/`);
    expect(ruIndex.status).toBe(200);
    expect(await ruIndex.text()).toContain(`href="/ru${path}"`);
    expect((await fetch(`${web.url}/news`)).status).toBe(200);
  }, 60_000);

  it('an Arabic page is right to left', async () => {
    const a = newApp({ web: { publicOrigin: ORIGIN }, defaultLanguage: 'ar' });
    const release = writeRelease(a);
    writeFileSync(release, readFileSync(release, 'utf8').replace(/^embargo: .*\n/m, '').replace('language: en', 'language: ar'));
    const id = await planCampaign(a, [a.list(['h.w@ledger.example,Helen,W,Ledger,politics,ar'])], { releaseFile: release });
    await runCampaign(id, a, { waitForRetries: false });
    web = await createWebServer(a, { port: 0, log: pino({ level: 'silent' }) });
    const [page] = await a.store.publications({ language: 'ar' }, NOW);
    const html = await (await fetch(`${web.url}/news/${page!.slug}`)).text();
    expect(html).toMatch(/<html lang="ar" dir="rtl">/);
  }, 60_000);
});

describe('static files', () => {
  it('the worker step rewrites newsroom.staticDir after a publish; `pressline publish --static` writes the same files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pressline-static-'));
    dirs.push(out);
    const a = newApp({ web: { publicOrigin: ORIGIN }, newsroom: { staticDir: join(out, 'worker') } });
    await sendSummit(a);
    const path = await summitPath(a, 'en');
    const pageFile = fileFor(join(out, 'worker'), path);
    expect(pageFile).toBe(resolve(out, 'worker', ...path.split('/').filter(Boolean), 'index.html'));
    for (const f of [pageFile, fileFor(join(out, 'worker'), `/ru${path}`), join(out, 'worker/news/index.html'), join(out, 'worker/ru/news/index.html'), join(out, 'worker/news/feed.atom'), join(out, 'worker/ru/news/feed.atom'), join(out, 'worker/news/newsroom.css')]) {
      expect(existsSync(f), f).toBe(true);
    }
    expect(readFileSync(pageFile, 'utf8')).toContain(`<h1>${SUMMIT_TITLE}</h1>`);

    // A static folder that cannot be written: a warning, and the send goes on.
    const blocked = join(out, 'blocked');
    writeFileSync(blocked, 'a file, not a folder');
    const warnings: string[] = [];
    const release = await loadRelease(EXAMPLE_RELEASE, a.config);
    const campaign = (await a.store.listCampaigns())[0]!;
    const published = await publishAtStart({ ...a, config: { ...a.config, newsroom: { ...a.config.newsroom, staticDir: blocked } } }, campaign, release, 'f', NOW, (m) => warnings.push(m));
    expect(published).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/^newsroom: cannot write the static pages to .*blocked.*the send goes on/)]);

    // The CLI, on the same store.
    const config = join(out, 'pressline.json');
    writeFileSync(config, JSON.stringify({ paths: a.config.paths, web: { publicOrigin: ORIGIN }, newsroom: { enabled: true } }));
    const cli = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [resolve('dist/src/cli/main.js'), '--config', config, 'publish', '--static', join(out, 'cli')], {
        env: { ...process.env, ...a.storeEnv, PRESSLINE_SECRET: a.env.secret },
      }, (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/wrote .*news\/index\.html/);
    expect(cli.stdout).toMatch(/7 files in /);
    expect(readFileSync(fileFor(join(out, 'cli'), path), 'utf8')).toBe(readFileSync(pageFile, 'utf8'));
  }, 60_000);
});
