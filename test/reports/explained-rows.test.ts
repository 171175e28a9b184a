// Report rows tell what happened after delivery and why a row was never sent, in every format
// (issue 14 item 5, issue 19 item 8). Runs on SQLite and, with PRESSLINE_TEST_STORE=postgres, PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { ingestMessages } from '../../src/bounces/ingest.js';
import { afterDelivery, delayFor, mails, type AfterDelivery } from '../helpers/after-delivery.js';

let s: AfterDelivery;
beforeAll(async () => {
  s = await afterDelivery();
}, 60_000);
afterAll(async () => {
  await s?.close();
});

/** Runs the CLI in-process against the scenario's store and returns what it printed on stdout. */
async function cli(args: string[]): Promise<string> {
  const prev = { PRESSLINE_DB: process.env.PRESSLINE_DB, DATABASE_URL: process.env.DATABASE_URL };
  Object.assign(process.env, s.app.storeEnv);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  (process.stdout as any).write = (c: string) => (chunks.push(String(c)), true);
  const err = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = () => true;
  try {
    await buildProgram().parseAsync(['--config', 'config/examples/amnesty.json', ...args], { from: 'user' });
  } finally {
    (process.stdout as any).write = write;
    (process.stderr as any).write = err;
    for (const [k, v] of Object.entries(prev)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return chunks.join('');
}

const byEmail = <T extends { email: string }>(rows: T[]) => Object.fromEntries(rows.map((r) => [r.email.split('@')[0], r]));

/** The report table's cells by header name, one record per recipient (columns found from the header). */
function tableRows(text: string): Record<string, Record<string, string>> {
  const [header, ...lines] = text.split('\n\n')[0]!.split('\n');
  const names = header!.split(/ {2,}/);
  const starts = names.map((n) => header!.indexOf(n));
  const rows = lines.map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], starts[i + 1]).trim()])));
  return Object.fromEntries(rows.map((r) => [r.email!.split('@')[0]!, r]));
}

/** CSV (no quoted commas in these rows' key fields) as records by email. */
function csvRows(text: string): Record<string, Record<string, string>> {
  const lines = text.replace(/^\uFEFF/, '').trim().split('\r\n');
  const split = (l: string) => [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1]!.replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, -1);
  const header = split(lines[0]!);
  const rows = lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [header[i]!, v])));
  return Object.fromEntries(rows.map((r) => [r.email!.split('@')[0]!, r]));
}

