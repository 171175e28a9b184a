import { resolve } from 'node:path';
import type { Clock } from '../time/clock.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import { loadLists, MAX_NAME_CHARS, type ListReport } from '../lists/load.js';
import { loadRelease } from '../releases/load.js';
import type { Release } from '../releases/types.js';
import { compileRelease } from '../render/compile.js';
import { clipWarnings, htmlSizes } from './message-size.js';
import type { CompiledRelease } from '../render/types.js';
import { messageIdFor } from '../mime/message-id.js';
import { nextLocalTime } from '../time/local-time.js';
import type { CampaignPhase, PlanConflict, ReleaseIdentity, SkippedRow, Store } from '../store/types.js';
import { fingerprintFiles } from './fingerprint.js';
import { assertColumnsKept, columnsRead } from './kept-columns.js';
import { withTrackingColumn } from '../engagement/do-not-track.js';
import { finishPlanning } from './lifecycle.js';
import { acquireOrTakeOver } from './lease.js';
import { newOwnerId } from '../process/owner.js';
import type { CampaignOptions } from '../store/campaign-options.js';

export interface PlanInput {
  releaseFile: string;
  lists: string[];
  where: string[];
  encoding?: string | undefined;
  /** Send to the valid rows of a list that has invalid ones, recording the rest as skipped. */
  skipInvalid: boolean;
  templateFile?: string | undefined;
}

/** What a campaign would do, computed before anything is stored or sent. */
export interface Plan {
  input: PlanInput;
  release: Release;
  compiled: CompiledRelease;
  report: ListReport;
  /** The list's extra columns the release merges: the only ones stored with each recipient. */
  mergeColumns: string[];
  /** Contacts that will be mailed (valid, unique, in the segment, not suppressed). */
  recipients: number;
  suppressed: number;
  perLanguage: Record<string, number>;
  /** Recipients per receiving domain, for the estimate at the rates the send will use (see estimate.ts). */
  perDomain: Map<string, number>;
  fingerprint: string;
  /** Other campaigns of this release that reached, or may still reach, some of these recipients. */
  overlap: PlanConflict[];
  /** Recipients another campaign of this release already reached (what --new-only leaves out). */
  alreadyHad: number;
  /** Recipients another campaign of this release has not reached yet but may still send to. */
  stillComing: number;
  warnings: string[];
  /** Each variant's HTML size for a sample contact (Gmail clips above 102 kB). */
  htmlBytes: { language: string; bytes: number }[];
}

const CHUNK = 5_000;

/** Files whose content shapes the message, for the campaign's fingerprint. */
export function releaseFiles(release: Release, templateFile: string): string[] {
  return [...new Set([...release.variants.map((v) => v.file), templateFile])];
}

export function templatePath(config: Config, override?: string): string {
  return override ?? `${config.templates.dir}/${config.templates.layout}`;
}

/**
 * First pass: reads the release and the lists, compiles every language variant (so an unknown
 * merge field stops here), and counts who would get what. Stores nothing.
 */
