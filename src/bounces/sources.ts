import { createHash, hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, opendir, readFile, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PresslineError } from '../errors.js';

/** One message from a bounce mailbox, with where it came from (for logs and idempotence). */
export interface MailboxMessage {
  source: string;
  /** The message as stored; empty when it was too large to read (`tooLarge`). */
  raw: Buffer;
  /** Its size in bytes, read or not. */
  bytes: number;
  /** What identifies it on a later run, so a quarantined message is skipped without being parsed again. */
  key: string;
  /** Over the size cap: left unread, to be quarantined. */
  tooLarge?: boolean;
  /** Called once the message is processed (IMAP moves or flags it; files are left alone). */
  done?: () => Promise<void>;
  /** Sets the message aside (Maildir: into the quarantine Maildir; IMAP: into its folder); says where it is now. */
  quarantine: () => Promise<string>;
}

export interface ReadOptions {
  /** Messages larger than this are not read (default 10 MB). */
  maxMessageBytes?: number;
  /** Where a Maildir's quarantined messages go (default `<maildir>/.Quarantine`). */
  quarantineDir?: string | undefined;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** Names read from a Maildir folder at a time: sorted within a batch, never all held at once. */
const NAME_BATCH = 10_000;

/** The message's content hash (one-shot: no Hash object per message of a million-message mbox). */
export function contentKey(raw: Buffer): string {
  return `sha256:${hash('sha256', raw, 'hex')}`;
}

/**
 * Messages from a path: a Maildir (a folder with cur/ and new/), an mbox file (starts with
 * "From "), a folder of .eml files, or one .eml file. Everything is streamed: memory stays the
 * same whatever the mailbox's size, and a message over the size cap is never read whole.
 * Files are never changed, except that a Maildir message that must be set aside is moved to the
 * quarantine Maildir; ingesting the same file twice is recognised by the report ids.
 */
export async function* readPath(path: string, options: ReadOptions = {}): AsyncGenerator<MailboxMessage> {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new PresslineError('FILE_UNREADABLE', 'no such file or folder; give a Maildir, an mbox file or .eml files', { file: path });
  }
  if (info.isDirectory()) {
    const subs = new Set<string>();
    for await (const e of await opendir(path)) if (e.name === 'new' || e.name === 'cur') subs.add(e.name);
    if (subs.size > 0) {
      const quarantineDir = options.quarantineDir ?? join(path, '.Quarantine');
      for (const sub of ['new', 'cur']) {
        if (!subs.has(sub)) continue;
        for await (const name of sortedNames(join(path, sub))) {
          const file = join(path, sub, name);
          const message = await readFileMessage(`maildir:${file}`, file, max, () => moveToMaildir(file, quarantineDir));
          if (message) yield message;
        }
      }
      return;
    }
    for await (const name of sortedNames(path)) {
      if (!/\.(eml|msg|txt)$/i.test(name)) continue;
      const file = join(path, name);
      const message = await readFileMessage(`file:${file}`, file, max, async () => file);
      if (message) yield message;
    }
    return;
  }
  if (await startsWithFromLine(path)) {
    yield* readMbox(path, max);
    return;
  }
  const message = await readFileMessage(`file:${path}`, path, max, async () => path);
  if (message) yield message;
}

/** A folder's file names in batches, each sorted: the usual small folder comes out in order. */
async function* sortedNames(dir: string): AsyncGenerator<string> {
  let batch: string[] = [];
  for await (const e of await opendir(dir)) {
    if (!e.isFile()) continue;
    batch.push(e.name);
    if (batch.length >= NAME_BATCH) {
      yield* batch.sort();
      batch = [];
    }
  }
  yield* batch.sort();
}

