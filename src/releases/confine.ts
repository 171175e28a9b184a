import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/*
 * Files a release names (attachments, translations) may come only from the release's own folder
 * or a folder the config allows (attachments.allowedDirs): a release is text anyone may write,
 * and whatever it names is mailed to a whole list. Paths are resolved with realpath, so a symlink
 * is judged by where it points. The identity (device, inode) found here is checked again when
 * the file is read for sending, so a file swapped after planning is never sent.
 */

/** Why a named file is refused; the loader adds the release file, line and field. */
export class ConfinementRefusal extends Error {}

/** A file that passed the checks: its real path and the identity it must still have when read. */
export interface ConfinedFile {
  realPath: string;
  bytes: number;
  dev: number;
  ino: number;
  /** Status change time: an inode number reused by a new file still differs here. */
  ctimeMs: number;
}

// Kernel views: never a document, whatever folder a release sits in.
const SYSTEM_TREES = ['/proc', '/sys', '/dev'];

/**
 * Resolves `written` against `baseDir` and returns the file only when its real path lies in one
 * of `roots` (folders), outside any dotfile or dot-folder below that root, and is a regular file;
 * otherwise throws ConfinementRefusal saying why and what to do.
 */
export async function confineFile(
  written: string,
  baseDir: string,
  roots: string[],
  what = 'file',
  outsideAdvice = 'copy the file next to the release, or add its folder to attachments.allowedDirs in the config',
): Promise<ConfinedFile> {
  const abs = resolve(baseDir, written);
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    throw new ConfinementRefusal(`${what} "${written}" not found (looked for ${abs})`);
  }
  const realRoots = await realRootsOf(roots);
  const root = realRoots.find((r) => inside(r, real));
  if (!root || SYSTEM_TREES.some((t) => inside(t, real))) {
    const via = real !== abs ? ` (it resolves to ${real})` : '';
    throw new ConfinementRefusal(
      `${what} "${written}" is outside the release's folder${via}; ${outsideAdvice}`,
    );
  }
  // A dotfile written as such, or reached through one (a hidden symlink), is refused both ways.
  const lexical = roots.map((r) => resolve(r)).find((r) => inside(r, abs));
  const hidden = hiddenPart(root, real) ?? (lexical ? hiddenPart(lexical, abs) : undefined);
  if (hidden) {
    throw new ConfinementRefusal(`${what} "${written}" is a hidden file or inside a hidden folder (${hidden}); such files (.env, .git) are never mailed: move the file to a visible name`);
  }
  const st = await stat(real);
  if (!st.isFile()) {
    throw new ConfinementRefusal(`${what} "${written}" is not a regular file (${kindOf(st)}); name a regular file`);
  }
  return { realPath: real, bytes: st.size, dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs };
}

/**
 * Reads a file confined earlier, only if it is still the same regular file (same device,
 * inode and change time, not a symlink now); throws ConfinementRefusal otherwise. Never blocks on a FIFO.
 */
export async function readConfinedFile(file: ConfinedFile, what = 'file'): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file.realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfinementRefusal(`${what} ${file.realPath} cannot be read (${code === 'ELOOP' ? 'it is now a symlink' : code})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== file.dev || st.ino !== file.ino || st.ctimeMs !== file.ctimeMs) {
      throw new ConfinementRefusal(`${what} ${file.realPath} was replaced since the release was loaded (${st.isFile() ? 'another file' : kindOf(st)})`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The release folder first, then the configured folders (absolute already, see validateConfig). */
export function attachmentRoots(releaseDir: string, allowedDirs: readonly string[]): string[] {
  return [releaseDir, ...allowedDirs.map((d) => resolve(d))];
}

async function realRootsOf(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    try {
      out.push(await realpath(r));
    } catch {
      out.push(resolve(r)); // a missing allowed folder matches nothing real
    }
  }
  return out;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function hiddenPart(root: string, path: string): string | undefined {
  return relative(root, path)
    .split(sep)
    .find((part) => part.startsWith('.') && part !== '');
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a plain file';
}
