import { parseImapUrl } from '../bounces/imap.js';
import { PresslineError } from '../errors.js';
import { fail, ok, skip, type CheckResult } from './types.js';

/** The bounce mailbox (`--imap`, as `bounces ingest --imap` takes it): logs in, opens the folder, logs out. */
export async function checkBounceMailbox(url: string | undefined, password: string | undefined, timeoutMs: number): Promise<CheckResult> {
  if (!url) return skip('bounces.mailbox', 'no bounce mailbox given (pass --imap imaps://user@host/INBOX to check it)');
  let settings: ReturnType<typeof parseImapUrl>;
  try {
    settings = parseImapUrl(url);
  } catch (err) {
    if (!(err instanceof PresslineError)) throw err;
    return fail('bounces.mailbox', err.message);
  }
  if (!password) return fail('bounces.mailbox', 'PRESSLINE_IMAP_PASSWORD is not set', 'set it in the environment or .env');
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: { user: settings.user, pass: password },
    logger: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  client.on('error', () => {});
  const where = `${settings.host}:${settings.port}`;
  try {
    await client.connect();
  } catch (err) {
    // imapflow's message is "Command failed"; the server's own words are in responseText.
    const said = (err as { responseText?: string }).responseText ?? (err as Error).message;
    return fail('bounces.mailbox', `cannot log in to ${where} as ${settings.user}: ${said}`, 'check the IMAP URL and PRESSLINE_IMAP_PASSWORD');
  }
  try {
    const status = await client.status(settings.mailbox, { messages: true, unseen: true });
    if (!status) throw new Error('the server gave no STATUS');
    return ok('bounces.mailbox', `${where} ${settings.mailbox}: ${status.unseen ?? 0} unread of ${status.messages ?? 0}`);
  } catch (err) {
    return fail('bounces.mailbox', `logged in to ${where}, but cannot open ${settings.mailbox}: ${(err as Error).message}`, 'check the folder name in the IMAP URL');
  } finally {
    await client.logout().catch(() => undefined);
  }
}
