/**
 * The full sending pipeline (plan, SQLite store, per-recipient render, delivery log) against two
 * plain pooled senders without store or logs: stock nodemailer, and the same pool fed by our MIME
 * builder (`raw`) with the body, the same for everyone, encoded once: the fastest plain sender we
 * have that still addresses each message to its recipient. All go to the same counting SMTP sink on
 * 127.0.0.1 with the same connection count and no rate limit, in rounds (BENCH_SEND_ROUNDS, 5), the
 * ratio taken within each round. Then a large campaign for peak memory.
 * Targets: pipeline >= 0.9x the best plain sender; 100,000 recipients planned and sent under
 * 300 MB peak RSS.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSinkChild } from './common.js';

const run = promisify(execFile);
const CHILD = 'dist/bench/send-child.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function child(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [CHILD, ...args], { maxBuffer: 1 << 20, timeout: 900_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

export async function benchSend(options: { n?: number; large?: number; conns?: number } = {}): Promise<string[]> {
  const n = options.n ?? Number(process.env.BENCH_SEND_N ?? 10_000);
  const large = options.large ?? Number(process.env.BENCH_SEND_LARGE ?? 100_000);
  const conns = options.conns ?? 5;
  const rounds = Number(process.env.BENCH_SEND_ROUNDS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-'));
  const sink = await startSinkChild();
  const url = sink.url;
  try {
    const lines = [`${n} messages to a counting SMTP sink on loopback, ${conns} connections, no rate limit, ${rounds} rounds:`];
    // The three run back to back in each round, and the ratio is taken within a round: this is a
    // shared 2-core machine whose speed drifts by a third over minutes (every thread's CPU time per
    // message moves together), so runs minutes apart compare the machine, not the senders. The
    // median round is reported.
    const stockRuns: Record<string, number>[] = [];
    const rawRuns: Record<string, number>[] = [];
    const pipeRuns: Record<string, number>[] = [];
    for (let i = 0; i < rounds; i++) {
      const sides = [
        async () => stockRuns.push(await child(['plain', url, String(n), String(conns)])),
        async () => rawRuns.push(await child(['plainraw', url, String(n), String(conns)])),
        async () => pipeRuns.push(await child(['pipeline', url, String(n), String(conns), mkdtempSync(join(dir, 'p-'))])),
      ];
      // Every other round in reverse order, so a drift in the machine's speed favours neither side.
      if (i % 2 === 1) sides.reverse();
      for (const side of sides) await side();
    }
    const rate = (runs: Record<string, number>[]) => runs.map((r) => r.perSecond!);
    const all = (runs: Record<string, number>[]) => rate(runs).map((v) => v.toFixed(0)).join('/');
    const pipe = pipeRuns[0]!;
    // CPU per message (every thread of the sending process) is steadier than msg/s on a shared
    // machine, and says where a ratio below target comes from.
    const cpuUs = (runs: Record<string, number>[]) => `${median(runs.map((r) => (r.cpuMs! * 1000) / n)).toFixed(0)} µs CPU/msg`;
    lines.push(`  plain nodemailer pool         ${median(rate(stockRuns)).toFixed(0).padStart(6)} msg/s   peak RSS ${stockRuns[0]!.rssMb} MB   ${cpuUs(stockRuns)}   (runs ${all(stockRuns)})`);
    lines.push(`  plain pool, raw MIME          ${median(rate(rawRuns)).toFixed(0).padStart(6)} msg/s   peak RSS ${rawRuns[0]!.rssMb} MB   ${cpuUs(rawRuns)}   (runs ${all(rawRuns)})`);
    lines.push(`  pressline pipeline            ${median(rate(pipeRuns)).toFixed(0).padStart(6)} msg/s   peak RSS ${pipe.rssMb} MB   ${cpuUs(pipeRuns)}   (runs ${all(pipeRuns)}; before it: planning ${pipe.planSeconds!.toFixed(2)} s, start ${pipe.startSeconds!.toFixed(2)} s)`);
    // The target compares with the best plain sender: the raw MIME one, unless stock beat it.
    const bestPlain = median(rate(rawRuns)) >= median(rate(stockRuns)) ? rawRuns : stockRuns;
    const vsBest = pipeRuns.map((p, i) => p.perSecond! / bestPlain[i]!.perSecond!);
    const vsStock = pipeRuns.map((p, i) => p.perSecond! / stockRuns[i]!.perSecond!);
    const show = (ratios: number[]) => `${median(ratios).toFixed(2)}x   (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`;
    lines.push(`  ratio pipeline / best plain (${bestPlain === rawRuns ? 'raw MIME, body encoded once' : 'stock'})   ${show(vsBest)}   target >= 0.9x`);
    lines.push(`  ratio pipeline / stock nodemailer      ${show(vsStock)}`);
    if (large > 0) {
      const d = mkdtempSync(join(dir, 'large-'));
      const big = await child(['pipeline', url, String(large), String(conns), d]);
      lines.push(`${large} recipients planned (${big.planSeconds!.toFixed(1)} s) and sent (${big.seconds!.toFixed(1)} s, ${big.perSecond!.toFixed(0)} msg/s): peak RSS ${big.rssMb} MB (target < 300 MB)`);
    }
    return lines;
  } finally {
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
