/**
 * Which extra list columns a campaign keeps with each recipient. A contact carries its extra columns
 * as object properties: a 5,000-column list stored whole costs gigabytes when planned and sent
 * (issue 15), yet a release merges a handful. So planning keeps only the columns the release's merge
 * fields read (subject, bodies, every variant, both sides of an embargo) and records them in the
 * campaign; sending checks that the release it compiles reads no other, so nothing it merges is lost.
 */
import { PresslineError } from '../errors.js';
import type { CompiledRelease } from '../render/types.js';

/** The list's extra columns (headers as written) that any of these compilations merges, in list order. */
export function columnsRead(compilations: readonly CompiledRelease[], columns: readonly string[]): string[] {
  const read = new Set<string>();
  for (const compiled of compilations) for (const variant of compiled.variants) for (const field of variant.fields) read.add(field);
  return columns.filter((c) => read.has(c));
}

/**
 * Throws REFUSED when the release merges (`merged`, see columnsRead) a list column the campaign's
 * recipients were stored without: it was edited after planning. `kept` undefined: planned before
 * columns were chosen, every column was stored.
 */
export function assertColumnsKept(campaignId: number, merged: readonly string[], kept: readonly string[] | undefined): void {
  if (kept === undefined) return;
  const keptSet = new Set(kept);
  const missing = merged.filter((c) => !keptSet.has(c));
  if (missing.length === 0) return;
  const names = missing.map((c) => JSON.stringify(c)).join(', ');
  throw new PresslineError(
    'REFUSED',
    `campaign ${campaignId}: the release now merges list column${missing.length === 1 ? '' : 's'} ${names}, which ${missing.length === 1 ? 'was' : 'were'} not stored with its recipients when it was planned (only the columns the release merged then are kept); cancel it with \`pressline cancel ${campaignId}\` and send again`,
  );
}
