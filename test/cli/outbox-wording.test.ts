// Issue 19 item 4: a send with no relay writes .eml files to the outbox folder; every place a
// person reads the outcome says "written to outbox", never "sent".
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSmtpTransport } from '../../src/send/smtp.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { EXAMPLE_RELEASE } from '../helpers/app.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { sentCampaign, startServer, type Running } from '../fixtures/webhooks/harness.js';
import type { TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

const CLI = resolve('dist/src/cli/main.js');
let dir: string;
let smtp: TestSmtpServer | undefined;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--config', join(dir, 'pressline.json'), ...args], { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '', ...env } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as NodeJS.ErrnoException & { code: number }).code) : 0, stdout, stderr }),
    );
  });
}

function writeConfig(from = 'press@ngo.example.org') {
  writeFileSync(join(dir, 'pressline.json'), JSON.stringify({ from: { name: 'Press Office', address: from }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: 0 } }));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pressline-outbox-'));
  writeConfig();
});
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const SEND = ['send', EXAMPLE_RELEASE, '--list', 'lists/journalists.csv'];

describe('a send with no relay says "written to outbox", never "sent"', () => {
  it('in the plan, the summary, `campaigns` (table and JSON) and the report (table and HTML)', async () => {
    const r = await cli([...SEND, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Transport\s+outbox folder .*nothing is sent \(no SMTP_URL set\)$/m);
    expect(r.stdout).toMatch(/^Campaign 1: done\n {2}written to outbox 40\n/m);
    expect(r.stdout).toMatch(/nothing left this machine: the 40 messages are \.eml files in .*outbox\/1\/; set SMTP_URL/);
    expect(r.stdout).not.toMatch(/\bsent 40\b/);

    const table = await cli(['campaigns']);
    expect(table.stdout).toMatch(/done\s.*written to outbox 40$/m);
    expect(table.stdout).not.toMatch(/\bsent 40\b/);
    const json = JSON.parse((await cli(['campaigns', '--json'])).stdout);
    expect(json[0]).toMatchObject({ counts: { sent: 40 }, writtenToOutbox: 40 });

    const report = await cli(['report', '1']);
    expect(report.stdout.split('\n').filter((l) => /@/.test(l)).every((l) => / written to outbox /.test(l))).toBe(true);
    expect(report.stdout.trimEnd().split('\n').at(-1)).toBe('written to outbox 40');

    const log = await cli(['log', '1', '--email', 'h.whitfield@dailyledger.example']);
    expect(log.stdout.split('\n')[0]).toBe('h.whitfield@dailyledger.example in campaign 1: written to outbox after 1 attempt(s), last reply 250 2.0.0');

    const html = (await cli(['report', '1', '--format', 'html'])).stdout;
    expect(html).toContain('<li>written to outbox <b data-status="outbox">40</b></li>');
    expect(html).toContain('<span class="status">written to outbox</span>');
    expect(html).not.toContain('<span class="status">sent</span>');
  });

  it('through a relay it is "sent", with no outbox wording and no warning', async () => {
    writeConfig('press@amnesty.org');
    smtp = await startTestSmtp();
    const r = await cli([...SEND, '--yes'], { SMTP_URL: smtp.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}sent 40$/m);
    expect(r.stdout).not.toMatch(/outbox|Warning/);
    expect((await cli(['report', '1'])).stdout).not.toContain('outbox');
  });

  it('the plan warns when the From address looks meant for real sending and no relay is set', async () => {
    writeConfig('press@amnesty.org');
    const real = await cli([...SEND, '--dry-run']);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^Warning\s+From press@amnesty\.org looks meant for real sending, but no SMTP_URL is set: .*nobody receives them/m);
    writeConfig('press@ngo.example.org');
    expect((await cli([...SEND, '--dry-run'])).stdout).not.toMatch(/Warning/);
  });

  it('`schedule` warns that a worker without SMTP_URL would only write to the outbox folder', async () => {
    writeConfig('press@amnesty.org');
    const here = await cli(['schedule', EXAMPLE_RELEASE, '--list', 'lists/journalists.csv', '--at', 'now + 1h', '--yes']);
    expect(here.code, here.stderr).toBe(0);
    expect(here.stdout).toMatch(/^Warning: no SMTP_URL set here; a worker without one writes these messages to the outbox folder and sends nothing$/m);
    expect(here.stdout).toMatch(/^Warning: From press@amnesty\.org looks meant for real sending/m);
    smtp = await startTestSmtp();
    const relayed = await cli(['schedule', EXAMPLE_RELEASE, '--list', 'lists/journalists.csv', '--at', 'now + 2h', '--yes', '--again'], { SMTP_URL: smtp.url });
    expect(relayed.code, relayed.stderr).toBe(0);
    expect(relayed.stdout).not.toMatch(/SMTP_URL|outbox/);
  });

  it('the confirmation question on a terminal says the messages go to the outbox folder', async () => {
    // `script` gives the CLI a real terminal; the answer "n" sends nothing.
    const command = [process.execPath, CLI, '--config', join(dir, 'pressline.json'), ...SEND].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), SMTP_URL: '' } });
    let out = '';
    let answered = false;
    child.stdin.on('error', () => undefined); // the CLI may have exited before the pipe closed
    child.stdout.on('data', (d) => {
      out += d;
      if (!answered && /\[y\/N\]/.test(out)) {
        answered = true;
        child.stdin.write('n\n');
      }
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(out).toMatch(/Write "EU-Russia summit[^"]*" for 40 recipients to the outbox folder .*outbox\/<campaign>\/\? Nothing is sent \(no SMTP_URL set\)\. \[y\/N\]/);
    expect(out).toContain('Nothing sent.');
    expect(code).toBe(1);
  });
});

