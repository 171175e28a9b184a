// One journalist across two campaigns, all through the real paths (issue 17, part 3): a REAL send
// of the example release to the loopback SMTP server (accepted), a second release with a hostile
// title sent to them too, a late DSN (hostile diagnostic) ingested as mail for the second one (a
// hard bounce, which suppresses), then the first message's one-click unsubscribe link POSTed to the
// real web server. For the `pressline contact` and dashboard contact page tests.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestMessages } from '../../src/bounces/ingest.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { startServer, type Running } from '../fixtures/webhooks/harness.js';
import { EXAMPLE_RELEASE, testApp, type TestApp } from './app.js';
import { mails } from './after-delivery.js';
import { dsnFor } from './delivered.js';
import { planCampaign } from './plan.js';
import { startTestSmtp, type TestSmtpServer } from './smtp-server.js';

/** As the list writes it; `pressline contact` is asked with other spellings. */
export const JOURNALIST = 'Elodie.Lefevre@LeMonde.example';
export const KEY = 'elodie.lefevre@lemonde.example';
/** A title that would clear the screen, hide a link and run a script if printed or inserted raw. */
export const HOSTILE_TITLE = "Statement \x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 <script>window.pwned=1</script> — Заявление";
/** A diagnostic with the same tricks, as a receiving server could write it. */
export const HOSTILE_DIAGNOSTIC = 'mailbox disabled \x1b[31mRED\x1b[0m <img src=x onerror="window.pwned=2">';

export interface JournalistHistory {
  app: TestApp;
  smtp: TestSmtpServer;
  web: Running;
  /** The campaign delivered (later unsubscribed from) and the one that bounced. */
  first: number;
  second: number;
  /** The journalist's delivery in each. */
  firstDelivery: number;
  secondDelivery: number;
  /** The config file a `pressline` child process can be pointed at. */
  configFile: string;
  close(): Promise<void>;
}

export async function journalistHistory(): Promise<JournalistHistory> {
  const smtp = await startTestSmtp();
  const config = { bounces: { domain: 'bounces.ngo.example.org' }, unsubscribe: { baseUrl: 'https://press.ngo.example.org' } };
  const app = testApp({ env: { smtpUrl: smtp.url }, config });
  const web = await startServer(app, { dashboardPort: 0 });
  const configFile = join(app.dir, 'pressline.json');
  writeFileSync(configFile, JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(app.dir, 'outbox'), logs: join(app.dir, 'logs') }, ...config }));

  const list = app.list([`${JOURNALIST},Élodie,Lefèvre,Le Monde,russia,fr`, 'other@paper.example,Otto,Other,Paper,russia,en']);
  const first = await planCampaign(app, [list]);
  const run1 = await runCampaign(first, app, { waitForRetries: false });
  if (run1.end !== 'done') throw new Error(`first campaign did not finish: ${run1.end}`);

  const hostile = join(app.dir, 'hostile.md');
  copyFileSync(EXAMPLE_RELEASE, hostile);
  copyFileSync(EXAMPLE_RELEASE.replace(/\.md$/, '.ru.md'), join(app.dir, 'eu-russia-summit.ru.md'));
  const text = readFileSync(hostile, 'utf8').replace(/^title: .*$/m, `title: ${JSON.stringify(HOSTILE_TITLE)}`);
  writeFileSync(hostile, text);
  const second = await planCampaign(app, [app.list([`${JOURNALIST},Élodie,Lefèvre,Le Monde,russia,fr`])], { releaseFile: hostile });
  const run2 = await runCampaign(second, app, { waitForRetries: false });
  if (run2.end !== 'done') throw new Error(`second campaign did not finish: ${run2.end}`);

  const to = (campaign: number) => smtp.messages.filter((m) => m.rcpts[0]?.toLowerCase() === KEY)[campaign === first ? 0 : 1]!;
  const dsn = dsnFor(JOURNALIST, to(second).messageId, to(second).envelopeFrom).replace(/mailbox disabled/, HOSTILE_DIAGNOSTIC);
  const ingested = await ingestMessages(app, mails(dsn));
  if (!ingested.applied.hard) throw new Error(`DSN not applied: ${JSON.stringify(ingested)}`);

  const link = /<(https:[^>]+)>/.exec(to(first).headers.get('list-unsubscribe') ?? '')?.[1];
  if (!link) throw new Error('no one-click link in the first message');
  const res = await fetch(`${web.url}${new URL(link).pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  if (res.status !== 200) throw new Error(`one-click unsubscribe: HTTP ${res.status} ${await res.text()}`);

  const [firstDelivery, secondDelivery] = await Promise.all([first, second].map(async (id) => (await app.store.deliveries(id, { email: KEY }))[0]!.id));
  return {
    app, smtp, web, first, second, firstDelivery: firstDelivery!, secondDelivery: secondDelivery!, configFile,
    close: async () => {
      await web.close();
      await smtp.close();
      await app.close();
    },
  };
}
