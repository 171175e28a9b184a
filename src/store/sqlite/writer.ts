import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PresslineError } from '../../errors.js';
import type { OutcomeRecord, SendingMark } from '../types.js';
import type { ClaimRequest, WireOutcome, WriterReply, WriterRequest } from './writer-wire.js';

export type { ClaimRequest } from './writer-wire.js';

/**
 * The compiled writer thread. From the build it sits beside this file; under vitest this file is
 * the TypeScript source, which a worker thread cannot load with plain node, so the thread comes
 * from the build in dist/ (npm test and npm run build make it).
 */
function threadFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'writer-thread.js');
  const root = here.slice(0, here.lastIndexOf(`${join('src', 'store', 'sqlite')}`));
  const built = join(root, 'dist', 'src', 'store', 'sqlite', 'writer-thread.js');
  if (!existsSync(built)) throw new PresslineError('STORE', `the SQLite writer thread is not built (${relative(process.cwd(), built)} is missing): run \`npm run build\``);
  return built;
}

/**
 * The sender's hot store work runs on a worker thread with its own connection (writer-thread.ts):
 * its "sending" marks and outcomes (the fsync a durable mark needs then blocks that thread, not
 * the event loop that is building and transmitting the other messages in flight), and its claims
 * of the next batch (hundreds of rows read, updated and decoded while the current batch is still
 * sending).
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (result: string | undefined) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(file: string) {
    this.worker = new Worker(threadFile(), { workerData: { file } });
    this.worker.unref();
    this.worker.on('message', ({ id, result, error, code }: WriterReply) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.worker.unref();
      if (error) w?.reject(Object.assign(new Error(error), code ? { code } : {}));
      else w?.resolve(result);
    });
    this.worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  async write(marks: SendingMark[], outcomes: OutcomeRecord[], now: Date): Promise<void> {
    const wire: WireOutcome[] = outcomes.map((o) => ({ ...o, at: o.at.getTime(), nextAttemptAt: o.nextAttemptAt ? o.nextAttemptAt.getTime() : null }));
    await this.request({ kind: 'write', write: { marks, outcomes: wire, at: now.getTime() } });
  }

  /** Claims up to `limit` due deliveries; raw rows (times as epoch ms) with the contact decoded. */
  async claim(claim: ClaimRequest): Promise<Record<string, unknown>[]> {
    return JSON.parse((await this.request({ kind: 'claim', claim }))!);
  }

  private request(request: WriterRequest): Promise<string | undefined> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Keep the process alive while a request is outstanding, and only then.
      this.worker.ref();
      this.worker.postMessage({ id, request: JSON.stringify(request) });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
