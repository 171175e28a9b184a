// Issue 13, with real processes on the store of the run (SQLite file, or PostgreSQL under
// `npm run test:pg`): a campaign is never claimable, nor finished, before every recipient is
// stored; a plan killed midway is finished by `resume`, never reported done; two sends of one
// release at once cannot both go.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { killCliProcesses, startCli, type CliProcess } from '../helpers/cli-process.js';
import { startTestSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { closeAll } from '../helpers/close.js';

const RELEASE = 'releases/eu-russia-summit.md';

let app: TestApp | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  killCliProcesses();
  await closeAll(smtp, app);
  app = undefined;
  smtp = undefined;
});

function setUp(config: Record<string, unknown> = {}): { a: TestApp; run: (args: string[]) => CliProcess } {
  const raw = {
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    rate: { global: 0, concurrency: 8, batchSize: 200 },
    smtp: { maxConnections: 4, maxMessagesPerConnection: 100_000, connectionTimeoutMs: 3000, greetingTimeoutMs: 3000, socketTimeoutMs: 5000 },
    ...config,
  };
  const a = testApp({ config: raw });
  app = a;
  const configFile = join(a.dir, 'pressline.json');
  writeFileSync(configFile, JSON.stringify({ ...raw, paths: a.config.paths }));
  const env = { ...process.env, ...a.storeEnv, SMTP_URL: smtp!.url, PRESSLINE_SECRET: 'test-secret-please-change', PRESSLINE_LOG_LEVEL: 'info' };
  const run = (args: string[]): CliProcess => startCli(configFile, args, env);
  return { a, run };
}

/** A list of `rows` journalists; every `every`-th covers Russia (the others cover trade). */
function bigList(a: TestApp, rows: number, every: number): string {
  const file = join(a.dir, `big-${rows}.csv`);
  writeFileSync(file, 'Email,First Name,Last Name,Outlet,Beat,Language\n');
  const chunk: string[] = [];
  for (let i = 1; i <= rows; i++) {
    chunk.push(`j${i}@d${i % 50}.example,Jo${i},Doe,Daily ${i % 7},${i % every === 0 ? 'russia' : 'trade'},en`);
    if (chunk.length === 10_000) appendFileSync(file, chunk.splice(0).join('\n') + '\n');
  }
  appendFileSync(file, chunk.join('\n') + (chunk.length ? '\n' : ''));
  return file;
}

