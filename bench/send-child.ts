/**
 * One side of the send benchmark, in its own process so its peak RSS is its own:
 *   sink <port-file>                 a counting SMTP sink on 127.0.0.1 (no files)
 *   plain <url> <n> <conns>          stock nodemailer pooled sender: no store, no logs
 *   plainraw <url> <n> <conns>       the same pool fed our MIME builder's bytes (`raw`), the body encoded
 *                                    once: no store, no logs
 *   pipeline <url> <n> <conns> <dir> pressline: list → plan → SQLite → render → send → log
 * Prints one JSON line with the figures.
 */
import nodemailer, { type TransportOptions } from 'nodemailer';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../src/time/clock.js';
import { validateConfig } from '../src/config/load.js';
import { keepHeapCompact } from '../src/heap.js';
import { preparePlan, persistPlan } from '../src/campaigns/plan.js';
import { runCampaign } from '../src/campaigns/run.js';
import { loadRelease } from '../src/releases/load.js';
import { compileRelease } from '../src/render/compile.js';
import { quotedPrintablePiece, suitsQuotedPrintable } from '../src/mime/body.js';
import { buildMessage } from '../src/mime/message.js';
import { startSink } from '../src/devsink/sink.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { writeList } from './common.js';

const RELEASE = 'releases/eu-russia-summit.md';
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** CPU time of the whole process (every thread, the ended ones too) since `from`, in ms. */
const cpuMsSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

/**
 * Messages in flight at once for the plain raw sender and the pipeline alike (BENCH_CONCURRENCY,
 * default four times the connections, so a connection has its next messages ready when it finishes one).
 */
const inFlight = (conns: number) => Number(process.env.BENCH_CONCURRENCY ?? conns * 4);

function benchConfig(dir: string, conns: number) {
  return validateConfig({
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'bench.db') },
    rate: { global: 0, perDomain: 0, concurrency: inFlight(conns), batchSize: 500 }, // the product default
    smtp: { maxConnections: conns, maxMessagesPerConnection: 100_000 },
  });
}

async function sink(portFile: string): Promise<void> {
  const s = await startSink({ port: 0, dir: null });
  writeFileSync(portFile, String(s.port));
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
}

/**
 * What both plain senders start from: the release rendered once per language (the same bytes the
 * pipeline sends, one in five in Russian, minus the personalisation) and a pooled transport.
 */
async function plainSetup(url: string, conns: number) {
  const config = benchConfig('/tmp', conns);
  const release = await loadRelease(RELEASE, config);
  const compiled = await compileRelease(release, { config, now: new Date(), columns: [] });
  const contact = { email: 'x@d.example', key: 'x@d.example', domain: 'd.example', firstName: 'Jo', lastName: 'Doe', outlet: 'Daily', tags: [], language: 'en', country: '', timeZone: '', extra: {}, source: { file: '-', line: 0 } };
  const byLanguage = { en: compiled.pickVariant({ ...contact, language: 'en' }).render(contact), ru: compiled.pickVariant({ ...contact, language: 'ru' }).render(contact) };
  const mailer = nodemailer.createTransport({ url, pool: true, maxConnections: conns, maxMessages: 100_000 } as TransportOptions);
  return { config, byLanguage, mailer };
}

/** Baseline: the same rendered message for everyone (no personalisation), pooled, all queued at once. */
async function plain(url: string, n: number, conns: number): Promise<void> {
  const { config, byLanguage, mailer } = await plainSetup(url, conns);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const to = `j${i}@d${i % 50}.example`;
    const msg = i % 5 === 0 ? byLanguage.ru : byLanguage.en;
    sends.push(mailer.sendMail({ from: config.from, to, subject: msg.subject, html: msg.html, text: msg.text, envelope: { from: config.from!.address, to } }));
  }
  await Promise.all(sends);
  const seconds = (performance.now() - started) / 1000;
  mailer.close();
  process.stdout.write(JSON.stringify({ mode: 'plain', n, seconds, perSecond: n / seconds, cpuMs: cpuMsSince(cpu), rssMb: rssMb() }) + '\n');
}

/**
 * The best plain sender we can write: stock's messages, built by src/mime/message.ts and handed to
 * the same pool as `raw`. The body is the same for everyone, so it is encoded once per language
 * (quoted-printable pieces, the way the pipeline encodes a template's fixed text once); only the
 * headers and a base64 text part are built per message. Built when a connection is about to need
 * one (inFlight at a time) rather than all n up front: built bytes take memory, stock's queued
 * options do not.
 */
