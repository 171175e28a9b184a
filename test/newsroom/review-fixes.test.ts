// Review findings on the newsroom: off by default; nothing published (and one warning) without
// PRESSLINE_SECRET; one page whatever way the release path is typed; a plan that would never
// publish says so; `pressline publish <release>` publishes by hand and `--remove` takes it down.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { validateConfig } from '../../src/config/load.js';
import { publishNow, removeFromNewsroom } from '../../src/newsroom/manual.js';
import { fileFor } from '../../src/newsroom/static.js';
import { newsroomReleaseKey } from '../../src/newsroom/urls.js';
import { loadRelease } from '../../src/releases/load.js';
import { planSchedule } from '../../src/scheduler/schedule.js';
import { ManualClock } from '../../src/time/clock.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { EXAMPLE_RELEASE, testApp, type TestApp } from '../helpers/app.js';
import { closeAll } from '../helpers/close.js';
import { planCampaign } from '../helpers/plan.js';
import { expectedPath, HOUR, LIFT, ORIGIN, outboxMessages, writeRelease } from './helpers.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const ON = { web: { publicOrigin: ORIGIN }, newsroom: { enabled: true } };

let app: TestApp | undefined;
let web: WebServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await closeAll(web, app);
  web = app = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sendTo(a: TestApp, releaseFile: string, warn?: (m: string) => void): Promise<number> {
  const id = await planCampaign(a, [a.list(['h.w@ledger.example,Helen,W,Ledger,politics,en', 'anna@gazeta.example,Анна,С,Газета,politics,ru'])], { releaseFile }, { again: true });
  await runCampaign(id, a, { waitForRetries: false, ...(warn ? { warn } : {}) });
  return id;
}

