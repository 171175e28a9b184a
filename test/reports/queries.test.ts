import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { reportRows } from '../../src/reports/delivery-report.js';
import { recipientsTableHtml, renderHtmlReport } from '../../src/reports/html.js';
import { campaignSummary, campaignsOverview, outcomeSeries, parseTableParams, pickBucket, reasonBreakdown, recipientPage, recipientTimeline } from '../../src/reports/queries.js';
import { delivered, type Delivered } from '../helpers/delivered.js';

let d: Delivered;
beforeAll(async () => {
  d = await delivered(60);
}, 60_000);
afterAll(async () => {
  await d?.close();
});

describe('read models over a real send', () => {
  it('overview and summary count every status', async () => {
    const [o] = await campaignsOverview(d.app.store);
    expect(o!.total).toBe(65);
    expect(o!.counts).toMatchObject({ sent: 62, bounced: 2, blocked: 1 });
    expect(o!.progress).toBe(1);
    expect((await campaignSummary(d.app.store, d.campaignId)).counts).toEqual(o!.counts);
  });

  it('series buckets outcomes over time; breakdown groups reasons by enhanced status and domain', async () => {
    const s = await outcomeSeries(d.app.store, d.campaignId);
    const sum = (t: string) => s.buckets.reduce((n, b) => n + (b.counts[t as 'sent'] ?? 0), 0);
    expect(sum('sent')).toBe(63); // late@ was sent, then bounced by DSN
    expect(sum('deferred')).toBe(1);
    expect(sum('bounced')).toBe(2);
    expect(pickBucket(30 * 60_000)).toBe(60_000);
    expect(pickBucket(2_000)).toBe(1_000);
    const r = await reasonBreakdown(d.app.store, d.campaignId);
    const keys = r.byStatus.map((x) => `${x.type} ${x.key}`);
    expect(keys).toEqual(expect.arrayContaining(['bounced 5.1.1', 'bounced 5.2.1', 'blocked 5.7.1', 'deferred 4.7.1']));
    expect(r.byDomain.find((x) => x.type === 'deferred')!.key).toBe('tv.example');
    expect(r.byStatus.find((x) => x.key === '5.1.1')!.sample).toMatch(/User unknown/);
  });

  it('pages, filters, searches and sorts the recipient table with a total', async () => {
    const page = (p: Record<string, string>) => recipientPage(d.app.store, d.campaignId, parseTableParams(p));
    expect((await page({ size: '10' })).rows).toHaveLength(10);
    expect((await page({ size: '10' })).pages).toBe(7);
    expect((await page({ size: '10', page: '7' })).rows).toHaveLength(5);
    expect((await page({ size: '9999' })).size).toBe(200);
    expect((await page({ status: 'bounced' })).rows.map((r) => r.email).sort()).toEqual(['late@paper.example', 'unknown@paper.example']);
    expect((await page({ status: 'bounced,blocked' })).total).toBe(3);
    expect((await page({ domain: 'tv.example' })).total).toBe(21);
    expect((await page({ language: 'ru' })).total).toBe(21);
    expect((await page({ outlet: 'Paper Daily' })).total).toBe(3);
    expect((await page({ q: 'J00' })).total).toBe(9); // case-insensitive substring
    expect((await page({ q: 'radio free' })).rows[0]!.email).toBe('spam@radio.example');
    expect((await page({ q: '%' })).total).toBe(0); // LIKE wildcards are literal
    expect((await page({ sort: 'email', dir: 'desc', size: '1' })).rows[0]!.email).toBe('unknown@paper.example');
    expect((await page({ sort: 'nonsense; DROP TABLE', status: 'bogus' })).total).toBe(65);
  });

  it('timeline has events, the raw DSN and the last response', async () => {
    const [late] = await d.app.store.deliveries(d.campaignId, { email: 'late@paper.example' });
    const t = await recipientTimeline(d.app.store, late!.id);
    expect(t.entries.filter((x) => x.kind === 'event').map((x) => (x.kind === 'event' ? x.event.type : ''))).toEqual(['planned', 'sending', 'sent', 'bounced']);
    const report = t.entries.find((x) => x.kind === 'report');
    expect(report && report.kind === 'report' && report.report.raw).toMatch(/Status: 5\.2\.1/);
    expect(t.delivery.response).toMatch(/mailbox disabled/);
  });
});

