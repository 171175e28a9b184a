import type { Clock } from '../clock.js';
import { parseRate, perSecond } from '../config/rate.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import { loadLists, type ListReport } from '../lists/load.js';
import { loadRelease } from '../releases/load.js';
import type { Release } from '../releases/types.js';
import { compileRelease } from '../render/compile.js';
import type { CompiledRelease } from '../render/types.js';
import { messageIdFor } from '../send/compose.js';
import { openDeliveryLog } from '../send/delivery-log.js';
import type { CampaignPhase, SkippedRow, Store } from '../store/types.js';
import { fingerprintFiles } from './fingerprint.js';

export interface PlanInput {
  releaseFile: string;
  lists: string[];
  where: string[];
  encoding?: string | undefined;
  /** Send to the valid rows of a list that has invalid ones, recording the rest as skipped. */
  skipInvalid: boolean;
  /** Send one test copy to this address only. */
  testTo?: string | undefined;
  templateFile?: string | undefined;
}

/** What a campaign would do, computed before anything is stored or sent. */
export interface Plan {
  input: PlanInput;
  release: Release;
  compiled: CompiledRelease;
  report: ListReport;
  /** Contacts that will be mailed (valid, unique, in the segment, not suppressed). */
  recipients: number;
  suppressed: number;
  perLanguage: Record<string, number>;
  perDomain: Map<string, number>;
  /** Lower bound at the configured rates (global and per domain). */
  estimatedMs: number;
  fingerprint: string;
  warnings: string[];
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
  const suppressedKeys = await store.suppressedKeys();
  const byContactLanguage = new Map<string, number>();
  const perDomain = new Map<string, number>();
  let recipients = 0;
  let suppressed = 0;
  const report = await loadLists(input.lists, {
    encoding: input.encoding,
    where: input.where,
    onContact: (c) => {
      if (suppressedKeys.has(c.key)) {
        suppressed++;
        return;
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
  const templateFile = templatePath(config, input.templateFile);
  const compiled = await compileRelease(release, { config, now: clock.now(), columns: report.columns, templateFile });

  const perLanguage: Record<string, number> = {};
  for (const [language, n] of byContactLanguage) {
    const variant = compiled.pickVariant({ language } as Contact).language;
    perLanguage[variant] = (perLanguage[variant] ?? 0) + n;
  }

  const warnings = [...release.warnings];
  if (input.testTo) recipients = Math.min(recipients, 1);
  return {
    input,
    release,
    compiled,
    report,
    recipients,
    suppressed,
    perLanguage,
    perDomain,
    estimatedMs: estimateMs(input.testTo ? 1 : recipients, perDomain, config),
    fingerprint: await fingerprintFiles(releaseFiles(release, templateFile)),
    warnings,
  };
}

/** The fastest the configured ceilings allow: the slower of the global and the busiest domain. */
export function estimateMs(recipients: number, perDomain: Map<string, number>, config: Config): number {
  const global = perSecond(parseRate(config.rate.global, 'rate.global'));
  let seconds = recipients / global;
  for (const [domain, n] of perDomain) {
    const rate = config.rate.domains[domain] ?? config.rate.perDomain;
    seconds = Math.max(seconds, n / perSecond(parseRate(rate, `rate.domains.${domain}`)));
  }
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0;
}

/**
 * Second pass: the campaign row and one delivery row per recipient, all before the first
 * message. Suppressed contacts are recorded as `suppressed`; with --skip-invalid, the invalid
 * and duplicate rows are recorded as skipped.
 */
/** How a planned campaign is stored: sent now (draft), or scheduled, maybe as an embargo phase. */
export interface PersistOptions {
  options?: Record<string, unknown>;
  status?: 'draft' | 'scheduled';
  scheduledAt?: Date | undefined;
  scheduleZone?: string | undefined;
  phase?: CampaignPhase;
  groupId?: number | undefined;
  /** Recipients stored as `skipped` with `skipReason` (the other phase's audience). */
  skipKeys?: Set<string>;
  skipReason?: string;
  /** Hold each recipient until this instant (e.g. 09:00 in their own time zone). */
  notBefore?: (c: Contact) => Date | undefined;
}

export async function persistPlan(plan: Plan, deps: { config: Config; store: Store; clock: Clock }, extra: PersistOptions = {}): Promise<number> {
  const { store, clock } = deps;
  const input = plan.input;
  const now = clock.now();
  const campaignId = await store.createCampaign(
    {
      releaseFile: input.releaseFile,
      releaseTitle: plan.release.variants[0]!.title,
      lists: input.lists,
      where: input.where,
      test: Boolean(input.testTo),
      status: extra.status ?? 'draft',
      scheduledAt: extra.scheduledAt,
      scheduleZone: extra.scheduleZone,
      phase: extra.phase ?? 'single',
      groupId: extra.groupId,
      embargoAt: plan.release.embargo?.instant,
      embargoZone: plan.release.embargo?.zone,
      options: { ...extra.options, fingerprint: plan.fingerprint, columns: plan.report.columns, encoding: input.encoding, templateFile: input.templateFile, testTo: input.testTo },
    },
    now,
  );
  const suppressedKeys = await store.suppressedKeys();
  // Each recipient's Message-ID, fixed now so the send-time mark need not write it (see messageIdFor).
  const from = plan.release.variants[0]!.from ?? deps.config.from;
  const messageId = from ? (c: Contact) => messageIdFor(campaignId, c.key, from.address) : undefined;
  let pending: Contact[] = [];
  let blocked: Contact[] = [];
  let other: Contact[] = [];
  let writes = Promise.resolve();
  const flush = () => {
    const [p, b, o] = [pending, blocked, other];
    pending = [];
    blocked = [];
    other = [];
    writes = writes.then(async () => {
      if (p.length > 0) await store.addDeliveries(campaignId, p, 'pending', now, { notBefore: extra.notBefore, messageId });
      if (b.length > 0) await store.addDeliveries(campaignId, b, 'suppressed', now, { detail: 'on the suppression list when planned' });
      if (o.length > 0) await store.addDeliveries(campaignId, o, 'skipped', now, { detail: extra.skipReason });
    });
  };
  let taken = 0;
  await loadLists(input.lists, {
    encoding: input.encoding,
    where: input.where,
    onContact: (c) => {
      if (input.testTo) {
        if (taken++ > 0) return;
        // The test copy carries the first journalist's merge fields, addressed to the tester.
        const [local, domain = ''] = input.testTo.split('@');
        c = { ...c, email: input.testTo, key: `${local!.toLowerCase()}@${domain.toLowerCase()}`, domain: domain.toLowerCase() };
        pending.push(c);
        return;
      }
      (suppressedKeys.has(c.key) ? blocked : extra.skipKeys?.has(c.key) ? other : pending).push(c);
      if (pending.length + blocked.length + other.length >= CHUNK) flush();
    },
  });
  flush();
  await writes;
  if (input.skipInvalid && !input.testTo) {
    const skipped: SkippedRow[] = [
      ...plan.report.invalid.map((p) => ({ file: p.file, line: p.line, email: '', reason: p.reason })),
      ...plan.report.duplicates.map((d) => ({ file: d.file, line: d.line, email: d.email, reason: `duplicate of ${d.first.file}:${d.first.line}` })),
    ];
    if (skipped.length > 0) await store.addSkipped(campaignId, skipped, now);
  }
  // The plan's events (planned, suppressed, skipped) in the delivery log from the start.
  await openDeliveryLog(store, deps.config.paths.logs, campaignId).catchUp();
  return campaignId;
}
