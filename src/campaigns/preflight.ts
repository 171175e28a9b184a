import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Clock } from '../time/clock.js';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import { checkAttachment } from '../releases/attachments.js';
import { loadRelease } from '../releases/load.js';
import type { Release } from '../releases/types.js';
import { compileRelease } from '../render/compile.js';
import type { CompiledRelease } from '../render/types.js';
import { requireSecret, requireSender } from '../send/compose.js';
import { readDkimKey } from '../send/dkim.js';
import { checkSmtpUrl, resolveRelay } from '../send/smtp.js';
import type { Campaign, CampaignPhase } from '../store/types.js';
import { transition, type LifecycleDeps } from './lifecycle.js';
import { fingerprintFiles } from './fingerprint.js';
import { assertColumnsKept, columnsRead } from './kept-columns.js';
import { releaseFiles, templatePath, type Plan } from './plan.js';

/*
 * Everything a send needs that would otherwise fail only when it starts (or at every message):
 * checked before a campaign is stored or scheduled, and again by a worker before it starts one.
 * The send-time code calls the same checks (requireSecret, readDkimKey, checkSmtpUrl,
 * resolveRelay), so the two can never disagree.
 */

export interface PreflightDeps {
  config: Config;
  env: Env;
  clock: Clock;
}

/** One send to check: the release, how it is rendered, when and through which relay it goes. */
export interface PreflightTarget {
  release: Release;
  templateFile: string;
  /** The list's extra columns (merge fields). */
  columns: string[];
  /** An embargoed phase only ever goes out embargoed, a public one only lifted. */
  phase?: CampaignPhase | undefined;
  /** The earliest moment it may start (default: now). */
  startsAt?: Date | undefined;
  /** The form of the copy the caller compiled already (the plan's): not compiled again. */
  compiled?: CompiledRelease | undefined;
  /** A relay from config `relays` instead of SMTP_URL (`worker --relay`). */
  relay?: string | undefined;
  /** A stored campaign's recipients carry only these extra columns (see kept-columns.ts). */
  kept?: { campaignId: number; columns: string[] } | undefined;
}

/** Collects PresslineErrors from checks run one after the other; anything else is a bug and is thrown. */
function problemCollector(): { problems: PresslineError[]; check(fn: () => unknown): Promise<void> } {
  const problems: PresslineError[] = [];
  return {
    problems,
    async check(fn) {
      try {
        await fn();
      } catch (err) {
        if (!(err instanceof PresslineError)) throw err;
        problems.push(err);
      }
    },
  };
}

/**
 * The problems of this process's settings, whatever the release: secret, DKIM key, relay or
 * SMTP_URL (or the outbox folder). A worker checks these when it starts.
 */
export async function settingsProblems(deps: Omit<PreflightDeps, 'clock'>, options: { relay?: string | undefined } = {}): Promise<PresslineError[]> {
  const { config, env } = deps;
  const { problems, check } = problemCollector();
  await check(() => requireSecret(config, env.secret));
  if (config.dkim) await check(() => readDkimKey(config.dkim!.privateKeyFile));
  if (options.relay !== undefined) await check(() => resolveRelay(config, env, options.relay!));
  else if (env.smtpUrl) await check(() => checkSmtpUrl(env.smtpUrl!));
  else await check(() => checkOutbox(config.paths.outbox));
  return problems;
}

/** Every problem that stops this send, each a PresslineError with a one-line message; [] when it can go. */
export async function preflightProblems(deps: PreflightDeps, target: PreflightTarget): Promise<PresslineError[]> {
  const { config } = deps;
  const { problems, check } = problemCollector();
  await check(() => requireSender(target.release.variants[0]?.from ?? config.from));
  problems.push(...(await settingsProblems(deps, { relay: target.relay })));
  for (const a of target.release.attachments) await check(() => checkAttachment(a));
  for (const at of copiesToCompile(target, deps.clock.now())) {
    await check(async () => {
      const compiled = await compileRelease(target.release, { config, now: at, columns: target.columns, templateFile: target.templateFile });
      if (target.kept) assertColumnsKept(target.kept.campaignId, columnsRead([compiled], target.columns), target.kept.columns);
    });
  }
  return problems;
}

/**
 * The instants whose copy must compile: before the lift the embargoed copy, from the lift on the
 * lifted one (a send started before the lift and resumed after it renders both), minus the form
 * the caller compiled already.
 */
