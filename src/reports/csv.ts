/**
 * Where a spreadsheet may start a cell inside ours: the cell's start, or after any `,`, `;`, tab or
 * line break (a `;`-splitting locale, "text to columns", or a reader that ignores quotes). A part
 * there whose first non-blank character is `=`, `+`, `-` or `@` would be evaluated as a formula.
 */
const FORMULA_PART = /(^|[,;\t\r\n])(?=[ \u00a0]*[=+\-@])/g;

/**
 * One CSV cell, quoted when it holds a separator any locale uses (`,` `;` tab), a quote or a
 * line break, and defused against formula injection however it is split: each part a spreadsheet
 * would evaluate gets a leading apostrophe (OWASP's advice), as does a cell starting with tab or
 * CR. Only those parts change, so ordinary text reads as it was; numbers and dates are data, never
 * formulas, and stay as they are (an apostrophe would turn -5 into text).
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  let text = String(value).replace(FORMULA_PART, "$1'");
  if (/^[\t\r]/.test(text)) text = `'${text}`;
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a UTF-8 BOM (so Excel reads accents and Cyrillic correctly) and CRLF line ends. */
export function toCsv(headers: string[], rows: unknown[][]): string {
  return '\uFEFF' + [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
