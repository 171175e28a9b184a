/**
 * How good the send's time figures are (issue 19 item 5), through the real CLI to the counting
 * SMTP sink: the plan's estimate at the effective rates (`--rate` over config) against the time
 * the send then took, and the progress ETA (`--progress json`) from its first figure against when
 * the send really ended. The config's own rate (20/s) would have estimated 2 min 30 s for 3,000.
 * Targets: estimate / actual at most 1 (a lower bound: the relay's and the machine's speed are not
 * known before sending; from the config's rate it was 150 s for a 17 s send, 8.8); the first ETA's
 * predicted end / actual end between 0.5 and 2 (a 17 s send started at "14 min 33").
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSinkChild, writeList } from './common.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';

interface ProgressObject {
  at: string;
  settled: number;
  total: number;
  etaMs: number | null;
  final: boolean;
}

/** A real send; its progress objects and its wall time (from the first progress object to the last). */
function send(args: string[], env: NodeJS.ProcessEnv): Promise<{ objects: ProgressObject[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--progress', 'json', '--yes'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`send exited ${code}: ${err.slice(-500)}`));
      const objects = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProgressObject);
      const seconds = (Date.parse(objects.at(-1)!.at) - Date.parse(objects[0]!.at)) / 1000;
      resolve({ objects, seconds });
    });
  });
}

export async function benchEstimate(): Promise<string[]> {
  const n = Number(process.env.BENCH_ESTIMATE_N ?? 3_000);
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-estimate-'));
  const sink = await startSinkChild();
  try {
    const config = join(dir, 'pressline.json');
    writeFileSync(config, JSON.stringify({ from: { name: 'Bench', address: 'press@ngo.example.org' }, paths: { outbox: join(dir, 'outbox'), logs: join(dir, 'logs') }, rate: { global: '20/s', perDomain: '5/s' } }));
    const list = join(dir, 'list.csv');
    writeList(list, n);
    const lines: string[] = [];
    for (const [label, flags] of [['--rate 200/s --per-domain 0', ['--rate', '200/s', '--per-domain', '0']], ['--rate 0 --per-domain 0', ['--rate', '0', '--per-domain', '0']]] as const) {
      const env = { ...process.env, PRESSLINE_DB: join(dir, `${flags[1].replace('/', '')}.db`), SMTP_URL: sink.url };
      const base = ['--config', config, 'send', 'releases/eu-russia-summit.md', '--list', list, ...flags];
      const { stdout } = await run(process.execPath, [CLI, ...base, '--dry-run', '--json'], { env, maxBuffer: 1 << 20 });
      const estimateMs = (JSON.parse(stdout) as { estimatedMs: number | null }).estimatedMs;
      const { objects, seconds } = await send(base, env);
      const first = objects.find((o) => o.etaMs !== null && !o.final);
      const end = Date.parse(objects.at(-1)!.at);
      const firstEta = first ? `first ETA ${(first.etaMs! / 1000).toFixed(1)} s at ${first.settled}/${first.total}: predicted end / actual ${((Date.parse(first.at) + first.etaMs! - Date.parse(objects[0]!.at)) / (end - Date.parse(objects[0]!.at))).toFixed(2)} (target 0.5-2)` : 'no ETA before the end (a line every 5 s; the send was shorter)';
      lines.push(`${n} recipients, ${label}: took ${seconds.toFixed(1)} s; estimate ${estimateMs === null ? 'none (no ceiling: only the relay decides)' : `${(estimateMs / 1000).toFixed(1)} s, estimate / actual ${(estimateMs / 1000 / seconds).toFixed(2)} (target <= 1)`}; ${firstEta}`);
    }
    return lines;
  } finally {
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
