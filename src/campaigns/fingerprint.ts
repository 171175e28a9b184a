import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * A digest of every file that shapes the message (release, translations, template), taken at
 * planning: a resume that would send a different text than the first recipients got is refused.
 * Lists are fingerprinted too, and a list may be hundreds of megabytes (5,000 columns), so files
 * are hashed as they stream in, never read whole.
 */
export async function fingerprintFiles(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(file).update('\0');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}
