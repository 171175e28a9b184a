// Issue 17 part 2, "Done when": a send with --track opens,clicks, then an open and a click over real
// HTTP, shows in the report and the dashboard; a send without the flag carries no tracking URL; a
// tampered click link is refused and redirects nowhere. The CLI sends through the real SMTP sink;
// the test reads the HTML it received and follows its links against the real web server.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/html/entities.js';
import { signClickTarget } from '../../src/tokens.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { closeAll } from '../helpers/close.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';

const CLI = resolve('dist/src/cli/main.js');
const ORIGIN = 'https://press.example.org';
const SECRET = 'test-secret-please-change';
const HEADER = 'Email,First Name,Last Name,Outlet,Beat,Language,Tracking';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
let web: Running | undefined;
afterEach(async () => {
  await closeAll(web, smtp, app);
  web = smtp = app = undefined;
});

/** What the tests change from the test app's config (also written to the file the CLI reads). */
const settings = (extra: Record<string, unknown>) => ({ rate: { global: 0, concurrency: 2 }, web: { publicOrigin: ORIGIN }, ...extra });

/** A real app (store of the run's kind) whose server clock runs a minute ahead: opens are not "too soon". */
function setup(extra: Record<string, unknown> = {}): TestApp {
  const a = testApp({ config: settings(extra), clock: { now: () => new Date(Date.now() + 60_000) } as never });
  writeFileSync(join(a.dir, 'pressline.json'), JSON.stringify({ from: a.config.from, paths: a.config.paths, ...settings(extra) }));
  return a;
}

function cli(a: TestApp, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, '--config', join(a.dir, 'pressline.json'), ...args],
      { env: { ...process.env, PRESSLINE_DB: '', DATABASE_URL: '', SMTP_URL: smtp?.url ?? '', PRESSLINE_SECRET: SECRET, ...a.storeEnv, ...env } },
      (err, stdout, stderr) => done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

/** The HTML part each recipient received, by address. */
async function receivedHtml(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of smtp!.messages) {
    const parsed = await simpleParser(m.raw);
    out.set(m.rcpts[0]!.toLowerCase(), String(parsed.html || ''));
  }
  return out;
}

