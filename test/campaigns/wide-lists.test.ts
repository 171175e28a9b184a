// Wide lists (issue 15): a recipient is stored with only the extra columns its release merges, so a
// 5,000-column list no longer costs gigabytes to plan and send (bench/wide-lists.ts measures that);
// these tests hold that nothing the release merges is lost on the way.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintFiles } from '../../src/campaigns/fingerprint.js';
import { preparePlan, persistPlan, resumePlanning } from '../../src/campaigns/plan.js';
import { preflightCampaign } from '../../src/campaigns/preflight.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { systemClock, type Clock } from '../../src/time/clock.js';
import { PresslineError } from '../../src/errors.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { closeAll } from '../helpers/close.js';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = undefined;
  smtp = undefined;
});

const EXTRAS = Array.from({ length: 400 }, (_, k) => `Col ${k + 1}`);

/** Three journalists with 400 extra columns, a Desk Code, Notes and a Region. */
function wideList(a: TestApp): string {
  const header = ['Email', 'First Name', 'Last Name', ...EXTRAS, 'Desk Code', 'Notes', 'Region'].join(',');
  const rows = [1, 2, 3].map((i) => [`j${i}@news.example`, `Jo${i}`, 'Doe', ...EXTRAS.map((_, k) => `x${i}.${k}`), `D-${i}`, `note ${i}`, i === 2 ? 'emea' : 'apac'].join(','));
  return a.list(rows, header);
}

function writeRelease(a: TestApp, front: string, body: string): string {
  const file = join(a.dir, 'release.md');
  writeFileSync(file, `---\ntitle: Seal census\nlanguage: en\n${front}---\n${body}\n`);
  return file;
}

const at = (iso: string): Clock => ({ now: () => new Date(iso), sleep: systemClock.sleep });

/** The extra columns stored with each pending recipient, read through a claim that is handed back. */
async function storedExtras(a: TestApp, campaignId: number): Promise<Record<string, string>[]> {
  const claimed = await a.store.claimBatch(campaignId, 'probe', 100, new Date(), 60_000);
  await a.store.releaseClaims(campaignId, 'probe');
  return claimed.sort((x, y) => x.id - y.id).map((d) => d.contact.extra);
}

