import { join } from 'node:path';
import { campaignTracking, trackChoice } from '../engagement/settings.js';
import type { Command } from 'commander';
import { withApp, type App } from '../app.js';
import { describeConflicts, overlapRefusal, planningInterrupted } from '../campaigns/lifecycle.js';
import { preparePlan, persistPlan, resumePlanning, type Plan } from '../campaigns/plan.js';
import { preflightCampaign, preflightPlan, refuseUnlessClear } from '../campaigns/preflight.js';
import { attachmentsLine, describeHtmlSizes } from '../campaigns/message-size.js';
import { testSend } from './test-send.js';
import { handToWorkers, runCampaign, paceFrom, type PaceOverrides } from '../campaigns/run.js';
import { formatRate } from '../config/rate.js';
import { PresslineError } from '../errors.js';
import { noPublicPhaseWarning } from '../newsroom/publish.js';
import { loadLists } from '../lists/load.js';
import type { Pace, RunSummary } from '../send/sender.js';
import { estimateMs } from '../campaigns/estimate.js';
import { describeSmtpUrl } from '../send/smtp.js';
import { unknownAdvice } from '../send/outcome.js';
import { countLabel, isOutboxRelay, realSenderWithoutRelay, splitSent } from '../send/outbox-relay.js';
import type { StatusCounts } from '../store/types.js';
import { collect, printJson } from './output.js';
import { forTerminal, oneLine } from '../terminal/sanitise.js';
import { confirm, formatDuration } from './terminal.js';
import { progressMode, progressReporter } from './progress.js';

interface PaceFlags {
  rate?: string;
  perDomain?: string;
  concurrency?: string;
  batchSize?: string;
  batchPause?: string;
}

function paceOverrides(flags: PaceFlags): PaceOverrides {
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new PresslineError('USAGE', `${name} takes a whole number, not "${v}"`);
    return n;
  };
  return {
    rate: flags.rate,
    perDomain: flags.perDomain,
    concurrency: int(flags.concurrency, '--concurrency'),
    batchSize: int(flags.batchSize, '--batch-size'),
    batchPauseMs: int(flags.batchPause, '--batch-pause'),
  };
}

function addPaceOptions(cmd: Command): Command {
  return cmd
    .option('--rate <rate>', 'global ceiling: 50/s, 300/m, 2000/h, 0 = no limit (default from config)')
    .option('--per-domain <rate>', 'ceiling per receiving domain (default from config)')
    .option('--concurrency <n>', 'messages in flight at once')
    .option('--batch-size <n>', 'deliveries claimed per batch')
    .option('--batch-pause <ms>', 'pause between batches, in milliseconds')
    .option('--no-wait-retries', 'stop when only deferred deliveries remain (a worker or `resume` retries them)')
    .option('--json', 'print the outcome as one JSON document')
    .option('--progress <mode>', 'bar, lines (one line every 5 s), json (one JSON object per line) or none; on stderr (default: bar on a terminal, lines otherwise)');
}

/** The shortest the send can take at the rates it will use (flags over config). */
function planEstimate(plan: Plan, pace: Pace): number | undefined {
  return estimateMs(plan.recipients, plan.perDomain, pace);
}

function describeEstimate(ms: number | undefined, pace: Pace): string {
  if (ms === undefined) return `no rate limit set: as fast as the relay takes them, ${pace.concurrency} at once`;
  return `at least ${formatDuration(ms)} at these ceilings`;
}

function describePlan(plan: Plan, app: App, pace: Pace, newOnly = false): string {
  const r = plan.report;
  const variants = plan.release.variants.map((v) => v.language).join(', ');
  const langs = Object.entries(plan.perLanguage).map(([l, n]) => `${l} ${n}`).join(', ') || '-';
  const transport = app.env.smtpUrl ? describeSmtpUrl(app.env.smtpUrl) : `outbox folder ${outboxFolder(app, '<campaign>')}: each message is written there as an .eml file, nothing is sent (no SMTP_URL set)`;
  const lines = [
    `Release     ${plan.input.releaseFile}: "${oneLine(plan.release.variants[0]!.title)}" (${variants})${plan.release.embargo ? `, embargo ${plan.release.embargo.text}` : ''}`,
    `Lists       ${r.files.join(', ')}: ${r.rows} rows, ${r.valid} valid, ${r.invalid.length} invalid, ${r.duplicates.length} duplicate${plan.input.where.length ? `, ${r.matched} match ${plan.input.where.join(' and ')}` : ''}`,
    `Recipients  ${plan.recipients}; suppressed ${plan.suppressed}`,
    `Languages   ${langs}`,
    attachmentsLine(plan.compiled),
    `HTML        ${describeHtmlSizes(plan.htmlBytes)}`,
    `Transport   ${transport}`,
    `Pace        ${formatRate(pace.global)}, ${pace.concurrency} at once, per domain ${formatRate(pace.perDomain)}${pace.domains.size ? ` (+${pace.domains.size} domain rules)` : ''}`,
    `Estimate    ${describeEstimate(planEstimate(plan, pace), pace)}`,
  ];
  if (plan.overlap.length > 0) {
    lines.push(`Overlap     ${describeConflicts(plan.overlap)}${newOnly ? `; --new-only leaves out the ${plan.alreadyHad} who had it` : ''}`);
  }
  if (plan.input.skipInvalid && (r.invalid.length || r.duplicates.length)) {
    lines.push(`Skipped     ${r.invalid.length + r.duplicates.length} rows will be recorded as skipped`);
  }
  const outboxWarning = app.env.smtpUrl ? undefined : realSenderWithoutRelay(plan.release.variants[0]?.from?.address ?? app.config.from?.address);
  const unpublished = noPublicPhaseWarning(app.config, plan.release, plan.input.releaseFile, app.clock.now());
  for (const w of [...plan.warnings, ...(outboxWarning ? [outboxWarning] : []), ...(unpublished ? [unpublished] : [])]) lines.push(`Warning     ${w}`);
  return lines.join('\n');
}

