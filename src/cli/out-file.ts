import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, lstatSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { configFilePath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Env } from '../config/load.js';
import { PresslineError } from '../errors.js';

/** A file a command must never write over, and what it is (for the refusal message). */
export interface ProtectedFile {
  path: string;
  what: string;
}

/** How a command may write its output files. */
export interface OutFileGuard {
  /** Replace a file that already exists (never a protected one). */
  force: boolean;
  protected: ProtectedFile[];
}

/**
 * The files no `--out` may ever replace, even with `--force`: the SQLite store and its journal
 * files, the config file, `.env`, and whatever inputs the command read (lists, release, template).
 */
export function protectedFiles(options: { config: Config; env: Env; configFlag: string | undefined; inputs?: ProtectedFile[] }): ProtectedFile[] {
  // The SQLite path is protected even when DATABASE_URL points elsewhere: the file may still hold data.
  const stores = [options.env.sqliteFile, options.config.paths.database].filter((f): f is string => Boolean(f));
  const files: ProtectedFile[] = [];
  for (const store of stores) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) files.push({ path: store + suffix, what: 'the SQLite store' });
  }
  files.push({ path: configFilePath(options.configFlag), what: 'the config file' });
  files.push({ path: resolve('.env'), what: 'the .env file' });
  return [...files, ...(options.inputs ?? [])];
}

/** Where a path really leads (symlinks followed), and its identity when it exists. */
interface Resolved {
  real: string;
  stats: Stats | undefined;
}

function resolvePath(path: string): Resolved {
  const absolute = resolve(path);
  try {
    return { real: realpathSync(absolute), stats: statSync(absolute) };
  } catch {
    // Not there (yet): resolve the folder, which is what a new file would land in.
    try {
      return { real: join(realpathSync(dirname(absolute)), basename(absolute)), stats: undefined };
    } catch {
      return { real: absolute, stats: undefined };
    }
  }
}

function sameFile(a: Resolved, b: Resolved): boolean {
  if (a.real === b.real) return true;
  // Hard links and bind mounts share the inode, not the path.
  return a.stats !== undefined && b.stats !== undefined && a.stats.dev === b.stats.dev && a.stats.ino === b.stats.ino;
}

/**
 * Throws (exit 2, one line naming the file) unless every path may be written: none is a protected
 * file, by any name, and none exists already unless `force`. Checks all before any is written.
 */
export function refuseUnsafeOut(paths: string[], guard: OutFileGuard): void {
  const shielded = guard.protected.map((p) => ({ ...p, resolved: resolvePath(p.path) }));
  for (const path of paths) {
    const target = resolvePath(path);
    const hit = shielded.find((p) => sameFile(target, p.resolved));
    if (hit) {
      throw new PresslineError('USAGE', `${path} is ${hit.what}; pressline never writes output over it, even with --force: choose another file`);
    }
    if (exists(path) && !guard.force) {
      throw new PresslineError('USAGE', `${path} already exists; choose another file, or pass --force to replace it`);
    }
    if (target.stats?.isDirectory()) throw new PresslineError('USAGE', `${path} is a folder; give a file name`);
  }
}

/** True when something (a file, a folder, even a dangling symlink) already has this name. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `data` to `path` after `refuseUnsafeOut`, through a temporary file in the same folder
 * renamed into place, so a failed write never leaves half a file and never touches the old one.
 */
export function writeOutFile(path: string, data: string | Uint8Array, guard: OutFileGuard): void {
  refuseUnsafeOut([path], guard);
  writeAtomically(path, data, guard.force);
}

/** Several files checked together first, so a refusal leaves none of them written. */
export function writeOutFiles(files: { path: string; data: string | Uint8Array }[], guard: OutFileGuard): void {
  refuseUnsafeOut(files.map((f) => f.path), guard);
  for (const f of files) writeAtomically(f.path, f.data, guard.force);
}

function writeAtomically(path: string, data: string | Uint8Array, force: boolean): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o666);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (force) {
      // Keep the permissions of the file being replaced (a report may be deliberately private).
      try {
        chmodSync(temp, statSync(path).mode & 0o7777);
      } catch {
        /* no file there yet */
      }
      renameSync(temp, path);
    } else {
      // link() fails if the name appeared since the check, so a file created meanwhile is not lost.
      try {
        linkSync(temp, path);
        unlinkSync(temp);
      } catch (err) {
        // Some filesystems (FAT, some network shares) have no hard links: check, then rename.
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') || exists(path)) throw err;
        renameSync(temp, path);
      }
    }
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* never created, or already renamed */
    }
    if (err instanceof PresslineError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' && !force) throw new PresslineError('USAGE', `${path} already exists; choose another file, or pass --force to replace it`);
    throw new PresslineError('FILE_UNWRITABLE', `cannot write ${path}: ${e.message}; check the folder exists and is writable`);
  }
}
