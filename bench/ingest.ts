/**
 * Bounce ingestion in bounded memory and storage (issue 14 item 3), each run in its own process:
 * - the streaming mbox reader over 1,000,000 messages against the same reader stopped after
 *   100,000 (equal peaks mean constant memory);
 * - full ingestion (parse, attribute, store in SQLite) of the same 1,000,000-message mailbox,
 *   against its first 100,000 as the baseline: peak RSS, messages/s and total time. The store
 *   writes of up to 500 messages share one commit (src/bounces/commit-groups.ts); with one
 *   fsynced commit per report it ran at ~190 messages/s, over an hour for the million;
 * - full ingestion of a mixed mailbox (reports, auto-replies, other mail), against a tenth of it;
 * - parsing a report padded with a long run of address-like text (a quadratic regex once took
 *   48 s on 256 KB) at three sizes;
 * - one DSN naming 20,001 recipients: the bytes it adds to the store with the default cap of
 *   recipients per report, against the same report with every recipient kept.
 * The mailboxes are generated in a temp dir and deleted afterwards.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMailboxMessage } from '../src/bounces/parse.js';

const run = promisify(execFile);
const CHILD = 'dist/bench/ingest-child.js';
const HEAP_CAP_MB = 40;

interface ChildResult {
  mode: string;
  messages: number;
  ms: number;
  maxRssMB: number;
  [k: string]: unknown;
}

async function child(args: string[], nodeFlags: string[] = []): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [...nodeFlags, CHILD, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** A bounce mailbox's usual traffic: reports, auto-replies, and mail that is neither. */
function message(i: number): string {
  switch (i % 4) {
    case 0:
      return [
        `From: Mail Delivery System <MAILER-DAEMON@mx${i % 97}.example>`, `To: bounces@bounces.ngo.example.org`, `Subject: Undelivered Mail Returned to Sender`,
        `Message-ID: <dsn${i}@mx.example>`, `MIME-Version: 1.0`, `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`, ``,
        `--B`, `Content-Type: text/plain`, ``, `Your message could not be delivered.`, ``,
        `--B`, `Content-Type: message/delivery-status`, ``, `Reporting-MTA: dns; mx.example`, ``,
        `Final-Recipient: rfc822; j${i}@paper.example`, `Action: failed`, `Status: 5.1.1`, `Diagnostic-Code: smtp; 550 5.1.1 User unknown`, ``,
        `--B--`, ``,
      ].join('\n');
    case 1:
      return [`From: j${i}@paper.example`, `To: bounces@bounces.ngo.example.org`, `Subject: Out of office`, `Auto-Submitted: auto-replied`, `Message-ID: <ooo${i}@paper.example>`, ``, `Away until Monday.`, ``].join('\n');
    default:
      return [`From: j${i}@paper.example`, `Subject: re: press release ${i}`, `Message-ID: <m${i}@paper.example>`, ``, `Thanks.`, ``].join('\n');
  }
}

/** The small messages of a large mailbox (about 60 bytes each, like the one in issue 14), with a real report every 1,000th. */
function small(i: number): string {
  return i % 1000 === 0 ? message(i) : `Subject: m${i}\nMessage-ID: <${i}@x.example>\n\nok\n`;
}

