import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PresslineError } from '../errors.js';

/** One message from a bounce mailbox, with where it came from (for logs and idempotence). */
export interface MailboxMessage {
  source: string;
  raw: Buffer;
  /** Called once the message is processed (IMAP moves or flags it; files are left alone). */
  done?: () => Promise<void>;
}

/**
 * Messages from a path: a Maildir (a folder with cur/ and new/), an mbox file (starts with
 * "From "), a folder of .eml files, or one .eml file. Files are never changed: ingesting the
 * same file twice is recognised by the report ids and changes nothing.
 */
export async function* readPath(path: string): AsyncGenerator<MailboxMessage> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new PresslineError('FILE_UNREADABLE', 'no such file or folder; give a Maildir, an mbox file or .eml files', { file: path });
  }
  if (info.isDirectory()) {
    const entries = await readdir(path);
    if (entries.includes('cur') || entries.includes('new')) {
      for (const sub of ['new', 'cur']) {
        if (!entries.includes(sub)) continue;
        for (const name of (await readdir(join(path, sub))).sort()) {
          yield { source: `maildir:${join(path, sub, name)}`, raw: await readFile(join(path, sub, name)) };
        }
      }
      return;
    }
    for (const name of entries.sort()) {
      if (!/\.(eml|msg|txt)$/i.test(name)) continue;
      yield { source: `file:${join(path, name)}`, raw: await readFile(join(path, name)) };
    }
    return;
  }
  const raw = await readFile(path);
  if (raw.subarray(0, 5).toString('latin1') === 'From ') {
    let n = 0;
    for (const message of splitMbox(raw)) yield { source: `mbox:${path}#${++n}`, raw: message };
    return;
  }
  yield { source: `file:${path}`, raw };
}

/**
 * Splits an mbox (mboxrd/mboxo) on "From " separator lines and undoes the ">From " quoting.
 */
export function splitMbox(raw: Buffer): Buffer[] {
  const text = raw.toString('latin1'); // byte-preserving: each byte one char
  const messages: Buffer[] = [];
  const starts: number[] = [];
  const separator = /^From [^\r\n]*\r?\n/gm;
  for (let m = separator.exec(text); m; m = separator.exec(text)) starts.push(m.index);
  for (let i = 0; i < starts.length; i++) {
    const body = text.slice(starts[i]!, starts[i + 1] ?? text.length).replace(/^From [^\r\n]*\r?\n/, '');
    const unquoted = body.replace(/^>(>*From )/gm, '$1').replace(/\r?\n$/, '\n');
    messages.push(Buffer.from(unquoted, 'latin1'));
  }
  return messages;
}