describe('what happened after delivery', () => {
  it('JSON keeps the relay reply and adds the report: a late bounce with its own 550 and 5.2.1, a complaint, an unsubscribe', async () => {
    const rows = byEmail(JSON.parse(await cli(['report', String(s.sent), '--format', 'json'])));
    // The new fields come last: the older ones keep their places.
    expect(Object.keys(rows.late)).toEqual(['email', 'status', 'attempts', 'code', 'enhanced', 'response', 'messageId', 'updatedAt', 'language', 'outlet', 'domain', 'worker', 'relay', 'reason', 'after']);
    expect(rows.late).toMatchObject({ status: 'bounced', code: 250, enhanced: '2.6.0', reason: null });
    expect(rows.late.response).toMatch(/^250 2\.6\.0/);
    expect(rows.late.after).toMatchObject({ kind: 'bounced', code: 550, enhanced: '5.2.1' });
    expect(rows.late.after.diagnostic).toMatch(/550 5\.2\.1 .*mailbox disabled/);
    expect(Date.parse(rows.late.after.at)).not.toBeNaN();
    expect(rows.ok).toMatchObject({ status: 'sent', code: 250, enhanced: '2.6.0', after: { kind: 'complained' } });
    expect(rows.quit).toMatchObject({ status: 'sent', code: 250, after: { kind: 'unsubscribed' } });
    expect(rows.quit.after.diagnostic).toMatch(/one-click/);
    expect(rows.unknown).toMatchObject({ status: 'bounced', code: 550, enhanced: '5.1.1', after: null });
    expect(rows.fine).toMatchObject({ status: 'sent', code: 250, enhanced: '2.6.0', after: null, reason: null });
  });

  it('CSV: code is the basic code, enhanced its own column, the report in after* columns', async () => {
    const rows = csvRows(await cli(['report', String(s.sent), '--format', 'csv']));
    expect(rows.late).toMatchObject({ status: 'bounced', code: '250', enhanced: '2.6.0', after: 'bounced', afterCode: '550', afterEnhanced: '5.2.1' });
    expect(rows.late!.afterDiagnostic).toMatch(/mailbox disabled/);
    expect(rows.ok).toMatchObject({ status: 'sent', after: 'complained' });
    expect(rows.quit).toMatchObject({ status: 'sent', after: 'unsubscribed' });
    expect(rows.fine).toMatchObject({ code: '250', enhanced: '2.6.0', after: '', reason: '' });
  });

  it('table: code 250 and enhanced 2.6.0 in their own columns; the late bounce, complaint and unsubscribe under "after delivery"', async () => {
    const rows = tableRows(await cli(['report', String(s.sent)]));
    expect(rows.fine).toMatchObject({ code: '250', enhanced: '2.6.0', 'after delivery': '' });
    expect(rows.late).toMatchObject({ status: 'bounced', code: '250', enhanced: '2.6.0' });
    expect(rows.late!['reply or reason']).toMatch(/^250 2\.6\.0/);
    expect(rows.late!['after delivery']).toMatch(/^bounced 550 5\.2\.1 \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(rows.ok!['after delivery']).toMatch(/^complained /);
    expect(rows.quit!['after delivery']).toMatch(/^unsubscribed /);
    expect(rows.unknown).toMatchObject({ code: '550', enhanced: '5.1.1' });
  });

  it('HTML report: code and enhanced apart, and the after-delivery column', async () => {
    const html = await cli(['report', String(s.sent), '--format', 'html']);
    const row = (who: string) => html.split('<tr>').find((r) => r.replace(/<[^>]+>/g, '').startsWith(`${who}@`))!;
    expect(row('late')).toContain('<td data-label="code">250</td><td data-label="enhanced">2.6.0</td>');
    expect(row('late')).toMatch(/data-label="after delivery"[^>]*><span class="status">bounced<\/span> 550 5\.2\.1 <time/);
    expect(row('ok')).toMatch(/data-label="after delivery"[^>]*><span class="status">complained</);
    expect(row('quit')).toMatch(/data-label="after delivery"[^>]*><span class="status">unsubscribed</);
  });
});

describe('why a row was never sent', () => {
  it('JSON and CSV give the reason of every suppressed and skipped row, and the list entry behind a suppression', async () => {
    const rows = byEmail(JSON.parse(await cli(['report', String(s.again), '--json'])));
    expect(rows.unknown).toMatchObject({ status: 'suppressed', code: null, response: null });
    expect(rows.unknown.reason).toMatch(/suppression list when planned: hard-bounce/);
    expect(rows.late.reason).toMatch(/suppression list when planned: hard-bounce/);
    expect(rows.ok.reason).toMatch(/suppression list when planned: complaint/);
    expect(rows.quit.reason).toMatch(/suppression list when planned: unsubscribe \(one-click/);
    expect(rows.fine).toMatchObject({ status: 'skipped', code: null, reason: 'already had this release from an earlier campaign (--new-only)' });
    expect(rows.new).toMatchObject({ status: 'pending', reason: null, after: null });
    // A message whose fate is unknown says why, beside what the connection said.
    const sent = byEmail(JSON.parse(await cli(['report', String(s.sent), '--json'])));
    expect(sent.cut).toMatchObject({ status: 'unknown', code: null, response: 'Connection closed unexpectedly', after: null });
    expect(sent.cut.reason).toMatch(/^the relay may have accepted it: .*not resent unless --resend-unknown$/);
    const csv = csvRows(await cli(['report', String(s.again), '--format', 'csv', '--status', 'skipped,suppressed']));
    expect(csv.fine!.reason).toBe('already had this release from an earlier campaign (--new-only)');
    expect(csv.ok!.reason).toMatch(/complaint/);
    expect(csv.new).toBeUndefined();
  });

  it('table and HTML show the reason where a reply would be', async () => {
    const rows = tableRows(await cli(['report', String(s.again)]));
    expect(rows.fine!['reply or reason']).toBe('already had this release from an earlier campaign (--new-only)');
    expect(rows.quit!['reply or reason']).toMatch(/^on the suppression list when planned: unsubscribe/);
    const html = await cli(['report', String(s.again), '--format', 'html']);
    expect(html).toContain('<td data-label="reason" class="reply story">already had this release from an earlier campaign (--new-only)</td>');
    expect(html).toMatch(/<td data-label="reason" class="reply story">on the suppression list when planned: complaint/);
  });
});

describe('the weightier report wins', () => {
  it('a "still trying" DSN after a complaint leaves the complaint as what came after; on a quiet row it shows', async () => {
    const to = (rcpt: string) => s.smtp.messages.find((m) => m.rcpts[0] === rcpt)!;
    const ingested = await ingestMessages(s.app, mails(delayFor(to('ok@paper.example'), 'delay-ok'), delayFor(to('fine@radio.example'), 'delay-fine')));
    expect(ingested.applied.delay).toBe(2);
    const rows = byEmail(JSON.parse(await cli(['report', String(s.sent), '--json'])));
    expect(rows.ok.after).toMatchObject({ kind: 'complained' });
    expect(rows.fine.after).toMatchObject({ kind: 'delayed', code: 421, enhanced: '4.4.7' });
    expect(rows.fine).toMatchObject({ status: 'sent', code: 250, enhanced: '2.6.0' });
  });
});
