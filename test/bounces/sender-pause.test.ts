import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { transition } from '../../src/campaigns/lifecycle.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import { readPath } from '../../src/bounces/sources.js';
import { describeIngest } from '../../src/cli/bounces.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = smtp = undefined;
});

/** The DSN a journalist's server sends when it refuses our sender domain at MAIL FROM. */
function senderRefused(o: { to: string; recipient: string; originalMessageId: string; id: string }): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.ngo.example.org>',
    `To: ${o.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <${o.id}@mx.ngo.example.org>`,
    'Date: Sat, 28 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    `<${o.recipient}>: host mx.paper.example said: 553 5.1.8 <press@ngo.example.org>... Domain of sender`,
    '    address press@ngo.example.org does not exist (in reply to MAIL FROM command)',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.ngo.example.org',
    '',
    `Final-Recipient: rfc822; ${o.recipient}`,
    'Action: failed',
    'Status: 5.1.8',
    'Diagnostic-Code: smtp; 553 5.1.8 <press@ngo.example.org>... Domain of sender address press@ngo.example.org does not exist',
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Press Office <press@ngo.example.org>',
    `To: ${o.recipient}`,
    `Message-ID: ${o.originalMessageId}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
}

async function sendTo(people: string[]): Promise<{ id: number; verp: (p: string) => string; mid: (p: string) => string }> {
  const list = app!.list(people.map((p) => `${p}@paper.example,${p},X,Paper,russia,en`));
  const id = await planCampaign(app!, [list]);
  await runCampaign(id, app!, { waitForRetries: true });
  const byRcpt = new Map(smtp!.messages.map((m) => [m.rcpts[0]!, m]));
  return { id, verp: (p) => byRcpt.get(`${p}@paper.example`)!.envelopeFrom, mid: (p) => byRcpt.get(`${p}@paper.example`)!.messageId };
}

describe('a server that refuses our sender', () => {
  it('pauses the sending campaign with the reason and suppresses no journalist', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org' } } });
    const sent = await sendTo(['lena', 'omar']);
    // The campaign is sending again (a resend of unknown deliveries) when the report arrives.
    expect(await transition(app, sent.id, 'start', app.clock.now())).toBe(true);

    const file = join(app.dir, 'sender.eml');
    writeFileSync(file, senderRefused({ to: sent.verp('lena'), recipient: 'lena@paper.example', originalMessageId: sent.mid('lena'), id: 's1' }));
    const result = await ingestMessages(app, readPath(file));

    expect(result.applied).toEqual({ sender: 1 });
    const campaign = (await app.store.getCampaign(sent.id))!;
    expect(campaign.status).toBe('paused');
    expect(campaign.pausedKind).toBe('sender');
    expect(campaign.statusReason).toMatch(/^sender refused by the server of lena@paper\.example: 5\.1\.8 553 5\.1\.8 .*Domain of sender address press@ngo\.example\.org does not exist; fix the sender .*pressline resume \d+$/);
    // Whoever ran the ingestion is told, not only `campaigns`: nothing more goes out until it is resumed.
    expect(result.paused).toEqual([{ campaignId: sent.id, reason: campaign.statusReason }]);
    expect(describeIngest(result).split('\n')[1]).toBe(`  campaign ${sent.id} paused: ${campaign.statusReason}`);
    expect(await app.store.isSuppressed('lena@paper.example')).toBeUndefined();
    const lena = (await app.store.deliveries(sent.id, { email: 'lena@paper.example' }))[0]!;
    expect(lena.status).toBe('blocked');
  });

  it('leaves a finished campaign as it is, and still suppresses no one', async () => {
    smtp = await startTestSmtp();
    app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org' } } });
    const sent = await sendTo(['ines']);
    const file = join(app.dir, 'sender.eml');
    writeFileSync(file, senderRefused({ to: sent.verp('ines'), recipient: 'ines@paper.example', originalMessageId: sent.mid('ines'), id: 's2' }));
    const result = await ingestMessages(app, readPath(file));

    expect(result.applied).toEqual({ sender: 1 });
    expect((await app.store.getCampaign(sent.id))!.status).toBe('done');
    expect(result.paused).toEqual([]);
    expect(await app.store.isSuppressed('ines@paper.example')).toBeUndefined();
  });
});
