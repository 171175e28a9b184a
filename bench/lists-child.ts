/**
 * One measured run in its own process, so peak RSS is this run's alone:
 *   node dist/bench/lists-child.js <plain|load|contacts> <file>
 * Prints one JSON line: { mode, rows, ms, cpuMs, maxRssMB }.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { loadLists } from '../src/lists/load.js';

async function plain(file: string): Promise<number> {
  // The baseline: csv-parse streaming over the same bytes, counting records, nothing else.
  let records = 0;
  const parser = createReadStream(file).pipe(parse());
  parser.on('data', () => {
    records++;
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  return records - 1; // the header
}

async function load(file: string, contacts: boolean): Promise<number> {
  let seen = 0;
  const report = await loadLists([file], contacts ? { onContact: () => void seen++ } : {});
  if (report.invalid.length > 0) throw new Error(`unexpected invalid rows: ${JSON.stringify(report.invalid.slice(0, 3))}`);
  if (contacts && seen !== report.valid) throw new Error(`onContact saw ${seen} of ${report.valid}`);
  return report.rows;
}

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== 'plain' && mode !== 'load' && mode !== 'contacts')) {
  process.stderr.write('usage: lists-child.js <plain|load|contacts> <file>\n');
  process.exit(2);
}
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
const rows = mode === 'plain' ? await plain(file) : await load(file, mode === 'contacts');
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
const maxRssMB = process.resourceUsage().maxRSS / 1024; // kilobytes on every platform Node supports
process.stdout.write(JSON.stringify({ mode, rows, ms, cpuMs, maxRssMB }) + '\n');
