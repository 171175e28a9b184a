import { createInterface } from 'node:readline/promises';
import { PresslineError } from '../errors.js';
import type { Progress } from '../send/sender.js';

/**
 * Asks on a terminal; off a terminal it never waits: without --yes it refuses, so nothing is
 * sent by a script that forgot to say so.
 */
export async function confirm(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new PresslineError('USAGE', 'not a terminal, so no one can confirm: pass --yes to send without asking');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A one-line live bar on stderr, only when stderr is a terminal. */
export function progressBar(total: number): { update(p: Progress): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  const render = (p: Progress) => {
    const c = p.counts;
    const settled = c.sent + c.bounced + c.blocked + c.failed + c.suppressed + c.skipped + c.unknown;
    const width = 24;
    const filled = total > 0 ? Math.round((settled / total) * width) : width;
    const elapsed = (Date.now() - p.startedAt.getTime()) / 1000;
    const rate = elapsed > 0 ? p.attemptsDone / elapsed : 0;
    const eta = rate > 0 ? ((total - settled) / rate) * 1000 : Infinity;
    const wait = p.waitingUntil ? `  waiting for retries until ${p.waitingUntil.toLocaleTimeString()}` : '';
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${settled}/${total}  sent ${c.sent}  deferred ${c.deferred}  bounced ${c.bounced + c.blocked}  failed ${c.failed}  ${rate.toFixed(1)}/s  ETA ${formatDuration(eta)}${wait}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
  };
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      render(p);
    },
    done() {
      process.stderr.write('\r\x1b[2K');
    },
  };
}