async function writeMbox(file: string, n: number, body: (i: number) => string): Promise<number> {
  const out = createWriteStream(file);
  let buffer = '';
  for (let i = 0; i < n; i++) {
    buffer += `From MAILER-DAEMON Sat Nov 28 10:00:00 2026\n${body(i)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once('drain', () => r()));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise<void>((r) => out.once('close', () => r()));
  return statSync(file).size;
}

function wideDsn(recipients: number): string {
  const blocks: string[] = [];
  for (let i = 0; i < recipients; i++) blocks.push(`Final-Recipient: rfc822; j${i}@paper.example`, `Action: failed`, `Status: 5.1.1`, `Diagnostic-Code: smtp; 550 5.1.1 <j${i}@paper.example>: User unknown`, ``);
  return [
    `From: Mail Delivery System <MAILER-DAEMON@mx.example>`, `To: bounces@bounces.ngo.example.org`, `Subject: Undelivered Mail Returned to Sender`, `Message-ID: <wide@mx.example>`,
    `MIME-Version: 1.0`, `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`, ``,
    `--B`, `Content-Type: text/plain`, ``, `Your message could not be delivered.`, ``,
    `--B`, `Content-Type: message/delivery-status`, ``, `Reporting-MTA: dns; mx.example`, ``, ...blocks, `--B--`, ``,
  ].join('\r\n');
}

/** A report whose failed-recipients section is `bytes` of address-like text with no address. */
function exchangeShaped(bytes: number, filler: string): Buffer {
  const head = ['From: postmaster@outlook.example', 'Subject: Undeliverable: EU-Russia summit', '', 'Delivery has failed to these recipients or groups:', '', ''].join('\r\n');
  return Buffer.from(head + filler.repeat(Math.ceil(bytes / filler.length)).slice(0, bytes) + '\r\n');
}

async function parseMs(raw: Buffer): Promise<number> {
  const t0 = process.hrtime.bigint();
  await parseMailboxMessage(raw, { source: 'bench' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (r: ChildResult): string => `${fmt(r.messages / (r.ms / 1000)).padStart(9)} messages/s`;

export async function benchIngest(options: { messages?: number; ingested?: number } = {}): Promise<string[]> {
  const total = options.messages ?? 1_000_000;
  const ingested = options.ingested ?? 5_000;
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-ingest-'));
  const lines: string[] = [];
  try {
    const big = join(dir, 'big.mbox');
    const bytes = await writeMbox(big, total, small);
    lines.push(`ingest: streaming mbox reader, ${fmt(total)} messages, ${(bytes / 1024 / 1024).toFixed(1)} MB, each run in its own process`);
    const tenth = await child(['read', big, String(total / 10)]);
    const all = await child(['read', big, String(total)]);
    if (all.messages !== total) throw new Error(`the reader saw ${all.messages} messages, expected ${total}`);
    lines.push(`  read ${fmt(tenth.messages).padStart(9)} messages  ${rate(tenth)}  peak RSS ${tenth.maxRssMB.toFixed(0)} MB`);
    lines.push(`  read ${fmt(all.messages).padStart(9)} messages  ${rate(all)}  peak RSS ${all.maxRssMB.toFixed(0)} MB  ratio of peaks ${all.maxRssMB / tenth.maxRssMB < 10 ? (all.maxRssMB / tenth.maxRssMB).toFixed(2) : 'n/a'}; goal: under 200 MB (${all.maxRssMB < 200 ? 'met' : 'NOT met'})`);
    // What grows past the first 100,000 is garbage V8 has not yet collected, not messages held:
    // the same run with the heap capped far below the mailbox's size still completes.
    const heapCapped = await child(['read', big, String(total)], [`--max-old-space-size=${HEAP_CAP_MB}`]);
    lines.push(`  read ${fmt(heapCapped.messages).padStart(9)} messages  ${rate(heapCapped)}  peak RSS ${heapCapped.maxRssMB.toFixed(0)} MB  with the JS heap capped at ${HEAP_CAP_MB} MB (nothing is kept per message)`);

    lines.push(`ingest: full ingestion (parse, attribute, store in SQLite) of the same mailbox, its first ${fmt(total / 10)} messages as the baseline`);
    const baselineFile = join(dir, 'baseline.mbox');
    await writeMbox(baselineFile, total / 10, small);
    const full: ChildResult[] = [];
    for (const [file, n] of [[baselineFile, total / 10], [big, total]] as const) {
      const store = join(dir, `store-small-${n}`);
      mkdirSync(store);
      const r = await child(['ingest', file, store]);
      if (r.messages !== n) throw new Error(`ingested ${r.messages} messages, expected ${n}`);
      full.push(r);
      lines.push(`  ingest ${fmt(n).padStart(9)} messages  ${rate(r)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  peak RSS ${r.maxRssMB.toFixed(0)} MB  (${fmt(r.unrecognised as number)} kept as unrecognised, ${fmt(r.unattributed as number)} reports unattributed)`);
    }
    const [base, million] = full as [ChildResult, ChildResult];
    lines.push(`  ratio ${fmt(total)}/${fmt(total / 10)}: time ${(million.ms / base.ms).toFixed(1)} (10: linear), peak RSS ${(million.maxRssMB / base.maxRssMB).toFixed(2)}; goal: under 200 MB (${million.maxRssMB < 200 ? 'met' : 'NOT met'})`);

    lines.push(`ingest: full ingestion (parse, attribute, store in SQLite) of a mixed mailbox (reports, auto-replies, other mail)`);
    for (const n of [ingested / 10, ingested]) {
      const file = join(dir, `mixed-${n}.mbox`);
      await writeMbox(file, n, message);
      const store = join(dir, `store-${n}`);
      mkdirSync(store);
      const r = await child(['ingest', file, store]);
      if (r.messages !== n) throw new Error(`ingested ${r.messages} messages, expected ${n}`);
      lines.push(`  ingest ${fmt(n).padStart(7)} messages  ${rate(r)}  peak RSS ${r.maxRssMB.toFixed(0)} MB`);
    }

    lines.push('ingest: parsing a report whose Exchange-style recipient section is one run of address-like text (256 KB took 48 s before)');
    await parseMs(exchangeShaped(1024, 'x')); // warm: mailparser loads on first use
    const ms: Record<number, number> = {};
    for (const kb of [64, 256, 1024]) {
      ms[kb] = await parseMs(exchangeShaped(kb * 1024, 'x'));
      lines.push(`  ${String(kb).padStart(5)} KB  ${ms[kb]!.toFixed(0).padStart(5)} ms`);
    }
    lines.push(`  ratio 256/64 KB ${(ms[256]! / ms[64]!).toFixed(1)} (4 or less: linear; 16: quadratic); 1024/256 KB ${(ms[1024]! / ms[256]!).toFixed(1)} (the scan cap: 256 KB)`);

    const wide = join(dir, 'wide.eml');
    writeFileSync(wide, wideDsn(20_001));
    lines.push(`ingest: one DSN naming 20,001 recipients (${(statSync(wide).size / 1024 / 1024).toFixed(2)} MB): bytes added to the store`);
    const results: Record<string, ChildResult> = {};
    for (const [label, cap] of [['default cap (1,000 recipients)', '1000'], ['every recipient kept', '20001']] as const) {
      const store = join(dir, `wide-${cap}`);
      mkdirSync(store);
      const r = await child(['wide', wide, store, cap]);
      results[cap] = r;
      lines.push(`  ${label.padEnd(31)} ${fmt(r.addedBytes as number).padStart(11)} bytes  (${fmt(r.kept as number)} rows, ${fmt(r.overCap as number)} counted, not kept)`);
    }
    const capped = results['1000']!.addedBytes as number;
    lines.push(`  ratio ${(capped / (results['20001']!.addedBytes as number)).toFixed(3)}; goal: under 1 MB (${capped < 1024 * 1024 ? 'met' : 'NOT met'})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