async function until(what: string, check: () => Promise<boolean>, ms: number, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectEachOnce(server: TestSmtpServer, emails: string[]): void {
  const seen = new Map<string, number>();
  for (const m of server.messages) for (const r of m.rcpts) seen.set(r, (seen.get(r) ?? 0) + 1);
  expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
  expect(emails.filter((e) => seen.get(e) !== 1)).toEqual([]);
  expect(server.messages.length).toBe(emails.length);
}

describe('planning before sending (real processes)', () => {
  it('a worker polling every 0.2 s never starts, nor finishes, a scheduled campaign of a 200,000-row list before it is planned', async () => {
    smtp = await startTestSmtp();
    const { a, run } = setUp();
    const list = bigList(a, 200_000, 64); // 3,125 cover Russia, spread through the file
    const worker = run(['worker', '--interval', '0.2', '--name', 'w1']);
    const scheduled = run(['schedule', RELEASE, '--list', list, '--where', 'beat=russia', '--at', 'now', '--yes']);
    expect((await scheduled.exited).code, scheduled.output()).toBe(0);
    const id = (await a.store.listCampaigns())[0]!.id;
    await until('the campaign to finish', async () => (await a.store.getCampaign(id))?.status === 'done', 120_000, () => worker.output().slice(-3000));
    const rows = await a.store.deliveries(id);
    expect(rows).toHaveLength(3125);
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    expectEachOnce(smtp, rows.map((r) => r.email));
    // The campaign became claimable only once planned: its first `sending` comes after its last `planned`.
    const events = await a.store.events(id);
    const lastPlanned = Math.max(...events.map((e, i) => (e.type === 'planned' ? i : -1)));
    const firstSending = events.findIndex((e) => e.type === 'sending');
    expect(firstSending).toBeGreaterThan(lastPlanned);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code, worker.output().slice(-2000)).toBe(0);
  }, 180_000);

  it('a send killed while planning is shown as interrupted, and `resume` finishes the plan and sends everyone once', async () => {
    smtp = await startTestSmtp();
    const { a, run } = setUp();
    const list = bigList(a, 120_000, 12); // 10,000 recipients: two chunks of 5,000 while the list is read
    const send = run(['send', RELEASE, '--list', list, '--where', 'beat=russia', '--yes']);
    await until('part of the plan to be stored', async () => {
      const c = (await a.store.listCampaigns())[0];
      return c !== undefined && Object.values(await a.store.counts(c.id)).reduce((x, y) => x + y, 0) >= 5000;
    }, 60_000, () => send.output());
    send.child.kill('SIGKILL');
    await send.exited;
    const id = (await a.store.listCampaigns())[0]!.id;
    const stored = Object.values(await a.store.counts(id)).reduce((x, y) => x + y, 0);
    expect((await a.store.getCampaign(id))?.status).toBe('planning');
    expect(stored).toBeLessThan(10_000);
    expect(smtp.messages).toHaveLength(0);

    const campaigns = run(['campaigns']);
    await campaigns.exited;
    expect(campaigns.output()).toMatch(new RegExp(`campaign ${id} planning: planning interrupted: finish it with \`pressline resume ${id}\``));

    const resumed = run(['resume', String(id), '--yes']);
    const { code } = await resumed.exited;
    expect(resumed.output()).toMatch(/planning finished, 10000 deliveries to send/);
    expect(code, resumed.output()).toBe(0);
    expect(resumed.output()).toMatch(new RegExp(`Campaign ${id}: done`));
    const rows = await a.store.deliveries(id);
    expect(rows).toHaveLength(10_000);
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    expectEachOnce(smtp, rows.map((r) => r.email));
  }, 180_000);

  it('two sends of one release to one list at once: one is refused, naming the other; --new-only later sends exactly the journalists added', async () => {
    smtp = await startTestSmtp();
    const { a, run } = setUp();
    const list = join(a.dir, 'desk.csv');
    writeFileSync(list, ['Email,First Name,Last Name,Outlet,Beat,Language', ...journalists(300)].join('\n') + '\n');
    const first = run(['send', RELEASE, '--list', list, '--yes']);
    const second = run(['send', RELEASE, '--list', list, '--yes']);
    const codes = [(await first.exited).code, (await second.exited).code];
    const outputs = [first.output(), second.output()];
    expect(codes.sort()).toEqual([0, 1]);
    const refused = outputs.find((o) => /already had or are about to get this release/.test(o))!;
    expect(refused).toMatch(/300 from campaign \d \((planning|draft|sending|done)\).*--new-only.*--again/s);
    expectEachOnce(smtp, journalists(300).map((r) => r.split(',')[0]!));

    // Three journalists join the desk list: only they get the release.
    appendFileSync(list, journalists(3, 'news.example', 301).join('\n') + '\n');
    const stored = (await a.store.listCampaigns()).length;
    const again = run(['send', RELEASE, '--list', list, '--yes']);
    expect((await again.exited).code).toBe(1);
    expect(again.output()).toMatch(/Overlap +journalists already had or are about to get this release: 300 from campaign \d \(done\)/);
    expect(again.output()).toMatch(/not sent: .*--new-only.*--again/);
    // Refused before confirming: nothing stored.
    expect((await a.store.listCampaigns()).length).toBe(stored);
    const dry = run(['send', RELEASE, '--list', list, '--new-only', '--dry-run']);
    expect((await dry.exited).code).toBe(0);
    expect(dry.output()).toMatch(/--new-only leaves out the 300 who had it/);
    expect(dry.output()).toMatch(/rendered 303 messages/);
    const newOnly = run(['send', RELEASE, '--list', list, '--new-only', '--yes']);
    expect((await newOnly.exited).code, newOnly.output()).toBe(0);
    expect(smtp.messages.slice(300).flatMap((m) => m.rcpts).sort()).toEqual(['j301@news.example', 'j302@news.example', 'j303@news.example']);
  }, 120_000);
});
