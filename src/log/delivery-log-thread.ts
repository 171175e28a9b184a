// The delivery log's copy for a sending campaign on a SQLite store, on a thread of its own
// (started by followOffThread in delivery-log-follow.ts; runs from the compiled build, dist/).
// It opens its own connection to the store file and runs the very same copy as the main thread
// would (openDeliveryLog: same lines, same file, same lock, id order, only committed events), so
// the reads of the events table, the conversion of the rows and the formatting of the lines no
// longer take turns with the messages being built and transmitted.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../process/thread-priority.js';
import { SqliteStore } from '../store/sqlite/store.js';
import { openDeliveryLog } from './delivery-log.js';

const { file, dir, campaignId, intervalMs } = workerData as { file: string; dir: string; campaignId: number; intervalMs: number };
const port = parentPort!;
// Background work: the copy may lag while messages are being built and sent, and catches up in
// idle moments and at the end (the last copy, which the run waits for, is made all the same).
lowerThisThreadPriority(19);
const db = new Database(file);
// Only reads here; a reader waits for a writer's checkpoint rather than failing.
db.pragma('busy_timeout = 10000');
const store = new SqliteStore(db);
const following = openDeliveryLog(store, dir, campaignId).follow(intervalMs);

port.once('message', () => {
  // The last copy, made after the run's last write: the main thread waits for its count.
  void following.stop().then((written) => {
    db.close();
    port.postMessage({ written });
  });
});
