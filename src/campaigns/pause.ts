import type { PauseCause } from '../send/sender.js';
import type { Campaign, PauseKind } from '../store/types.js';
import { transition, type LifecycleDeps } from './lifecycle.js';

// Relay recovery's campaign changes (a pause with its kind, a worker's resume, an operator's pause
// over a relay pause), each one lifecycle transition.

/** "2026-12-01 14:43:05 UTC". */
export function utcSecond(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The stored kind for a run's pause, or undefined when someone else already recorded it. */
export function pauseKindFor(cause: PauseCause | undefined, autoResume: boolean): PauseKind | undefined {
  switch (cause) {
    case 'relay':
      return autoResume ? 'relay' : 'relay-held';
    case 'refusing':
      // The relay answers but refuses most messages for good: a probe cannot tell it is fixed.
      return 'relay-held';
    case 'credentials':
    case 'interrupted':
    case 'store':
      return cause;
    case 'recorded':
      return undefined;
    case undefined:
      return 'interrupted';
    default: {
      const never: never = cause;
      throw new Error(`unhandled pause cause ${String(never)}`);
    }
  }
}

/**
 * The stored reason of a relay pause: it starts with what people need to read first ("relay
 * unreachable since 2026-12-01 14:43:05 UTC"), then who resumes it, then the breaker's words.
 */
export function relayPauseReason(kind: 'relay' | 'relay-held', since: Date, detail: string, campaignId: number): string {
  const what = /connection failures in a row/.test(detail) ? 'relay unreachable' : 'relay failing';
  const who = kind === 'relay' ? 'workers resume it when the relay answers' : `continue with: pressline resume ${campaignId}`;
  return `${what} since ${utcSecond(since)}; ${who} (${detail})`;
}

/**
 * Records the end of a run that paused, with its kind and instant (only from `sending`: a pause
 * already recorded by an operator or another worker is left as it is). Returns the kind stored,
 * or undefined when nothing was recorded.
 */
export async function recordRunPause(
  deps: LifecycleDeps,
  campaignId: number,
  now: Date,
  run: { reason: string | undefined; pause?: PauseCause | undefined },
  autoResume: boolean,
): Promise<PauseKind | undefined> {
  const kind = pauseKindFor(run.pause, autoResume);
  if (!kind) return undefined;
  const reason = kind === 'relay' || kind === 'relay-held' ? relayPauseReason(kind, now, run.reason ?? 'circuit breaker', campaignId) : run.reason;
  return (await transition(deps, campaignId, 'pauseRun', now, { reason, pause: kind })) ? kind : undefined;
}

/**
 * A worker's resume after its probe found the relay answering: only a campaign still paused for
 * relay trouble by a worker moves (so of several workers one resumes it, and an operator's pause
 * is never undone). Returns whether this call resumed it.
 */
export function resumeAfterRelayProbe(deps: LifecycleDeps, campaignId: number, now: Date, reason: string): Promise<boolean> {
  return transition(deps, campaignId, 'resumeAfterRelay', now, { reason });
}

/**
 * `pressline pause`: a campaign that is sending, scheduled or a draft pauses; one that workers
 * would resume after a relay outage becomes the operator's, so no worker resumes it. Returns
 * what happened, or undefined when there was nothing to pause.
 */
export async function pauseByOperator(deps: LifecycleDeps, campaignId: number, now: Date): Promise<'paused' | 'taken-over' | undefined> {
  const reason = 'paused by an operator';
  if (await transition(deps, campaignId, 'pause', now, { reason, pause: 'operator' })) return 'paused';
  if (await transition(deps, campaignId, 'takeOverRelayPause', now, { reason, pause: 'operator' })) return 'taken-over';
  return undefined;
}

/**
 * A receiving server refused our sender (its domain, SPF/DKIM/DMARC, our IP): every later message
 * would meet the same refusal, and no journalist is to blame. The campaign pauses with what the
 * server said; a person fixes the sender and resumes. Returns the reason recorded when this call
 * paused it; undefined when it did not (a campaign already paused, done or cancelled stays as it is).
 */
export async function pauseForSenderProblem(deps: LifecycleDeps, campaignId: number, now: Date, report: { recipient: string; status?: string | undefined; diagnostic?: string | undefined }): Promise<string | undefined> {
  // The server's words are untrusted: one line, no control characters, bounded.
  const said = [report.status, report.diagnostic].filter(Boolean).join(' ').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  const reason = `sender refused by the server of ${report.recipient}${said ? `: ${said}` : ''}; fix the sender (domain, SPF/DKIM, IP), then: pressline resume ${campaignId}`;
  return (await transition(deps, campaignId, 'pause', now, { reason, pause: 'sender' })) ? reason : undefined;
}

/**
 * What a listing shows after "paused: " for a paused campaign: the stored reason, a relay pause
 * cut to its first clause ("relay unreachable since 2026-12-01 14:43:05 UTC"); undefined when
 * the campaign is not paused.
 */
export function pauseHeadline(c: Pick<Campaign, 'status' | 'statusReason' | 'pausedKind'>): string | undefined {
  if (c.status !== 'paused') return undefined;
  if (c.pausedKind === 'relay' || c.pausedKind === 'relay-held') return c.statusReason?.split('; ')[0];
  return c.statusReason ?? 'no reason recorded';
}

/** Campaigns that workers are to probe the relay for and resume. */
export function awaitingRelay(campaigns: readonly Campaign[]): Campaign[] {
  return campaigns.filter((c) => c.status === 'paused' && c.pausedKind === 'relay');
}
