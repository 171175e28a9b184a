/** Delimiters spreadsheets and media databases export, in tie-break order. */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

const CODES = DELIMITERS.map((d) => d.charCodeAt(0));
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

const SEP = [0x73, 0x65, 0x70, 0x3d]; // "sep="

/**
 * Excel's `sep=;` first line names the delimiter: the delimiter it names (undefined when the file does
 * not start with one), or 'unsupported' for a character we do not split on. `pending` when `buf` is
 * too short to tell and more data may follow.
 */
function sepLine(buf: Uint8Array, final: boolean): Delimiter | 'unsupported' | 'pending' | undefined {
  for (let k = 0; k < SEP.length; k++) {
    if (k >= buf.length) return final ? undefined : 'pending';
    if ((buf[k]! | 0x20) !== SEP[k]) return undefined; // | 0x20: "SEP=" too
  }
  if (buf.length < 6) return final && buf.length === 5 ? delimiterFor(buf[4]!) : final ? undefined : 'pending';
  if (buf[5] !== CR && buf[5] !== LF) return undefined;
  return delimiterFor(buf[4]!);
}

function delimiterFor(b: number): Delimiter | 'unsupported' {
  const k = CODES.indexOf(b);
  return k === -1 ? 'unsupported' : DELIMITERS[k]!;
}

/** True for the record csv-parse makes of a `sep=X` line (["sep=", ""]), which is not the header. */
export function isSepRecord(fields: string[]): boolean {
  return fields.length === 2 && fields[1] === '' && fields[0]!.toLowerCase() === 'sep=';
}

/**
 * Picks the delimiter from the header line: the candidate seen most often outside quotes in the first
 * non-blank line (comma on a tie or when there is none, i.e. a one-column list). Returns undefined
 * when `buf` does not yet hold the whole header line and more data may follow (`final` false). An
 * Excel `sep=X` first line decides instead (the loader then skips that line, see `isSepRecord`).
 */
export function sniffDelimiter(buf: Uint8Array, final: boolean): Delimiter | undefined {
  const named = sepLine(buf, final);
  if (named === 'pending') return undefined;
  // An unsupported `sep=` falls through to sniffing; the loader refuses that line as the header.
  if (named !== undefined && named !== 'unsupported') return named;
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
