/**
 * One list file through csv-parse, streamed with backpressure: the delimiter is sniffed from the
 * header line, then every record goes to a RecordSink in order. The decoded source is never
 * buffered whole.
 */
import { parse, type CsvError, type Parser } from 'csv-parse';
import { PresslineError } from '../errors.js';
import { utf8Chunks } from './decode.js';
import { type Delimiter, sniffDelimiter } from './sniff.js';

/** A quoted value longer than this is almost surely an unclosed quote swallowing the file. */
export const MAX_RECORD_CHARS = 1_000_000;
/** Give up waiting for the end of the header line after this many bytes (sniff what we have). */
const MAX_HEADER_BYTES = 1 << 20;

/** What reads a file's records: streamFile hands it each record, then a syntax error that stopped the parse. */
export interface RecordSink {
  readonly file: string;
  /** Whether the header line was read (a file without one is empty). */
  readonly hasHeader: boolean;
  onRecord(fields: string[]): void;
  parseFailed(err: CsvError): void;
}

function createParser(delimiter: Delimiter): Parser {
  return parse({
    delimiter,
    // Every line ending, even mixed in one file (lists get pasted together); CRLF first so it is one break.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true, // we report the row with its line instead of stopping
    relax_quotes: true, // `Anna "Ania" Nowak` in an unquoted field is data, not an error
    skip_empty_lines: false, // blank lines must be seen to keep line numbers right
    bom: false, // utf8Chunks already removed it
    max_record_size: MAX_RECORD_CHARS,
  });
}

/** Streams one file through csv-parse into `load`, with backpressure; the decoded source is never buffered whole. */
export async function streamFile(load: RecordSink, encoding: string | undefined): Promise<void> {
  let parser: Parser | undefined;
  let failure: unknown;
  let parseError: CsvError | undefined;
  let ended: Promise<void> = Promise.resolve();

  const start = (delimiter: Delimiter): Parser => {
    const p = createParser(delimiter);
    p.on('data', (record: string[]) => {
      if (failure !== undefined) return;
      try {
        load.onRecord(record);
      } catch (err) {
        failure = err;
      }
    });
    p.on('error', (err: CsvError) => {
      parseError ??= err;
    });
    ended = new Promise<void>((resolve) => {
      p.once('end', resolve);
      p.once('close', resolve);
    });
    parser = p;
    return p;
  };
  const write = async (p: Parser, buf: Buffer): Promise<void> => {
    if (p.write(buf)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        p.off('drain', done);
        p.off('close', done);
        resolve();
      };
      p.on('drain', done);
      p.on('close', done);
    });
  };

  try {
    let head: Buffer | undefined; // the start of the file, until it holds the whole header line
    for await (const buf of utf8Chunks(load.file, encoding)) {
      if (failure !== undefined || parseError !== undefined) break;
      if (parser !== undefined) {
        await write(parser, buf);
        continue;
      }
      head = head === undefined ? buf : Buffer.concat([head, buf]);
      const delimiter = sniffDelimiter(head, head.length > MAX_HEADER_BYTES);
      if (delimiter === undefined) continue;
      await write(start(delimiter), head);
      head = undefined;
    }
    if (parser === undefined) {
      // The file ended inside (or before) its first line.
      const rest = head ?? Buffer.alloc(0);
      const p = start(sniffDelimiter(rest, true)!);
      if (rest.length > 0) await write(p, rest);
    }
    if (failure === undefined && parseError === undefined) parser!.end();
    else parser!.destroy();
    await ended;
  } catch (err) {
    // The source failed (unreadable, not decodable): drop the parser and whatever it buffered.
    (parser as Parser | undefined)?.destroy();
    throw err;
  }
  if (failure !== undefined) throw failure;
  if (parseError !== undefined) load.parseFailed(parseError);
  if (!load.hasHeader) {
    throw new PresslineError('LIST_HEADER', 'the file is empty: expected a header line naming the columns, e.g. Email,First Name,Last Name', {
      file: load.file,
    });
  }
}
