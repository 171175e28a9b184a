/**
 * Wide lists: a list of 5,000 columns (BENCH_WIDE_COLUMNS) × 10,000 rows (BENCH_WIDE_ROWS), whose
 * release merges two of its extra columns, planned and sent through the full pipeline to a counting
 * SMTP sink on loopback. Baseline, in the same run: the same rows with 10 columns.
 * Target: peak RSS of the wide send under 300 MB.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSinkChild } from './common.js';

const run = promisify(execFile);

async function child(url: string, rows: number, columns: number, dir: string): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, ['dist/bench/wide-child.js', url, String(rows), String(columns), mkdtempSync(join(dir, 'w-'))], {
    maxBuffer: 1 << 20,
    timeout: 1_800_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

export async function benchWideLists(): Promise<string[]> {
  const rows = Number(process.env.BENCH_WIDE_ROWS ?? 10_000);
  const columns = Number(process.env.BENCH_WIDE_COLUMNS ?? 5_000);
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-wide-'));
  const sink = await startSinkChild();
  try {
    const narrow = await child(sink.url, rows, 10, dir);
    const wide = await child(sink.url, rows, columns, dir);
    const show = (r: Record<string, number>) =>
      `peak RSS ${String(r.rssMb).padStart(5)} MB   (planned ${r.planSeconds!.toFixed(1)} s, sent ${r.seconds!.toFixed(1)} s)`;
    const label = (s: string) => `  ${s}`.padEnd(36);
    return [
      `${rows} recipients planned and sent to a counting SMTP sink on loopback; the release merges two extra columns:`,
      `${label('baseline: 10 columns')}${show(narrow)}`,
      `${label(`wide: ${columns} columns`)}${show(wide)}   (after planning: ${wide.plannedRssMb} MB)`,
      `${label('ratio wide / baseline peak RSS')}${(wide.rssMb! / narrow.rssMb!).toFixed(2)}x   target: wide under 300 MB (${wide.rssMb! < 300 ? 'met' : 'NOT met'})`,
    ];
  } finally {
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
