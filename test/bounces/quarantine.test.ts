import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import { readPath } from '../../src/bounces/sources.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { testApp, TEST_STORE, type TestApp } from '../helpers/app.js';
import { deeplyNested, dsnFor, exchangeShaped, longHeaderLine, manyParts } from '../helpers/poison-mail.js';
import { planCampaign } from '../helpers/plan.js';
import { closeAll } from '../helpers/close.js';

// Issue 14 item 3: one hostile message is set aside with its reason; the rest goes on.
let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await closeAll(smtp, app);
  app = smtp = undefined;
});

/** A campaign to `people`@paper.example really sent; a bounce for each of them as its MTA would write it. */
async function sentTo(people: string[], config: Record<string, unknown> = {}): Promise<{ app: TestApp; campaignId: number; bounce(p: string, extra?: Partial<Parameters<typeof dsnFor>[0]>): string }> {
  smtp = await startTestSmtp();
  app = testApp({ env: { smtpUrl: smtp.url }, config: { bounces: { domain: 'bounces.ngo.example.org', ...config } } });
  const list = app.list(people.map((p) => `${p}@paper.example,${p},X,Paper,russia,en`));
  const campaignId = await planCampaign(app, [list]);
  await runCampaign(campaignId, app, { waitForRetries: true });
  const byRcpt = new Map(smtp.messages.map((m) => [m.rcpts[0]!, m]));
  const bounce = (p: string, extra: Partial<Parameters<typeof dsnFor>[0]> = {}) => {
    const m = byRcpt.get(`${p}@paper.example`)!;
    return dsnFor({ to: m.envelopeFrom, recipient: `${p}@paper.example`, originalMessageId: m.messageId, id: `dsn-${p}`, ...extra });
  };
  return { app, campaignId, bounce };
}

async function statuses(a: TestApp, id: number): Promise<Record<string, string>> {
  return Object.fromEntries((await a.store.deliveries(id)).map((r) => [r.email.split('@')[0], r.status]));
}

