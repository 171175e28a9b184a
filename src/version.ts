import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * pressline's version from its package.json, found by walking up from this module (src/ when run
 * from source, dist/src/ when built), so the number is never written down twice.
 */
export function presslineVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pressline' && pkg.version) return pkg.version;
    } catch {
      // No package.json here: look one folder up.
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
