import { transition } from '../../src/campaigns/lifecycle.js';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { runWorker } from '../../src/scheduler/worker.js';
import { EXAMPLE_RELEASE, journalists, testApp, type TestApp } from '../helpers/app.js';

// Issue 13 item 5, worker side: a due campaign this worker cannot start is paused with the
// reason and logged once at error, instead of failing at every poll while it stays scheduled.
const CLI = resolve('dist/src/cli/main.js');

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface LogLine {
  level: number;
  msg: string;
  campaign?: number;
}

/** One look at the store by a worker, with its log lines. */
async function workerOnce(a: TestApp, relay?: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  await runWorker(a, { intervalMs: 100, signal: new AbortController().signal, log, owner: 'test-worker:1:pf', relay, once: true });
  return lines;
}

async function scheduleNow(a: TestApp, release = EXAMPLE_RELEASE): Promise<number> {
  const plan = await planSchedule({ releaseFile: release, lists: [a.list(journalists(3))], at: 'now', where: [], skipInvalid: false }, a);
  const [id] = await storeSchedule(plan, a);
  return id!;
}

/** The worker pauses campaign `id` with a reason matching `reason`, logs it once at error, sends nothing, and leaves it alone afterwards. */
async function expectHeld(a: TestApp, id: number, reason: RegExp, relay?: string) {
  const first = await workerOnce(a, relay);
  const campaign = await a.store.getCampaign(id);
  expect(campaign?.status).toBe('paused');
  expect(campaign?.statusReason).toMatch(reason);
  expect(campaign?.statusReason).toMatch(new RegExp(`pressline resume ${id} --workers`));
  const errors = first.filter((l) => l.level >= 50 && l.campaign === id);
  expect(errors, JSON.stringify(first)).toHaveLength(1);
  expect(errors[0]!.msg).toMatch(reason);
  expect(Object.values(await a.store.counts(id)).reduce((x, y) => x + y, 0)).toBe((await a.store.counts(id)).pending);
  expect(existsSync(join(a.config.paths.outbox, String(id)))).toBe(false);

  // The next look does not try again: nothing due, nothing logged at error.
  const second = await workerOnce(a, relay);
  expect(second.filter((l) => l.level >= 50)).toEqual([]);
  expect((await a.store.getCampaign(id))?.status).toBe('paused');
}

function cli(a: TestApp, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = join(a.dir, 'pressline.json');
  writeFileSync(config, JSON.stringify({ from: a.config.from, paths: a.config.paths }));
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--config', config, ...args], { env: { ...process.env, SMTP_URL: '', DATABASE_URL: '', ...a.storeEnv }, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

describe('worker: a due campaign that cannot start is paused with the reason, at error, once', () => {
  it('PRESSLINE_SECRET missing from the worker (unsubscribe.baseUrl set); `pressline campaigns` shows why', async () => {
    app = testApp({ config: { unsubscribe: { baseUrl: 'https://ngo.example.org' } } });
    const id = await scheduleNow(app);
    app.env.secret = undefined;
    await expectHeld(app, id, /PRESSLINE_SECRET is not set/);

    const table = await cli(app, ['campaigns']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`campaign ${id} paused: cannot start on worker test-worker:1:pf: PRESSLINE_SECRET is not set`));
  }, 60_000);

  it('PRESSLINE_SECRET missing with bounces.domain (VERP)', async () => {
    app = testApp({ config: { bounces: { domain: 'bounces.ngo.example.org' } } });
    const id = await scheduleNow(app);
    app.env.secret = undefined;
    await expectHeld(app, id, /PRESSLINE_SECRET is not set.*bounces\.domain/);
  }, 30_000);

  it('the DKIM key removed after scheduling', async () => {
    app = testApp();
    const key = join(app.dir, 'dkim.pem');
    app.config.dkim = { domainName: 'ngo.example.org', keySelector: 'press', privateKeyFile: key };
    writeFileSync(key, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const id = await scheduleNow(app);
    rmSync(key);
    await expectHeld(app, id, /dkim\.privateKeyFile.*cannot read the DKIM key/);
  }, 30_000);

  it('a worker whose relay is not in config `relays`', async () => {
    app = testApp({ config: { relays: { eu: { urlEnv: 'SMTP_URL_EU' } } } });
    const id = await scheduleNow(app);
    await expectHeld(app, id, /no relay "us" in config `relays`/, 'us');
  }, 30_000);

  it('a sending campaign whose attachment is gone (checked when a worker joins it)', async () => {
    app = testApp();
    writeFileSync(join(app.dir, 'factsheet.txt'), 'facts\n');
    const release = join(app.dir, 'release.md');
    writeFileSync(release, '---\ntitle: Test release\nlanguage: en\nattachments:\n  - file: factsheet.txt\n---\nBody text.\n');
    const id = await scheduleNow(app, release);
    // Test setup: a send that was under way (the worker's `resume` path, which does not re-read the release to decide).
    await transition(app, id, 'start', app.clock.now());
    rmSync(join(app.dir, 'factsheet.txt'));
    await expectHeld(app, id, /factsheet\.txt/);
  }, 30_000);

  it('a sending campaign whose attachment became a symlink to a file outside the release folder (issue 15 item 3)', async () => {
    app = testApp();
    mkdirSync(join(app.dir, 'release'));
    writeFileSync(join(app.dir, 'secret.env'), 'SMTP_URL=smtp://user:hunter2@relay\n');
    writeFileSync(join(app.dir, 'release', 'factsheet.txt'), 'facts\n');
    const release = join(app.dir, 'release', 'release.md');
    writeFileSync(release, '---\ntitle: Test release\nlanguage: en\nattachments:\n  - file: factsheet.txt\n---\nBody text.\n');
    const id = await scheduleNow(app, release);
    // Test setup: a send that was under way (the worker's `resume` path, as above).
    await transition(app, id, 'start', app.clock.now());
    rmSync(join(app.dir, 'release', 'factsheet.txt'));
    symlinkSync(join(app.dir, 'secret.env'), join(app.dir, 'release', 'factsheet.txt'));
    await expectHeld(app, id, /attachments\[0\]\.file.*"factsheet\.txt" is outside the release's folder/);
  }, 30_000);

  it('a started campaign whose release was edited since (the rest of the list would get another text)', async () => {
    app = testApp();
    const release = join(app.dir, 'release.md');
    writeFileSync(release, '---\ntitle: Test release\nlanguage: en\n---\nBody text.\n');
    const id = await scheduleNow(app, release);
    // Test setup: a send that was under way (its startedAt set), then the release edited.
    await transition(app, id, 'start', app.clock.now());
    writeFileSync(release, '---\ntitle: Test release\nlanguage: en\n---\nBody text, edited.\n');
    await expectHeld(app, id, /release or template changed since campaign \d+ was planned.*--accept-changes/);
  }, 30_000);
});
