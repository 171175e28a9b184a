import type { Contact } from './contact.js';
import { KeyIndex } from './keyindex.js';
import type { ListReport } from './list-report.js';
import type { Segment } from './segment.js';

/** Row notes beyond this many are counted, not listed: a million-row list must not make a million notes. */
const MAX_NOTES = 200;

/** State shared by all files of one load: the dedupe map is the only per-row memory. */
export class LoadState {
  /** Contact.key → position: a file's base plus the line, so one int32 locates the first occurrence. */
  readonly seen = new KeyIndex(1 << 14);
  readonly bases: { file: string; base: number }[] = [];
  readonly languages = new Map<string, number>();
  readonly columns = new Set<string>();
  notesDropped = 0;

  constructor(
    readonly report: ListReport,
    readonly segment: Segment,
    readonly onContact: ((contact: Contact) => void) | undefined,
    readonly keepColumns: ReadonlySet<string> | undefined,
  ) {}

  note(note: ListReport['notes'][number]): void {
    if (this.report.notes.length < MAX_NOTES) this.report.notes.push(note);
    else this.notesDropped++;
  }

  locate(position: number): { file: string; line: number } {
    for (let k = this.bases.length - 1; k >= 0; k--) {
      const entry = this.bases[k]!;
      if (entry.base < position) return { file: entry.file, line: position - entry.base };
    }
    throw new Error(`position ${position} precedes every file`);
  }
}
