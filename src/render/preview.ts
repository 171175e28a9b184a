import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Contact } from '../lists/contact.js';

/** The recipient previews are addressed to when no contact is chosen: every merge field empty. */
export function placeholderContact(email = 'journalist@example.com'): Contact {
  const [local = 'journalist', domain = 'example.com'] = email.split('@');
  return {
    email,
    key: `${local.toLowerCase()}@${domain.toLowerCase()}`,
    domain: domain.toLowerCase(),
    firstName: '',
    lastName: '',
    outlet: '',
    tags: [],
    language: '',
    country: '',
    timeZone: '',
    extra: {},
    source: { file: '(preview)', line: 0 },
  };
}

/** One variant's preview to write: its bodies and the complete message (built by the caller). */
export interface Preview {
  language: string;
  html: string;
  text: string;
  eml: Buffer;
}

/** One written preview: the variant and the three files. */
export interface PreviewFiles {
  language: string;
  html: string;
  text: string;
  eml: string;
}

/** Writes a batch of files; given all at once so it can refuse before writing any. */
export type WriteFiles = (files: { path: string; data: string | Buffer }[]) => void | Promise<void>;

/**
 * Writes `<out>/<lang>.html`, `.txt` and `.eml` for each preview. The .eml is a complete message
 * a mail client opens. Every file is known before `write` (default: plain writes) sees any.
 */
export async function writePreviews(previews: readonly Preview[], options: { out: string; write?: WriteFiles }): Promise<PreviewFiles[]> {
  await mkdir(options.out, { recursive: true });
  const pending: { path: string; data: string | Buffer }[] = [];
  const written: PreviewFiles[] = [];
  for (const preview of previews) {
    const base = join(options.out, preview.language);
    const files = { language: preview.language, html: `${base}.html`, text: `${base}.txt`, eml: `${base}.eml` };
    pending.push({ path: files.html, data: preview.html }, { path: files.text, data: preview.text }, { path: files.eml, data: preview.eml });
    written.push(files);
  }
  if (options.write) await options.write(pending);
  else for (const f of pending) await writeFile(f.path, f.data);
  return written;
}
