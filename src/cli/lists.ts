import type { Command } from 'commander';
import { loadLists, MAX_NAME_CHARS, type ListReport } from '../lists/load.js';
import { collect, printJson, say, table } from './output.js';
import { oneLine } from '../terminal/sanitise.js';

interface CheckOptions {
  json?: boolean;
  where?: string[];
  encoding?: string;
}

const CHECK_HELP = `
Each row is checked: email syntax, language (BCP 47 tag or name, e.g. "French (Switzerland)"),
time zone (IANA), field count, control characters. Headers from Google Contacts, Outlook (en, de,
fr, es), Mailchimp and media databases are understood; where a column could mean two things (two
outlet columns, a "Name" column beside a first name) the choice is listed under "Check these columns". Duplicates (same address, case-insensitively, across all files given) are
reported and skipped — the first occurrence wins — but do not by themselves fail the check.

--where key=value filters the contacts (repeatable; all must hold). Keys are column names or their
aliases (beat, beats, tags and topics all mean tags), or any extra column by its header; values are
case-insensitive, "a,b" means either, "key!=value" excludes, "key=" selects empty cells.

Exit status: 0 all rows valid (duplicates allowed), 1 some rows invalid, 2 a file could not be read
(missing, not decodable, no email column) or the options are wrong.

Examples:
  $ pressline lists check lists/journalists.csv
  $ pressline lists check lists/*.csv --where beat=russia --where language=ru,en
  $ pressline lists check export.csv --encoding windows-1252 --json
`;

/** An indented two-column block (the output table helper without its header row). */
function block(rows: (string | number)[][]): string {
  return table(['', ''], rows).split('\n').slice(1).map((l) => '  ' + l).join('\n');
}

function summary(report: ListReport, where: string[]): string {
  const lines: string[] = [];
  const n = report.files.length;
  lines.push(`Checked ${n} file${n === 1 ? '' : 's'}: ${report.files.join(', ')}`);
  const counts: (string | number)[][] = [
    ['rows', report.rows],
    ['valid', report.valid],
    ['invalid', report.invalid.length],
    ['duplicates', report.duplicates.length],
  ];
  if (where.length > 0) counts.push([`matched (${where.join(' ')})`, report.matched]);
  lines.push(block(counts));
  const languages = Object.entries(report.languages);
  if (languages.length > 0) {
    lines.push(where.length > 0 ? 'Languages (matched contacts):' : 'Languages:');
    lines.push(block(languages.map(([lang, count]) => [lang === '' ? '(none)' : lang, count])));
  }
  if (report.columns.length > 0) lines.push(`Extra columns (merge fields): ${oneLine(report.columns.join(', '))}`);
  if (report.notes.length > 0) {
    // Read one way but could be another: not errors, but a person should look before sending.
    lines.push('', 'Check these columns:');
    for (const n of report.notes) {
      const where = n.file === '' ? '' : `${oneLine(n.file)}${n.line === undefined ? '' : `:${n.line}`}: `;
      const column = n.column === '' ? '' : `column ${JSON.stringify(oneLine(n.column))} `;
      lines.push(`${where}${column}${oneLine(n.text)}`);
    }
  }
  const problems = [
    ...report.invalid.map((p) => ({ file: p.file, line: p.line, text: p.reason })),
    ...report.duplicates.map((d) => ({
      file: d.file,
      line: d.line,
      text: `duplicate of ${d.email}, first at ${d.first.file}:${d.first.line} (skipped)`,
    })),
  ];
  if (report.capped.length > 0) {
    lines.push('', 'Warnings:');
    for (const c of report.capped) lines.push(`${oneLine(c.file)}:${c.line}: ${cappedText(c)}`);
  }
  if (problems.length > 0) {
    const order = new Map(report.files.map((f, i) => [f, i]));
    problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line);
    lines.push('', 'Problems:');
    // Problem texts quote the offending cells: one line each, nothing the terminal would obey.
    for (const p of problems) lines.push(`${oneLine(p.file)}:${p.line}: ${oneLine(p.text)}`);
  }
  return lines.join('\n');
}

/** Why a name cell is cut, naming its column. */
export function cappedText(c: ListReport['capped'][number]): string {
  return `column ${oneLine(JSON.stringify(c.column))} holds ${c.length} characters; only the first ${MAX_NAME_CHARS} are used (a name goes into the To: header line, which may not pass 998)`;
}

/** Adds `lists check`: validates list files and prints a summary or one JSON document. */
export function registerListsCommands(program: Command): void {
  const lists = program.command('lists').description('journalist lists (CSV files of contacts)');
  lists
    .command('check')
    .description('validate list files and show per-row problems, duplicates and languages')
    .argument('<file...>', 'CSV list files (UTF-8, UTF-16 with BOM, or see --encoding)')
    .option('--json', 'print one JSON document on stdout and nothing else')
    .option('--where <key=value>', 'only count contacts matching (repeatable; all must hold)', collect)
    .option('--encoding <enc>', 'encoding of files without a BOM, e.g. windows-1252 (default utf-8)')
    .addHelpText('after', CHECK_HELP)
    .action(async (files: string[], opts: CheckOptions) => {
      const where = opts.where ?? [];
      const report = await loadLists(files, {
        ...(opts.encoding !== undefined ? { encoding: opts.encoding } : {}),
        where,
      });
      process.exitCode = report.invalid.length > 0 ? 1 : 0;
      if (opts.json) {
        printJson(report);
        return;
      }
      say(summary(report, where));
      if (report.capped.length > 0) {
        const c = report.capped.length;
        say(`warning: ${c} name${c === 1 ? '' : 's'} longer than ${MAX_NAME_CHARS} characters cut to ${MAX_NAME_CHARS} (see Warnings)`, true);
      }
      if (report.invalid.length === 0 && report.duplicates.length > 0) {
        const d = report.duplicates.length;
        say(`warning: ${d} duplicate row${d === 1 ? '' : 's'} skipped; the first occurrence of each address is used`, true);
      }
    });
}
