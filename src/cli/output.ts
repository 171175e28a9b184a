import { oneLine } from '../terminal/sanitise.js';

/** Writes one JSON document to stdout: the only thing `--json` commands print there. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Human messages go to stderr when stdout carries data, so pipes stay clean. */
export function say(message: string, toStderr = false): void {
  (toStderr ? process.stderr : process.stdout).write(message + '\n');
}

/** Repeatable option collector for commander (`--where a=b --where c=d`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Left-aligned text table with a header row; columns sized to their widest cell. Every cell is
 * made terminal-safe and one line, so a row is always one line whatever its text came from.
 */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows].map((r) => r.map((c) => oneLine(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
