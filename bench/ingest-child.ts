/**
 * One measured bounce-ingestion run in its own process, so peak RSS is this run's alone:
 *   node dist/bench/ingest-child.js read <mbox> <limit>      stream the mbox, stop after <limit> messages
 *   node dist/bench/ingest-child.js ingest <mbox> <dir>      full ingestion into a SQLite store in <dir>
 *   node dist/bench/ingest-child.js wide <eml> <dir> <cap>   one report into a fresh store; bytes it added
 * Prints one JSON line: { mode, messages, ms, maxRssMB, ... }.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { App } from '../src/app.js';
import { ingestMessages, type IngestSummary } from '../src/bounces/ingest.js';
import { readPath } from '../src/bounces/sources.js';
import { systemClock } from '../src/time/clock.js';
import { validateConfig } from '../src/config/load.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';

function appIn(dir: string, bounces: Record<string, unknown> = {}): App {
  const database = join(dir, 'bench.db');
  const config = validateConfig(
    { from: { name: 'Press Office', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs'), database }, bounces: { domain: 'bounces.ngo.example.org', ...bounces } },
    join(dir, 'pressline.json'),
  );
  const store = openSqliteStore(database);
  return { config, env: { smtpUrl: undefined, databaseUrl: undefined, sqliteFile: undefined, secret: 'bench-secret', dashboardToken: undefined }, store, clock: systemClock, close: () => store.close() };
}

/** The store file's size with its WAL folded in (what the disk holds once it is checkpointed). */
function storeBytes(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return statSync(file).size;
}

const [mode, path, arg, cap] = process.argv.slice(2);
const started = process.hrtime.bigint();
let result: Record<string, unknown>;
if (mode === 'read' && path && arg) {
  const limit = Number(arg);
  let messages = 0;
  let bytes = 0;
  for await (const m of readPath(path)) {
    bytes += m.bytes;
    if (++messages >= limit) break;
  }
  result = { messages, bytes };
} else if (mode === 'ingest' && path && arg) {
  const app = appIn(arg);
  let summary: IngestSummary;
  try {
    summary = await ingestMessages(app, readPath(path));
  } finally {
    await app.close();
  }
  result = { messages: summary.messages, autoReplies: summary.autoReplies, unattributed: summary.unattributedCount, unrecognised: summary.unrecognisedCount, quarantined: summary.quarantinedCount };
} else if (mode === 'wide' && path && arg && cap) {
  const app = appIn(arg, { maxRecipientsPerReport: Number(cap) });
  const file = app.config.paths.database;
  await app.store.listQuarantined(); // the store exists, migrated, before the baseline size
  const before = storeBytes(file);
  let summary: IngestSummary;
  try {
    summary = await ingestMessages(app, readPath(path));
  } finally {
    await app.close();
  }
  result = { messages: summary.messages, kept: summary.unattributedCount + Object.values(summary.applied).reduce((a, b) => a + b, 0), overCap: summary.recipientsOverCap, addedBytes: storeBytes(file) - before };
} else {
  process.stderr.write('usage: ingest-child.js read <mbox> <limit> | ingest <mbox> <dir> | wide <eml> <dir> <cap>\n');
  process.exit(2);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const maxRssMB = process.resourceUsage().maxRSS / 1024; // kilobytes on every platform Node supports
process.stdout.write(JSON.stringify({ mode, ...result, ms, maxRssMB }) + '\n');