describe(`poison messages in a bounce mailbox (${TEST_STORE})`, () => {
  it('a Maildir with deep nesting, a 50 MB header line, a NUL byte and 1 MB of Exchange-shaped text: every other message ingested, the unreadable ones quarantined, not read again', async () => {
    const { app, campaignId, bounce } = await sentTo(['ann', 'bob', 'cat', 'dan']);
    const maildir = join(app.dir, 'Maildir');
    for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
    const put = (name: string, body: string | Buffer) => writeFileSync(join(maildir, 'new', name), body);
    put('1.ann', bounce('ann'));
    put('2.nested', deeplyNested(1500));
    put('3.bob', bounce('bob'));
    put('4.long', longHeaderLine(50 * 1024 * 1024));
    // A NUL in the text and one in the diagnostic (PostgreSQL text refuses NUL).
    put('5.dan', bounce('dan', { diagnostic: '550 5.1.1 User\u0000 unknown' }).replace('could not', 'could\u0000 not'));
    put('6.exchange', exchangeShaped(1024 * 1024));
    put('7.cat', bounce('cat'));
    // Under the size cap, but a header line no parser takes (mailparser: "Max header size").
    put('8.header', longHeaderLine(3 * 1024 * 1024));

    const first = await ingestMessages(app, readPath(maildir));
    expect(first.messages).toBe(8);
    expect(first.applied).toEqual({ hard: 4 });
    expect(await statuses(app, campaignId)).toEqual({ ann: 'bounced', bob: 'bounced', cat: 'bounced', dan: 'bounced' });
    const dan = (await app.store.bounceEvents()).find((e) => e.recipient === 'dan@paper.example')!;
    expect(dan.diagnostic).toBe('550 5.1.1 User unknown');
    expect(first.unrecognised.map((u) => u.source)).toEqual([`maildir:${join(maildir, 'new', '6.exchange')}`]);

    expect(first.quarantinedCount).toBe(3);
    const reasons = Object.fromEntries(first.quarantined.map((q) => [q.source.split('/').pop(), q.reason]));
    expect(reasons['2.nested']).toMatch(/nested more than 20 deep/);
    expect(reasons['4.long']).toMatch(/^52428\d\d\d bytes, more than bounces\.maxMessageBytes \(10485760\): not read$/);
    expect(reasons['8.header']).toMatch(/^the mail parser failed: .*header/i);
    // Moved into a Maildir of their own, out of the way of the next run.
    expect(readdirSync(join(maildir, 'new')).sort()).toEqual(['1.ann', '3.bob', '5.dan', '6.exchange', '7.cat']);
    expect(readdirSync(join(maildir, '.Quarantine', 'cur')).sort()).toEqual(['2.nested', '4.long', '8.header']);
    const listed = await app.store.listQuarantined();
    expect(listed.map((q) => q.location.split('/').slice(-3).join('/')).sort()).toEqual(['.Quarantine/cur/2.nested', '.Quarantine/cur/4.long', '.Quarantine/cur/8.header']);

    const again = await ingestMessages(app, readPath(maildir));
    expect(again).toMatchObject({ messages: 5, applied: {}, duplicates: 5, quarantinedCount: 0 });
    expect(await app.store.listQuarantined()).toHaveLength(3);
  });

  it('an 8 kB Message-ID and recipient are stored by their digest (PostgreSQL indexes refuse ~2.7 kB): the run goes on, and a second one sees duplicates', async () => {
    const { app, campaignId, bounce } = await sentTo(['ann', 'bob']);
    const maildir = join(app.dir, 'Maildir');
    for (const d of ['new', 'cur', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
    const long = 'x'.repeat(8000);
    writeFileSync(join(maildir, 'new', '1.long'), bounce('ann', { id: long }).replace('Final-Recipient: rfc822; ann@paper.example', `Final-Recipient: rfc822; ${long}@paper.example`));
    writeFileSync(join(maildir, 'new', '2.bob'), bounce('bob'));
    const first = await ingestMessages(app, readPath(maildir));
    // Both name their delivery by VERP token; on PostgreSQL the long ids once stopped the run here.
    expect(first).toMatchObject({ messages: 2, applied: { hard: 2 }, quarantinedCount: 0 });
    expect(await statuses(app, campaignId)).toEqual({ ann: 'bounced', bob: 'bounced' });
    expect(await ingestMessages(app, readPath(maildir))).toMatchObject({ applied: {}, duplicates: 2 });
  });

  it('an mbox: each unreadable message recorded by its byte offset, the rest applied; a second run skips the quarantined ones unparsed', async () => {
    const { app, campaignId, bounce } = await sentTo(['ann', 'bob'], { maxMessageBytes: 64 * 1024 });
    const separator = 'From MAILER-DAEMON Sat Nov 28 10:00:00 2026\n';
    const messages = [bounce('ann'), deeplyNested(100), 'Subject: big\n\n' + 'y'.repeat(200 * 1024) + '\n', bounce('bob').replace('Your message', '>From the relay: your message')];
    const offsets: number[] = [];
    let mbox = '';
    for (const m of messages) {
      offsets.push(Buffer.byteLength(mbox));
      mbox += separator + m.replace(/\r\n/g, '\n') + '\n';
    }
    const file = join(app.dir, 'bounces.mbox');
    writeFileSync(file, mbox);

    const first = await ingestMessages(app, readPath(file, { maxMessageBytes: app.config.bounces.maxMessageBytes }));
    expect(first).toMatchObject({ messages: 4, applied: { hard: 2 }, quarantinedCount: 2 });
    expect(await statuses(app, campaignId)).toEqual({ ann: 'bounced', bob: 'bounced' });
    expect(first.quarantined.map((q) => [q.source, q.location])).toEqual([
      [`mbox:${file}#2`, `${file} at byte offset ${offsets[1]}`],
      [`mbox:${file}#3`, `${file} at byte offset ${offsets[2]}`],
    ]);
    expect(first.quarantined[1]!.reason).toMatch(/more than bounces\.maxMessageBytes \(65536\)/);

    const again = await ingestMessages(app, readPath(file, { maxMessageBytes: app.config.bounces.maxMessageBytes }));
    expect(again).toMatchObject({ messages: 4, applied: {}, duplicates: 2, quarantinedCount: 0, skippedQuarantined: 2 });
    expect(existsSync(file)).toBe(true);
  });

  it('a 2,001-recipient report: its text stored once, recipients beyond bounces.maxRecipientsPerReport counted, not kept', async () => {
    const { app, bounce } = await sentTo(['ann'], { maxRecipientsPerReport: 50 });
    const extra = Array.from({ length: 2000 }, (_, i) => `stranger${i}@paper.example`);
    const file = join(app.dir, 'wide.eml');
    // No VERP token (the relay rewrote the envelope): each recipient stands on its own.
    writeFileSync(file, bounce('ann', { to: 'press@ngo.example.org', extraRecipients: extra }));
    const summary = await ingestMessages(app, readPath(file));
    expect(summary.applied).toEqual({ hard: 1 });
    expect(summary.unattributedCount).toBe(49);
    expect(summary.recipientsOverCap).toBe(1951);
    const rows = await app.store.bounceEvents();
    expect(rows).toHaveLength(50);
    // Every row shows the report's text, held once.
    expect(new Set(rows.map((r) => r.raw)).size).toBe(1);
    expect(rows[0]!.raw).toMatch(/^From: Mail Delivery System/);
    if (TEST_STORE === 'sqlite') {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(app.config.paths.database, { readonly: true });
      try {
        expect(db.prepare(`SELECT count(*) FROM bounce_events WHERE raw <> ''`).pluck().get()).toBe(0);
        expect(db.prepare('SELECT recipients, recipients_kept FROM bounce_reports').all()).toEqual([{ recipients: 2001, recipients_kept: 50 }]);
      } finally {
        db.close();
      }
    }
  });

  it('the mbox reader streams: messages across 1 MB read boundaries, ">From " unquoted, one over the cap skipped whole', async () => {
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const expected: string[] = [];
    const chunks: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const lines = [`Subject: m${i}`, `Message-ID: <m${i}@x.example>`, ''];
      const n = 1 + next(40);
      for (let l = 0; l < n; l++) {
        const kind = next(10);
        lines.push(kind === 0 ? `From here on, line ${l}` : kind === 1 ? `>From quoted ${l}` : 'z'.repeat(next(90)));
      }
      if (i === 1234) lines.push('w'.repeat(3 * 1024 * 1024)); // over the 1 MB cap below
      const message = lines.join('\n') + '\n';
      expected.push(message + '\n');
      const quoted = message.replace(/^(>*From )/gm, '>$1');
      chunks.push(`From sender${i}@x.example Sat Nov 28 10:00:00 2026\n${quoted}\n`);
    }
    app = testApp();
    const file = join(app.dir, 'many.mbox');
    writeFileSync(file, chunks.join(''));
    let n = 0;
    let offset = 0;
    for await (const m of readPath(file, { maxMessageBytes: 1024 * 1024 })) {
      expect(m.source).toBe(`mbox:${file}#${n + 1}`);
      if (n === 1234) {
        expect(m.tooLarge).toBe(true);
        expect(m.raw.length).toBe(0);
        expect(m.bytes).toBe(Buffer.byteLength(expected[n]!));
        expect(await m.quarantine()).toBe(`${file} at byte offset ${offset}`);
      } else {
        expect(m.raw.toString('latin1')).toBe(expected[n]);
      }
      offset += Buffer.byteLength(chunks[n]!);
      n++;
    }
    expect(n).toBe(4000);
  });
});

describe('poison messages over IMAP (a real dovecot on loopback)', () => {
  it('moves unreadable and oversized messages to bounces.imap.quarantineFolder, the rest to Processed; the same poison again is moved unparsed; then nothing is left to read', async () => {
    const { hasDovecot, messagesIn, startDovecot } = await import('../helpers/dovecot.js');
    if (!hasDovecot) throw new Error('dovecot is not installed: npm test installs it (scripts/install-test-peers.sh), or apt-get install -y dovecot-imapd');
    const imap = await startDovecot();
    try {
      const { app, campaignId, bounce } = await sentTo(['ann', 'bob'], { maxMessageBytes: 64 * 1024, imap: { quarantineFolder: 'Poison' } });
      const { ImapFlow } = await import('imapflow');
      const client = new ImapFlow({ host: '127.0.0.1', port: imap.port, secure: false, auth: { user: imap.user, pass: imap.password }, logger: false });
      await client.connect();
      await client.append('INBOX', bounce('ann'));
      await client.append('INBOX', deeplyNested(100));
      await client.append('INBOX', longHeaderLine(200 * 1024));
      await client.append('INBOX', manyParts(1500)); // "Max allowed child nodes exceeded"
      await client.append('INBOX', bounce('bob'));

      const { readImap } = await import('../../src/bounces/imap.js');
      const source = () =>
        readImap({ url: imap.url, password: imap.password, processedFolder: 'Processed', quarantineFolder: app.config.bounces.imap.quarantineFolder, maxMessageBytes: app.config.bounces.maxMessageBytes });
      const first = await ingestMessages(app, source());
      expect(first).toMatchObject({ messages: 5, applied: { hard: 2 }, quarantinedCount: 3 });
      expect(first.quarantined.map((q) => q.location)).toEqual(['IMAP folder Poison', 'IMAP folder Poison', 'IMAP folder Poison']);
      expect(first.quarantined[2]!.reason).toBe('the mail parser failed: Max allowed child nodes exceeded');
      expect(first.quarantined[0]!.reason).toMatch(/nested more than 20 deep/);
      expect(first.quarantined[1]!.reason).toMatch(/more than bounces\.maxMessageBytes \(65536\): not read/);
      expect(await statuses(app, campaignId)).toEqual({ ann: 'bounced', bob: 'bounced' });
      for (const [folder, count] of [['INBOX', 0], ['Processed', 2], ['Poison', 3]] as const) {
        expect(await messagesIn(client, folder), folder).toBe(count);
      }
      // The same poison sent again: known by its content, moved aside unparsed.
      await client.append('INBOX', deeplyNested(100));
      const second = await ingestMessages(app, source());
      expect(second).toMatchObject({ messages: 1, skippedQuarantined: 1, quarantinedCount: 0 });
      expect(await messagesIn(client, 'INBOX')).toBe(0);
      expect(await messagesIn(client, 'Poison')).toBe(4);
      await client.logout();

      const third = await ingestMessages(app, source());
      expect(third.messages).toBe(0);
    } finally {
      imap.stop();
    }
  });
});

describe('pressline bounces ingest / quarantined', () => {
  it('says what it set aside, one line each, no stack trace; `bounces quarantined --json` lists it', async () => {
    app = testApp();
    const maildir = join(app.dir, 'Maildir');
    for (const d of ['new', 'cur']) mkdirSync(join(maildir, d), { recursive: true });
    writeFileSync(join(maildir, 'new', '1.header'), longHeaderLine(3 * 1024 * 1024));
    writeFileSync(join(maildir, 'new', '2.nested'), deeplyNested(1500));
    const config = join(app.dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(app.dir, 'outbox'), logs: join(app.dir, 'logs') } }));
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(process.execPath, [resolve('dist/src/cli/main.js'), '--config', config, ...args], { env: { ...process.env, ...app!.storeEnv, SMTP_URL: '' }, timeout: 60_000 }, (err, stdout, stderr) =>
          done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
        ),
      );

    const ingest = await cli(['bounces', 'ingest', maildir]);
    expect(ingest.stderr).not.toMatch(/\n\s+at /);
    expect(ingest.stderr).not.toMatch(/reading the bounce mailbox/); // progress only on a terminal
    expect(ingest.code, ingest.stderr).toBe(1);
    expect(ingest.stdout).toMatch(/2 messages read; .*quarantined 2/);
    expect(ingest.stdout).toMatch(/quarantined: maildir:.*1\.header: the mail parser failed: /);
    expect(ingest.stdout).toMatch(/quarantined: maildir:.*2\.nested: MIME parts nested more than 20 deep/);

    const listed = await cli(['bounces', 'quarantined', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { source: string; reason: string; location: string; bytes: number }[];
    expect(rows.map((r) => r.location.split('/').slice(-3).join('/'))).toEqual(['.Quarantine/cur/1.header', '.Quarantine/cur/2.nested']);
    expect(rows[0]!.bytes).toBeGreaterThan(3 * 1024 * 1024);
  });

  it('shows a live count on a terminal (a real pseudo-terminal, through util-linux script)', async () => {
    app = testApp();
    const mbox = join(app.dir, 'bounces.mbox');
    writeFileSync(mbox, Array.from({ length: 50 }, (_, i) => `From x Sat Nov 28 10:00:00 2026\nSubject: m${i}\nAuto-Submitted: auto-replied\n\naway\n\n`).join(''));
    const config = join(app.dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(app.dir, 'outbox'), logs: join(app.dir, 'logs') } }));
    const command = [process.execPath, resolve('dist/src/cli/main.js'), '--config', config, 'bounces', 'ingest', mbox].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((done) =>
      execFile('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...app!.storeEnv, SMTP_URL: '' }, timeout: 60_000 }, (_err, stdout) => done(stdout)),
    );
    expect(out).toMatch(/reading the bounce mailbox: \d+ messages, 0 quarantined/);
    expect(out).toMatch(/50 messages read; .*auto-replies ignored 50/);
  });
});