export async function preparePlan(input: PlanInput, deps: { config: Config; store: Store; clock: Clock }): Promise<Plan> {
  const { config, store, clock } = deps;
  const release = await loadRelease(input.releaseFile, config);
  const templateFile = templatePath(config, input.templateFile);
  const fingerprint = await fingerprintFiles(releaseFiles(release, templateFile));
  const suppressedKeys = await store.suppressedKeys();
  // Who other campaigns of this release reached or may still reach: said before anything is stored.
  const audience = await store.releaseAudience(releaseIdentity(input.releaseFile, fingerprint), 0);
  const overlap = new Map<number, PlanConflict>();
  let alreadyHad = 0;
  let stillComing = 0;
  const byContactLanguage = new Map<string, number>();
  const perDomain = new Map<string, number>();
  let recipients = 0;
  let suppressed = 0;
  const report = await loadLists(input.lists, {
    encoding: input.encoding,
    where: input.where,
    columns: new Set(), // counting reads no extra column
    onContact: (c) => {
      if (suppressedKeys.has(c.key)) {
        suppressed++;
        return;
      }
      const other = audience.get(c.key);
      if (other) {
        const o = overlap.get(other.campaignId) ?? { campaignId: other.campaignId, status: other.status, recipients: 0 };
        o.recipients++;
        overlap.set(other.campaignId, o);
        if (other.reached) alreadyHad++;
        else stillComing++;
      }
      recipients++;
      byContactLanguage.set(c.language, (byContactLanguage.get(c.language) ?? 0) + 1);
      perDomain.set(c.domain, (perDomain.get(c.domain) ?? 0) + 1);
    },
  });
  if (report.invalid.length > 0 && !input.skipInvalid) {
    const first = report.invalid.slice(0, 10).map((p) => `  ${p.file}:${p.line}: ${p.reason}`).join('\n');
    const more = report.invalid.length > 10 ? `\n  … and ${report.invalid.length - 10} more (pressline lists check shows all)` : '';
    throw new PresslineError(
      'LIST_INVALID',
      `${report.invalid.length} invalid row${report.invalid.length === 1 ? '' : 's'} in the list; fix them, or pass --skip-invalid to send to the valid rows and record the rest as skipped:\n${first}${more}`,
    );
  }
  const compileAt = (now: Date) => compileRelease(release, { config, now, columns: report.columns, templateFile });
  const compiled = await compileAt(clock.now());
  // A template may merge other fields once the embargo lifts ({% if notice.embargoed %}), and a
  // scheduled campaign may be compiled on the other side of it: keep what either side merges.
  const embargo = release.embargo;
  // A side that does not compile is not an error here: the preflight refuses it for the phases
  // that can go out on that side (an embargoed phase never goes out lifted).
  const otherSide = embargo && (await compileAt(compiled.embargoed ? embargo.instant : new Date(embargo.instant.getTime() - 1)).catch(() => undefined));
  // The list's `tracking` column is kept too: a tracked send reads it for each recipient (src/engagement/).
  const mergeColumns = withTrackingColumn(columnsRead(otherSide ? [compiled, otherSide] : [compiled], report.columns), report.columns);

  const perLanguage: Record<string, number> = {};
  for (const [language, n] of byContactLanguage) {
    const variant = compiled.pickVariant({ language } as Contact).language;
    perLanguage[variant] = (perLanguage[variant] ?? 0) + n;
  }

  const htmlBytes = htmlSizes(compiled);
  const warnings = [...release.warnings, ...clipWarnings(htmlBytes)];
  if (report.capped.length > 0) {
    const first = report.capped[0]!;
    const n = report.capped.length;
    warnings.push(`${n} name${n === 1 ? '' : 's'} in the list cut to ${MAX_NAME_CHARS} characters for the To: line, first ${first.file}:${first.line} (column ${JSON.stringify(first.column)}); \`pressline lists check\` lists them`);
  }
  return {
    input,
    release,
    compiled,
    report,
    mergeColumns,
    recipients,
    suppressed,
    perLanguage,
    perDomain,
    fingerprint,
    overlap: [...overlap.values()],
    alreadyHad,
    stillComing,
    warnings,
    htmlBytes,
  };
}

/** How a planned campaign is stored: sent now (draft), or scheduled, maybe as an embargo phase. */
export interface PersistOptions {
  options?: Record<string, unknown>;
  status?: 'draft' | 'scheduled';
  scheduledAt?: Date | undefined;
  scheduleZone?: string | undefined;
  phase?: CampaignPhase;
  /** Public phase: the embargoed phase's id; its audience is stored as `skipped` here. */
  groupId?: number | undefined;
  /** "09:00": hold each recipient until that time in their own zone (list column, else config). */
  localTime?: string | undefined;
  /** Send even to recipients another campaign of this release reached or is about to reach. */
  again?: boolean | undefined;
  /** Plan only recipients with no sent or unknown delivery of this release yet. */
  newOnly?: boolean | undefined;
  /** The planner's name in the campaign lease (tests); a fresh owner id otherwise. */
  owner?: string | undefined;
}

/** How long a planner's lease lasts; renewed with every chunk it stores. */
const PLANNING_LEASE_MS = 60_000;

/** What makes two campaigns "the same release" for the double-send guard. */
export function releaseIdentity(releaseFile: string, fingerprint: string): ReleaseIdentity {
  return { file: releaseFile, path: resolve(releaseFile), fingerprint };
}

/**
 * Second pass: the campaign row (status `planning`, with everything needed to finish planning
 * later: lists, filters, flags, the lists' fingerprint), then one delivery row per recipient,
 * then `finishPlanning` makes it `draft` or `scheduled` in one transaction. Until then no worker
 * or sender can claim a delivery of it; killed midway, `pressline resume` finishes the plan.
 */
/** What planning needs; `env.secret` keys the Message-IDs (random ones without it, see messageIdFor). */
export type PlanningDeps = { config: Config; store: Store; clock: Clock; env?: { secret: string | undefined } };

