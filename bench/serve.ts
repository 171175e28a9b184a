/**
 * `npm run bench -- serve`: a real `pressline serve` in its own process, and 300 clients that each
 * POST a 1 MB body and then hold the connection. Prints the server's RSS growth with the body cap
 * (config web.maxConcurrentBodies, default 16) against a baseline measured in the same run with
 * the cap lifted to 300 (what serve did before: every body read at once). `BENCH_SERVE_CLIENTS`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve('dist/src/cli/main.js');
const CLIENTS = Number(process.env.BENCH_SERVE_CLIENTS ?? 300);
/** The largest body serve accepts (MAX_BODY_BYTES); each client sends all but its last byte. */
const BODY = 1024 * 1024;

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServe(dir: string, maxConcurrentBodies: number): Promise<{ child: ChildProcess; port: number }> {
  const config = join(dir, `serve-${maxConcurrentBodies}.json`);
  writeFileSync(config, JSON.stringify({ paths: { database: join(dir, 'p.db') }, web: { port: 0, maxConcurrentBodies, maxConnections: CLIENTS + 50 } }));
  const child = spawn(process.execPath, [CLI, '--config', config, 'serve'], {
    env: { ...process.env, PRESSLINE_DB: join(dir, 'p.db'), PRESSLINE_LOG_LEVEL: 'silent', PRESSLINE_SENDGRID_PUBLIC_KEY: '' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) res(Number(m[1]));
    });
    child.on('exit', (code) => rej(new Error(`serve exited (${code}): ${out}`)));
  });
  return { child, port };
}

/** Opens `CLIENTS` uploads that send one byte less than they announce, so each stays open. */
async function holdBodies(port: number): Promise<{ sockets: Socket[]; answered: Set<Socket> }> {
  const answered = new Set<Socket>();
  const chunk = Buffer.alloc(BODY, 'x');
  const sockets = await Promise.all(
    Array.from(
      { length: CLIENTS },
      () =>
        new Promise<Socket>((res) => {
          const s = connect(port, '127.0.0.1', () => {
            s.write(`POST /webhooks/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY}\r\n\r\n`);
            s.write(chunk.subarray(1));
            res(s);
          });
          s.on('data', () => answered.add(s)); // any answer before the body is complete is a refusal
          s.on('error', () => {}); // a refused upload may be reset: expected with the cap
        }),
    ),
  );
  return { sockets, answered };
}

async function measure(dir: string, cap: number): Promise<{ before: number; after: number; refused: number }> {
  const { child, port } = await startServe(dir, cap);
  try {
    await sleep(500);
    const before = rssMb(child.pid!);
    const { sockets, answered } = await holdBodies(port);
    // Let the server read what it will; take the highest RSS over two seconds.
    let after = before;
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      after = Math.max(after, rssMb(child.pid!));
    }
    const refused = answered.size;
    for (const s of sockets) s.destroy();
    return { before, after, refused };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export async function benchServe(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-bench-serve-'));
  try {
    const baseline = await measure(dir, CLIENTS);
    const capped = await measure(dir, 16);
    const grow = (m: { before: number; after: number }) => m.after - m.before;
    return [
      `${CLIENTS} clients each holding a 1 MB POST body open against a real \`pressline serve\``,
      `baseline, every body read at once (maxConcurrentBodies ${CLIENTS}): RSS ${baseline.before.toFixed(0)} → ${baseline.after.toFixed(0)} MB (+${grow(baseline).toFixed(0)} MB)`,
      `capped (maxConcurrentBodies 16, the default): RSS ${capped.before.toFixed(0)} → ${capped.after.toFixed(0)} MB (+${grow(capped).toFixed(0)} MB); ${capped.refused} uploads answered (503) before their body was complete`,
      `growth ratio capped/baseline: ${(grow(capped) / Math.max(1, grow(baseline))).toFixed(3)}`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
