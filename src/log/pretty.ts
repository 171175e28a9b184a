import { oneLine } from '../terminal/sanitise.js';

/**
 * pino's JSON lines as people read them (`worker --pretty`): local time, level, message, then the
 * other fields as key=value. A small formatter instead of pino-pretty: one dependency fewer, and
 * every line goes through the terminal sanitiser (log lines quote SMTP replies and list cells).
 * Secrets are already redacted by the logger before a line gets here.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, or that say nothing to a person reading one worker's output. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

const two = (n: number) => String(n).padStart(2, '0');

/** "2026-12-01 09:00:00" in the machine's own zone. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function value(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'message' in v && typeof (v as { message: unknown }).message === 'string') {
    return JSON.stringify((v as { message: string }).message); // a serialised error: its message, not its stack
  }
  if (typeof v === 'string') return /^[\w.:/@<>+=,[\]-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line as one readable line; a line that is not JSON is passed on, sanitised. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return oneLine(json);
  }
  const level = (LEVELS[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const time = typeof entry.time === 'number' ? localTime(entry.time) : '';
  const fields = Object.entries(entry)
    .filter(([k, v]) => !OMITTED.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return oneLine(`${time} ${level} ${String(entry.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}`);
}

/** A pino destination that writes each line pretty to `out` (stderr by default). */
export function prettyDestination(out: { write(text: string): unknown } = process.stderr): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.trim()) out.write(prettyLine(line) + '\n');
    },
  };
}
