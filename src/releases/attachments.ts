import { PresslineError } from '../errors.js';
import { ConfinementRefusal, readConfinedFile } from './confine.js';
import type { ReleaseAttachment } from './types.js';

/** An attachment's bytes as read for sending: what the message carries, never a path. */
export interface AttachmentContent {
  filename: string;
  content: Buffer;
}

/**
 * Reads every attachment through the confinement check made when the release was loaded
 * (same regular file, same inode, no symlink now): a file swapped after planning is refused
 * with PresslineError('RELEASE_INVALID') instead of being mailed.
 */
export async function readAttachmentContents(attachments: readonly ReleaseAttachment[]): Promise<AttachmentContent[]> {
  const out: AttachmentContent[] = [];
  for (const a of attachments) out.push({ filename: a.filename, content: await readAttachment(a) });
  return out;
}

/** Throws PresslineError('RELEASE_INVALID') unless the attachment can be read as loaded (the preflight's check). */
export async function checkAttachment(a: ReleaseAttachment): Promise<void> {
  await readAttachment(a);
}

async function readAttachment(a: ReleaseAttachment): Promise<Buffer> {
  try {
    return await readConfinedFile({ realPath: a.path, bytes: a.bytes, dev: a.dev, ino: a.ino, ctimeMs: a.ctimeMs }, `attachment "${a.filename}"`);
  } catch (err) {
    const why = err instanceof ConfinementRefusal ? err.message : `attachment "${a.filename}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    throw new PresslineError('RELEASE_INVALID', `${why}; put the file back or fix its permissions, or remove it from the release's attachments`, { file: a.path });
  }
}

// MIME carries a file as base64: 4 bytes for 3, plus CRLF after every 76 characters.
const BASE64_GROWTH = (4 / 3) * (78 / 76);

/**
 * The plan's line: each attachment with its size, and roughly how large one message is
 * (`bodyBytes`: the rendered HTML and text of one copy), e.g.
 * `factsheet.pdf 120 kB, photo.jpg 2.1 MB; message about 3.0 MB`.
 */
export function describeAttachments(attachments: readonly ReleaseAttachment[], bodyBytes: number): string {
  if (attachments.length === 0) return `none; message about ${formatBytes(bodyBytes)}`;
  const files = attachments.map((a) => `${a.filename} ${formatBytes(a.bytes)}`).join(', ');
  const total = bodyBytes + attachments.reduce((n, a) => n + a.bytes * BASE64_GROWTH, 0);
  return `${files}; message about ${formatBytes(total)}`;
}

/** Bytes as people read them: `512 B`, `120 kB`, `2.1 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  if (n >= 1000) return `${(n / 1000).toFixed(0)} kB`;
  return `${Math.round(n)} B`;
}