/** "sent 38, bounced 2"; what went to the outbox folder is "written to outbox", never "sent". */
export function summaryLine(c: StatusCounts, outbox = 0): string {
  return Object.entries(splitSent(c, outbox))
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${countLabel(s)} ${n}`)
    .join(', ') || 'no deliveries';
}

/** Exit status for a finished run: 0 only when every recipient is settled without a problem. */
export function exitForSummary(summary: RunSummary): number {
  const c = summary.counts;
  const trouble = c.bounced + c.blocked + c.failed + c.unknown + c.pending + c.deferred + c.sending;
  return summary.end === 'done' && trouble === 0 ? 0 : 1;
}

async function runWithProgress(app: App, campaignId: number, total: number, opts: { json?: boolean; progress?: string | undefined; waitRetries: boolean; resendUnknown?: boolean; acceptChanges?: boolean; pace: PaceOverrides }): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\npausing: letting messages in flight finish…\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const bar = progressReporter(progressMode(opts.progress, Boolean(process.stderr.isTTY), Boolean(opts.json)), total, { campaignId });
  try {
    const summary = await runCampaign(campaignId, app, {
      waitForRetries: opts.waitRetries,
      signal: controller.signal,
      onProgress: (p) => bar.update(p),
      resendUnknown: opts.resendUnknown,
      acceptChanges: opts.acceptChanges,
      pace: opts.pace,
      onStart: ({ recovered, requeued, transport }) => {
        bar.transport(isOutboxRelay(transport));
        if (recovered > 0) process.stderr.write(`${recovered} deliveries were in flight when the last run stopped: marked unknown (resend with --resend-unknown)\n`);
        if (requeued > 0) process.stderr.write(`${requeued} unknown deliveries put back in line\n`);
      },
    });
    bar.done();
    const outbox = (await app.store.outboxCounts(campaignId)).get(campaignId) ?? 0;
    if (opts.json) {
      printJson({ campaign: campaignId, end: summary.end, reason: summary.reason ?? null, counts: summary.counts, writtenToOutbox: outbox, nextRetryAt: summary.nextRetryAt ?? null });
    } else {
      process.stdout.write(`Campaign ${campaignId}: ${summary.end}${summary.reason ? ` (${summary.reason})` : ''}\n  ${summaryLine(summary.counts, outbox)}\n`);
      if (outbox > 0) process.stdout.write(`  nothing left this machine: ${outbox === 1 ? 'the message is an .eml file' : `the ${outbox} messages are .eml files`} in ${outboxFolder(app, campaignId)}; set SMTP_URL to send through a relay\n`);
      if (summary.end !== 'done') process.stdout.write(`  continue with: pressline resume ${campaignId}\n`);
      if (summary.counts.unknown > 0) process.stdout.write(`  ${unknownAdvice(campaignId, summary.counts.unknown)}\n`);
      process.stdout.write(`  details: pressline report ${campaignId}\n`);
    }
    process.exitCode = exitForSummary(summary);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export function registerSendCommands(program: Command): void {
  addPaceOptions(
    program
      .command('send')
      .description('plan a campaign (release × lists − suppressions), confirm, and send it')
      .argument('<release>', 'release file (Markdown with front matter)')
      .option('--list <file...>', 'journalist list(s), CSV (with --test-to: only to take --contact or the columns from)')
      .option('--where <k=v>', 'segment filter, repeatable (beat=russia, language=en,fr)', collect, [])
      .option('--encoding <enc>', 'character encoding of the lists when not UTF-8 (e.g. windows-1252)')
      .option('--skip-invalid', 'send to the valid rows of a list that has invalid ones; record the rest as skipped')
      .option('--dry-run', 'plan and render every message, send nothing, store nothing')
      .option('--test-to <email...>', 'test send: one copy of each language to each of these addresses, subject marked [TEST]; no campaign is stored')
      .option('--contact <email>', 'with --test-to: render with this contact of --list instead of sample values')
      .option('--new-only', 'only journalists who have not had this release yet (from an earlier campaign)')
      .option('--again', 'send even to journalists another campaign of this release reached or is about to reach')
      .option('--track <what>', 'track opens, clicks, or both (opens,clicks) or none; default from config tracking')
      .option('--yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExamples:\n  pressline send releases/eu-russia-summit.md --list lists/journalists.csv --where beat=russia\n  pressline send releases/eu-russia-summit.md --test-to me@example.org desk@example.org\n')
    .action(async (release: string, flags) => {
      progressMode(flags.progress, false, false); // a wrong --progress fails before anything is planned
      await withApp(program.opts().config, async (app) => {
        if (flags.testTo) {
          await testSend(app, release, flags);
          return;
        }
        if (flags.contact) throw new PresslineError('USAGE', '--contact goes with --test-to (a real send goes to everyone on --list)');
        if (!flags.list) throw new PresslineError('USAGE', 'send needs --list <file...> (or --test-to <email...> for a test send)');
        const pace = paceOverrides(flags);
        // Refused before planning when the links could not work (no public origin, no secret, bad do-not-track file).
        const track = trackChoice(app.config, flags.track);
        campaignTracking(app.config, track, app.env.secret, []);
        const input = { releaseFile: release, lists: flags.list, where: flags.where, encoding: flags.encoding, skipInvalid: Boolean(flags.skipInvalid) };
        const plan = await preparePlan(input, app);
        // Before the plan is shown, confirmed or stored: what would fail at send time fails here.
        refuseUnlessClear(await preflightPlan(app, plan));
        const out = flags.json ? process.stderr : process.stdout;
        // The plan quotes the release title, file names and list warnings: shown, never obeyed.
        const effective = paceFrom(app.config, pace);
        out.write(forTerminal(describePlan(plan, app, effective, flags.newOnly)) + '\n');
        const recipients = flags.newOnly ? plan.recipients - plan.alreadyHad : plan.recipients;
        if (recipients === 0) {
          throw new PresslineError('REFUSED', `no one to send to: every contact is filtered out, suppressed or invalid${flags.newOnly ? ', or already had this release' : ''}`);
        }
        // A second send of the release to the same journalists is refused now, not after confirming.
        const refusal = overlapRefusal(plan, flags);
        if (refusal && !flags.dryRun) throw refusal;
        if (flags.dryRun) {
          if (refusal) out.write(`Refused     a real send would be refused: ${oneLine(refusal.message)}\n`);
          const rendered = await renderAll(plan);
          out.write(`Dry run     rendered ${rendered} message${rendered === 1 ? '' : 's'}; nothing sent, nothing stored\n`);
          if (flags.json) printJson({ dryRun: true, recipients: plan.recipients, suppressed: plan.suppressed, languages: plan.perLanguage, estimatedMs: planEstimate(plan, effective) ?? null });
          return;
        }
        const title = oneLine(plan.release.variants[0]!.title);
        const question = app.env.smtpUrl
          ? `Send "${title}" to ${recipients} recipient${recipients === 1 ? '' : 's'}?`
          : `Write "${title}" for ${recipients} recipient${recipients === 1 ? '' : 's'} to the outbox folder ${outboxFolder(app, '<campaign>')}? Nothing is sent (no SMTP_URL set).`;
        if (!(await confirm(question, Boolean(flags.yes)))) {
          out.write('Nothing sent.\n');
          process.exitCode = 1;
          return;
        }
        const campaignId = await persistPlan(plan, app, { options: { pace, track }, again: flags.again, newOnly: flags.newOnly });
        out.write(`Campaign ${campaignId} planned: ${recipients} deliveries stored; ${app.env.smtpUrl ? 'sending' : `writing them to ${outboxFolder(app, campaignId)}`}…\n`);
        try {
          await runWithProgress(app, campaignId, plan.recipients + plan.suppressed, { json: flags.json, progress: flags.progress, waitRetries: flags.waitRetries, pace });
        } catch (err) {
          throw explainStoredCampaign(err, campaignId);
        }
      });
    });

  addPaceOptions(
    program
      .command('resume')
      .description('continue a paused or interrupted campaign; messages in flight at a crash stay `unknown`')
      .argument('<campaign>', 'campaign id')
      .option('--resend-unknown', 'also resend deliveries whose fate is unknown (may reach someone twice)')
      .option('--accept-changes', 'send even though the release or template changed since planning')
      .option('--workers', 'hand the paused campaign back to the running `pressline worker` processes instead of sending it from here')
      .option('--yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExamples:\n  pressline resume 3\n  pressline resume 3 --workers\n')
    .action(async (id: string, flags) => {
      progressMode(flags.progress, false, false);
      await withApp(program.opts().config, async (app) => {
        const campaignId = parseCampaignId(id);
        if (flags.workers) {
          if (flags.acceptChanges) throw new PresslineError('USAGE', '--accept-changes needs the send to run here; resume without --workers');
          const { requeued } = await handToWorkers(app, campaignId, app.clock.now(), { resendUnknown: flags.resendUnknown });
          if (flags.json) printJson({ campaignId, status: 'sending', handedToWorkers: true, requeued });
          else process.stdout.write(`Campaign ${campaignId} handed back to the workers${requeued > 0 ? ` (${requeued} unknown deliveries queued again)` : ''}.\n`);
          return;
        }
        const campaign = await app.store.getCampaign(campaignId);
        if (campaign) refuseUnlessClear(await preflightCampaign(app, campaign, { acceptChanges: Boolean(flags.acceptChanges) }));
        if (campaign?.status === 'planning') {
          // Killed while planning: finish the plan first (what it was meant to become decides the rest).
          const out = flags.json ? process.stderr : process.stdout;
          if (!(await planningInterrupted(app.store, campaignId, app.clock.now()))) throw new PresslineError('REFUSED', `campaign ${campaignId} is still being planned by another process; wait for it to finish`);
          const target = await resumePlanning(campaignId, app, { acceptChanges: flags.acceptChanges });
          const counts = await app.store.counts(campaignId);
          out.write(`Campaign ${campaignId}: planning finished, ${counts.pending} deliveries to send\n`);
          if (target === 'scheduled') {
            out.write(`It is scheduled; keep \`pressline worker\` running to send it.\n`);
            if (flags.json) printJson({ campaignId, status: 'scheduled', counts });
            return;
          }
        }
        const counts = await app.store.counts(campaignId);
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        const open = counts.pending + counts.deferred + counts.sending + (flags.resendUnknown ? counts.unknown : 0);
        const where = app.env.smtpUrl ? '' : ` into the outbox folder ${outboxFolder(app, campaignId)}; nothing is sent (no SMTP_URL set)`;
        if (!(await confirm(`Resume campaign ${campaignId} (${open} of ${total} deliveries still to send${where})?`, Boolean(flags.yes)))) {
          process.exitCode = 1;
          return;
        }
        await runWithProgress(app, campaignId, total, { json: flags.json, progress: flags.progress, waitRetries: flags.waitRetries, resendUnknown: flags.resendUnknown, acceptChanges: flags.acceptChanges, pace: paceOverrides(flags) });
      });
    });
}

