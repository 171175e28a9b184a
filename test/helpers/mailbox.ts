import { contentKey, type MailboxMessage } from '../../src/bounces/sources.js';

/**
 * One message as a bounce mailbox would hand it to ingestion, built from its text: keyed by its
 * content like a Maildir or IMAP message, and set aside in place (where it came from) when it
 * must be quarantined.
 */
export function mailboxMessage(source: string, raw: string | Buffer): MailboxMessage {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  return { source, raw: bytes, bytes: bytes.length, key: contentKey(bytes), quarantine: async () => source };
}
