import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';

/** A real IMAP server (Debian's dovecot) on 127.0.0.1 with one user, for bounce-mailbox tests. */
export interface TestImap {
  port: number;
  user: string;
  password: string;
  url: string;
  stop(): void;
}

/** How many messages an IMAP folder holds; a folder the server cannot report on fails the test. */
export async function messagesIn(client: Pick<ImapFlow, 'status'>, folder: string): Promise<number | undefined> {
  const status = await client.status(folder, { messages: true });
  if (status === false) throw new Error(`IMAP STATUS failed for folder ${folder}`);
  return status.messages;
}

export const DOVECOT = '/usr/sbin/dovecot';
export const hasDovecot = existsSync(DOVECOT);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startDovecot(): Promise<TestImap> {
  const dir = mkdtempSync(join(tmpdir(), 'pressline-imap-'));
  chmodSync(dir, 0o755); // dovecot's auth process runs as the dovecot user and must reach the users file
  const port = await freePort();
  const user = 'bounces';
  const password = 'imap-test-secret';
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  const uid = Number(execFileSync('id', ['-u', 'dovecot']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'dovecot']).toString().trim());
  chownSync(join(dir, 'mail'), uid, gid);
  writeFileSync(join(dir, 'users'), `${user}:{PLAIN}${password}\n`);
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`,
  );
  // The daemon forks and keeps any inherited pipe open: give it none, read its log instead.
  const started = spawnSync(DOVECOT, ['-c', conf], { stdio: 'ignore' });
  if (started.status !== 0) throw new Error(`dovecot did not start: ${existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : `exit ${started.status}`}`);
  // Wait until it listens.
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    user,
    password,
    url: `imap://${user}@127.0.0.1:${port}/INBOX`,
    stop() {
      spawnSync(DOVECOT, ['-c', conf, 'stop'], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