export async function persistPlan(plan: Plan, deps: PlanningDeps, extra: PersistOptions = {}): Promise<number> {
  const { store, clock } = deps;
  const input = plan.input;
  const now = clock.now();
  const options: PlanningOptions = {
    ...extra.options,
    fingerprint: plan.fingerprint,
    releasePath: resolve(input.releaseFile),
    listFingerprint: await fingerprintFiles(input.lists),
    columns: plan.report.columns,
    keptColumns: plan.mergeColumns,
    encoding: input.encoding,
    templateFile: input.templateFile,
    skipInvalid: input.skipInvalid,
    target: extra.status ?? 'draft',
    localTime: extra.localTime,
    again: extra.again,
    newOnly: extra.newOnly,
  };
  const campaignId = await store.createCampaign(
    {
      releaseFile: input.releaseFile,
      releaseTitle: plan.release.variants[0]!.title,
      lists: input.lists,
      where: input.where,
      test: false,
      status: 'planning',
      scheduledAt: extra.scheduledAt,
      scheduleZone: extra.scheduleZone,
      phase: extra.phase ?? 'single',
      groupId: extra.groupId,
      embargoAt: plan.release.embargo?.instant,
      embargoZone: plan.release.embargo?.zone,
      options,
    },
    now,
  );
  await storeRecipients(campaignId, plan, deps, options, extra.owner);
  return campaignId;
}

/** What persistPlan keeps in a campaign's options so that planning can be finished later. */
export interface PlanningOptions extends CampaignOptions {
  fingerprint: string;
  releasePath: string;
  listFingerprint: string;
  columns: string[];
  /** The extra columns stored with each recipient (see kept-columns.ts); absent: every column (older campaigns). */
  keptColumns?: string[] | undefined;
  encoding?: string | undefined;
  templateFile?: string | undefined;
  /** Set by versions whose test sends were campaigns: such a plan is never resumed (see resumePlanning). */
  testTo?: string | undefined;
  skipInvalid: boolean;
  target: 'draft' | 'scheduled';
  localTime?: string | undefined;
  again?: boolean | undefined;
  newOnly?: boolean | undefined;
}

/**
 * Stores the campaign's recipients (again: rows already stored are kept as they are, so this
 * finishes an interrupted plan) and ends planning. The planner holds the campaign's lease
 * meanwhile, so `campaigns` can tell a plan in progress from one whose planner died.
 */
async function storeRecipients(campaignId: number, plan: Plan, deps: PlanningDeps, options: CampaignOptions & Pick<PlanningOptions, 'target'>, ownerName?: string): Promise<void> {
  const { store, clock, config } = deps;
  const input = plan.input;
  const owner = ownerName ?? newOwnerId();
  const campaign = (await store.getCampaign(campaignId))!;
  const now = clock.now();
  if (!(await acquireOrTakeOver(store, campaignId, owner, now, PLANNING_LEASE_MS))) {
    const holder = await store.campaignOwner(campaignId);
    throw new PresslineError('REFUSED', `campaign ${campaignId} is being planned by ${holder?.owner ?? 'another process'}; wait for it, or cancel it with \`pressline cancel ${campaignId}\``);
  }
  try {
    const suppressedKeys = await store.suppressedKeys();
    // The other phase's audience (an embargoed release's public phase skips the embargoed one).
    const otherPhase = campaign.phase === 'public' && campaign.groupId !== undefined ? await store.deliveryKeys(campaign.groupId) : undefined;
    const otherPhaseReason = `gets the embargoed copy (campaign ${campaign.groupId}) instead`;
    const audience = options.newOnly ? await store.releaseAudience(releaseIdentity(input.releaseFile, plan.fingerprint), campaignId) : undefined;
    const notBefore = options.localTime && campaign.scheduledAt ? localTimeFor(options.localTime, campaign.scheduledAt, config.defaultTimeZone) : undefined;
    // Each recipient's Message-ID, fixed now so the send-time mark need not write it (see messageIdFor).
    const from = plan.release.variants[0]!.from ?? config.from;
    const identity = { instance: await store.instanceId(), secret: deps.env?.secret };
    const messageId = from ? (c: Contact) => messageIdFor(identity, campaignId, c.key, from.address) : undefined;
    let pending: Contact[] = [];
    let blocked: Contact[] = [];
    let other: Contact[] = [];
    let had: Contact[] = [];
    let writes = Promise.resolve();
    const flush = () => {
      const [p, b, o, h] = [pending, blocked, other, had];
      pending = [];
      blocked = [];
      other = [];
      had = [];
      writes = writes.then(async () => {
        if (p.length > 0) await store.addDeliveries(campaignId, p, 'pending', now, { notBefore, messageId });
        if (b.length > 0) await store.addDeliveries(campaignId, b, 'suppressed', now, { detail: 'on the suppression list when planned' });
        if (o.length > 0) await store.addDeliveries(campaignId, o, 'skipped', now, { detail: otherPhaseReason });
        if (h.length > 0) await store.addDeliveries(campaignId, h, 'skipped', now, { detail: 'already had this release from an earlier campaign (--new-only)' });
        // Still planning: the lease says so to anyone who looks (`campaigns`, a resume).
        await store.acquireCampaign(campaignId, owner, clock.now(), PLANNING_LEASE_MS);
      });
    };
    await loadLists(input.lists, {
      encoding: input.encoding,
      where: input.where,
      columns: options.keptColumns && new Set(options.keptColumns),
      onContact: (c) => {
        (suppressedKeys.has(c.key) ? blocked : otherPhase?.has(c.key) ? other : audience?.get(c.key)?.reached ? had : pending).push(c);
        if (pending.length + blocked.length + other.length + had.length >= CHUNK) flush();
      },
    });
    flush();
    await writes;
    // Skipped list rows are stored in one transaction: all of them, or none yet.
    if (input.skipInvalid && (await store.skipped(campaignId)).length === 0) {
      const skipped: SkippedRow[] = [
        ...plan.report.invalid.map((p) => ({ file: p.file, line: p.line, email: '', reason: p.reason })),
        ...plan.report.duplicates.map((d) => ({ file: d.file, line: d.line, email: d.email, reason: `duplicate of ${d.first.file}:${d.first.line}` })),
      ];
      if (skipped.length > 0) await store.addSkipped(campaignId, skipped, now);
    }
    await finishPlanning(deps, campaignId, options.target, clock.now(), {
      release: releaseIdentity(input.releaseFile, plan.fingerprint),
      again: Boolean(options.again),
    });
  } finally {
    await store.releaseCampaign(campaignId, owner);
  }
}

