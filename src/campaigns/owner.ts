import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** This process's name in leases and claims: `host:pid:nonce`. */
export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Whether an owner is certainly gone: a process on this host that no longer exists. An owner on
 * another host is never declared dead here; its lease has to run out.
 */
export function ownerIsDead(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !owner.startsWith(`${host}:${pid}:`);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