function cli(config: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [resolve('dist/src/cli/main.js'), '--config', config, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('off by default', () => {
  it('config newsroom.enabled defaults to false, the example config turns it on, and a default send publishes nothing', async () => {
    expect(validateConfig({}).newsroom.enabled).toBe(false);
    const example = JSON.parse(readFileSync('config/pressline.example.json', 'utf8')) as { newsroom: { enabled: boolean } };
    expect(example.newsroom.enabled).toBe(true);
    const a = (app = testApp({ clock: new ManualClock(NOW), config: { web: { publicOrigin: ORIGIN } } }));
    const id = await sendTo(a, EXAMPLE_RELEASE);
    expect(await a.store.publications({}, NOW)).toEqual([]);
    expect((await outboxMessages(a, id))[0]!.text).not.toContain('Read online');
  }, 60_000);
});

describe('no secret, no newsroom', () => {
  it('without PRESSLINE_SECRET a send publishes nothing, links nothing and warns once naming PRESSLINE_SECRET', async () => {
    const a = (app = testApp({ clock: new ManualClock(NOW), config: ON, env: { secret: undefined } }));
    const warnings: string[] = [];
    const id = await sendTo(a, EXAMPLE_RELEASE, (m) => warnings.push(m));
    expect(await a.store.publications({}, NOW)).toEqual([]);
    for (const m of await outboxMessages(a, id)) {
      expect(m.text).not.toContain('Read online');
      expect(m.html).not.toContain('/news/');
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^newsroom: no page published for releases\/eu-russia-summit\.md: set PRESSLINE_SECRET/);
    expect(warnings[0]).not.toContain('\n');
  }, 60_000);
});

describe('the release key', () => {
  it('`releases/x.md`, `./releases/x.md` and the absolute path are one release: one page per language', async () => {
    expect(newsroomReleaseKey('./releases/x.md')).toBe('releases/x.md');
    expect(newsroomReleaseKey(resolve('releases/x.md'))).toBe('releases/x.md');
    expect(newsroomReleaseKey('releases/../releases/x.md', '/somewhere/else')).toBe('releases/x.md');
    const a = (app = testApp({ clock: new ManualClock(NOW), config: ON }));
    await sendTo(a, EXAMPLE_RELEASE);
    const first = await a.store.publications({}, NOW);
    await sendTo(a, `./${EXAMPLE_RELEASE}`);
    await sendTo(a, resolve(EXAMPLE_RELEASE));
    const after = await a.store.publications({}, NOW);
    expect(after.map((p) => [p.releaseKey, p.language, p.slug])).toEqual(first.map((p) => [EXAMPLE_RELEASE, p.language, p.slug]));
    expect(after).toHaveLength(2);
  }, 90_000);
});

describe('an embargoed release with no public phase', () => {
  it('a single scheduled send before the lift warns that no page will be published; one at the lift, two phases, or the newsroom off do not', async () => {
    const a = (app = testApp({ clock: new ManualClock(new Date(LIFT.getTime() - 48 * HOUR)), config: ON }));
    const release = writeRelease(a);
    const list = a.list(['t1@wire.example,Tina,One,Wire,science,en']);
    const early = await planSchedule({ releaseFile: release, lists: [list], at: 'embargo - 24h', where: [], skipInvalid: false }, a);
    const line = early.warnings.find((w) => w.startsWith('newsroom:'));
    expect(line).toBe(`newsroom: no page will be published for this release (every copy goes out under embargo); schedule a public phase (\`--public <lists>\`) or run \`pressline publish ${release}\` after the lift`);
    const atLift = await planSchedule({ releaseFile: release, lists: [list], at: 'embargo', where: [], skipInvalid: false }, a);
    expect(atLift.warnings.filter((w) => w.startsWith('newsroom:'))).toEqual([]);
    const two = await planSchedule({ releaseFile: release, embargoed: [list], public: [a.list(['p1@news.example,Pat,One,News,science,en'])], at: 'embargo - 24h', where: [], skipInvalid: false }, a);
    expect(two.warnings.filter((w) => w.startsWith('newsroom:'))).toEqual([]);
    const off = await planSchedule({ releaseFile: release, lists: [list], at: 'embargo - 24h', where: [], skipInvalid: false }, { ...a, config: { ...a.config, newsroom: { ...a.config.newsroom, enabled: false } } });
    expect(off.warnings.filter((w) => w.startsWith('newsroom:'))).toEqual([]);
  }, 60_000);

  it('`send --dry-run` of an embargoed release before its lift prints the warning with the plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-fixnews-'));
    dirs.push(dir);
    const release = join(dir, 'later.md');
    writeFileSync(release, '---\ntitle: Later\nembargo: "2099-01-01 09:00 Europe/Brussels"\n---\nBody.\n');
    writeFileSync(join(dir, 'list.csv'), 'Email,First Name\nh.w@ledger.example,Helen\n');
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'Press', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'p.db') }, newsroom: { enabled: true } }));
    const r = await cli(config, ['send', release, '--list', join(dir, 'list.csv'), '--dry-run'], { PRESSLINE_SECRET: 's', PRESSLINE_DB: undefined, DATABASE_URL: undefined, SMTP_URL: undefined });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Warning     newsroom: no page will be published for this release (every copy goes out under embargo); schedule a public phase (\`--public <lists>\`) or run \`pressline publish ${release}\` after the lift`);
  }, 60_000);
});

