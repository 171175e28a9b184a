/**
 * One CSV cell, quoted when needed, and defused against formula injection: a cell a spreadsheet
 * would evaluate (=, +, -, @, tab, CR) gets a leading apostrophe (OWASP's advice).
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a UTF-8 BOM (so Excel reads accents and Cyrillic correctly) and CRLF line ends. */
export function toCsv(headers: string[], rows: unknown[][]): string {
  return '\uFEFF' + [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
