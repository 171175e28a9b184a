/** Pieces the send and workers benchmarks share. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `n` journalists over 50 domains, one in five in Russian, as a CSV list. */
export function writeList(file: string, n: number): void {
  const rows = ['Email,First Name,Last Name,Outlet,Beat,Language'];
  for (let i = 0; i < n; i++) rows.push(`j${i}@d${i % 50}.example,Jo${i},Doe,Daily ${i % 9},russia,${i % 5 === 0 ? 'ru' : 'en'}`);
  writeFileSync(file, rows.join('\n') + '\n');
}

/** The counting SMTP sink of bench/send-child.ts in its own process; resolves once it listens. */
export async function startSinkChild(): Promise<{ url: string; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-sink-'));
  const portFile = join(dir, 'port');
  const sink = spawn(process.execPath, ['dist/bench/send-child.js', 'sink', portFile], { stdio: 'ignore' });
  while (!existsSync(portFile)) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50)); // the port is written before the file is complete
  const url = `smtp://127.0.0.1:${readFileSync(portFile, 'utf8')}`;
  return {
    url,
    stop() {
      sink.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
