import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import { siteFiles } from './site.js';

/**
 * The file a URL path is written to: a folder's `index.html` for `/news/` and for a page
 * (`/news/<slug>` → `news/<slug>/index.html`, which any web host serves at that URL), the name
 * itself for the feed and the stylesheet.
 */
export function fileFor(dir: string, urlPath: string): string {
  const parts = urlPath.split('/').filter((p) => p !== '');
  const last = parts.at(-1) ?? '';
  const named = /\.(atom|css)$/.test(last);
  const file = resolve(dir, ...parts, ...(named ? [] : ['index.html']));
  // Paths come from config and hex/ASCII page names, but a file outside `dir` is never written.
  if (!file.startsWith(resolve(dir) + sep)) throw new Error(`refusing to write outside ${dir}: ${urlPath}`);
  return file;
}

/**
 * Writes the newsroom as static files under `dir` (each to a temporary name, then renamed over
 * the old one, so a web host never serves half a file), then deletes the files of `stale` URL
 * paths the site no longer has (a removed page, and its folder once empty). Returns the files written.
 */
export async function writeStaticSite(store: Store, config: Config, dir: string, now: Date, stale: string[] = []): Promise<string[]> {
  const written: string[] = [];
  for (const f of await siteFiles(store, config, now)) {
    const file = fileFor(dir, f.urlPath);
    await mkdir(dirname(file), { recursive: true });
    const temp = join(dirname(file), `.${process.pid}-${Date.now()}.tmp`);
    await writeFile(temp, f.body, 'utf8');
    await rename(temp, file);
    written.push(file);
  }
  for (const urlPath of stale) {
    const file = fileFor(dir, urlPath);
    if (written.includes(file)) continue;
    await rm(file, { force: true });
    // A page's folder held only its index.html; a language folder that still has files stays.
    await rmdir(dirname(file)).catch(() => undefined);
  }
  return written;
}
