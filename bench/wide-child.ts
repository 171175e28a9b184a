/**
 * One side of the wide-lists benchmark, in its own process so its peak RSS is its own:
 *   node dist/bench/wide-child.js <url> <rows> <columns> <dir>
 * Writes a list of `rows` journalists with `columns` columns in all (six known ones, the rest
 * extra "Col N" columns of 2-3 characters each, as a media-database export carries), a release whose
 * subject and body merge two of those extra columns, then plans and sends it through the full pipeline
 * (SQLite store, render, delivery log) to the SMTP sink at `url`. Prints one JSON line.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { systemClock } from '../src/time/clock.js';
import { validateConfig } from '../src/config/load.js';
import { keepHeapCompact } from '../src/heap.js';
import { preparePlan, persistPlan } from '../src/campaigns/plan.js';
import { runCampaign } from '../src/campaigns/run.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** The extra columns the release merges: one near the start, one at the far end of the row. */
export const mergedColumns = (columns: number) => [`Col 2`, `Col ${columns - 6}`];

async function writeWideList(file: string, rows: number, columns: number): Promise<void> {
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(line + '\n')) await once(out, 'drain');
  };
  const extras = Array.from({ length: columns - 6 }, (_, k) => `Col ${k + 1}`);
  await write(['Email', 'First Name', 'Last Name', 'Outlet', 'Beat', 'Language', ...extras].join(','));
  for (let i = 0; i < rows; i++) {
    const cells = extras.map((_, k) => String((i + k) % 1000));
    await write([`j${i}@d${i % 50}.example`, `Jo${i}`, 'Doe', `Daily ${i % 9}`, 'russia', 'en', ...cells].join(','));
  }
  out.end();
  await once(out, 'finish');
}

async function main(url: string, rows: number, columns: number, dir: string): Promise<void> {
  const config = validateConfig({
    from: { name: 'Press Office', address: 'press@ngo.example.org' },
    paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database: join(dir, 'bench.db') },
    rate: { global: 0, perDomain: 0, concurrency: 20, batchSize: 500 },
    smtp: { maxConnections: 5, maxMessagesPerConnection: 100_000 },
  });
  const list = join(dir, 'list.csv');
  await writeWideList(list, rows, columns);
  const [near, far] = mergedColumns(columns);
  const release = join(dir, 'release.md');
  await writeFile(
    release,
    `---\ntitle: Harbour seal numbers rise\nlanguage: en\nsubject: "Seal census for {{ first_name }} ({{ ${near} }})"\n---\n` +
      `Dear {{ first_name | "colleague" }}, your desk code is {{ ${far} }}.\n\nThe annual census counted 31,400 harbour seals.\n`,
  );
  const store = openSqliteStore(config.paths.database);
  const env = { smtpUrl: url, databaseUrl: undefined, sqliteFile: undefined, secret: 'bench-secret', dashboardToken: undefined };
  const app = { config, env, store, clock: systemClock };
  const t0 = performance.now();
  const plan = await preparePlan({ releaseFile: release, lists: [list], where: [], skipInvalid: false }, app);
  const id = await persistPlan(plan, app);
  const planned = performance.now();
  const plannedRssMb = rssMb();
  const summary = await runCampaign(id, app, { waitForRetries: true });
  const seconds = (performance.now() - planned) / 1000;
  await store.close();
  if (summary.counts.sent !== rows) throw new Error(`sent ${summary.counts.sent} of ${rows}: ${JSON.stringify(summary)}`);
  process.stdout.write(JSON.stringify({ rows, columns, planSeconds: (planned - t0) / 1000, plannedRssMb, seconds, rssMb: rssMb() }) + '\n');
}

const [url, rows, columns, dir] = process.argv.slice(2);
keepHeapCompact();
main(url!, Number(rows), Number(columns), dir!).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
