/** One load of lists: every file in order into one report, the dedupe index spanning them all. */
import { PresslineError } from '../errors.js';
import type { Contact } from './contact.js';
import { streamFile } from './csv-stream.js';
import { checkEncodingName } from './decode.js';
import { FileLoad } from './file-load.js';
import { emptyReport, type ListReport } from './list-report.js';
import { LoadState } from './load-state.js';
import { parseWhere } from './segment.js';

// What callers of loadLists read about its results.
export type { ListReport } from './list-report.js';
export { MAX_NAME_CHARS } from './names.js';

export interface LoadOptions {
  /** Encoding of files without a BOM (default UTF-8, validated strictly); any name iconv-lite knows. */
  encoding?: string;
  /** `--where` expressions (see segment.ts); all must hold. */
  where?: string[];
  /**
   * The extra columns each contact carries in `extra` (headers as written); default every one. A
   * contact keeps its extra columns as object properties, so a 5,000-column list whose contacts are
   * kept or stored in thousands costs gigabytes: callers that know which columns they read (the merge
   * fields a release uses) name them here. Columns a `where` term reads are read regardless.
   */
  columns?: ReadonlySet<string>;
  onContact?: (contact: Contact) => void;
}

/**
 * Streams every file in order; calls onContact for each valid, unique contact matching the segment.
 * Keeps no contacts (only a compact key index). Throws PresslineError FILE_UNREADABLE, ENCODING,
 * LIST_HEADER or USAGE when a file cannot be read as a list; onContact may have run for earlier
 * rows by then, so commit what it gathered only after the promise resolves.
 */
export async function loadLists(files: string[], options: LoadOptions = {}): Promise<ListReport> {
  checkEncodingName(options.encoding);
  const segment = parseWhere(options.where ?? []);
  const report = emptyReport(files);
  const shared = new LoadState(report, segment, options.onContact, options.columns);
  let base = 0;
  for (const file of files) {
    shared.bases.push({ file, base });
    const load = new FileLoad(file, base, shared);
    await streamFile(load, options.encoding);
    base += load.nextLine; // every line of this file maps below the next file's base
    if (base > 0x7fffffff) throw new PresslineError('USAGE', 'too many lines in these lists for one check (over 2^31)');
  }
  for (const [language, count] of [...shared.languages].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    report.languages[language] = count;
  }
  report.columns = [...shared.columns];
  if (shared.notesDropped > 0) {
    report.notes.push({ file: '', column: '', text: `${shared.notesDropped} more notes like these were not listed` });
  }
  return report;
}

/** Convenience for small lists and tests. */
export async function readContacts(
  files: string[],
  options: Omit<LoadOptions, 'onContact'> = {},
): Promise<{ report: ListReport; contacts: Contact[] }> {
  const contacts: Contact[] = [];
  const report = await loadLists(files, { ...options, onContact: (c) => contacts.push(c) });
  return { report, contacts };
}
