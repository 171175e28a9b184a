import { preparePlan, persistPlan, type Plan, type PlanInput, type PlanningDeps } from '../campaigns/plan.js';
import type { TrackChoice } from '../engagement/settings.js';
import { PresslineError } from '../errors.js';
import { noPublicPhaseWarning } from '../newsroom/publish.js';
import { loadRelease } from '../releases/load.js';
import type { CampaignPhase } from '../store/types.js';
import { parseAt, type ParsedAt } from './at.js';
import { checkSchedule } from './guards.js';
import { nextLocalTime } from '../time/local-time.js';

export interface ScheduleInput {
  releaseFile: string;
  /** A single scheduled send to these lists… */
  lists?: string[] | undefined;
  /** …or an embargoed release in two phases: the embargoed audience ahead of time… */
  embargoed?: string[] | undefined;
  /** …and the public audience at the lift (or at `publicAt`). */
  public?: string[] | undefined;
  at: string;
  publicAt?: string | undefined;
  where: string[];
  encoding?: string | undefined;
  skipInvalid: boolean;
  pace?: Record<string, unknown>;
  /** "09:00": each journalist gets it at that time in their own zone (list column, else config). */
  localTime?: string | undefined;
}

/** One phase as it will be stored, with its plan for the confirmation prompt. */
export interface PhasePlan {
  phase: CampaignPhase;
  at: ParsedAt;
  plan: Plan;
}

export interface SchedulePlan {
  phases: PhasePlan[];
  warnings: string[];
  localTime: string | undefined;
}

/**
 * Plans a scheduled send (or both phases of an embargoed one) and checks the embargo guards:
 * an embargoed phase strictly before the lift, a public phase not before it, and a warning
 * when journalists get less than the configured lead time. Stores nothing.
 */
export async function planSchedule(input: ScheduleInput, deps: PlanningDeps): Promise<SchedulePlan> {
  const { config, clock } = deps;
  const release = await loadRelease(input.releaseFile, config);
  const embargo = release.embargo;
  const context = { now: clock.now(), embargo, defaultZone: config.defaultTimeZone };
  const twoPhase = input.embargoed !== undefined || input.public !== undefined;
  if (twoPhase && input.lists?.length) {
    throw new PresslineError('USAGE', 'give either --list (one scheduled send) or --embargoed and --public (two phases), not both');
  }
  if (twoPhase && (!input.embargoed?.length || !input.public?.length)) {
    throw new PresslineError('USAGE', 'a two-phase send needs both --embargoed <lists> (sent at --at) and --public <lists> (sent at the lift)');
  }
  if (input.localTime && (twoPhase || embargo)) {
    throw new PresslineError('USAGE', '--local-time is for releases without an embargo: an embargo is one instant for everyone');
  }
  if (input.localTime) nextLocalTime(input.localTime, config.defaultTimeZone, context.now); // validates hh:mm now, not at send time
  if (!twoPhase && !input.lists?.length) {
    throw new PresslineError('USAGE', 'say who gets it: --list <file...>, or --embargoed <file...> with --public <file...>');
  }
  const wanted: { phase: CampaignPhase; lists: string[]; at: string }[] = twoPhase
    ? [
        { phase: 'embargoed', lists: input.embargoed!, at: input.at },
        { phase: 'public', lists: input.public!, at: input.publicAt ?? 'embargo' },
      ]
    : [{ phase: 'single', lists: input.lists!, at: input.at }];

  const phases: PhasePlan[] = [];
  const warnings: string[] = [];
  for (const w of wanted) {
    const at = parseAt(w.at, context);
    const check = checkSchedule(w.phase, at.instant, embargo, config.embargo.minLeadHours);
    if (!check.ok) throw new PresslineError('REFUSED', check.reason);
    warnings.push(...check.warnings);
    const planInput: PlanInput = { releaseFile: input.releaseFile, lists: w.lists, where: input.where, encoding: input.encoding, skipInvalid: input.skipInvalid };
    phases.push({ phase: w.phase, at, plan: await preparePlan(planInput, deps) });
    const unpublished = w.phase === 'single' ? noPublicPhaseWarning(config, release, input.releaseFile, at.instant) : undefined;
    if (unpublished) warnings.push(unpublished);
  }
  return { phases, warnings: [...new Set(warnings)], localTime: input.localTime };
}

/** Stores the planned phases as scheduled campaigns; the public phase skips the embargoed audience. */
export async function storeSchedule(plan: SchedulePlan, deps: PlanningDeps, pace: Record<string, unknown> = {}, guard: { again?: boolean; newOnly?: boolean; track?: TrackChoice } = {}): Promise<number[]> {
  const ids: number[] = [];
  let embargoedId: number | undefined;
  for (const p of plan.phases) {
    const id = await persistPlan(p.plan, deps, {
      options: { pace, track: guard.track },
      status: 'scheduled',
      scheduledAt: p.at.instant,
      scheduleZone: p.at.zone,
      phase: p.phase,
      groupId: embargoedId,
      localTime: plan.localTime,
      again: guard.again,
      newOnly: guard.newOnly,
    });
    if (p.phase === 'embargoed') embargoedId = id;
    ids.push(id);
  }
  return ids;
}
