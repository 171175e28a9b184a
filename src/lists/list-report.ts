/**
 * What loading found. Every data row (blank lines excluded) is exactly one of: invalid, a duplicate
 * of an earlier valid row, or valid; so rows = valid + invalid.length + duplicates.length.
 */
export interface ListReport {
  files: string[];
  /** Data rows read (the header and blank lines are not rows). */
  rows: number;
  /** Valid rows whose address was not seen before: the contacts. */
  valid: number;
  /** Valid contacts that match the segment (= valid without `where`). */
  matched: number;
  /** One entry per invalid row; `line` is the physical line where the row starts, `reason` lists every problem. */
  invalid: { file: string; line: number; reason: string }[];
  /** Later occurrences of an address already seen (by Contact.key); the first occurrence is the contact. */
  duplicates: { file: string; line: number; email: string; first: { file: string; line: number } }[];
  /** Matched contacts per language; "" counts contacts without a language. */
  languages: Record<string, number>;
  /** Union of extra column headers, as written, in order of first appearance. */
  columns: string[];
  /** Name cells of valid rows longer than MAX_NAME_CHARS: contacts get their first MAX_NAME_CHARS characters. */
  capped: { file: string; line: number; column: string; length: number }[];
  /**
   * What a person should check because the list could be read more than one way: two candidate
   * columns for one field, a "Name" column read as the surname, a cell that looked like a full name.
   * `line` is absent for notes about the header as a whole. At most MAX_NOTES, then one summary note.
   */
  notes: { file: string; line?: number; column: string; text: string }[];
}

export function emptyReport(files: string[]): ListReport {
  return { files: [...files], rows: 0, valid: 0, matched: 0, invalid: [], duplicates: [], languages: {}, columns: [], capped: [], notes: [] };
}