describe('wide lists: only the columns a release merges are stored, and every one of them arrives', () => {
  it('subject and body merge two of 403 extra columns; a --where column filters; the rest is not stored', async () => {
    smtp = await startTestSmtp();
    const a = testApp({ env: { smtpUrl: smtp.url } });
    app = a;
    const release = writeRelease(a, 'subject: "Census for desk {{ desk_code }}"\n', 'Dear {{ first_name }}, {{ Notes }} and {{ col_400 | "none" }}.');
    const plan = await preparePlan({ releaseFile: release, lists: [wideList(a)], where: ['region=apac'], skipInvalid: false }, a);
    expect(plan.report.columns).toHaveLength(403);
    const id = await persistPlan(plan, a);

    expect(await storedExtras(a, id)).toEqual([
      { 'Col 400': 'x1.399', 'Desk Code': 'D-1', Notes: 'note 1', Region: 'apac' },
      { 'Col 400': 'x3.399', 'Desk Code': 'D-3', Notes: 'note 3', Region: 'apac' },
    ]);

    const summary = await runCampaign(id, a, { waitForRetries: true });
    expect(summary.counts.sent).toBe(2);
    for (const i of [1, 3]) {
      const raw = smtp.messages.find((m) => m.rcpts.includes(`j${i}@news.example`))!.raw;
      const parsed = await simpleParser(raw);
      expect(parsed.subject).toBe(`Census for desk D-${i}`);
      expect(parsed.text).toContain(`Dear Jo${i}, note ${i} and x${i}.399.`);
    }
  });

  it('a column the template merges only once the embargo has lifted is kept for a copy sent after the lift', async () => {
    smtp = await startTestSmtp();
    const a = testApp({ env: { smtpUrl: smtp.url }, clock: at('2027-03-16T07:00:00Z') });
    app = a;
    // The stock layout, with the lifted notice followed by the desk code: merged only after the lift.
    const stock = readFileSync('templates/press-release.mjml', 'utf8');
    const lifted = stock.indexOf('{% notice.text %}', stock.indexOf('{% else %}', stock.indexOf('{% if notice.embargoed %}')));
    const templateFile = join(a.dir, 'layout.mjml');
    writeFileSync(templateFile, stock.slice(0, lifted) + '{% notice.text %} desk {{ Desk Code }}' + stock.slice(lifted + '{% notice.text %}'.length));
    const release = writeRelease(a, 'embargo: "2027-03-16 09:00 Europe/Brussels"\n', 'Dear {{ first_name }}.');

    const plan = await preparePlan({ releaseFile: release, lists: [wideList(a)], where: [], skipInvalid: false, templateFile }, a);
    expect(plan.compiled.embargoed).toBe(true);
    const id = await persistPlan(plan, a);
    expect((await storedExtras(a, id)).map((e) => e['Desk Code'])).toEqual(['D-1', 'D-2', 'D-3']);

    const summary = await runCampaign(id, { ...a, clock: at('2027-03-16T09:30:00Z') }, { waitForRetries: true });
    expect(summary.counts.sent).toBe(3);
    const parsed = await simpleParser(smtp.messages.find((m) => m.rcpts.includes('j2@news.example'))!.raw);
    expect(parsed.html).toContain('desk D-2'); // the layout shapes the HTML part
  });

  it('refuses to send, naming the column, when the release was edited after planning to merge a column not stored', async () => {
    smtp = await startTestSmtp();
    const a = testApp({ env: { smtpUrl: smtp.url } });
    app = a;
    const release = writeRelease(a, '', 'Dear {{ first_name }}.');
    const id = await persistPlan(await preparePlan({ releaseFile: release, lists: [wideList(a)], where: [], skipInvalid: false }, a), a);
    writeRelease(a, '', 'Dear {{ first_name }}, desk {{ Desk Code }}.');

    // A worker's check of a due campaign says so too (and holds it for a person, once).
    const problems = await preflightCampaign(a, (await a.store.getCampaign(id))!);
    expect(problems.map((p) => p.message).join('\n')).toContain('merges list column "Desk Code", which was not stored');

    const err = await runCampaign(id, a, { waitForRetries: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as PresslineError).code).toBe('REFUSED');
    expect((err as Error).message).toContain('"Desk Code"');
    expect(smtp.messages).toHaveLength(0);
    expect((await a.store.getCampaign(id))!.status).toBe('draft');
  });

  it('an interrupted plan is not finished with a release that now merges a column its stored recipients lack', async () => {
    const a = testApp();
    app = a;
    const list = wideList(a);
    const release = writeRelease(a, '', 'Dear {{ first_name }}.');
    // What persistPlan stores before its recipients: a planner killed here leaves a campaign in `planning`.
    const id = await a.store.createCampaign(
      {
        releaseFile: release, releaseTitle: 'Seal census', lists: [list], where: [], test: false, status: 'planning', phase: 'single',
        options: { fingerprint: 'before-the-edit', releasePath: release, listFingerprint: await fingerprintFiles([list]), columns: [], keptColumns: [], skipInvalid: false, target: 'draft' },
      },
      new Date(),
    );
    writeRelease(a, '', 'Dear {{ first_name }}, desk {{ Desk Code }}.');
    const err = await resumePlanning(id, a, { acceptChanges: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as Error).message).toContain('merges list column "Desk Code", which was not stored');
    expect(await a.store.deliveries(id)).toEqual([]);
  });

  it('a 5,000-character first name merged into the subject: with and without an attachment, no header line passes 998 (issue 15)', async () => {
    smtp = await startTestSmtp();
    const a = testApp({ env: { smtpUrl: smtp.url } });
    app = a;
    writeFileSync(join(a.dir, 'factsheet.txt'), 'Seal numbers by colony.\n');
    const list = a.list([`long@news.example,${'J'.repeat(5000)},Doe,Daily,seals,en`]);
    for (const attachments of ['', 'attachments:\n  - file: factsheet.txt\n']) {
      const release = writeRelease(a, `subject: "For {{ first_name }} at {{ outlet }}"\n${attachments}`, 'Dear {{ first_name }}.');
      const plan = await preparePlan({ releaseFile: release, lists: [list], where: [], skipInvalid: false }, a);
      expect(plan.warnings.join('\n')).toContain('1 name in the list cut to 150 characters for the To: line');
      const id = await persistPlan(plan, a, { again: true });
      expect((await runCampaign(id, a, { waitForRetries: true })).counts.sent).toBe(1);
      const raw = smtp.messages.at(-1)!.raw;
      const head = raw.toString('latin1').split('\r\n\r\n')[0]!;
      for (const line of head.split('\r\n')) expect(line.length, line.slice(0, 90)).toBeLessThanOrEqual(998);
      const parsed = await simpleParser(raw);
      expect(parsed.subject).toBe(`For ${'J'.repeat(150)} at Daily`);
      expect(parsed.attachments).toHaveLength(attachments ? 1 : 0);
    }
  });
});