/** One file as a message; undefined when it vanished meanwhile (another reader took it). */
async function readFileMessage(source: string, file: string, max: number, quarantine: () => Promise<string>): Promise<MailboxMessage | undefined> {
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
    if (bytes > max) return { source, raw: Buffer.alloc(0), bytes, key: `${source}:${bytes}`, tooLarge: true, quarantine };
    const raw = await readFile(file);
    return { source, raw, bytes: raw.length, key: contentKey(raw), quarantine };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Moves a Maildir message into `<quarantine>/cur` (made a Maildir if needed); returns its new path. */
async function moveToMaildir(file: string, quarantineDir: string): Promise<string> {
  for (const d of ['tmp', 'new', 'cur']) await mkdir(join(quarantineDir, d), { recursive: true });
  const target = join(quarantineDir, 'cur', basename(file));
  await rename(file, target);
  return target;
}

async function startsWithFromLine(path: string): Promise<boolean> {
  const fd = await open(path, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await fd.read(head, 0, 5, 0);
    return bytesRead === 5 && head.toString('latin1') === 'From ';
  } finally {
    await fd.close();
  }
}

const FROM = Buffer.from('From ', 'latin1');
const GT = 0x3e;
const LF = 0x0a;
/** Bytes needed at a line start to tell ">>>From " quoting from text (longer quoting is left as is). */
const LOOKAHEAD = 64;

/** A message being collected from an mbox: its pieces until it passes the cap, then only its hash. */
interface Collecting {
  n: number;
  offset: number;
  pieces: Buffer[];
  size: number;
  hash: ReturnType<typeof createHash> | undefined;
}

/**
 * Streams an mbox (mboxrd/mboxo): a line starting "From " starts the next message, and ">From "
 * quoting is undone. Only the current message is held, and only up to the size cap: past it,
 * its bytes are hashed (for its key) and dropped. Each message is recorded by its byte offset.
 */
async function* readMbox(path: string, max: number): AsyncGenerator<MailboxMessage> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let current: Collecting | undefined;
  let count = 0;
  let carry: Buffer | undefined;
  let carryOffset = 0;
  let fileOffset = 0;
  let atLineStart = true;
  let inSeparator = false;

  const append = (c: Collecting, piece: Buffer): void => {
    if (piece.length === 0) return;
    c.size += piece.length;
    if (c.hash) {
      c.hash.update(piece);
    } else if (c.size > max) {
      c.hash = createHash('sha256');
      for (const p of c.pieces) c.hash.update(p);
      c.hash.update(piece);
      c.pieces = [];
    } else {
      c.pieces.push(piece);
    }
  };
  const finish = (c: Collecting): MailboxMessage => {
    const source = `mbox:${path}#${c.n}`;
    const where = async (): Promise<string> => `${path} at byte offset ${c.offset}`;
    if (c.hash) return { source, raw: Buffer.alloc(0), bytes: c.size, key: `sha256:${c.hash.digest('hex')}`, tooLarge: true, quarantine: where };
    let raw = Buffer.concat(c.pieces, c.size);
    // The separator's blank line stays with the message, as one LF (like the whole-file reader did).
    if (raw.length >= 2 && raw[raw.length - 1] === LF && raw[raw.length - 2] === 0x0d) raw = Buffer.concat([raw.subarray(0, raw.length - 2), Buffer.from('\n')]);
    return { source, raw, bytes: raw.length, key: contentKey(raw), quarantine: where };
  };

  const scan = function* (buf: Buffer, bufOffset: number, final: boolean): Generator<MailboxMessage> {
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos);
      let contentStart = pos;
      if (atLineStart) {
        if (nl === -1 && buf.length - pos < LOOKAHEAD && !final) {
          carry = Buffer.from(buf.subarray(pos));
          carryOffset = bufOffset + pos;
          return;
        }
        if (startsWith(buf, pos, FROM)) {
          if (current) yield finish(current);
          current = { n: ++count, offset: bufOffset + pos, pieces: [], size: 0, hash: undefined };
          inSeparator = true;
        } else if (buf[pos] === GT) {
          let q = pos;
          while (q < buf.length && buf[q] === GT) q++;
          if (startsWith(buf, q, FROM)) contentStart = pos + 1; // mboxrd: one ">" less
        }
      }
      const end = nl === -1 ? buf.length : nl + 1;
      if (!inSeparator && current) append(current, buf.subarray(contentStart, end));
      if (nl !== -1) inSeparator = false;
      atLineStart = nl !== -1;
      pos = end;
    }
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let buf = chunk;
    let bufOffset = fileOffset;
    if (carry) {
      buf = Buffer.concat([carry, chunk]);
      bufOffset = carryOffset;
      carry = undefined;
    }
    fileOffset += chunk.length;
    yield* scan(buf, bufOffset, false);
  }
  if (carry) {
    const rest = carry;
    carry = undefined;
    yield* scan(rest, carryOffset, true);
  }
  if (current) yield finish(current);
}

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (buf.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}
