// A background thread (the SQLite writer) lowers its own priority so the
// event loop that builds and transmits messages keeps the CPU. Only the calling thread may change:
// a whole process at nice 19 would starve the sending itself.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const built = pathToFileURL(resolve('dist/src/process/thread-priority.js')).href;

// In a child process: a worker lowers itself to 19; the main thread reads both threads' nice values.
const script = `
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
const niceOf = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
const before = niceOf(process.pid);
const worker = new Worker(\`
  import { parentPort } from 'node:worker_threads';
  import { readlinkSync } from 'node:fs';
  const { lowerThisThreadPriority } = await import(${JSON.stringify(built)});
  lowerThisThreadPriority(19);
  parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
  setTimeout(() => {}, 2000);
\`, { eval: true, type: 'module' });
worker.once('message', (tid) => {
  console.log(JSON.stringify({ worker: niceOf(tid), mainUnchanged: niceOf(process.pid) === before }));
  void worker.terminate();
});
`;

describe.runIf(process.platform === 'linux')('lowerThisThreadPriority', () => {
  it('lowers the calling thread alone', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ worker: 19, mainUnchanged: true });
  });
});