describe('report and log commands', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pressline-report-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(args: string[]): Promise<string> {
    // The app's store, SQLite file or PostgreSQL schema (PRESSLINE_TEST_STORE).
    const prev = { PRESSLINE_DB: process.env.PRESSLINE_DB, DATABASE_URL: process.env.DATABASE_URL };
    Object.assign(process.env, d.app.storeEnv);
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    (process.stdout as any).write = (c: string) => (chunks.push(String(c)), true);
    const err = process.stderr.write.bind(process.stderr);
    (process.stderr as any).write = () => true;
    try {
      // The example config: a fresh clone has no config/pressline.json until `pressline init`.
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

  it('report --format html writes one self-contained file with chart, reasons and table', async () => {
    const out = join(dir, 'r.html');
    await cli(['report', String(d.campaignId), '--format', 'html', '--out', out]);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('5.1.1');
    expect(html).toContain('unknown@paper.example');
    expect(html).not.toMatch(/<script|src=|href="http|@import|url\(/i);
    const json = JSON.parse(await cli(['report', String(d.campaignId), '--status', 'bounced', '--format', 'json']));
    expect(Object.keys(json[0]).sort()).toEqual(['after', 'attempts', 'code', 'domain', 'email', 'enhanced', 'language', 'messageId', 'outlet', 'reason', 'relay', 'response', 'status', 'updatedAt', 'worker'].sort());
  });

  it('html report escapes every value', async () => {
    const summary = await campaignSummary(d.app.store, d.campaignId);
    summary.campaign.releaseTitle = '<img src=x onerror=alert(1)>';
    const html = renderHtmlReport({ summary, series: { bucketMs: 1000, types: [], buckets: [] }, reasons: { byStatus: [], byDomain: [] }, rows: [], generatedAt: new Date() });
    expect(html).not.toContain('<img');
  });

  it('the recipient table names worker and relay only when several shared the campaign, escaped', async () => {
    const rows = await reportRows(d.app.store, d.campaignId);
    const one = recipientsTableHtml(rows, 'one sender');
    expect(one).not.toContain('sent by');
    const shared = rows.map((r, i) => ({ ...r, worker: i % 2 ? 'w1@host:1:aa' : 'w2@host:2:<b>', relay: i % 2 ? 'eu smtp://relay-eu:587' : 'us smtp://relay-us:587' }));
    const html = recipientsTableHtml(shared, 'two workers');
    expect(html).toContain('<th scope="col">sent by (worker · relay)</th>');
    expect(html).toContain('<td data-label="sent by">w1@host:1:aa · eu smtp://relay-eu:587</td>');
    expect(html).toContain('w2@host:2:&#60;b&#62;');
    expect(html).not.toContain('<b>');
  });

  it('log --email shows the raw 550 reply; log --json lists the campaign events in order', async () => {
    const text = await cli(['log', String(d.campaignId), '--email', 'unknown@paper.example']);
    expect(text).toMatch(/550 5\.1\.1/);
    expect(text).toMatch(/User unknown in virtual mailbox table/);
    const late = JSON.parse(await cli(['log', String(d.campaignId), '--email', 'late@paper.example', '--json']));
    expect(late.entries.some((e: any) => e.kind === 'report' && /Status: 5\.2\.1/.test(e.raw))).toBe(true);
    const all = JSON.parse(await cli(['log', String(d.campaignId), '--json']));
    expect(all.length).toBeGreaterThan(65 * 3);
    expect(all.filter((e: any) => e.email === 'grey@tv.example').map((e: any) => e.type)).toEqual(['planned', 'sending', 'deferred', 'sending', 'sent']);
  });
});
