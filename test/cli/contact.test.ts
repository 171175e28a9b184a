// `pressline contact <email>` (issue 17, part 3): one journalist across two campaigns, from the
// built CLI in a child process over the real store a real send, a DSN and a one-click unsubscribe filled.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli-process.js';
import { journalistHistory, KEY, type JournalistHistory } from '../helpers/journalist-history.js';

let h: JournalistHistory;
beforeAll(async () => {
  h = await journalistHistory();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, '--config', h.configFile, ...args], { env: { ...process.env, ...h.app.storeEnv, SMTP_URL: '' } }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

describe('pressline contact', () => {
  it('shows the suppression first, both campaigns newest first, the bounce and the unsubscribe, under any spelling of the address', async () => {
    const r = await cli(['contact', ' <ELODIE.lefevre@lemonde.EXAMPLE> ']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`Elodie.Lefevre@LeMonde.example (key ${KEY})`);
    expect(lines[1]).toMatch(/^Suppressed since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: their address bounced permanently \(test-mailbox; 5\.2\.1 550 5\.2\.1 <Elodie/);
    expect(lines[1]).toMatch(/pressline sends them nothing\.$/);
    expect(r.stdout).toMatch(/Suppression history:\n {2}\S+ \S+ UTC {2}suppressed {2}hard-bounce {2}by test-mailbox/);
    const campaigns = r.stdout.slice(r.stdout.indexOf('Campaigns, newest first (2):'), r.stdout.indexOf('Bounces:'));
    const rows = campaigns.split('\n').slice(2).filter(Boolean);
    expect(rows.map((row) => Number(row.split(/\s+/)[0]))).toEqual([h.second, h.first]);
    expect(rows[0]).toMatch(new RegExp(`bounced \\(delivery ${h.secondDelivery}\\)`));
    expect(rows[1]).toContain('EU-Russia summit: put human rights on top of the …');
    expect(rows[1]).toMatch(new RegExp(`sent \\(delivery ${h.firstDelivery}\\)`));
    expect(rows[1]).toMatch(/250/);
    const bounces = r.stdout.slice(r.stdout.indexOf('Bounces:'), r.stdout.indexOf('Complaints'));
    expect(bounces).toMatch(new RegExp(`hard\\s+campaign ${h.second} \\(delivery ${h.secondDelivery}\\)\\s+550 5\\.2\\.1\\s+550 5\\.2\\.1 <Elodie`));
    expect(r.stdout).toContain('Complaints: none.');
    const unsubscribes = r.stdout.slice(r.stdout.indexOf('Unsubscribes:'));
    expect(unsubscribes).toMatch(new RegExp(`one-click\\s+campaign ${h.first} \\(delivery ${h.firstDelivery}\\)\\s+.*one-click unsubscribe \\(RFC 8058\\)\\s+one-click`));
  });

  it('prints no terminal control characters from a hostile release title or diagnostic: they show as visible escapes', async () => {
    const r = await cli(['contact', KEY]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(r.stdout).toContain('Statement \\x1b[2J\\x1b]8;;http://evil.example\\x07click');
    expect(r.stdout).toContain('mailbox disabled \\x1b[31mRED\\x1b[0m');
  });

  it('--json: one document with every field, dates as ISO strings and absent values as null', async () => {
    const r = await cli(['contact', KEY, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ address: KEY, found: true, key: KEY, totalDeliveries: 2, reportsLeftOut: 0, suppression: { reason: 'hard-bounce', email: 'Elodie.Lefevre@LeMonde.example' } });
    expect(doc.deliveries.map((d: { campaignId: number; status: string }) => [d.campaignId, d.status])).toEqual([[h.second, 'bounced'], [h.first, 'sent']]);
    expect(doc.deliveries[1]).toMatchObject({ deliveryId: h.firstDelivery, test: false, phase: 'single', campaignStatus: 'done', code: 250, engagement: null });
    expect(doc.deliveries[1].sentAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(doc.bounces).toMatchObject([{ kind: 'hard', campaignId: h.second, deliveryId: h.secondDelivery, code: 550, status: '5.2.1', attributed: true }]);
    expect(doc.unsubscribes).toMatchObject([{ how: 'one-click', campaignId: h.first, deliveryId: h.firstDelivery, source: 'one-click', attributed: true }]);
    expect(doc.complaints).toEqual([]);
  });

  it('an unknown address says "no history" and exits 0; a malformed one is a one-line error, exit 2', async () => {
    const unknown = await cli(['contact', 'Nobody@Nowhere.example']);
    expect(unknown).toMatchObject({ code: 0, stdout: 'No history for Nobody@Nowhere.example: pressline never mailed this address, and it is not suppressed.\n' });
    expect(JSON.parse((await cli(['contact', 'nobody@nowhere.example', '--json'])).stdout)).toMatchObject({ found: false, deliveries: [], suppression: null });
    const bad = await cli(['contact', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe('pressline: invalid email "not-an-address": no "@"; give one address, e.g. anna@paper.example\n');
  });
});
