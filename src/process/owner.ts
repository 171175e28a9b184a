import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** This process's name in leases and claims: `host:pid:nonce`, or `name@host:pid:nonce` for a named worker. */
export function newOwnerId(name?: string): string {
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  return name ? `${name}@${id}` : id;
}

/**
 * Whether an owner is certainly gone: a process on this host that no longer exists. An owner on
 * another host is never declared dead here; its lease has to run out.
 */
export function ownerIsDead(owner: string): boolean {
  const [host, pidText] = owner.slice(owner.indexOf('@') + 1).split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