async function plainRaw(url: string, n: number, conns: number): Promise<void> {
  const { config, byLanguage, mailer } = await plainSetup(url, conns);
  const from = config.from!;
  const once = (body: string) => (suitsQuotedPrintable(body) ? [quotedPrintablePiece(body)] : undefined);
  const encoded = {
    en: { html: once(byLanguage.en.html), text: once(byLanguage.en.text) },
    ru: { html: once(byLanguage.ru.html), text: once(byLanguage.ru.text) },
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  const windowStartUs = Number(process.hrtime.bigint() / 1000n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const to = `j${i}@d${i % 50}.example`;
      const language = i % 5 === 0 ? 'ru' : 'en';
      const msg = byLanguage[language];
      // Stock's message, plus what stock nodemailer adds by itself: a Message-ID and a Date.
      const messageId = `<plain.${i}.${started}@ngo.example.org>`;
      const raw = buildMessage({
        from, to: { address: to }, subject: msg.subject, html: msg.html, text: msg.text, encoded: encoded[language],
        messageId, date: new Date(), headers: {}, attachments: [], envelope: { from: from.address, to }, tag: '',
      });
      // messageId too, or nodemailer spends random bytes generating one it never writes.
      await mailer.sendMail({ raw, envelope: { from: from.address, to }, messageId });
    }
  };
  await Promise.all(Array.from({ length: inFlight(conns) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpuMsSince(cpu);
  mailer.close();
  const windowUs = [windowStartUs, Number(process.hrtime.bigint() / 1000n)];
  process.stdout.write(JSON.stringify({ mode: 'plainraw', n, seconds, perSecond: n / seconds, cpuMs, rssMb: rssMb(), windowUs }) + '\n');
}

async function pipeline(url: string, n: number, conns: number, dir: string): Promise<void> {
  const config = benchConfig(dir, conns);
  const list = join(dir, 'list.csv');
  writeList(list, n);
  const store = openSqliteStore(config.paths.database);
  const env = { smtpUrl: url, databaseUrl: undefined, sqliteFile: undefined, secret: 'bench-secret', dashboardToken: undefined };
  const app = { config, env, store, clock: systemClock };
  const t0 = performance.now();
  const plan = await preparePlan({ releaseFile: RELEASE, lists: [list], where: [], skipInvalid: false }, app);
  const id = await persistPlan(plan, app);
  const planned = performance.now();
  // Timed like the plain senders, from the first message on: the run's start (reading the
  // release, compiling MJML once, recovery) is reported on its own as startSeconds.
  let sending = planned;
  // The sending window on the monotonic clock CPU profiles use (µs), to read a profile of just it.
  let windowStartUs = 0;
  let cpu = process.cpuUsage();
  const summary = await runCampaign(id, app, {
    waitForRetries: true,
    onStart: () => {
      sending = performance.now();
      windowStartUs = Number(process.hrtime.bigint() / 1000n);
      cpu = process.cpuUsage();
    },
  });
  const seconds = (performance.now() - sending) / 1000;
  const cpuMs = cpuMsSince(cpu);
  const windowUs = [windowStartUs, Number(process.hrtime.bigint() / 1000n)];
  await store.close();
  if (summary.counts.sent !== n) throw new Error(`sent ${summary.counts.sent} of ${n}: ${JSON.stringify(summary)}`);
  const startSeconds = (sending - planned) / 1000;
  process.stdout.write(JSON.stringify({ mode: 'pipeline', n, planSeconds: (planned - t0) / 1000, startSeconds, seconds, perSecond: n / seconds, cpuMs, rssMb: rssMb(), windowUs }) + '\n');
}

const [mode, ...args] = process.argv.slice(2);
// Every side runs with the heap setting the CLI starts with.
keepHeapCompact();
const run =
  mode === 'sink' ? sink(args[0]!)
  : mode === 'plain' ? plain(args[0]!, Number(args[1]), Number(args[2]))
  : mode === 'plainraw' ? plainRaw(args[0]!, Number(args[1]), Number(args[2]))
  : pipeline(args[0]!, Number(args[1]), Number(args[2]), args[3]!);
run.catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