/** Every href of the HTML, entity-decoded as a browser would. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/gi)].map((m) => m[1]!.replace(/&amp;/g, '&'));
}

const local = (url: string) => `${web!.url}${url.slice(ORIGIN.length)}`;

describe('engagement tracking end to end', () => {
  it('--track opens,clicks: an open and a click over HTTP show in the report and on the dashboard', async () => {
    app = setup();
    smtp = await startTestSmtp();
    const list = app.list(['anna@paper.example,Anna,Ivanova,Paper,russia,en,'], HEADER);
    const sent = await cli(app, ['send', 'releases/eu-russia-summit.md', '--list', list, '--track', 'opens,clicks', '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    const html = (await receivedHtml()).get('anna@paper.example')!;
    const pixel = new RegExp(`<img src="(${ORIGIN}/o/[0-9a-z-]+\\.gif)"`).exec(html)?.[1];
    expect(pixel, 'an open pixel').toBeDefined();
    const clicks = hrefs(html).filter((h) => h.startsWith(`${ORIGIN}/c/`));
    expect(clicks.length).toBeGreaterThan(0);
    // The unsubscribe and mailto links stay as they were; no link of the release goes out bare.
    expect(hrefs(html).filter((h) => /^https?:/.test(h) && !h.startsWith(`${ORIGIN}/c/`)).every((h) => h.startsWith(`${ORIGIN}/u/`))).toBe(true);

    web = await startServer(app, { dashboardPort: 0 });
    // Apple Mail Privacy Protection fetches first (its bare agent): a machine's open.
    const mpp = await fetch(local(pixel!), { headers: { 'User-Agent': 'Mozilla/5.0' } });
    expect(mpp.status).toBe(200);
    expect(mpp.headers.get('content-type')).toBe('image/gif');
    expect(mpp.headers.get('cache-control')).toBe('no-store');
    const gif = Buffer.from(await mpp.arrayBuffer());
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect([gif.readUInt16LE(6), gif.readUInt16LE(8)]).toEqual([1, 1]);
    const reader = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
    expect((await fetch(local(pixel!), { headers: { 'User-Agent': reader } })).status).toBe(200);
    const link = clicks[0]!;
    const target = new URL(link).searchParams.get('u')!;
    const click = await fetch(local(link), { redirect: 'manual', headers: { 'User-Agent': reader } });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe(new URL(target).href);

    const campaignId = 1;
    const report = await cli(app, ['report', String(campaignId)]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/Opened: 1 recipients \(1 opens by readers; 1 by machines, 0 recipients machine-only\) · first \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(report.stdout).toMatch(/Clicked: 1 recipients \(1 clicks by readers; 0 by machines\)/);
    const htmlReport = await cli(app, ['report', String(campaignId), '--format', 'html']);
    expect(htmlReport.stdout).toMatch(/<tr id="engagement-opened">.*data-field="human">1<.*data-field="machine">1</);

    const page = await (await fetch(`${web.dashboardUrl}/campaigns/${campaignId}`)).text();
    expect(page).toMatch(/<tr id="engagement-opened"><th scope="row">opened<\/th><td data-label="recipients" data-field="recipients">1<\/td><td data-label="by readers" data-field="human">1<\/td><td data-label="by machines" data-field="machine">1<\/td>/);
    expect(page).toMatch(/<tr id="engagement-clicked">.*data-field="recipients">1<.*data-field="human">1<.*data-field="machine">0</);
    const [row] = await app.store.deliveries(campaignId);
    const timeline = await (await fetch(`${web.dashboardUrl}/deliveries/${row!.id}`)).text();
    expect(timeline).toMatch(/opened · machine \(apple-mpp\)/);
    expect(timeline).toMatch(/opened · reader \(human\)/);
    expect(timeline).toMatch(/clicked · reader \(human\)/);
    expect(timeline).toContain(`<code class="clicked-url">${target.replace(/&/g, '&amp;')}</code>`);

    // Looking at the message on the dashboard must not count as the journalist opening it: the view
    // leaves the pixel and the click links out, and says so.
    const view = await (await fetch(`${web.dashboardUrl}/deliveries/${row!.id}/message`)).text();
    expect(view).toContain('This view leaves the tracking image and the click links out');
    expect(view).not.toContain(`${ORIGIN}/o/`);
    expect(view).not.toContain(`${ORIGIN}/c/`);
  });

  it('a send without --track (config default off) carries no tracking URL', async () => {
    app = setup();
    smtp = await startTestSmtp();
    const list = app.list(['anna@paper.example,Anna,Ivanova,Paper,russia,en,', 'ben@wire.example,Ben,Stone,Wire,russia,ru,'], HEADER);
    const sent = await cli(app, ['send', 'releases/eu-russia-summit.md', '--list', list, '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    const all = await receivedHtml();
    expect(all.size).toBe(2);
    for (const html of all.values()) {
      expect(html).toContain('http://www.amnesty.org');
      expect(html).not.toMatch(/\/c\/[0-9a-z-]+\?u=|\/o\/[0-9a-z-]+\.gif/);
    }
    const report = await cli(app, ['report', '1']);
    expect(report.stdout).toContain('Engagement: not tracked');
  });

  it('honours the list\'s tracking column and the do-not-track file', async () => {
    const dnt = join(mkdtempSync(join(tmpdir(), 'pressline-dnt-')), 'dnt.txt');
    writeFileSync(dnt, '# asked us not to\n  Ben@Wire.example  # by phone\n\n');
    app = setup({ tracking: { opens: true, clicks: true, doNotTrack: dnt } });
    smtp = await startTestSmtp();
    const list = app.list(['anna@paper.example,Anna,Ivanova,Paper,russia,en,', 'ben@wire.example,Ben,Stone,Wire,russia,en,', 'cleo@daily.example,Cleo,Roy,Daily,russia,en,OFF'], HEADER);
    const sent = await cli(app, ['send', 'releases/eu-russia-summit.md', '--list', list, '--yes']); // config default: tracked
    expect(sent.code, sent.stderr).toBe(0);
    const all = await receivedHtml();
    const tracked = (email: string) => /\/o\/[0-9a-z-]+\.gif/.test(all.get(email)!) || /\/c\/[0-9a-z-]+\?u=/.test(all.get(email)!);
    expect(tracked('anna@paper.example')).toBe(true);
    expect(tracked('ben@wire.example')).toBe(false);
    expect(tracked('cleo@daily.example')).toBe(false);

    // A bad line in the do-not-track file is one line naming file and line; nothing is sent.
    writeFileSync(dnt, 'ok@x.example\nnot an address\n');
    const refused = await cli(app, ['send', 'releases/eu-russia-summit.md', '--list', list, '--yes', '--again']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`${dnt}:2: "not an address" is not an email address`);
  });

  it('schedule --track keeps the choice with the campaign; without the flag, the config default', async () => {
    app = setup({ tracking: { clicks: true } });
    const list = app.list(['anna@paper.example,Anna,Ivanova,Paper,russia,en,'], HEADER);
    const tracked = await cli(app, ['schedule', 'releases/eu-russia-summit.md', '--list', list, '--at', 'now + 1h', '--track', 'opens', '--yes']);
    expect(tracked.code, tracked.stderr).toBe(0);
    const byDefault = await cli(app, ['schedule', 'releases/eu-russia-summit.md', '--list', list, '--at', 'now + 2h', '--again', '--yes']);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect((await app.store.getCampaign(1))!.options.track).toEqual({ opens: true, clicks: false });
    expect((await app.store.getCampaign(2))!.options.track).toEqual({ opens: false, clicks: true });
  });

  it('--track without a public origin is refused with what to set', async () => {
    app = setup({ web: {} });
    smtp = await startTestSmtp();
    const list = app.list(['anna@paper.example,Anna,Ivanova,Paper,russia,en,'], HEADER);
    const refused = await cli(app, ['send', 'releases/eu-russia-summit.md', '--list', list, '--track', 'opens', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/set web\.publicOrigin/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(0);
  });

  it('a tampered, forged or non-http click link is refused with no Location; a bad open token still gets the GIF and records nothing', async () => {
    app = setup();
    smtp = await startTestSmtp();
    const list = app.list(['anna@paper.example,Anna,Ivanova,Paper,russia,en,'], HEADER);
    expect((await cli(app, ['send', 'releases/eu-russia-summit.md', '--list', list, '--track', 'opens,clicks', '--yes'])).code).toBe(0);
    const html = (await receivedHtml()).get('anna@paper.example')!;
    const link = hrefs(html).find((h) => h.startsWith(`${ORIGIN}/c/`))!;
    web = await startServer(app, { dashboardPort: 0 });
    const url = new URL(link);
    const token = url.pathname.split('/')[2]!;
    const evil = 'https://evil.example/<script>alert(1)</script>';

    const attempts: [string, string][] = [
      ['target swapped', `/c/${token}?u=${encodeURIComponent(evil)}&s=${url.searchParams.get('s')}`],
      ['signature changed', `/c/${token}?u=${encodeURIComponent(url.searchParams.get('u')!)}&s=${'0'.repeat(16)}`],
      ['token forged', `/c/${token.replace(/-[0-9a-f]{16}$/, '-' + 'a'.repeat(16))}?${url.search.slice(1)}`],
      ['other store', `/c/${token.replace(/^[0-9a-f]{12}/, '0'.repeat(12))}?${url.search.slice(1)}`],
      ['no target', `/c/${token}`],
      ['javascript target, validly signed', `/c/${token}?u=${encodeURIComponent('javascript:alert(1)')}&s=${signClickTarget(SECRET, token, 'javascript:alert(1)')}`],
    ];
    for (const [what, path] of attempts) {
      const res = await fetch(`${web.url}${path}`, { redirect: 'manual' });
      expect(res.status, what).toBe(400);
      expect(res.headers.get('location'), what).toBeNull();
      const body = await res.text();
      expect(body, what).not.toContain('<script>');
      if (what === 'target swapped') expect(body).toContain(`<code style="word-break:break-all">${escapeHtml(evil)}</code>`);
      // A token we did not make gets no echo of its target: no one may have our domain show their URL.
      if (what === 'token forged' || what === 'other store') expect(body, what).not.toContain(escapeHtml(url.searchParams.get('u')!));
      expect(body, what).not.toMatch(/<a\b/);
    }
    // Opens with bad tokens: the same GIF, nothing recorded.
    for (const bad of [`/o/${token.replace(/-[0-9a-f]{16}$/, '-' + 'b'.repeat(16))}.gif`, '/o/nonsense.gif']) {
      const res = await fetch(`${web.url}${bad}`, { headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux) Firefox/120' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
    }
    const [row] = await app.store.deliveries(1);
    expect(await app.store.deliveryEngagement(row!.id)).toBeUndefined();
    expect(await app.store.engagementEvents(row!.id)).toEqual([]);
    // The log never carries the token.
    expect(web.logText()).not.toContain(token);

    // A link to an address in another script (a release may link ru.wikipedia.org/wiki/Москва):
    // the redirect carries it percent-encoded, and the server goes on answering.
    const foreign = 'https://ru.wikipedia.org/wiki/Москва';
    const away = await fetch(`${web.url}/c/${token}?u=${encodeURIComponent(foreign)}&s=${signClickTarget(SECRET, token, foreign)}`, { redirect: 'manual' });
    expect(away.status).toBe(302);
    expect(away.headers.get('location')).toBe('https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0');
    expect((await fetch(`${web.url}/healthz`)).status).toBe(200);
  });
});
