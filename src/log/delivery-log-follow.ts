import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Store } from '../store/types.js';
import type { SqliteStore } from '../store/sqlite/store.js';
import { openDeliveryLog, type DeliveryLog } from './delivery-log.js';

/**
 * The compiled copy thread. From the build it sits beside this file; under vitest this file is
 * the TypeScript source, which a worker thread cannot load with plain node, so the thread comes
 * from the build in dist/ (npm test and npm run build make it). Undefined when not built.
 */
function threadFile(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'delivery-log-thread.js');
  const root = here.slice(0, here.lastIndexOf(join('src', 'log')));
  const built = join(root, 'dist', 'src', 'log', 'delivery-log-thread.js');
  return existsSync(built) ? built : undefined;
}

/**
 * Follows a sending campaign's delivery log (DeliveryLog.follow: a copy every `intervalMs`, the
 * last one at `stop`). On a SQLite store the copies run on a thread of their own with its own
 * connection (delivery-log-thread.ts): the same copy, the same lines in the same file, so the
 * sending thread does none of it (bench/send: it cost the sending thread about 3% of its time,
 * reading the events back, converting the rows and formatting the lines). Elsewhere (PostgreSQL,
 * or no build to start the thread from) the copies run here as before. If the thread fails, the
 * last copy is made here: every event still reaches the file.
 */
export function followDeliveryLog(store: Store, dir: string, campaignId: number, intervalMs: number): { stop(): Promise<number> } {
  const here = () => openDeliveryLog(store, dir, campaignId);
  const file = store.kind === 'sqlite' ? (store as SqliteStore).db.name : ':memory:';
  const thread = file !== ':memory:' ? threadFile() : undefined;
  if (!thread) return here().follow(intervalMs);
  return followOffThread(thread, file, dir, campaignId, intervalMs, here);
}

function followOffThread(thread: string, file: string, dir: string, campaignId: number, intervalMs: number, here: () => DeliveryLog): { stop(): Promise<number> } {
  // It holds one page of events at a time: a small heap keeps it out of the send's peak memory
  // (running out would end the thread, and the last copy would be made here).
  const resourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };
  const worker = new Worker(thread, { workerData: { file, dir, campaignId, intervalMs }, resourceLimits });
  // Never what keeps the process alive; stop() holds it while it waits for the last copy.
  worker.unref();
  // The count of the thread's last copy; undefined if it ended without making one (it failed).
  const ended = new Promise<number | undefined>((resolve) => {
    worker.once('message', ({ written }: { written: number }) => resolve(written));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  return {
    async stop() {
      worker.ref();
      worker.postMessage('stop');
      const written = await ended;
      await worker.terminate();
      // A thread that failed made no last copy: it is made here.
      return written ?? here().catchUp();
    },
  };
}