function copiesToCompile(target: PreflightTarget, now: Date): Date[] {
  const startsAt = target.startsAt && target.startsAt > now ? target.startsAt : now;
  const lift = target.release.embargo?.instant;
  const instants: Date[] = [];
  if (!lift) instants.push(startsAt);
  else {
    if (target.phase !== 'public' && startsAt < lift) instants.push(startsAt);
    if (target.phase !== 'embargoed') instants.push(startsAt < lift ? lift : startsAt);
  }
  const done = target.compiled;
  return done ? instants.filter((at) => (lift !== undefined && at < lift) !== done.embargoed) : instants;
}

/** Without SMTP_URL messages become files: the outbox folder must exist or be creatable, and be writable. */
async function checkOutbox(dir: string): Promise<void> {
  // The nearest part of the path that exists decides: mkdir -p creates the rest at the first message.
  let at = resolve(dir);
  for (;;) {
    try {
      const st = await stat(at);
      if (!st.isDirectory()) throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' });
      await access(at, constants.W_OK);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      throw new PresslineError('CONFIG_INVALID', `no SMTP_URL is set, so messages are written to the outbox folder, which cannot be written (${code ?? (err as Error).message} at ${at}); fix paths.outbox or set SMTP_URL`, { file: 'config', field: 'paths.outbox' });
    }
  }
}

/** Throws unless `problems` is empty: the one problem as it is, several as one line each. */
export function refuseUnlessClear(problems: PresslineError[], stopped = 'this send'): void {
  const unique = [...new Map(problems.map((p) => [p.message, p])).values()];
  if (unique.length === 0) return;
  if (unique.length === 1) throw unique[0]!;
  throw new PresslineError('CONFIG_INVALID', `${unique.length} problems stop ${stopped}; fix them first:\n${unique.map((p) => `  - ${p.message}`).join('\n')}`);
}

/** The problems of a planned send (`send`, `send --dry-run`, `send --test-to`, each phase of `schedule`); stores nothing. */
export async function preflightPlan(deps: PreflightDeps, plan: Plan, extra: { phase?: CampaignPhase; startsAt?: Date } = {}): Promise<PresslineError[]> {
  return preflightProblems(deps, {
    release: plan.release,
    templateFile: templatePath(deps.config, plan.input.templateFile),
    columns: plan.report.columns,
    compiled: plan.compiled,
    ...extra,
  });
}

/**
 * Checks a stored campaign the way it would start now (a worker's due campaign, `resume`):
 * the release as it is on disk, the campaign's template and columns, this process's secrets.
 */
export async function preflightCampaign(deps: PreflightDeps, campaign: Campaign, options: { relay?: string | undefined; acceptChanges?: boolean } = {}): Promise<PresslineError[]> {
  let release: Release;
  try {
    release = await loadRelease(campaign.releaseFile, deps.config);
  } catch (err) {
    if (err instanceof PresslineError) return [err];
    throw err;
  }
  const templateFile = templatePath(deps.config, campaign.options.templateFile);
  const problems = await preflightProblems(deps, {
    release,
    templateFile,
    columns: campaign.options.columns ?? [],
    phase: campaign.phase,
    relay: options.relay,
    kept: campaign.options.keptColumns ? { campaignId: campaign.id, columns: campaign.options.keptColumns } : undefined,
  });
  // The same guard runCampaign applies once a campaign has started (see textChangedError).
  if (campaign.startedAt && !options.acceptChanges && (await fingerprintFiles(releaseFiles(release, templateFile))) !== campaign.options.fingerprint) {
    problems.push(textChangedError(campaign.id));
  }
  return problems;
}

/** The refusal to go on with a started campaign whose release or template changed: the rest of the list would get another text. */
export function textChangedError(campaignId: number): PresslineError {
  return new PresslineError(
    'REFUSED',
    `the release or template changed since campaign ${campaignId} was planned, so the rest of the list would get a different text; restore them, or \`pressline resume ${campaignId} --accept-changes\` to send the new text anyway`,
  );
}

/**
 * A due campaign that cannot start is held for a person, with the reason, instead of being
 * tried again at every poll. False when it was no longer scheduled or sending.
 */
export async function holdUnstartable(deps: LifecycleDeps, campaignId: number, now: Date, reason: string): Promise<boolean> {
  return transition(deps, campaignId, 'pause', now, { reason });
}

/** The reason stored with a campaign held by holdUnstartable: who could not start it, each problem, then what to run. */
export function unstartableReason(campaignId: number, problems: PresslineError[], worker?: string): string {
  const lines = [...new Set(problems.map((p) => p.message))];
  return `cannot start${worker ? ` on worker ${worker}` : ''}: ${lines.join('; ')}; once fixed, \`pressline resume ${campaignId} --workers\``;
}
