import { PresslineError } from '../errors.js';
import { contentKey, DEFAULT_MAX_MESSAGE_BYTES, type MailboxMessage } from './sources.js';

export interface ImapSource {
  url: string;
  password: string | undefined;
  /** Folder processed messages move to; created when missing. */
  processedFolder: string;
  /** Folder messages that cannot be read safely move to (default "Quarantine"); created when missing. */
  quarantineFolder?: string;
  /** Messages larger than this are not fetched (default 10 MB). */
  maxMessageBytes?: number;
}

/** `imaps://user@host[:port]/INBOX` → connection settings; the password never sits in the URL. */
export function parseImapUrl(url: string): { host: string; port: number; secure: boolean; user: string; mailbox: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PresslineError('USAGE', `"${url}" is not an IMAP URL; write imaps://user@host/INBOX`);
  }
  if (u.protocol !== 'imaps:' && u.protocol !== 'imap:') throw new PresslineError('USAGE', `--imap takes imaps://user@host/INBOX (or imap:// for STARTTLS), not ${u.protocol}`);
  if (u.password) throw new PresslineError('USAGE', 'put the IMAP password in PRESSLINE_IMAP_PASSWORD (environment or .env), not in the URL');
  if (!u.username) throw new PresslineError('USAGE', 'the IMAP URL needs a user: imaps://user@host/INBOX');
  const secure = u.protocol === 'imaps:';
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (!secure && !loopback) {
    throw new PresslineError('USAGE', 'imap:// sends the password unencrypted unless the server offers STARTTLS; use imaps:// for a remote mailbox (imap:// is for 127.0.0.1)');
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(u.username),
    mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

/**
 * Reads every message in the mailbox that has not been processed yet (not \Seen), and moves
 * each to the processed folder once the caller is done with it, or to the quarantine folder when
 * the caller sets it aside, so the next run skips it either way. A message over the size cap is
 * never fetched, only its size.
 */
export async function* readImap(source: ImapSource, options: { rejectUnauthorized?: boolean } = {}): AsyncGenerator<MailboxMessage> {
  const settings = parseImapUrl(source.url);
  if (!source.password) throw new PresslineError('USAGE', 'set PRESSLINE_IMAP_PASSWORD in the environment or .env for the bounce mailbox');
  const { ImapFlow } = await import('imapflow'); // loaded on first use: keeps CLI start-up fast
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: { user: settings.user, pass: source.password },
    logger: false,
    tls: { rejectUnauthorized: options.rejectUnauthorized ?? true },
  });
  try {
    await client.connect();
  } catch (err) {
    throw new PresslineError('FILE_UNREADABLE', `cannot log in to ${settings.host}:${settings.port} as ${settings.user}: ${(err as Error).message}`);
  }
  try {
    const folders = await client.list();
    const quarantineFolder = source.quarantineFolder ?? 'Quarantine';
    for (const folder of [source.processedFolder, quarantineFolder]) {
      if (!folders.some((f) => f.path === folder)) await client.mailboxCreate(folder);
    }
    const max = source.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const lock = await client.getMailboxLock(settings.mailbox);
    try {
      const uids = (await client.search({ seen: false }, { uid: true })) || [];
      for (const uid of uids) {
        const moveTo = (folder: string) => async (): Promise<void> => {
          await client.messageMove(String(uid), folder, { uid: true });
        };
        const where = `imap:${settings.host}/${settings.mailbox}/${uid}`;
        const quarantine = async (): Promise<string> => {
          await moveTo(quarantineFolder)();
          return `IMAP folder ${quarantineFolder}`;
        };
        const sized = await client.fetchOne(String(uid), { size: true }, { uid: true });
        if (!sized) continue;
        const bytes = sized.size ?? 0;
        if (bytes > max) {
          yield { source: where, raw: Buffer.alloc(0), bytes, key: `${where}:${bytes}`, tooLarge: true, quarantine };
          continue;
        }
        const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (!message || !message.source) continue;
        yield { source: where, raw: message.source, bytes: message.source.length, key: contentKey(message.source), done: moveTo(source.processedFolder), quarantine };
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}