/** Where a campaign's messages go without SMTP_URL (see defaultTransport). */
function outboxFolder(app: App, campaign: number | string): string {
  return `${join(app.config.paths.outbox, String(campaign))}/`;
}

/** Renders every recipient's message, for --dry-run: what would fail at send time fails here. */
async function renderAll(plan: Plan): Promise<number> {
  let n = 0;
  await loadLists(plan.input.lists, {
    encoding: plan.input.encoding,
    where: plan.input.where,
    columns: new Set(plan.mergeColumns), // as stored for the send: the same render, without the rest of a wide row
    onContact: (c) => {
      plan.compiled.pickVariant(c).render(c, { unsubscribe_url: 'https://unsubscribe.invalid/dry-run' });
      n++;
    },
  });
  return n;
}

/**
 * A send that stopped before its first message still left a stored campaign: the error says
 * which, and how to go on or drop it, so no draft is left behind unexplained.
 */
function explainStoredCampaign(err: unknown, campaignId: number): unknown {
  if (!(err instanceof PresslineError)) return err;
  return new PresslineError(err.code, `${err.message} (campaign ${campaignId} is stored: \`pressline resume ${campaignId}\` once fixed, or \`pressline cancel ${campaignId}\`)`);
}

/** A campaign id from the command line: only plain decimal digits (no sign, exponent, hex or leading zero) are accepted. */
export function parseCampaignId(text: string): number {
  // Digits only: Number() would read "1e2" as campaign 100 and "0x1" as campaign 1.
  if (!/^[1-9][0-9]{0,15}$/.test(text)) throw new PresslineError('USAGE', `${JSON.stringify(text)} is not a campaign id (a whole number such as 3); \`pressline campaigns\` lists them`);
  const id = Number(text);
  if (!Number.isSafeInteger(id)) throw new PresslineError('USAGE', `${JSON.stringify(text)} is too large for a campaign id; \`pressline campaigns\` lists them`);
  return id;
}
