import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * A digest of every file that shapes the message (release, translations, template), taken at
 * planning: a resume that would send a different text than the first recipients got is refused.
 */
export async function fingerprintFiles(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(file).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}
