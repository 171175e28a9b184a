import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeToken } from '../../src/tokens.js';
import { requestLines, sentCampaign, startServer, type Running, type Sent } from '../fixtures/webhooks/harness.js';
import { closeAll } from '../helpers/close.js';

const SECRET = 'test-secret-please-change';
let sent: Sent | undefined;
let web: Running | undefined;
afterEach(async () => {
  await closeAll(web, sent?.app);
  web = undefined;
  sent = undefined;
});

async function setup(org = 'Amnesty International EU Office') {
  sent = await sentCampaign(['anna@paper.example', 'ben@wire.example'], { config: { organisation: { name: org } } });
  web = await startServer(sent.app);
  const d = sent.delivery['anna@paper.example']!;
  const token = makeToken(SECRET, 'unsubscribe', { instance: await sent.app.store.instanceId(), campaignId: sent.campaignId, deliveryId: d.id }, sent.ref[d.email]!.key);
  return { s: sent, w: web, d, token, url: `${web.url}/u/${token}` };
}

const oneClick = (url: string, init: RequestInit = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', ...init });

describe('one-click unsubscribe (RFC 8058)', () => {
  it('POST suppresses at once, lands on the timeline through applyBounceEvent, and is idempotent', async () => {
    const { s, d, token, url } = await setup();
    expect(await s.app.store.isSuppressed(d.email)).toBeUndefined();

    const res = await oneClick(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/Unsubscribed\. You will not receive press releases from Amnesty International EU Office any more/);

    expect(await s.app.store.isSuppressed(d.email)).toMatchObject({ reason: 'unsubscribe', source: 'one-click', detail: `campaign ${s.campaignId}` });
    const reports = await s.app.store.bounceEvents({ deliveryId: d.id });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'unsubscribe', reportId: `unsubscribe:${token}`, campaignId: s.campaignId, deliveryId: d.id, outcome: 'applied' });
    const timeline = (await s.app.store.events(s.campaignId, d.id)).map((e) => e.type);
    expect(timeline).toContain('unsubscribed');
    expect((await s.app.store.deliveries(s.campaignId, { email: d.email }))[0]!.status).toBe('sent');
    // The other recipient is untouched.
    expect(await s.app.store.isSuppressed('ben@wire.example')).toBeUndefined();

    const again = await oneClick(url);
    expect(again.status).toBe(200);
    expect(await again.text()).toMatch(/Already unsubscribed/);
    expect(await s.app.store.bounceEvents({ deliveryId: d.id })).toHaveLength(1);
    expect((await s.app.store.suppressionLog(d.email)).filter((l) => l.action === 'add')).toHaveLength(1);
    expect((await s.app.store.events(s.campaignId, d.id)).filter((e) => e.type === 'unsubscribed')).toHaveLength(1);
  });

  it('accepts multipart/form-data, and an upper-cased copy of the link is the same report', async () => {
    const { s, d, url } = await setup();
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const res = await fetch(url, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect((await s.app.store.isSuppressed(d.email))?.reason).toBe('unsubscribe');
    const upper = url.replace(/\/u\/(.+)$/, (_m, t: string) => `/u/${t.toUpperCase()}`);
    expect((await oneClick(upper)).status).toBe(200);
    expect(await s.app.store.bounceEvents({ deliveryId: d.id })).toHaveLength(1);
  });

  it('GET shows a plain, accessible confirmation page and does not unsubscribe', async () => {
    const { s, d, url } = await setup();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { headers: { Accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'unsafe-inline'; form-action 'self'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const body = await res.text();
      expect(body).toContain('Unsubscribe <bdi>a***@paper.example</bdi> from <bdi>Amnesty International EU Office</bdi> press releases?');
      expect(body).toMatch(/<html lang="en" dir="ltr">/);
      expect(body).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
      expect(body).toMatch(/<form method="post">/);
      expect(body).toMatch(/<input type="hidden" name="List-Unsubscribe" value="One-Click">/);
      expect(body).toMatch(/<button type="submit"[^>]*>Unsubscribe<\/button>/);
      expect(body).not.toContain('anna@paper.example');
      expect(body).not.toMatch(/<script/i);
    }
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    expect(await s.app.store.isSuppressed(d.email)).toBeUndefined();
    expect(await s.app.store.bounceEvents({ deliveryId: d.id })).toHaveLength(0);
  });

  it('the form POST from a browser gets a page, and the link then says it is already done', async () => {
    const { s, d, url } = await setup();
    const res = await oneClick(url, { headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('You will not receive press releases from <bdi>Amnesty International EU Office</bdi> any more.');
    expect((await s.app.store.isSuppressed(d.email))?.reason).toBe('unsubscribe');
    const page = await (await fetch(url)).text();
    expect(page).toMatch(/<bdi>a\*\*\*@paper\.example<\/bdi> is already unsubscribed/);
    expect(page).not.toMatch(/<form/);
  });

  it('speaks the language of the journalist: French and Arabic (right to left) pages, before and after the one-click POST', async () => {
    sent = await sentCampaign(['claire@journal.example', 'layla@sahifa.example'], { config: { organisation: { name: 'Amnesty International' } } }, { 'claire@journal.example': 'fr-BE', 'layla@sahifa.example': 'ar' });
    web = await startServer(sent.app);
    const urlFor = (email: string) => {
      const d = sent!.delivery[email]!;
      return `${web!.url}/u/${makeToken(SECRET, 'unsubscribe', { instance: sent!.instance, campaignId: sent!.campaignId, deliveryId: d.id }, sent!.ref[email]!.key)}`;
    };
    const fr = await (await fetch(urlFor('claire@journal.example'))).text();
    expect(fr).toMatch(/<html lang="fr" dir="ltr">/);
    expect(fr).toContain('Désinscrire <bdi>c***@journal.example</bdi> des communiqués de presse de <bdi>Amnesty International</bdi>\u00a0?');
    expect(fr).toMatch(/<button type="submit"[^>]*>Se désinscrire<\/button>/);
    expect(fr.replace(/List-Unsubscribe/g, '')).not.toMatch(/Unsubscribe|press releases/);
    const ar = await (await fetch(urlFor('layla@sahifa.example'))).text();
    expect(ar).toMatch(/<html lang="ar" dir="rtl">/);
    expect(ar).toContain('<bdi>l***@sahifa.example</bdi>');
    expect(ar).toMatch(/<button type="submit"[^>]*>إلغاء الاشتراك<\/button>/);
    const done = await oneClick(urlFor('claire@journal.example'), { headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' } });
    const page = await done.text();
    expect(page).toMatch(/<html lang="fr" dir="ltr">/);
    expect(page).toContain('Vous ne recevrez plus les communiqués de presse de <bdi>Amnesty International</bdi>.');
    const plain = await oneClick(urlFor('layla@sahifa.example'));
    expect((await plain.text()).trim()).toBe('تم إلغاء الاشتراك. لن تتلقى بعد الآن بيانات صحفية من Amnesty International.');
  });

  it('escapes every interpolated value', async () => {
    const { url } = await setup('Press & <script>alert("x")</script> Office');
    const body = await (await fetch(url)).text();
    expect(body).not.toContain('<script>');
    expect(body).toContain('Press &#38; &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; Office');
  });

  it('a forged token (one hex character flipped) gets 400, suppresses nothing, and is logged without the token', async () => {
    const { s, w, d, token } = await setup();
    const last = token.at(-1)!;
    const forged = token.slice(0, -1) + (last === '0' ? '1' : '0');
    const page = await fetch(`${w.url}/u/${forged}`);
    expect(page.status).toBe(400);
    const pageText = await page.text();
    expect(pageText).toMatch(/not valid/);
    const post = await oneClick(`${w.url}/u/${forged}`);
    expect(post.status).toBe(400);
    const postText = await post.text();
    // A well-signed token for a delivery that does not exist reads exactly the same.
    const ghost = makeToken(SECRET, 'unsubscribe', { instance: await s.app.store.instanceId(), campaignId: s.campaignId, deliveryId: 99_999 }, s.ref[d.email]!.key);
    const ghostRes = await oneClick(`${w.url}/u/${ghost}`);
    expect(ghostRes.status).toBe(400);
    expect(await ghostRes.text()).toBe(postText);
    expect(await s.app.store.isSuppressed(d.email)).toBeUndefined();
    expect(await s.app.store.listSuppressions()).toHaveLength(0);

    const lines = requestLines(w).filter((l) => l.status === 400);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/u/[token]', rejected: 'token failed its signature check (forged or mangled)' });
    expect(lines[2]).toMatchObject({ method: 'POST', rejected: 'token names no delivery' });
    expect(typeof lines[0]!.ms).toBe('number');
    expect(w.logText()).not.toContain(forged);
    expect(w.logText()).not.toContain(token);
  });

  it('a VERP token of the same delivery is not an unsubscribe token', async () => {
    const { s, w, d } = await setup();
    const verp = makeToken(SECRET, 'verp', { instance: await s.app.store.instanceId(), campaignId: s.campaignId, deliveryId: d.id }, s.ref[d.email]!.key);
    expect((await oneClick(`${w.url}/u/${verp}`)).status).toBe(400);
    expect((await fetch(`${w.url}/u/${verp}`)).status).toBe(400);
    expect(await s.app.store.isSuppressed(d.email)).toBeUndefined();
  });

  it('a POST without List-Unsubscribe=One-Click changes nothing', async () => {
    const { s, d, url } = await setup();
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=Maybe' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/List-Unsubscribe=One-Click/);
    expect(await s.app.store.isSuppressed(d.email)).toBeUndefined();
  });
});

describe('one-click unsubscribe under a base path', () => {
  /** The https link of the List-Unsubscribe header of the message mailed to `email`, from the outbox. */
  function mailedLink(dir: string, email: string): URL {
    for (const name of (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith('.eml'))) {
      const text = readFileSync(join(dir, name), 'utf8');
      if (!new RegExp(`^X-Pressline-Envelope-To: ${email}\\r?$`, 'm').test(text)) continue;
      const header = /^List-Unsubscribe:((?:.*\r?\n[ \t].*)*.*)$/im.exec(text)![1]!.replace(/\r?\n[ \t]+/g, ' ');
      return new URL(/<(https?:[^>]+)>/.exec(header)![1]!);
    }
    throw new Error(`no message to ${email} in ${dir}`);
  }

  it('links mailed as https://press.example.org/unsubscribe/u/<token> work: GET page, POST one-click, suppression recorded', async () => {
    sent = await sentCampaign(['anna@paper.example', 'ben@wire.example'], { config: { organisation: { name: 'Amnesty' }, unsubscribe: { baseUrl: 'https://press.example.org/unsubscribe' } } });
    web = await startServer(sent.app);
    const link = mailedLink(sent.app.config.paths.outbox, 'anna@paper.example');
    expect(link.pathname).toMatch(/^\/unsubscribe\/u\/[^/]+$/);
    // What the reverse proxy forwards: the same path, on serve's loopback address.
    const url = `${web.url}${link.pathname}`;

    const page = await fetch(url, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('Unsubscribe a***@paper.example from Amnesty press releases?');
    expect(body).toMatch(/<form method="post">/); // posts back to the same path
    expect(await sent.app.store.isSuppressed('anna@paper.example')).toBeUndefined();

    const res = await oneClick(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^Unsubscribed\./);
    expect(await sent.app.store.isSuppressed('anna@paper.example')).toMatchObject({ reason: 'unsubscribe', source: 'one-click' });
    expect(await sent.app.store.isSuppressed('ben@wire.example')).toBeUndefined();
    // A proxy that strips the prefix reaches the same link at the root.
    expect(await (await oneClick(`${web.url}/u/${link.pathname.split('/').pop()}`)).text()).toMatch(/^Already unsubscribed\./);
    expect(requestLines(web).map((l) => l.path)).toEqual(['/unsubscribe/u/[token]', '/unsubscribe/u/[token]', '/u/[token]']);
    expect(web.logText()).not.toContain(link.pathname.split('/').pop()!);
    // Other prefixes are not ours.
    expect((await oneClick(`${web.url}/elsewhere${link.pathname}`)).status).toBe(404);
  });
});