describe('the dashboard says "written to outbox" for outbox deliveries and "sent" for relayed ones', () => {
  let app: TestApp | undefined;
  let web: Running | undefined;
  afterEach(async () => {
    await closeAll(web, app);
    web = undefined;
    app = undefined;
  });

  it('on the overview, the campaign page, the live counts and the delivery page', async () => {
    const sent = await sentCampaign(['a@news.example', 'b@news.example']);
    app = sent.app;
    // A second campaign through a real relay.
    smtp = await startTestSmtp();
    const relayed = await planCampaign(app, [app.list(['c@paper.example,C,D,Paper,russia,en'])], {}, { again: true });
    await runCampaign(relayed, app, { waitForRetries: false, transport: createSmtpTransport(smtp.url, app.config) });
    // A third, planned and not sent yet: without SMTP_URL it will go to the outbox, so its count is there from the start.
    const planned = await planCampaign(app, [app.list(['e@later.example,E,F,Later,russia,en'])], {}, { again: true });
    web = await startServer(app);

    const overview = await (await fetch(`${web.url}/`)).text();
    expect(overview).toContain(`<li>written to outbox <b data-status="outbox" data-campaign="${sent.campaignId}">2</b></li>`);
    expect(overview).toContain(`<li>sent <b data-status="sent" data-campaign="${sent.campaignId}">0</b></li>`);
    expect(overview).toContain(`<li>sent <b data-status="sent" data-campaign="${relayed}">1</b></li>`);
    expect(overview).not.toContain(`data-status="outbox" data-campaign="${relayed}"`);
    expect(overview).toContain(`<li>written to outbox <b data-status="outbox" data-campaign="${planned}">0</b></li>`);

    const live = (await (await fetch(`${web.url}/api/campaigns`)).json()) as { campaigns: { id: number; counts: Record<string, number> }[] };
    expect(live.campaigns.find((c) => c.id === sent.campaignId)!.counts).toMatchObject({ sent: 0, outbox: 2 });
    expect(live.campaigns.find((c) => c.id === relayed)!.counts).toMatchObject({ sent: 1, outbox: 0 });

    const page = await (await fetch(`${web.url}/campaigns/${sent.campaignId}`)).text();
    expect(page).toContain('<span class="status">written to outbox</span>');
    expect(page).not.toContain('<span class="status">sent</span>');

    const delivery = await (await fetch(`${web.url}/deliveries/${sent.delivery['a@news.example']!.id}`)).text();
    expect(delivery).toContain('<li>status <b>written to outbox</b></li>');
  });
});