/**
 * Finishes planning a campaign whose planner stopped (killed, crashed): reads its lists again and
 * stores the recipients still missing, then makes it `draft` or `scheduled` as it was meant to
 * be. Refused while its planner is alive, and when a list changed since (`acceptChanges` to go
 * on with the lists as they are now). Returns the status it ended in.
 */
export async function resumePlanning(campaignId: number, deps: PlanningDeps, o: { acceptChanges?: boolean } = {}): Promise<'draft' | 'scheduled'> {
  const { store } = deps;
  const campaign = await store.getCampaign(campaignId);
  if (!campaign) throw new PresslineError('NOT_FOUND', `no campaign ${campaignId}; \`pressline campaigns\` lists them`);
  if (campaign.status !== 'planning') throw new PresslineError('REFUSED', `campaign ${campaignId} is ${campaign.status}, not planning`);
  const options = campaign.options;
  const target = options.target ?? 'draft'; // written by every planning
  if (options.testTo) {
    // Finished now, it would go to the whole list: test sends are no longer campaigns.
    throw new PresslineError('REFUSED', `campaign ${campaignId} is an interrupted test send of an older pressline; cancel it (\`pressline cancel ${campaignId}\`) and send the test again with --test-to`);
  }
  const input: PlanInput = {
    releaseFile: campaign.releaseFile,
    lists: campaign.lists,
    where: campaign.where,
    encoding: options.encoding,
    skipInvalid: Boolean(options.skipInvalid),
    templateFile: options.templateFile,
  };
  if (!o.acceptChanges && (await fingerprintFiles(input.lists).catch(() => undefined)) !== options.listFingerprint) {
    throw new PresslineError(
      'REFUSED',
      `a list of campaign ${campaignId} changed (or is gone) since its planning was interrupted: ${input.lists.join(', ')}; pass --accept-changes to plan from the lists as they are now, or cancel it with \`pressline cancel ${campaignId}\``,
    );
  }
  const plan = await preparePlan(input, deps);
  if (plan.fingerprint !== options.fingerprint && !o.acceptChanges) {
    throw new PresslineError('REFUSED', `the release or template changed since campaign ${campaignId} was planned; pass --accept-changes to plan the new text`);
  }
  // Recipients stored before the interruption carry only the columns kept then.
  assertColumnsKept(campaignId, plan.mergeColumns, options.keptColumns);
  await storeRecipients(campaignId, plan, deps, { ...options, fingerprint: plan.fingerprint, target });
  return target;
}

/** Each contact's instant for "hh:mm in their zone", never before the campaign's own start. */
export function localTimeFor(hhmm: string, start: Date, defaultZone: string): (c: Contact) => Date {
  const byZone = new Map<string, Date>();
  return (c) => {
    const zone = c.timeZone || defaultZone;
    let at = byZone.get(zone);
    if (!at) byZone.set(zone, (at = nextLocalTime(hhmm, zone, start)));
    return at;
  };
}
