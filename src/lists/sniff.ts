/** Delimiters spreadsheets and media databases export, in tie-break order. */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

const CODES = DELIMITERS.map((d) => d.charCodeAt(0));
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Picks the delimiter from the header line: the candidate seen most often outside quotes in the first
 * non-blank line (comma on a tie or when there is none, i.e. a one-column list). Returns undefined
 * when `buf` does not yet hold the whole header line and more data may follow (`final` false).
 */
export function sniffDelimiter(buf: Uint8Array, final: boolean): Delimiter | undefined {
  let i = 0;
  while (i < buf.length && (buf[i] === CR || buf[i] === LF)) i++;
  const counts = [0, 0, 0, 0];
  let quoted = false;
  let complete = false;
  for (; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === QUOTE) quoted = !quoted; // an escaped "" toggles twice
    else if (!quoted) {
      if (b === CR || b === LF) {
        complete = true;
        break;
      }
      const k = CODES.indexOf(b);
      if (k !== -1) counts[k]!++;
    }
  }
  if (!complete && !final) return undefined;
  let best = 0;
  for (let k = 1; k < counts.length; k++) if (counts[k]! > counts[best]!) best = k;
  return DELIMITERS[best]!;
}