describe('pressline publish <release> and --remove', () => {
  it('publishes by hand after the lift (refused before it, with the lift, and for `newsroom: false`); --remove makes the URLs 404 and leaves index, feed and static folder', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pressline-static-'));
    dirs.push(out);
    const clock = new ManualClock(new Date(LIFT.getTime() - 1000));
    const a = (app = testApp({ clock, config: { ...ON, newsroom: { enabled: true, staticDir: out } } }));
    const file = writeRelease(a);
    const release = await loadRelease(file, a.config);
    const warn = (m: string) => expect.fail(m);
    await expect(publishNow(a, file, release, 'f1', clock.now(), warn)).rejects.toThrow(/under embargo until 2027-03-16 09:00 Europe\/Brussels \(2027-03-16T08:00:00\.000Z\); publish it at or after the lift/);
    await expect(publishNow({ ...a, env: { ...a.env, secret: undefined } }, file, release, 'f1', LIFT, warn)).rejects.toThrow(/PRESSLINE_SECRET/);
    await expect(publishNow(a, file, { ...release, newsroom: false }, 'f1', LIFT, warn)).rejects.toThrow(/newsroom: false/);
    expect(await a.store.publications({}, LIFT)).toEqual([]);

    await clock.advance(1000);
    expect(await publishNow(a, file, release, 'f1', clock.now(), warn)).toBe(2);
    const path = await expectedPath(a, file, 'en');
    web = await createWebServer(a, { port: 0, log: pino({ level: 'silent' }) });
    expect((await fetch(`${web.url}${path}`)).status).toBe(200);
    expect((await fetch(`${web.url}/ru${path}`)).status).toBe(200);
    const slug = path.split('/').pop()!;
    expect(await (await fetch(`${web.url}/news/feed.atom`)).text()).toContain(slug);
    expect(existsSync(fileFor(out, path))).toBe(true);
    expect(existsSync(fileFor(out, `/ru${path}`))).toBe(true);

    expect(await removeFromNewsroom(a, file, clock.now(), warn)).toBe(2);
    expect((await fetch(`${web.url}${path}`)).status).toBe(404);
    expect((await fetch(`${web.url}/ru${path}`)).status).toBe(404);
    expect(await (await fetch(`${web.url}/news/`)).text()).not.toContain(slug);
    expect(await (await fetch(`${web.url}/news/feed.atom`)).text()).not.toContain(slug);
    expect(existsSync(fileFor(out, path))).toBe(false);
    expect(existsSync(fileFor(out, `/ru${path}`))).toBe(false);
    expect(existsSync(fileFor(out, '/ru/news/feed.atom'))).toBe(false);
    expect(readFileSync(fileFor(out, '/news/feed.atom'), 'utf8')).not.toContain(slug);
    expect(readFileSync(fileFor(out, '/news/'), 'utf8')).not.toContain(slug);
    expect(await removeFromNewsroom(a, file, clock.now(), warn)).toBe(0);
  }, 60_000);

  it('the CLI: `publish <release>` before the lift names it, `--remove` reports what went', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-fixnews-'));
    dirs.push(dir);
    const later = join(dir, 'later.md');
    writeFileSync(later, '---\ntitle: Later\nembargo: "2099-01-01 09:00 Europe/Brussels"\n---\nBody.\n');
    const lifted = join(dir, 'lifted.md');
    writeFileSync(lifted, '---\ntitle: Lifted\nembargo: "2020-01-01 09:00 Europe/Brussels"\n---\nBody.\n');
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'Press', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'p.db') }, newsroom: { enabled: true, staticDir: join(dir, 'site') } }));
    const env = { PRESSLINE_SECRET: 's', PRESSLINE_DB: undefined, DATABASE_URL: undefined };
    const before = await cli(config, ['publish', later], env);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('under embargo until 2099-01-01 09:00 Europe/Brussels (2099-01-01T08:00:00.000Z)');
    const pub = await cli(config, ['publish', lifted], env);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toContain(`published ${lifted} on the newsroom (1 language)`);
    expect(readFileSync(join(dir, 'site/news/index.html'), 'utf8')).toContain('Lifted');
    const rm = await cli(config, ['publish', '--remove', lifted], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`removed ${lifted} from the newsroom (1 language)`);
    expect(readFileSync(join(dir, 'site/news/index.html'), 'utf8')).not.toContain('Lifted');
    const off = await cli(config, ['publish', lifted], { ...env, PRESSLINE_SECRET: undefined });
    expect(off.code).not.toBe(0);
    expect(off.stderr).toContain('PRESSLINE_SECRET is not set');
  }, 90_000);
});
