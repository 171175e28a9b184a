/**
 * `npm run bench`: every benchmark prints its figures next to a baseline measured in the same
 * run, as a ratio. Pick some with `npm run bench -- lists render send workers estimate`.
 */
import { benchLists } from './lists.js';
import { benchRender } from './render.js';
import { benchSend } from './send.js';
import { benchReports } from './reports.js';
import { benchWorkers } from './workers.js';
import { benchKill } from './kill.js';
import { benchServe } from './serve.js';
import { benchWideLists } from './wide-lists.js';
import { benchEstimate } from './estimate.js';
import { benchIngest } from './ingest.js';
import { benchBounceCorpus } from './bounce-corpus.js';

const BENCHES: Record<string, () => Promise<string[]>> = {
  lists: () => benchLists(),
  render: () => benchRender(),
  send: () => benchSend(),
  reports: () => benchReports(),
  workers: () => benchWorkers(),
  kill: () => benchKill(),
  serve: () => benchServe(),
  'wide-lists': () => benchWideLists(),
  estimate: () => benchEstimate(),
  ingest: () => benchIngest(),
  'bounce-corpus': () => benchBounceCorpus(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench) {
      process.stderr.write(`unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(', ')}\n`);
      process.exitCode = 2;
      return;
    }
    process.stdout.write(`\n== ${name} ==\n`);
    for (const line of await bench()) process.stdout.write(line + '\n');
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 2;
});
