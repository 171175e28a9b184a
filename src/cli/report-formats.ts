import type { ReportEntry } from '../reports/delivery-report.js';
import { toCsv } from '../reports/csv.js';
import { statusWord } from '../send/outbox-relay.js';
import { table } from './output.js';

/**
 * `report --format csv`: the JSON fields, with `after` spread over its own columns. New columns
 * go at the end so spreadsheets and scripts that read columns by position keep working.
 */
export function reportCsv(entries: ReportEntry[]): string {
  return toCsv(
    ['email', 'status', 'attempts', 'code', 'enhanced', 'response', 'messageId', 'updatedAt', 'language', 'outlet', 'domain', 'worker', 'relay', 'reason', 'after', 'afterAt', 'afterCode', 'afterEnhanced', 'afterDiagnostic'],
    entries.map((e) => [
      e.email, e.status, e.attempts, e.code, e.enhanced, e.response, e.messageId, e.updatedAt, e.language, e.outlet, e.domain, e.worker, e.relay,
      e.reason, e.after?.kind, e.after?.at, e.after?.code, e.after?.enhanced, e.after?.diagnostic,
    ]),
  );
}

const squeeze = (text: string | null | undefined, max: number) => (text ?? '').replace(/\s+/g, ' ').slice(0, max);

/** "bounced 550 5.2.1 2026-12-01 10:00": what came after delivery, short enough for a column. */
function afterCell(a: ReportEntry['after']): string {
  if (!a) return '';
  return [a.kind, a.code, a.enhanced, a.at.slice(0, 16).replace('T', ' ')].filter((x) => x !== null && x !== undefined).join(' ');
}

/**
 * `report` for people: `code` is the SMTP basic code and `enhanced` the enhanced status, as in
 * JSON and CSV; a skipped or suppressed row shows why in place of a reply it never had.
 */
export function reportTable(entries: ReportEntry[]): string {
  // Who sent it and through which relay matters once several workers or relays shared the campaign.
  const via = new Set(entries.filter((e) => e.worker).map((e) => `${e.worker} ${e.relay}`)).size > 1;
  return table(
    ['email', 'status', 'tries', 'code', 'enhanced', 'reply or reason', 'after delivery', 'updated', ...(via ? ['worker', 'relay'] : [])],
    entries.map((e) => [
      e.email, statusWord(e.status, e.relay ?? undefined), e.attempts, e.code ?? '', e.enhanced ?? '', e.reason ? squeeze(e.reason, 100) : squeeze(e.response, 60), afterCell(e.after), e.updatedAt.slice(0, 19).replace('T', ' '),
      ...(via ? [e.worker ?? '', e.relay ?? ''] : []),
    ]),
  );
}
